"""Hypothesis strategies the fuzz tests share: JSON values, and mutations of valid requests.

A mutation takes a seed payload (a doc example, or a request `valid_requests` generated) and
changes it one to three times, each at a random place in it: drop a field or item, duplicate one
(in another spelling, or as a repeated item), retype it, nest it one level deeper, replace it with
a boundary value, a huge string or a deeply nested array, or add a field the schema lacks (or
another provider's name for it). `json_mutations` stays inside JSON, so
every engine can be held to the same verdict (it includes lone surrogates: ``json.loads`` reads
``"\\ud800"``, and jsonschema-rs cannot); `hostile_mutations` also puts in what only a non-strict
parser or a careless caller produces (NaN, infinities, Decimals, bytes, non-string keys).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from sdcontracts._corpus import examples
from sdcontracts._protojson import snake_name
from sdcontracts.strategies import valid_requests

Seed = tuple[str, str, Any]  # (provider, schema, payload)

SEEDS: list[Seed] = [(e.provider, e.schema, e.payload) for e in examples()]
PROVIDERS = sorted({provider for provider, _, _ in SEEDS})

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
INTERESTING = st.sampled_from(
    [0, -1, 1, 7, 8, 63, 64, 127, 128, 512, 1024, 1536, 2048, 2049, 4294967296, 2**63, -(2**63) - 1, 1.5, 0.0,
     -0.0, 1e308, "", "0", "-1", "512", "4294967296", "99999999999999999999", "Euler a", "DIFFUSION",
     "INPUT_INITIALIZE", "None", "data:image/png;base64,AAAA", "\u0000", "é\U0001f600", "\ud800", True, None,
     [], {}]
)  # fmt: skip
NOT_JSON = st.sampled_from(
    [math.nan, math.inf, -math.inf, Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("1e999999999"),
     b"bytes", bytearray(b"x"), {1, 2}, frozenset(), object(), 10**5000, -(10**5000), complex(1, 2)]
)  # fmt: skip
EXTRA_KEYS = st.sampled_from(["extra", "cfg_scale", "type", "count", "seed", "negative_prompt", "Prompt", "x" * 300])
NON_STRING_KEYS = st.sampled_from([1, -1, 2.5, math.nan, None, True, (1, 2), b"key", frozenset({1})])


def huge_string(draw: st.DrawFn) -> str:
    """A string of 10,000 to 200,000 characters, built (not drawn) so the health checks stay quiet."""
    return draw(st.text(min_size=1, max_size=3)) * draw(st.integers(10_000, 200_000))


def deep_array(draw: st.DrawFn, max_depth: int) -> Any:
    """A value wrapped in up to ``max_depth`` arrays: ``[[[…[leaf]…]]]``."""
    value: Any = draw(SCALARS)
    for _ in range(draw(st.integers(2, max_depth))):
        value = [value]
    return value


def paths(value: Any, depth: int = 32) -> list[tuple[Any, ...]]:
    """Every path to a value inside a document (``()`` is the document), down to ``depth`` levels:
    iterative, as an earlier mutation may have nested an array thousands deep."""
    found: list[tuple[Any, ...]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        item, here = stack.pop()
        found.append(here)
        if len(here) >= depth:
            continue
        if isinstance(item, dict):
            stack.extend((child, (*here, key)) for key, child in item.items())
        elif isinstance(item, list):
            stack.extend((child, (*here, index)) for index, child in enumerate(item))
    return found


def _retype(value: Any) -> st.SearchStrategy[Any]:
    """A JSON value of another type than ``value``."""
    kind = type(value)
    return JSON.filter(lambda other: type(other) is not kind)


def _mutate(draw: st.DrawFn, payload: Any, replacement: Callable[[st.DrawFn], Any], max_depth: int) -> Any:
    path = draw(st.sampled_from(paths(payload)))
    if not path:
        return replacement(draw)
    parent: Any = payload
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    actions = ["drop", "duplicate", "retype", "nest", "replace", "huge", "deep", "add", "newline"]
    action = draw(st.sampled_from(actions))
    if action == "add" and isinstance(parent, dict):
        parent[draw(EXTRA_KEYS)] = replacement(draw)
    elif action == "newline" and isinstance(parent[key], str):  # "$" ends a pattern before it in Python
        parent[key] += "\n"
    elif action == "drop":
        del parent[key]
    elif action == "duplicate":  # shared, not copied: the value may be an array nested thousands deep
        if isinstance(parent, list):
            parent.insert(key, parent[key])
        elif isinstance(key, str):  # the other protobuf-JSON spelling, or the same name in another case
            twin = snake_name(key) if snake_name(key) != key else key.upper()
            parent[twin] = parent[key]
    elif action == "retype":
        parent[key] = draw(_retype(parent[key]))
    elif action == "nest":
        parent[key] = draw(st.sampled_from([[parent[key]], {"value": parent[key]}]))
    elif action == "replace":
        parent[key] = replacement(draw)
    elif action == "huge":
        parent[key] = huge_string(draw)
    elif action == "deep":
        parent[key] = deep_array(draw, max_depth)
    return payload


def _seed(draw: st.DrawFn) -> Seed:
    """A doc example, or (one time in four) a request the public strategies generate."""
    if draw(st.integers(0, 3)) == 0:
        provider = draw(st.sampled_from(PROVIDERS))
        return provider, "img2img.request", draw(valid_requests(provider))
    return draw(st.sampled_from(SEEDS))


def _replacement(hostile: bool) -> Callable[[st.DrawFn], Any]:
    def draw_one(draw: st.DrawFn) -> Any:
        if hostile and draw(st.booleans()):
            return draw(NOT_JSON | st.dictionaries(NON_STRING_KEYS, SCALARS, min_size=1, max_size=2))
        return draw(INTERESTING | JSON)

    return draw_one


def _mutated(draw: st.DrawFn, *, hostile: bool, max_depth: int) -> Seed:
    provider, schema, payload = draw(_seed_strategy)
    payload = copy.deepcopy(payload)
    for _ in range(draw(st.integers(1, 3))):
        payload = _mutate(draw, payload, _replacement(hostile), max_depth)
    return provider, schema, payload


@st.composite
def json_mutations(draw: st.DrawFn, max_depth: int = 200) -> Seed:
    """A seed payload changed one to three times, still JSON (what ``json.loads`` can return)."""
    return _mutated(draw, hostile=False, max_depth=max_depth)


@st.composite
def hostile_mutations(draw: st.DrawFn, max_depth: int = 2_000) -> Seed:
    """As `json_mutations`, but also with values no JSON encoder sends (NaN, bytes, int keys…)."""
    return _mutated(draw, hostile=True, max_depth=max_depth)


_seed_strategy = st.composite(_seed)()
