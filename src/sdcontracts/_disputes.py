"""Disputes: constraints the sources disagree on, recorded once beside the constraint.

A schema states the **strict** reading: every constraint a cited source states. Where the
sources disagree (the field table against the doc's own example, the doc against the spec or
the provider's SDK), the subschema holding the constraint carries an ``x-disputes`` entry with
both readings, their sources, the decision and why::

    "seed": {
      "type": "integer",
      "x-disputes": [{
        "id": "seed-as-string",
        "keyword": "type",
        "lenient": ["integer", "string"],
        "decision": "warning",
        "summary": "the field table says integer; the doc's example and the English field list send a string",
        "readings": [{"source": "doc", "says": "seed … integer"}, {"source": "img2img-ref", "says": "seed string"}],
        "why": "…"
      }]
    }

``decision: "warning"`` makes the lenient reading the default: a value only the lenient reading
accepts is a warning (``Report.warnings``), an error under ``strict=True``. ``decision: "error"``
keeps the strict reading (the provider is known to enforce it) and only documents the dispute;
its violations carry the dispute. What ``lenient`` means depends on the keyword:

=================  ===========================================================================
``type``           every type the lenient reading accepts (a superset of the schema's)
``enum``           the values it adds to the schema's list
``required``       the required fields it lets be absent
``properties``     ``{name: subschema}``: fields it accepts that no doc lists (an SDK sends them)
``null``           ``true``: an optional field may be null, read as absent
bounds             the lenient bound, or null for none (``minimum``, ``maximum``,
                   ``exclusiveMinimum``, ``exclusiveMaximum``, ``minLength``, ``maxLength``,
                   ``minItems``, ``maxItems``)
=================  ===========================================================================

Provider rules record their disputes in Python, with the rule (``RuleSet.dispute``).
`lenient_document` applies every warning-decided relaxation to a schema document: the reading
the mock, the generated models and the engines' lenient form accept.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "BOUNDS", "KEYWORDS", "Decision", "Dispute", "DisputeError", "Reading", "dispute_keys", "disputes",
    "lenient_document", "parse_disputes",
]  # fmt: skip

BOUNDS = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems"}
)
KEYWORDS = frozenset({"type", "enum", "required", "properties", "null"}) | BOUNDS
_LOWER_BOUNDS = frozenset({"minimum", "exclusiveMinimum", "minLength", "minItems"})
Decision = Literal["warning", "error"]


class DisputeError(ValueError):
    """An ``x-disputes`` entry that is malformed or does not relax its constraint."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What one source says about a disputed constraint."""

    source: str  # a key of provider.json ``sources``
    says: str  # the source's own words, or what its example sends

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "says": self.says}


@dataclass(frozen=True, slots=True)
class Dispute:
    """One constraint the sources disagree on, and how sdcontracts reads it.

    ``strict`` is the constraint as the schema (or rule) states it, ``lenient`` what the other
    reading accepts instead (see the module docstring per keyword). With ``decision ==
    "warning"`` a value only the lenient reading accepts gives a warning, an error in strict
    mode; with ``"error"`` the strict reading stands and the dispute is only documented.
    """

    id: str  # "<provider>.<name>"
    provider: str
    keyword: str  # the schema keyword, or the id of the rule whose bound is disputed
    location: str  # where it is recorded: a schema location ("img2img.request#/$defs/Diffusion") or a rule id
    strict: Any
    lenient: Any
    decision: Decision
    summary: str  # one line: who says what
    readings: tuple[Reading, ...]
    why: str  # why the decision

    @property
    def sources(self) -> tuple[str, ...]:
        """The keys of the sources that take part, in the order given."""
        return tuple(dict.fromkeys(r.source for r in self.readings))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping of this dispute."""
        return {
            "id": self.id,
            "keyword": self.keyword,
            "location": self.location,
            "strict": self.strict,
            "lenient": self.lenient,
            "decision": self.decision,
            "summary": self.summary,
            "readings": [r.to_dict() for r in self.readings],
            "why": self.why,
        }


def parse_disputes(provider: str, location: str, subschema: Mapping[str, Any]) -> tuple[Dispute, ...]:
    """The disputes a subschema records, checked against the constraints they relax."""
    entries = subschema.get("x-disputes")
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise DisputeError(f"{location}: x-disputes must be a list")
    found: list[Dispute] = []
    seen: set[str] = set()
    for entry in entries:
        dispute = _parse(provider, location, subschema, entry)
        for key in dispute_keys(dispute):
            if key in seen:
                raise DisputeError(f"{location}: two disputes over {key!r}; state both readings in one")
            seen.add(key)
        found.append(dispute)
    return tuple(found)


def dispute_keys(dispute: Dispute) -> tuple[str, ...]:
    """What a schema dispute is about, one key each: its keyword, or ``required:<name>`` for each
    required field it names (disputes over different required fields may differ in decision)."""
    if dispute.keyword == "required":
        return tuple(f"required:{name}" for name in dispute.lenient)
    return (dispute.keyword,)


def _parse(provider: str, location: str, subschema: Mapping[str, Any], entry: Any) -> Dispute:
    if not isinstance(entry, Mapping):
        raise DisputeError(f"{location}: an x-disputes entry must be an object")
    missing = {"id", "keyword", "lenient", "summary", "readings", "why"} - set(entry)
    if missing:
        raise DisputeError(f"{location}: x-disputes entry lacks {sorted(missing)}")
    extra = set(entry) - {"id", "keyword", "lenient", "decision", "summary", "readings", "why"}
    if extra:
        raise DisputeError(f"{location}: x-disputes entry has unknown keys {sorted(extra)}")
    keyword = entry["keyword"]
    if keyword not in KEYWORDS:
        raise DisputeError(f"{location}: cannot dispute {keyword!r} (disputable: {', '.join(sorted(KEYWORDS))})")
    decision = entry.get("decision", "warning")
    if decision not in ("warning", "error"):
        raise DisputeError(f"{location}: decision must be 'warning' or 'error', not {decision!r}")
    readings = tuple(_reading(location, r) for r in entry["readings"])
    if len(readings) < 2:
        raise DisputeError(f"{location}: a dispute needs at least two readings")
    strict = _check_relaxes(location, keyword, subschema, entry["lenient"])
    return Dispute(
        id=f"{provider}.{entry['id']}",
        provider=provider,
        keyword=keyword,
        location=location,
        strict=strict,
        lenient=entry["lenient"],
        decision=decision,
        summary=entry["summary"],
        readings=readings,
        why=entry["why"],
    )


def _reading(location: str, value: Any) -> Reading:
    if not isinstance(value, Mapping) or set(value) != {"source", "says"}:
        raise DisputeError(f"{location}: a reading is {{'source': …, 'says': …}}, not {value!r}")
    return Reading(str(value["source"]), str(value["says"]))


def _check_relaxes(location: str, keyword: str, schema: Mapping[str, Any], lenient: Any) -> Any:
    """The strict value of ``keyword`` in ``schema``, after checking that ``lenient`` relaxes it."""
    where = f"{location}: the {keyword!r} dispute"
    if keyword == "type":
        strict = schema.get("type")
        types = {strict} if isinstance(strict, str) else set(strict or ())
        if not isinstance(lenient, list) or not types or not types < set(lenient):
            raise DisputeError(f"{where} must list more types than {sorted(types)}")
        return strict
    if keyword == "enum":
        values = schema.get("enum")
        if not isinstance(lenient, list) or values is None or not lenient or any(v in values for v in lenient):
            raise DisputeError(f"{where} must add values the enum lacks")
        return values
    if keyword == "required":
        required = schema.get("required", ())
        if not isinstance(lenient, list) or not lenient or not set(lenient) <= set(required):
            raise DisputeError(f"{where} must name required fields")
        return list(lenient)
    if keyword == "properties":
        known = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            raise DisputeError(f"{where} applies to a closed object only")
        if not isinstance(lenient, Mapping) or not lenient or any(name in known for name in lenient):
            raise DisputeError(f"{where} must add fields the object lacks")
        return sorted(known)
    if keyword == "null":
        if lenient is not True or not schema.get("properties"):
            raise DisputeError(f"{where} is `true`, on an object with properties")
        return False
    strict = schema.get(keyword)  # a bound
    if strict is None:
        raise DisputeError(f"{where}: the schema states no {keyword}")
    if lenient is not None and (
        not isinstance(lenient, int | float) or (lenient >= strict if keyword in _LOWER_BOUNDS else lenient <= strict)
    ):
        raise DisputeError(f"{where} must be looser than {strict}, or null")
    return strict


def lenient_document(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a schema document with every warning-decided dispute applied: the reading that
    is accepted by default. Annotations stay; ``x-disputes`` entries are dropped once applied."""
    return _relax(copy.deepcopy(dict(schema)))  # type: ignore[no-any-return]


def _relax(node: Any) -> Any:
    if isinstance(node, list):
        return [_relax(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _relax(value) for key, value in node.items() if key != "x-disputes"}
    # fields a dispute adds come last: "null" relaxes the schema's own optional fields, not those
    for entry in sorted(node.get("x-disputes", ()), key=lambda e: e["keyword"] == "properties"):
        if entry.get("decision", "warning") != "warning":
            continue
        keyword, lenient = entry["keyword"], entry["lenient"]
        if keyword == "enum":
            out["enum"] = [*out["enum"], *lenient]
        elif keyword == "required":
            out["required"] = [name for name in out["required"] if name not in lenient]
        elif keyword == "properties":
            out["properties"] = {**out["properties"], **_relax(lenient)}
        elif keyword == "null":
            required = set(out.get("required", ()))
            out["properties"] = {
                name: (child if name in required else _nullable(child)) for name, child in out["properties"].items()
            }
        elif lenient is None:
            out.pop(keyword, None)
        elif keyword == "type" and "number" in lenient and "integer" in lenient:
            out["type"] = [t for t in lenient if t != "integer"]  # an integer is a number
        else:
            out[keyword] = lenient
    return out


def _nullable(schema: Any) -> Any:
    """``schema`` accepting null as well."""
    if not isinstance(schema, dict) or "$ref" in schema or "type" not in schema:
        return {"anyOf": [{"type": "null"}, schema]}
    types = [schema["type"]] if isinstance(schema["type"], str) else list(schema["type"])
    out = {**schema, "type": types if "null" in types else [*types, "null"]}
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


def disputes(provider: str) -> tuple[Dispute, ...]:
    """Every dispute recorded for a provider: in its schemas (in file and document order), then
    beside its rules. Each reading's source is a key of the provider's ``sources``.

    >>> import sdcontracts
    >>> [d.id for d in sdcontracts.disputes("zhiqite")]
    ['zhiqite.batch-size-resize-mode-required', 'zhiqite.seed-as-string', 'zhiqite.cfg-scale-fraction']
    """
    from . import _catalogue
    from .rules import ruleset

    _catalogue.check_provider(provider)
    found: list[Dispute] = []
    for name in _catalogue.schema_names(provider):
        found += _walk(provider, name, _catalogue.raw_schema(provider, name), "#")
    found += ruleset(provider).disputes
    sources = _catalogue.provider_info(provider).get("sources", {})
    for dispute in found:
        unknown = [r.source for r in dispute.readings if r.source not in sources]
        if unknown:
            raise DisputeError(f"{dispute.id}: unknown sources {unknown} (known: {', '.join(sources)})")
    return tuple(found)


def _walk(provider: str, name: str, node: Any, location: str) -> list[Dispute]:
    if not isinstance(node, Mapping):
        return []
    found = list(parse_disputes(provider, f"{name}{location}", node))
    for key in ("properties", "$defs"):
        for child, subschema in node.get(key, {}).items():
            found += _walk(provider, name, subschema, f"{location}/{key}/{child}")
    for key in ("items", "additionalProperties"):
        found += _walk(provider, name, node.get(key), f"{location}/{key}")
    return found


# the public names present themselves as sdcontracts.X (the package exports them lazily)
Dispute.__module__ = Reading.__module__ = "sdcontracts"
