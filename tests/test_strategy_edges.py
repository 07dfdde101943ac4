"""How often valid requests sit on the documented edges: each bound's minimum and maximum, each
length limit, each enum's first and last value, counted over the conformance suite's own seeded
draw. Generation may get cheaper; it may not get blunter."""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import sdcontracts
from sdcontracts._compiler import Node
from sdcontracts._validation import compiled
from sdcontracts.conformance._cases import valid_payloads

SCHEMA = "img2img.request"
DRAWN = 400  # valid requests per provider
SEED = 2026
BOUND_RATE = 0.10  # each end of a range: at least this share of the field's values
LENGTH_RATE = 0.05  # each length limit: at least this share of the field's values
ENUM_RATE = 1 / 3  # an enum's first and last: at least this share of 1/len(enum) (uniform is 1/len)
# Edges the rules, not the schema, decide: these are drawn by the provider's strategy module.
RULED = {
    ("tensorart", "#/$defs/Stage/properties/type"): "the workflow gives each stage its type",
    ("tensorart", "#/$defs/ImageToUpscaler/properties/hrResizeY"): "at 128 the area is below the rule's minimum",
}

Edge = tuple[str, str]  # (schema location, "minimum" | "maximum" | "minLength" | "maxLength" | "enum-first" | …)
Hit = Callable[[Any], bool]


def _number(node: Node, value: Any) -> Any:
    if node.int64 and isinstance(value, str):
        return int(value)
    return None if isinstance(value, bool) or not isinstance(value, int | float) else value


def _edges(node: Node) -> Iterator[tuple[str, Hit, Hit, float]]:
    """(edge name, whether a value sits on it, whether a value counts towards its share (a bound
    counts numbers, a length strings: not the nulls of a lenient reading), the least share)."""
    if node.enum is not None:
        floor = ENUM_RATE / len(node.enum)
        for name, end in (("enum-first", node.enum[0]), ("enum-last", node.enum[-1])):
            yield name, lambda v, e=end: type(v) is type(e) and v == e, lambda v: True, floor
        return
    step = node.multiple_of or 1
    numeric: Hit = lambda v: _number(node, v) is not None  # noqa: E731
    if node.minimum is not None:
        low = -(-node.minimum // step) * step
        yield "minimum", lambda v: _number(node, v) == low, numeric, BOUND_RATE
    if node.maximum is not None:
        high = node.maximum // step * step
        yield "maximum", lambda v: _number(node, v) == high, numeric, BOUND_RATE
    if node.pattern is None and node.image is None and not node.int64:
        for name, length in (("minLength", node.min_length), ("maxLength", node.max_length)):
            if length:
                text: Hit = lambda v: isinstance(v, str)  # noqa: E731
                yield name, lambda v, n=length: isinstance(v, str) and len(v) == n, text, LENGTH_RATE


def _documented(provider: str) -> set[Edge]:
    """Every edge the schema documents, but those `RULED`."""
    found: set[Edge] = set()
    seen: set[int] = set()

    def walk(node: Node) -> None:
        if id(node) in seen or node.free:
            return
        seen.add(id(node))
        if (provider, node.location) not in RULED:
            found.update((node.location, name) for name, _, _, _ in _edges(node))
        for child in (*node.properties.values(), node.items, node.additional):
            if child is not None:
                walk(child)

    walk(compiled(provider, SCHEMA).root)
    return found


def _shares(provider: str) -> tuple[dict[Edge, tuple[int, int]], dict[Edge, float]]:
    """Per edge: (values on it, values of its field it counts) over the draw; and each edge's floor."""
    values: collections.Counter[Edge] = collections.Counter()
    on_edge: collections.Counter[Edge] = collections.Counter()
    floors: dict[Edge, float] = {}

    def visit(node: Node, value: Any) -> None:
        for name, hit, counted, floor in _edges(node):
            on_edge[(node.location, name)] += hit(value)
            values[(node.location, name)] += counted(value)
            floors[(node.location, name)] = floor

    walk_drawn(provider, visit)
    return {edge: (on_edge[edge], values[edge]) for edge in floors}, floors


def walk_drawn(provider: str, visit: Callable[[Node, Any], None]) -> None:
    """Call ``visit(node, value)`` for every value (but free-form ones) of the DRAWN valid requests the
    conformance suite draws with SEED, with the schema node describing it."""

    def walk(node: Node, value: Any) -> None:
        if node.free:
            return
        visit(node, value)
        if isinstance(value, dict):
            for key, item in value.items():
                canonical = node.names.get(key)
                if canonical is not None:
                    walk(node.properties[canonical], item)
        elif isinstance(value, list) and node.items is not None:
            for item in value:
                walk(node.items, item)

    root = compiled(provider, SCHEMA).root
    for payload in valid_payloads(provider, SCHEMA, DRAWN, SEED):
        walk(root, payload)


@pytest.mark.parametrize("provider", sdcontracts.providers())
def test_valid_requests_sit_on_every_documented_edge_at_a_stated_rate(provider: str) -> None:
    """Each range's ends on at least 10% of the field's numbers, each length limit on 5% of its
    strings, each enum's first and last on at least a third of the uniform share of its values;
    every documented edge is reached."""
    counts, floors = _shares(provider)
    documented = _documented(provider)
    assert documented == {edge for edge in documented if edge in counts}, "a documented field never drawn"
    short = {
        f"{location} {name}: {hits}/{total}"
        for (location, name), (hits, total) in counts.items()
        if (location, name) in documented and hits < floors[(location, name)] * total
    }
    assert set() == short
