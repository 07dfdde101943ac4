"""Canonical requests within what one provider, or several at once, can express.

Read off `sdcontracts.canonical.capabilities`: a field goes in when every provider chosen takes it
(and always when one of them requires it), its value inside all their ranges, on every step, from
the values all their enums share, an area limit kept, and an image in every form they take (a
real PNG within every documented pixel limit as base64, a URL, an uploaded resource id). Each
drawn request translates to each of those providers: that is what the tests of the translation
hold it to.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

from hypothesis import strategies as st

from .._images import ImageLimits
from ..canonical import CANONICAL_FIELDS, CanonicalRequest, Capability, canonical_schema, capabilities
from ._images import image_strings
from ._schema import PLAUSIBLE, TEXTS, choice

__all__ = ["canonical_requests"]


def _item_needs() -> dict[str, tuple[str, ...]]:
    """What the canonical schema requires of a list's items: a LoRA its name, a unit its model and image."""
    schema = canonical_schema()
    found: dict[str, tuple[str, ...]] = {}
    for name, subschema in schema["properties"].items():
        items = subschema.get("items", {}).get("$ref")
        if isinstance(items, str):
            found[name] = tuple(schema["$defs"][items.rsplit("/", 1)[-1]].get("required", ()))
    return found


_ITEM_NEEDS = _item_needs()

_INT = (1, 1_000)  # a plausible range where no provider bounds an integer
_NUMBER = (0.0, 30.0)
_NAMES = ("12", "7", "3")  # model and LoRA names every provider takes: PICPIK names models by integer id
_ALWAYS = frozenset({"prompt", "init_image"})  # the canonical schema requires them


def canonical_requests(*providers: str) -> st.SearchStrategy[CanonicalRequest]:
    """`CanonicalRequest` values every one of ``providers`` can take (all five when none is given)."""
    from .._catalogue import providers as all_providers

    return _requests(tuple(sorted(providers or all_providers())))


@cache
def _requests(providers: tuple[str, ...]) -> st.SearchStrategy[CanonicalRequest]:
    caps = [capabilities(p) for p in providers]
    fields: dict[str, st.SearchStrategy[Any]] = {}
    required: set[str] = (
        set()
    )  # top-level fields some provider needs, and list-item fields some provider needs in an item
    for known in CANONICAL_FIELDS:
        here = [c[known.path] for c in caps]
        needed = any(c.required for c in here if c.supported)
        if not all(c.supported for c in here):
            if needed and known.list_root is None:  # a list the others lack is left out, with its items' needs
                raise ValueError(f"{known.path} is required by some of {providers} and absent from others")
            continue
        strategy = _values(known.path, known.schema, here)
        if strategy is None:
            if needed:
                raise ValueError(f"{known.path} is required by some of {providers}, with no value all of them take")
            continue
        fields[known.path] = strategy
        if needed:
            required.add(known.path)
    area = min((limit.maximum for c in caps for limit in c.limits if limit.kind == "area"), default=None)
    item_roots = {path.partition("[].")[0] for path in fields if "[]." in path}
    for root in item_roots:  # what the canonical schema itself requires of an item
        required |= {f"{root}[].{name}" for name in _ITEM_NEEDS.get(root, ())}

    @st.composite
    def build(draw: st.DrawFn) -> CanonicalRequest:
        data: dict[str, Any] = {}
        lists: dict[str, dict[str, Any]] = {}
        wanted = {root: draw(st.booleans()) for root in item_roots}  # whether to give a LoRA, a unit
        for path, strategy in fields.items():
            root, _, name = path.partition("[].")
            if name and not wanted[root]:
                continue
            if path not in required and path not in _ALWAYS and not draw(st.booleans()):
                continue
            if name:
                lists.setdefault(root, {})[name] = draw(strategy)
            else:
                data[path] = draw(strategy)
        for root, item in lists.items():
            if all(f"{root}[].{name}" in fields for name in _ITEM_NEEDS.get(root, ())):
                data[root] = [item]
        if area is not None and "width" in data and "height" in data and data["width"] * data["height"] > area:
            step = math.lcm(*(c["height"].multiple_of or 1 for c in caps))
            low = max((c["height"].minimum or 1) for c in caps)
            data["height"] = max(int(low), area // data["width"] // step * step)
        return CanonicalRequest.model_validate(data)

    return build()


def _values(path: str, schema: Any, here: list[Capability]) -> st.SearchStrategy[Any] | None:
    """Values of one canonical field that every capability in ``here`` takes."""
    if any(c.transport for c in here):
        return _images(here)
    enums = [set(c.enum) for c in here if c.enum is not None]
    if enums:
        shared = set.intersection(*enums)
        if "enum" in schema:
            shared &= set(schema["enum"])
        return choice(tuple(sorted(shared, key=str))) if shared else None
    kind = schema.get("type")
    if kind == "integer" or kind == "number":
        return _numbers(path, kind, schema, here)
    if kind == "string":
        if path in ("model", "loras[].name"):
            return choice(_NAMES)
        longest = min((c.max_length for c in here if c.max_length is not None), default=None)
        return choice(tuple(t for t in TEXTS if t and (longest is None or len(t) <= longest)))
    return None


def _numbers(path: str, kind: str, schema: Any, here: list[Capability]) -> st.SearchStrategy[Any]:
    lows = [schema.get("minimum")] + [c.minimum for c in here]
    highs = [schema.get("maximum")] + [c.maximum for c in here]
    low = max((v for v in lows if v is not None), default=None)
    high = min((v for v in highs if v is not None), default=None)
    excluded = {c.exclusive_minimum for c in here if c.exclusive_minimum is not None}
    excluded |= {c.exclusive_maximum for c in here if c.exclusive_maximum is not None}
    excluded |= {c.random for c in here if c.random is not None}
    if kind == "integer":
        step = math.lcm(*(c.multiple_of or 1 for c in here))
        plausible = PLAUSIBLE.get(path, _INT)  # a count or size no provider bounds: one it can serve
        lo = int(low) if low is not None else plausible[0]
        hi = int(high) if high is not None else max(lo, plausible[1])
        if step > 1:
            lo = -(-lo // step) * step
        for value in sorted(excluded):
            if value == lo:
                lo += step
        grid = st.integers(lo // step, hi // step).map(lambda k: k * step)
        return st.one_of(choice((lo, hi // step * step)), grid).filter(lambda v: v not in excluded)
    lo_f = float(low) if low is not None else _NUMBER[0]
    hi_f = float(high) if high is not None else _NUMBER[1]
    return st.floats(lo_f, hi_f, allow_nan=False).map(lambda v: round(v, 3)).filter(lambda v: v not in excluded)


def _images(here: list[Capability]) -> st.SearchStrategy[dict[str, str]]:
    """An image in every form the providers take: base64 within every pixel and byte limit."""
    forms = {c.transport for c in here if c.transport}
    limits = [c.image or {} for c in here if c.transport == "base64"]
    width = min((given["maxWidth"] for given in limits if "maxWidth" in given), default=None)
    height = min((given["maxHeight"] for given in limits if "maxHeight" in given), default=None)
    size = min((given["maxBytes"] for given in limits if "maxBytes" in given), default=None)
    parts: dict[str, st.SearchStrategy[str]] = {}
    if "base64" in forms:
        parts["base64"] = image_strings(ImageLimits(max_width=width, max_height=height, max_bytes=size))
    if "url" in forms:
        parts["url"] = st.integers(1, 99).map(lambda n: f"https://images.example.com/source-{n}.png")
    if "resource-id" in forms:
        parts["resource_id"] = st.uuids().map(lambda u: u.hex)
    return st.fixed_dictionaries(parts)
