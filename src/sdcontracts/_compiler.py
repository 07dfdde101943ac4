"""Compile a hand-written provider schema into the two forms validation runs on.

1. A tree of `Node`s that `_engine.Interpreter` walks to explain, precisely, every violation.
2. A plain JSON Schema for jsonschema-rs, which answers "is this valid?" in microseconds.

Both come from the one hand-written file. The schema language is JSON Schema 2020-12,
restricted to the keywords below so that both engines read every constraint the same way;
any other keyword is a compile error, never silently ignored. Extensions (documented in
``schemas/README.md``):

- ``x-protojson: true`` (root): every property may also be spelt snake_case.
- ``format: "int64"`` on ``type: ["string", "integer"]``: protobuf int64, a number or a
  decimal string, within the signed 64-bit range either way; numeric keywords apply to both.
- ``x-image``: the string is a base64 image, with optional ``maxWidth``/``maxHeight``/``maxBytes``.
- ``x-secret: true``: never echo the value in messages.
- ``x-disputes``: constraints the sources disagree on, and the lenient reading (``_disputes``).
- ``x-filled-by: "client"``: a field the clients fill in (ids, credentials, signatures).
- ``x-doc`` / ``x-source`` / ``x-note`` / ``x-members``: annotations.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ._images import ImageLimits
from ._pointer import parts
from ._protojson import snake_name

if TYPE_CHECKING:
    from ._disputes import Dispute

__all__ = [
    "FREE", "INT64_MAX", "INT64_MIN", "Leniency", "Node", "SchemaError", "add_fragments", "caller_document",
    "compile_engine_schema", "compile_nodes", "ecma_pattern", "int64_keywords",
]  # fmt: skip

_DECIMAL = re.compile(r"[+-]?[0-9]+")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

ASSERTIONS = frozenset(
    {
        "type", "enum", "const",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "minLength", "maxLength", "pattern", "format",
        "minItems", "maxItems", "uniqueItems", "items",
        "properties", "required", "additionalProperties",
        "$ref", "$defs",
    }
)  # fmt: skip
ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated",
     "readOnly", "writeOnly", "contentEncoding", "contentMediaType"}
)  # fmt: skip
EXTENSIONS = frozenset(
    {"x-protojson", "x-image", "x-secret", "x-doc", "x-source", "x-note", "x-members", "x-pattern", "x-role",
     "x-disputes", "x-filled-by"}
)  # fmt: skip
JSON_TYPES = frozenset({"null", "boolean", "integer", "number", "string", "array", "object"})


class SchemaError(Exception):
    """A provider schema uses something the validator cannot enforce exactly."""


@dataclass(eq=False, slots=True)
class Node:
    """One compiled subschema. Field names mirror the JSON Schema keywords they come from."""

    location: str
    doc: str = ""
    types: frozenset[str] | None = None
    enum: tuple[Any, ...] | None = None
    enum_keys: frozenset[tuple[str, Any]] | None = None
    const: tuple[Any] | None = None  # a 1-tuple so that `const: null` is expressible
    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusive_minimum: int | float | None = None
    exclusive_maximum: int | float | None = None
    multiple_of: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: re.Pattern[str] | None = None  # compiled to mean in Python what the schema's pattern means in ECMA-262
    pattern_text: str = ""  # the schema's own pattern
    pattern_hint: str = ""
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False
    items: Node | None = None
    properties: dict[str, Node] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # every accepted spelling -> canonical
    spellings: dict[str, tuple[str, ...]] = field(default_factory=dict)  # canonical -> spellings
    required: tuple[str, ...] = ()
    closed: bool = False  # additionalProperties: false
    additional: Node | None = None  # schema for unlisted properties of an open object
    int64: bool = False
    image: ImageLimits | None = None
    secret: bool = False
    role: str | None = None  # x-role: what the field means (count, width, height, format, request-id)
    free: bool = False  # accepts any JSON value: only JSON-ness is checked
    python: bool = False  # this node or one below it has checks only Python can run
    disputes: dict[str, Dispute] = field(default_factory=dict)  # keyword (or "required:<field>") -> its dispute
    lenient: Leniency | None = None  # what the warning-decided disputes accept beyond the schema


@dataclass(eq=False, slots=True)
class Leniency:
    """What a node's warning-decided disputes accept beyond its strict constraints: a value that
    only this accepts is a warning, not an error."""

    types: frozenset[str] | None = None  # every type the lenient reading accepts
    enum_keys: frozenset[tuple[str, Any]] = frozenset()  # enum values it adds
    enum: tuple[Any, ...] = ()
    required: frozenset[str] = frozenset()  # required fields it lets be absent
    properties: dict[str, Node] = field(default_factory=dict)  # fields it accepts that no doc lists
    names: dict[str, str] = field(default_factory=dict)  # every spelling of those -> canonical
    null: bool = False  # an optional field may be null
    bounds: dict[str, int | float | None] = field(default_factory=dict)  # keyword -> lenient bound (None: none)


FREE = Node(location="(any)", free=True, python=True)


def enum_key(value: Any) -> tuple[str, Any]:
    """A hashable key under which JSON-equal values coincide (``1 == 1.0``, ``True != 1``)."""
    if isinstance(value, bool):
        return ("boolean", value)
    if value is None:
        return ("null", None)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, int | float | Decimal):  # Decimal("2") == 2 == 2.0, with equal hashes
        return ("number", value)
    return ("other", json_text(value))


def json_text(value: Any) -> str:
    """Text under which JSON-equal values coincide, containers included: keys sorted, integral
    numbers as integers (``[1]`` and ``[1.0]`` are one value to jsonschema-rs, ``[true]`` and
    ``[1]`` are not); a value that is not JSON gets its repr."""
    try:
        return json.dumps(_integral(value), sort_keys=True, default=repr)
    except (TypeError, ValueError, RecursionError):  # non-string keys, nested too deep
        pass
    try:
        return repr(value)
    except RecursionError:  # too deep even to spell out: equal only to itself
        return f"<{type(value).__name__} at {id(value):#x}>"


def _integral(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_integral(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Decimal) and value.is_finite():  # a number to jsonschema-rs, as to json_kind
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def compile_nodes(
    schema: Mapping[str, Any], doc_for: Callable[[Mapping[str, Any]], str], *, provider: str = "", name: str = ""
) -> Node:
    """Compile a schema document into its root `Node`.

    ``doc_for(subschema)`` renders the doc reference of a subschema (its ``x-doc`` quote and
    source), or returns "" to inherit the parent's. ``provider`` and ``name`` (the schema's)
    name the disputes the schema records.
    """
    return _Compiler(schema, doc_for, provider, name).compile(schema, "#", "")


def caller_document(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema as a caller sees it before a client fills in its part: fields marked
    ``x-filled-by`` (ids, credentials, signatures) are no longer required; if given, they are
    checked as usual."""

    def filled(subschema: Any) -> bool:
        if isinstance(subschema, Mapping) and "$ref" in subschema:
            subschema = schema.get("$defs", {}).get(str(subschema["$ref"]).rsplit("/", 1)[-1])
        return isinstance(subschema, Mapping) and "x-filled-by" in subschema

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, Mapping):
            return node
        out = {key: walk(value) for key, value in node.items()}
        if "required" in out:
            out["required"] = [r for r in out["required"] if not filled(node.get("properties", {}).get(r))]
        return out

    return walk(schema)  # type: ignore[no-any-return]


class _Compiler:
    def __init__(
        self, root: Mapping[str, Any], doc_for: Callable[[Mapping[str, Any]], str], provider: str, name: str
    ) -> None:
        self.root = root
        self.doc_for = doc_for
        self.provider = provider
        self.name = name
        self.protojson = bool(root.get("x-protojson", False))
        self.refs: dict[str, Node] = {}
        self.building: set[str] = set()

    def resolve(self, ref: str) -> Mapping[str, Any]:
        if not ref.startswith("#/$defs/"):
            raise SchemaError(f"only local '#/$defs/...' references are supported, not {ref!r}")
        target = self.root.get("$defs", {}).get(ref[len("#/$defs/") :])
        if not isinstance(target, Mapping):
            raise SchemaError(f"unresolvable reference {ref!r}")
        return target

    def compile(self, schema: Any, location: str, inherited_doc: str) -> Node:
        if schema is True or schema == {}:
            return FREE
        if not isinstance(schema, Mapping):
            raise SchemaError(f"{location}: a subschema must be an object or true, not {schema!r}")
        ref = schema.get("$ref")
        if ref is not None:
            extra = set(schema) - ANNOTATIONS - EXTENSIONS - {"$ref", "$defs"}
            if extra:
                raise SchemaError(f"{location}: keywords beside $ref are not supported: {sorted(extra)}")
            if ref in self.building:
                # jsonschema-rs recurses on the native stack as deep as the payload nests under
                # a recursive schema, and a hostile payload would crash the process.
                raise SchemaError(f"{location}: recursive reference {ref!r} is not supported")
            if ref not in self.refs:
                self.building.add(ref)
                self.refs[ref] = self.compile(self.resolve(ref), ref, inherited_doc)
                self.building.discard(ref)
            return self.refs[ref]
        unknown = set(schema) - ASSERTIONS - ANNOTATIONS - EXTENSIONS
        if unknown:
            raise SchemaError(f"{location}: unsupported keywords {sorted(unknown)}")
        node = Node(location=location, doc=self.doc_for(schema) or inherited_doc)
        self._scalars(node, schema, location)
        self._containers(node, schema, location)
        self._disputes(node, schema, location)
        node.python = (
            node.image is not None
            or node.free
            or any(child.python for child in node.properties.values())
            or (node.items is not None and node.items.python)
            or (node.additional is not None and node.additional.python)
        )
        return node

    def _disputes(self, node: Node, schema: Mapping[str, Any], location: str) -> None:
        if "x-disputes" not in schema:
            return
        from ._disputes import dispute_keys, parse_disputes  # only schemas with disputes need it

        try:
            disputes = parse_disputes(self.provider, f"{self.name}{location}", schema)
        except ValueError as error:
            raise SchemaError(str(error)) from None
        if not disputes:
            return
        node.disputes = {key: d for d in disputes for key in dispute_keys(d)}
        lenient = Leniency()
        for dispute in disputes:
            if dispute.decision != "warning":
                continue
            keyword, value = dispute.keyword, dispute.lenient
            if keyword == "type":
                lenient.types = frozenset(value)
            elif keyword == "enum":
                lenient.enum = tuple(value)
                lenient.enum_keys = frozenset(enum_key(v) for v in value)
            elif keyword == "required":
                lenient.required |= frozenset(value)
            elif keyword == "properties":
                for name, subschema in value.items():
                    lenient.properties[name] = self.compile(subschema, f"{location}/x-disputes/{name}", node.doc)
                    for spelling in self._spellings(name):
                        if spelling in node.names or spelling in lenient.names:
                            raise SchemaError(f"{location}: the spelling {spelling!r} names two fields")
                        lenient.names[spelling] = name
            elif keyword == "null":
                lenient.null = True
            else:
                lenient.bounds[keyword] = value
        node.lenient = lenient

    def _spellings(self, name: str) -> tuple[str, ...]:
        alias = snake_name(name) if self.protojson else name
        return (name,) if alias == name else (name, alias)

    def _scalars(self, node: Node, schema: Mapping[str, Any], location: str) -> None:
        from ._keywords import KEYWORDS  # deferred: each keyword object compiles onto this module's Node

        for keyword in KEYWORDS:
            if keyword.name in schema:
                keyword.compile(node, schema, location)
        node.secret = bool(schema.get("x-secret", False))
        node.role = schema.get("x-role")

    def _containers(self, node: Node, schema: Mapping[str, Any], location: str) -> None:
        if "items" in schema:
            node.items = self.compile(schema["items"], f"{location}/items", node.doc)
        elif node.types and "array" in node.types:
            node.items = FREE
        properties = schema.get("properties", {})
        for name, subschema in properties.items():
            node.properties[name] = self.compile(subschema, f"{location}/properties/{name}", node.doc)
            spellings = self._spellings(name)
            node.spellings[name] = spellings
            for spelling in spellings:
                if spelling in node.names:
                    raise SchemaError(f"{location}: the spelling {spelling!r} names two fields")
                node.names[spelling] = name
        missing = [r for r in node.required if r not in properties]
        if missing:
            raise SchemaError(f"{location}: required fields without a schema: {missing}")
        if not node.closed:  # true and {} compile to FREE
            additional = schema.get("additionalProperties", True)
            node.additional = self.compile(additional, f"{location}/additionalProperties", node.doc)
        node.free = (  # a schema made only of annotations is the free schema
            node.types is None
            and node.enum is None
            and node.const is None
            and not node.properties
            and node.items is None
            and not node.closed
            and node.additional is FREE
        )
        if not (node.types is None or "object" in node.types):
            node.additional = None


# Escapes whose meaning differs between Python's re and ECMA-262 (Unicode digits, words and spaces
# in Python; ASCII in ECMA-262) or that one of them lacks: a schema spells such classes out.
_DIVERGENT_ESCAPES = re.compile(r"\\[dDwWsSbBAZz]")
_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)(?:\\\\)*\$")


def ecma_pattern(pattern: str, location: str = "#") -> str:
    """``pattern`` for Python's re, meaning what it means in ECMA-262 (JSON Schema's dialect, and
    jsonschema-rs's): a final ``$`` matches only at the very end, never before a final newline.

    Patterns using anything whose meaning differs between the two (``$`` elsewhere than at the
    end, ``\\d``, ``\\w``, ``\\s``, ``\\b`` …) are a SchemaError, not a silent disagreement.
    """
    body, anchored = pattern, False
    backslashes = len(pattern[:-1]) - len(pattern[:-1].rstrip("\\"))
    if pattern.endswith("$") and backslashes % 2 == 0:  # an anchor, not an escaped "\$"
        body, anchored = pattern[:-1], True
    if _UNESCAPED_DOLLAR.search(body) or _DIVERGENT_ESCAPES.search(body.replace("\\\\", "")):
        raise SchemaError(
            f"{location}: pattern {pattern!r} uses what Python and ECMA-262 read differently "
            "($ before the end, \\d, \\w, \\s, \\b…): spell the characters out"
        )
    return body + "\\Z" if anchored else body


# -- the jsonschema-rs form ----------------------------------------------------------------


def compile_engine_schema(
    schema: Mapping[str, Any], *, aliases: bool = True, keep: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], dict[str, Callable[[str], bool]]]:
    """The plain JSON Schema jsonschema-rs runs, and the custom format checkers it needs.

    Extensions become standard keywords: protojson aliases are listed as properties of
    their own (required by either spelling, never both), and int64 strings get a format
    checker that applies the node's numeric bounds to the parsed value. ``aliases=False``
    leaves the aliases out: only the spellings the schema writes; ``keep``: extensions left in
    place (`_quick` starts from both, and reads ``x-image``).
    """
    formats: dict[str, Callable[[str], bool]] = {}
    protojson = aliases and bool(schema.get("x-protojson", False))
    return _engine_form(copy.deepcopy(dict(schema)), protojson, formats, keep), formats


_SHARED = "the rules' constraints on fields (add_fragments)"


def add_fragments(schema: dict[str, Any], fragments: Mapping[str, Mapping[str, Any]]) -> None:
    """Make the subschema at each JSON Pointer in ``fragments`` also require its fragment (a rule
    stated in JSON Schema, `rules.Rule.engine`), by ``allOf``; the pointer names a subschema of
    ``schema`` that exists (the root, a ``$defs`` entry), else KeyError.

    Fragments made only of ``properties`` share one ``allOf`` entry, each field's constraints
    joined by ``allOf`` there: jsonschema-rs then looks a field up once, not once per rule (five
    of Tensor.Art's rules constrain ``stages``)."""
    for pointer, fragment in fragments.items():
        target = schema
        for token in parts(pointer):
            target = target[token]
        joined = target.setdefault("allOf", [])
        if set(fragment) != {"properties"}:
            joined.append(fragment)
            continue
        shared = next((entry for entry in joined if entry.get("$comment") == _SHARED), None)
        if shared is None:
            shared = {"$comment": _SHARED, "properties": {}}
            joined.append(shared)
        for name, constraint in fragment["properties"].items():
            shared["properties"].setdefault(name, {"allOf": []})["allOf"].append(constraint)


def _engine_form(
    schema: Any, protojson: bool, formats: dict[str, Callable[[str], bool]], keep: frozenset[str] = frozenset()
) -> Any:
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if (key.startswith("x-") and key not in keep) or key in ("description", "title", "examples", "$comment"):
            continue
        if key in ("properties", "$defs"):
            out[key] = {k: _engine_form(v, protojson, formats, keep) for k, v in value.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = _engine_form(value, protojson, formats, keep)
        elif key == "anyOf":  # only in a lenient form (`_disputes.lenient_document`): a nullable $ref
            out[key] = [_engine_form(v, protojson, formats, keep) for v in value]
        else:
            out[key] = value
    if out.get("format") == "int64":
        if schema.get("multipleOf") is None:  # the bounds as a pattern: no call back into Python
            del out["format"]
            out.update(int64_keywords(schema))
        else:
            name, check = _int64_format(schema)
            formats[name] = check
            out["format"] = name
            out.update({k: v for k, v in int64_keywords(schema).items() if k in ("minimum", "maximum")})
    if protojson and "properties" in out:
        _add_aliases(out)
    return out


def _add_aliases(schema: dict[str, Any]) -> None:
    properties: dict[str, Any] = schema["properties"]
    required = list(schema.get("required", ()))
    plain_required: list[str] = []
    either: list[dict[str, Any]] = []
    exclusive: dict[str, Any] = {}
    for name in list(properties):
        alias = snake_name(name)
        if alias == name:
            if name in required:
                plain_required.append(name)
            continue
        properties[alias] = properties[name]
        exclusive[name] = {"not": {"required": [alias]}}
        if name in required:
            either.append({"anyOf": [{"required": [name]}, {"required": [alias]}]})
    if plain_required:
        schema["required"] = plain_required
    else:
        schema.pop("required", None)
    if either:
        schema["allOf"] = either
    if exclusive:
        schema["dependentSchemas"] = exclusive


_INT64_TEXT = 21  # characters: a sign, leading zeros and 19 digits is as long as an int64 string may be


def parse_int64(text: str) -> int | None:
    """The value of a protobuf-JSON int64 string, or None when it is not one."""
    if len(text) > _INT64_TEXT or not _DECIMAL.fullmatch(text):
        return None
    value = int(text)
    return value if INT64_MIN <= value <= INT64_MAX else None


def int64_keywords(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Standard keywords stating what ``format: int64`` on ``type: [string, integer]`` means, for
    tools that know no such format (jsonschema-rs here, and every reader of the OpenAPI export): a
    string is `int64_pattern` within ``maxLength`` 21, a number stays in the int64 range. They
    ignore ``multipleOf`` on strings, which no schema combines with int64."""
    return {
        "pattern": int64_pattern(schema.get("minimum"), schema.get("maximum")),
        "maxLength": _INT64_TEXT,
        "minimum": max(schema.get("minimum", INT64_MIN), INT64_MIN),
        "maximum": min(schema.get("maximum", INT64_MAX), INT64_MAX),
    }


def int64_pattern(low: int | None, high: int | None) -> str:
    """A regular expression matching exactly the strings `parse_int64` reads as a value in
    ``[low, high]`` (None: the int64 limit); with ``maxLength`` 21 it is the whole check.

    jsonschema-rs then checks int64 strings itself, which is several times cheaper than a
    custom format calling back into Python.
    """
    low = INT64_MIN if low is None else max(int(low), INT64_MIN)
    high = INT64_MAX if high is None else min(int(high), INT64_MAX)
    branches = []
    if high >= 0 and high >= low:
        branches.append(r"\+?0*(?:" + "|".join(_decimal_range(max(low, 0), high)) + ")")
    if low <= -1 and min(high, -1) >= low:
        branches.append("-0*(?:" + "|".join(_decimal_range(max(1, -min(high, -1)), -low)) + ")")
    if low <= 0 <= high:
        branches.append("-0+")
    return "^(?:" + "|".join(branches) + ")$" if branches else "^(?!)$"


def _decimal_range(low: int, high: int) -> list[str]:
    """Regex alternatives matching the decimal text (no leading zeros) of each integer in
    ``[low, high]``, ``0 <= low <= high``."""
    found: list[str] = []
    for length in range(len(str(low)), len(str(high)) + 1):
        start = max(low, 10 ** (length - 1) if length > 1 else 0)
        end = min(high, 10**length - 1)
        if start <= end:
            found += _same_length(str(start), str(end))
    return found


def _same_length(low: str, high: str) -> list[str]:
    if low == high:
        return [low]
    common = 0
    while low[common] == high[common]:
        common += 1
    prefix, low, high = low[:common], low[common:], high[common:]
    rest = len(low) - 1  # digits after the first that differs
    first, last = int(low[0]), int(high[0])
    head: list[str] = []
    tail: list[str] = []
    if low[1:] != "0" * rest:  # the partial run starting at low
        head = [prefix + low[0] + part for part in _same_length(low[1:], "9" * rest)]
        first += 1
    if high[1:] != "9" * rest:  # the partial run ending at high
        tail = [prefix + high[0] + part for part in _same_length("0" * rest, high[1:])]
        last -= 1
    middle = []
    if first <= last:
        digit = str(first) if first == last else f"[{first}-{last}]"
        middle = [prefix + digit + ("" if not rest else "[0-9]" if rest == 1 else f"[0-9]{{{rest}}}")]
    return head + middle + tail


def _int64_format(schema: Mapping[str, Any]) -> tuple[str, Callable[[str], bool]]:
    low = schema.get("minimum")
    high = schema.get("maximum")
    step = schema.get("multipleOf")

    def check(text: str) -> bool:
        value = parse_int64(text)
        if value is None:
            return False
        if low is not None and value < low:
            return False
        if high is not None and value > high:
            return False
        return not (step is not None and value % step)

    return f"int64[{low},{high},{step}]", check
