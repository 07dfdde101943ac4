"""`translate`: a canonical request into one provider's payload; `canonicalize`: back.

A translation places each field the request sets where the provider's mapping says, then runs
`sdcontracts.validate` on the result (the caller's view: the client adds ids and signatures). A
field the provider cannot take, and each violation the validator finds, become one `Problem`
naming the canonical field: all of them are raised together as `Untranslatable`, so nothing is
ever dropped or sent out of range silently. With ``adapt=True`` what can be adapted without
changing the request's meaning is: a number clamped into its range or snapped to its step, a
fraction rounded where an integer is wanted, a sampler's spelling matched case-insensitively,
Tensor.Art's width and height scaled into its area limit; each one is reported.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._pointer import join, parts
from .._report import Violation
from .._validation import validate
from ._mapping import CANONICAL_FIELDS, Placement, ProviderMap, Step, Token, free, provider_map

if TYPE_CHECKING:
    from ..models.canonical import CanonicalRequest

__all__ = ["Adaptation", "Problem", "Translation", "Untranslatable", "canonicalize", "translate"]

_FORMS = {"base64": "base64", "url": "url", "resource-id": "resource_id"}  # transport -> the Image field
_SKIP = object()


@dataclass(frozen=True, slots=True)
class Problem:
    """Why one canonical field cannot go to a provider as it is: ``field`` names it as the request
    does (``width``, ``loras[1].weight``), ``rule`` is the validator's rule id where one applies."""

    field: str
    message: str
    rule: str = ""
    doc: str = ""

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class Untranslatable(ValueError):
    """The request asks for what the provider cannot express; ``problems`` lists every field and why."""

    def __init__(self, provider: str, problems: tuple[Problem, ...]) -> None:
        lines = "; ".join(str(p) for p in problems)
        super().__init__(f"{provider} cannot take this request: {lines}")
        self.provider = provider
        self.problems = problems

    @property
    def fields(self) -> tuple[str, ...]:
        """The canonical fields the problems are about, in order, once each."""
        return tuple(dict.fromkeys(p.field for p in self.problems))


@dataclass(frozen=True, slots=True)
class Adaptation:
    """A value ``adapt=True`` changed so that the provider can take it."""

    field: str
    original: Any
    adapted: Any
    why: str


@dataclass(frozen=True, slots=True)
class Translation:
    """A request in one provider's words: ``payload`` (what a client submits), the ``adaptations``
    made, the values the translation ``fixed`` itself (pointer, value, why: its own structure, and
    what a field the request leaves out means to the provider), and the ``warnings`` `validate`
    gave the payload (values the sources dispute)."""

    provider: str
    payload: dict[str, Any]
    adaptations: tuple[Adaptation, ...] = ()
    fixed: tuple[tuple[str, Any, str], ...] = ()
    warnings: tuple[Violation, ...] = ()


def translate(
    request: CanonicalRequest | Mapping[str, Any],
    provider: str,
    *,
    models: Mapping[str, str] | None = None,
    adapt: bool = False,
    strict: bool = False,
) -> Translation:
    """The payload ``provider`` takes for ``request``, or `Untranslatable` naming every field it cannot.

    ``models`` maps provider ids to the model each should use (model names differ between
    providers); it overrides ``request.model`` for ``provider``. ``adapt=True`` adapts what can
    be adapted and reports it; ``strict=True`` wants a payload valid by every reading of the docs
    (see `sdcontracts.validate`).

    >>> from sdcontracts.canonical import translate
    >>> request = {"prompt": "a cat", "init_image": {"url": "https://example.com/cat.png"}, "width": 500,
    ...            "height": 512, "model": "revAnimated_v122", "sampler": "Euler a", "count": 1}
    >>> translate(request, "zhiqite").payload["width"]
    Traceback (most recent call last):
      ...
    sdcontracts.canonical.Untranslatable: zhiqite cannot take this request: width: ...
    >>> translation = translate(request, "zhiqite", adapt=True)
    >>> translation.payload["width"], translation.adaptations[0].why
    (496, 'zhiqite takes multiples of 8 from 128 to 1024')
    """
    from ..models.canonical import CanonicalRequest

    mapping = provider_map(provider)
    canonical = request if isinstance(request, CanonicalRequest) else CanonicalRequest.model_validate(request)
    data: dict[str, Any] = canonical.model_dump(exclude_none=True)
    if models is not None and provider in models:
        data["model"] = models[provider]
    problems: list[Problem] = []
    adaptations: list[Adaptation] = []
    payload: dict[str, Any] = {}
    placed: list[tuple[Placement, int | None, str]] = []  # what went where, for naming a violation
    filled: list[tuple[str, Any, str]] = [(f.pointer, f.value, f.why) for f in mapping.fixed]
    for fixed in mapping.fixed:
        if None not in fixed.tokens:
            _put(payload, fixed.steps, _fresh(fixed.value))
    for placement in mapping.placements.values():
        if placement.unset is not None and placement.canonical.path not in data:
            _put(payload, placement.steps, _fresh(placement.unset[0]))
            filled.append((placement.pointer, placement.unset[0], placement.unset[1]))
    for label, value, index, path in _values(data):
        place = mapping.placements.get(path)
        if place is None:
            problems.append(Problem(label, f"{provider} cannot take it: {mapping.why_absent(path)}"))
            continue
        placement = place
        converted = _convert(provider, placement, label, value, problems)
        if converted is _SKIP:
            continue
        if adapt:
            converted = _adapted(provider, placement, label, converted, adaptations, strict)
        _put(payload, placement.steps, converted, index)
        placed.append((placement, index, label))
    _per_item(mapping, data, payload)
    if adapt:
        _fit_limits(provider, mapping, payload, adaptations)
    report = validate(provider, payload, view="caller", strict=strict)
    if report.violations:  # pointers are spelt out only to name a violation's field
        where = {_concrete(placement.tokens, index): label for placement, index, label in placed}
        named = [p for p in problems]
        problems += [
            _problem(mapping, where, v) for v in report.violations if not _consequence(mapping, named, payload, v)
        ]
    if problems:
        raise Untranslatable(provider, tuple(problems))
    return Translation(provider, payload, tuple(adaptations), tuple(filled), report.warnings)


def _fresh(value: Any) -> Any:
    """A copy of a fixed value the payload may change (a list, an object); a scalar as it is."""
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


def _values(data: Mapping[str, Any]) -> Iterator[tuple[str, Any, int | None, str]]:
    """(label, value, list index, canonical path) of every field the request sets."""
    for known in CANONICAL_FIELDS:
        if known.list_root is None:
            if known.path in data:
                yield known.path, data[known.path], None, known.path
            continue
        for index, item in enumerate(data.get(known.list_root) or ()):
            if known.name in item:
                yield f"{known.list_root}[{index}].{known.name}", item[known.name], index, known.path


def _convert(provider: str, placement: Placement, label: str, value: Any, problems: list[Problem]) -> Any:
    """The provider's form of a canonical value (image transport, value names, integers), or _SKIP."""
    if placement.canonical.image:
        form = _FORMS[placement.transport or "base64"]
        if form not in value:
            problems.append(Problem(label, f"{provider} takes the image as {placement.transport}; give {label}.{form}"))
            return _SKIP
        return value[form]
    if placement.random is not None and value == placement.random:
        problems.append(Problem(label, f"{value!r} means a random seed to {provider}; leave the seed out for that"))
        return _SKIP  # a random seed's value: nothing placed
    if placement.as_integer:
        if not (isinstance(value, str) and value.isdecimal()):
            problems.append(Problem(label, f"{provider} names it by an integer id, not {value!r}"))
            return _SKIP
        return int(value)
    return placement.values.get(value, value) if placement.values else value


def _adapted(
    provider: str, placement: Placement, label: str, value: Any, adaptations: list[Adaptation], strict: bool
) -> Any:
    """``value`` changed (and reported) where the provider's range, step, type or spelling needs it
    (its types as the reading asked for reads them: a fraction is a disputed integer's warning only)."""
    node = placement.node
    if free(node) or isinstance(value, bool):
        return value
    adapted = value
    if isinstance(value, int | float) and node.types is not None:
        lenient = node.lenient.types if node.lenient is not None and not strict else None
        adapted = _numeric(node, value, "number" in (lenient or node.types))
    elif isinstance(value, str) and node.enum is not None and value not in node.enum:
        adapted = next((v for v in node.enum if isinstance(v, str) and v.lower() == value.lower()), value)
    if adapted == value and type(adapted) is not type(value):
        return value  # 7.0 for 7: the same JSON number
    if adapted != value:
        adaptations.append(Adaptation(label, value, adapted, f"{provider} takes {_allowed(node)}"))
    return adapted


def _numeric(node: Any, value: int | float, fractions: bool) -> int | float:
    """The nearest value within the node's bounds, on its step, of its type (``fractions``: it takes them)."""
    integral = not fractions or node.multiple_of is not None
    low = node.minimum if node.minimum is not None else node.exclusive_minimum
    high = node.maximum if node.maximum is not None else node.exclusive_maximum
    adapted: int | float = value
    step = node.multiple_of
    if step:
        adapted = round(adapted / step) * step
        if low is not None and adapted < low:
            adapted = math.ceil(low / step) * step
        if high is not None and adapted > high:
            adapted = math.floor(high / step) * step
    if low is not None and (adapted < low if node.minimum is not None else adapted <= low):
        adapted = (
            low if node.minimum is not None else (math.floor(low) + 1 if integral else math.nextafter(low, math.inf))
        )
    if high is not None and (adapted > high if node.maximum is not None else adapted >= high):
        adapted = (
            high if node.maximum is not None else (math.ceil(high) - 1 if integral else math.nextafter(high, -math.inf))
        )
    return round(adapted) if integral else adapted


def _allowed(node: Any) -> str:
    if node.enum is not None:
        return "one of " + ", ".join(map(str, node.enum[:6])) + (", …" if len(node.enum) > 6 else "")
    kind = "integers" if "number" not in (node.types or ()) else "numbers"
    parts = [f"multiples of {node.multiple_of}" if node.multiple_of else kind]
    low = node.minimum if node.minimum is not None else node.exclusive_minimum
    high = node.maximum if node.maximum is not None else node.exclusive_maximum
    if low is not None and high is not None:
        parts.append(f"from {low} to {high}")
    elif low is not None:
        parts.append(f"from {low}")
    elif high is not None:
        parts.append(f"up to {high}")
    return " ".join(parts)


def _per_item(mapping: ProviderMap, data: Mapping[str, Any], payload: dict[str, Any]) -> None:
    """Fixed values that go in each item of a list (Zhiqite's units are ``enabled``)."""
    for root, fixed in mapping.per_item:
        for index in range(len(data.get(root) or ())):
            _put(payload, fixed.steps, _fresh(fixed.value), index)


def _fit_limits(provider: str, mapping: ProviderMap, payload: dict[str, Any], adaptations: list[Adaptation]) -> None:
    """Scale width and height into an area limit, on their step, keeping the aspect ratio."""
    for limit in mapping.limits:
        places = [mapping.placements.get(name) for name in limit.fields]
        if limit.kind != "area" or any(p is None for p in places):
            continue
        width_at, height_at = (p for p in places if p is not None)
        width, height = _get(payload, width_at.tokens), _get(payload, height_at.tokens)
        if not isinstance(width, int) or not isinstance(height, int) or width * height <= limit.maximum:
            continue
        step = width_at.node.multiple_of or 1
        scale = math.sqrt(limit.maximum / (width * height))
        fitted = [max(step, math.floor(side * scale / step) * step) for side in (width, height)]
        low = width_at.node.minimum or step
        fitted = [max(side, int(low)) for side in fitted]
        why = f"{provider} allows width x height up to {limit.maximum:,} ({limit.rule}); scaled, keeping the aspect"
        sides = zip(limit.fields, (width_at, height_at), (width, height), fitted, strict=True)
        for name, place, old, new in sides:
            if old != new:
                _put(payload, place.steps, new)
                adaptations.append(Adaptation(name, old, new, why))


def _problem(mapping: ProviderMap, placed: Mapping[str, str], violation: Violation) -> Problem:
    """A validator's violation, named by the canonical field it is about (or by its pointer)."""
    pointer = violation.path
    if violation.rule == "required" and isinstance(violation.expected, str):
        pointer = join(violation.path, violation.expected)
        for placement in mapping.placements.values():
            index = _matches(placement.tokens, parts(pointer))
            if index is not False:
                known = placement.canonical
                name = known.path if index is None else f"{known.list_root}[{index}].{known.name}"
                message = f"{mapping.provider} requires it ({violation.expected}); give {name}"
                return Problem(name, message, violation.rule, violation.doc)
    label = placed.get(pointer)
    if label is None:
        limit = next((limit for limit in mapping.limits if limit.rule == violation.rule), None)
        label = " x ".join(limit.fields) if limit is not None else pointer or "/"
    return Problem(label, violation.message, violation.rule, violation.doc)


def _consequence(mapping: ProviderMap, named: list[Problem], payload: Any, violation: Violation) -> bool:
    """A violation about a part of the payload only a field already named would have made (Tensor.Art's
    ``inputInitialize`` when its image cannot go): one defect, one problem. It is one when it is
    at (or names as missing) an ancestor of that field's place and the payload has nothing there."""
    expected = violation.expected if violation.rule == "required" and isinstance(violation.expected, str) else None
    at = parts(join(violation.path, expected) if expected is not None else violation.path)
    return any(
        list(place[: len(at)]) == at and _get(payload, place[: len(at) + 1]) is None
        for place in _places(mapping, named)
        if len(place) >= len(at)
    )


def _places(mapping: ProviderMap, named: list[Problem]) -> Iterator[tuple[str, ...]]:
    """The concrete pointer tokens where each named field would have gone (``controlnet[0].image``
    at item 0 of its list)."""
    for problem in named:
        path, _, rest = problem.field.partition("[")
        placement = mapping.placements.get(f"{path}[].{rest.partition('.')[2]}" if rest else path)
        if placement is not None:
            index = rest.partition("]")[0] if rest else None
            yield tuple(index if token is None else token for token in placement.tokens)  # type: ignore[misc]


def _matches(tokens: tuple[Token, ...], concrete: list[str]) -> int | bool | None:
    """Whether a concrete pointer is a placement's: False if not, else the list index it has (None: no list)."""
    if len(tokens) != len(concrete):
        return False
    index: int | None = None
    for token, step in zip(tokens, concrete, strict=True):
        if token is None and step.isdigit():
            index = int(step)
        elif token != step:
            return False
    return index


# -- payload access ---------------------------------------------------------------------------------


def _concrete(tokens: tuple[Token, ...], index: int | None) -> str:
    return join("", *(str(index) if token is None else token for token in tokens))


def _put(target: dict[str, Any], steps: tuple[Step, ...], value: Any, index: int | None = None) -> None:
    """Set ``value`` where ``steps`` lead (a None key is list item ``index``), making what is missing."""
    node: Any = target
    for key, make in steps:
        at: Any = index if key is None else key
        if type(node) is list:
            while len(node) <= at:
                node.append(None)
            current = node[at]
        else:
            current = node.get(at)
        if make is None:
            node[at] = value
            return
        if current is None:
            current = node[at] = make()
        node = current


def _get(
    source: Any, tokens: tuple[Token, ...], index: int | None = None, keys: tuple[tuple[str, ...], ...] = ()
) -> Any:
    """The value at ``tokens`` in ``source`` (None when absent); ``keys[position]`` are the
    spellings a step may have (protobuf JSON's two names)."""
    node = source
    for position, token in enumerate(tokens):
        if token is None or token.isdigit():
            where = index if token is None else int(token)
            if not isinstance(node, list) or where is None or where >= len(node):
                return None
            node = node[where]
            continue
        if not isinstance(node, dict):
            return None
        spelt = keys[position] if position < len(keys) and keys[position] else (token,)
        node = next((node[k] for k in spelt if k in node), None)
        if node is None:
            return None
    return node


def canonicalize(provider: str, payload: Any) -> CanonicalRequest:
    """The canonical request a provider payload expresses: the inverse of `translate` on what the
    provider can express (``canonicalize(p, translate(r, p).payload)`` is ``r`` there, a value that
    means what leaving the field out means, such as one image, being left out). Fields with no
    canonical place are left out; a value the canonical request cannot hold raises ValueError.

    >>> from sdcontracts.canonical import canonicalize
    >>> body = {"request": {"prompt": "a cat", "image_base64": "iVBORw0KGgo=", "width": 512, "guidance_scale": 7}}
    >>> canonicalize("novita", body).model_dump(exclude_none=True)
    {'prompt': 'a cat', 'init_image': {'base64': 'iVBORw0KGgo='}, 'width': 512, 'guidance': 7.0}
    """
    from ..models.canonical import CanonicalRequest

    mapping = provider_map(provider)
    data: dict[str, Any] = {}
    for placement in mapping.placements.values():
        known = placement.canonical
        if known.list_root is None:
            value = _get(payload, placement.tokens, keys=placement.keys)
            if value is not None and (back := _back(placement, value)) is not _SKIP:
                data[known.path] = back
            continue
        prefix = placement.tokens[: placement.tokens.index(None)]
        items = _get(payload, prefix, keys=placement.keys)
        for index in range(len(items) if isinstance(items, list) else 0):
            value = _get(payload, placement.tokens, index, keys=placement.keys)
            if value is not None and (back := _back(placement, value)) is not _SKIP:
                entries = data.setdefault(known.list_root, [])
                entries.extend({} for _ in range(index + 1 - len(entries)))
                entries[index][known.name] = back
    return CanonicalRequest.model_validate(data)


def _back(placement: Placement, value: Any) -> Any:
    if placement.canonical.image:
        return {_FORMS[placement.transport or "base64"]: value}
    if placement.random is not None and value == placement.random:
        return _SKIP  # a random seed: the canonical request leaves the seed out
    if placement.unset is not None and value == placement.unset[0]:
        return _SKIP  # what leaving the field out means (one image, no CLIP skip): left out
    if placement.as_integer:
        return str(value)
    if placement.values:
        back = {provider: canonical for canonical, provider in placement.values.items()}
        return back.get(value, value)
    return value
