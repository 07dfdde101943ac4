"""How often the decisions read off packed bytes come out each way: which optional fields, which
spelling, how many items, which Tensor.Art workflow and stage. A request is now a few Hypothesis
choices (`sdcontracts.strategies._packed.Reader`) instead of one per object, list and key; these
pin that it still reaches every outcome at a stated rate, over the conformance suite's own seeded
draw, and that zero bytes (what Hypothesis shrinks towards) still read as the simplest request."""

from __future__ import annotations

import collections
import random
from typing import Any

import pytest
from hypothesis import find
from test_strategy_edges import DRAWN, SEED, walk_drawn

import sdcontracts
from sdcontracts._compiler import Node
from sdcontracts._protojson import snake_name
from sdcontracts.conformance._cases import valid_payloads
from sdcontracts.rules.tensorart import members
from sdcontracts.strategies import valid_requests
from sdcontracts.strategies._packed import Reader
from sdcontracts.strategies._tensorart import WORKFLOWS

SCHEMA = "img2img.request"
SPELLING_RATE = 0.2  # each spelling of a two-spelling field: at least this share of its occurrences
PRESENT_RATE = 0.2  # each optional field: present in at least this share of its object's occurrences
SIZE_RATE = 0.05  # each end of a list's drawn sizes: at least this share of the list's occurrences
SEEN_AT_LEAST = 20  # occurrences below which a field or list is too rare to judge a share on
WORKFLOW_RATE = 1 / 3  # each workflow: at least a third of its even share (1/len(WORKFLOWS))
# Fields the provider's rules, not the schema, put in or leave out (tests/test_tensorart.py pins them).
RULED = {
    ("tensorart", "#/$defs/Stage"): "the workflow gives each stage its one member",
    ("picpik", "#/$defs/ControlNetParams"): "the ControlNet preset decides a unit's fields",
    ("tensorart", "#/properties/stages"): "the workflow decides the stages",
}


@pytest.mark.parametrize("provider", sdcontracts.providers())
def test_optional_fields_and_both_spellings_are_each_drawn_at_a_stated_rate(provider: str) -> None:
    """Each optional field is present in at least a fifth of its object's occurrences, and where a
    field has two spellings (protobuf JSON) each is at least a fifth of the field's occurrences."""
    objects: collections.Counter[str] = collections.Counter()
    present: collections.Counter[tuple[str, str]] = collections.Counter()
    spelt: collections.Counter[tuple[str, str]] = collections.Counter()
    optional: dict[str, list[str]] = {}
    aliased: dict[tuple[str, str], tuple[str, ...]] = {}

    def visit(node: Node, value: Any) -> None:
        if not isinstance(value, dict) or not node.properties:
            return
        objects[node.location] += 1
        optional[node.location] = [n for n in node.properties if n not in node.required]
        for key in value:
            canonical = node.names.get(key)
            if canonical is None:
                continue
            present[(node.location, canonical)] += 1
            if len(node.spellings[canonical]) > 1:
                spelt[(node.location, key)] += 1
                aliased[(node.location, canonical)] = node.spellings[canonical]

    walk_drawn(provider, visit)
    rare_fields = {
        f"{location} {name}: {present[(location, name)]}/{seen}"
        for location, seen in objects.items()
        if seen >= SEEN_AT_LEAST and (provider, location) not in RULED
        for name in optional[location]
        if present[(location, name)] < PRESENT_RATE * seen
    }
    assert set() == rare_fields
    rare_spellings = {
        f"{location} {spelling}: {spelt[(location, spelling)]}/{present[(location, name)]}"
        for (location, name), spellings in aliased.items()
        if present[(location, name)] >= SEEN_AT_LEAST
        for spelling in spellings
        if spelt[(location, spelling)] < SPELLING_RATE * present[(location, name)]
    }
    assert set() == rare_spellings
    if provider == "tensorart":  # the protobuf JSON provider: both spellings were seen at all
        assert aliased


@pytest.mark.parametrize("provider", sdcontracts.providers())
def test_lists_are_drawn_at_their_fewest_and_most_items_at_a_stated_rate(provider: str) -> None:
    """Each list (but those the rules fill) is drawn with its fewest items and with its most (the
    schema's maximum, or three above the minimum where the schema has none) on at least 5% of its
    occurrences each."""
    sizes: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    ends: dict[str, tuple[int, ...]] = {}

    def visit(node: Node, value: Any) -> None:
        if not isinstance(value, list) or node.unique_items:
            return
        sizes[node.location][len(value)] += 1
        low = node.min_items or 0
        high = node.max_items if node.max_items is not None else max(low, 3)
        ends[node.location] = (low, high)

    walk_drawn(provider, visit)
    assert sizes, "no list drawn"
    short = {
        f"{location} {size} items: {sizes[location][size]}/{sum(sizes[location].values())}"
        for location, drawn in sizes.items()
        if sum(drawn.values()) >= SEEN_AT_LEAST and not any(location.startswith(r) for p, r in RULED if p == provider)
        for size in set(ends[location])
        if drawn[size] < SIZE_RATE * sum(drawn.values())
    }
    assert set() == short


def test_tensorart_jobs_draw_every_workflow_and_stage_type_at_a_stated_rate() -> None:
    """Each documented workflow is at least a third of its even share of the jobs, so every stage
    type and both orders of a member before and after DIFFUSION are drawn."""
    workflows: collections.Counter[tuple[str, ...]] = collections.Counter()
    for job in valid_payloads("tensorart", SCHEMA, DRAWN, SEED):
        kinds = tuple(stage["type"] for stage in job["stages"])
        assert kinds[0] == "INPUT_INITIALIZE"
        workflows[kinds[1:]] += 1
    assert set(workflows) == set(WORKFLOWS)
    floor = WORKFLOW_RATE * DRAWN / len(WORKFLOWS)
    assert {w: n for w, n in workflows.items() if n < floor} == {}
    assert {kind for workflow in workflows for kind in workflow} == set(members()) - {"INPUT_INITIALIZE"}


def test_a_reader_draws_no_field_and_every_field_each_at_a_stated_rate() -> None:
    """A presence or spelling mask is all-clear and all-set each about one time in 32 (at least one
    in 64 here), and otherwise sets each bit about half the time."""
    rng = random.Random(SEED)
    masks = [Reader(lambda _: rng.randbytes(64)).mask(12) for _ in range(8192)]
    assert masks.count(0) >= len(masks) / 64
    assert masks.count((1 << 12) - 1) >= len(masks) / 64
    for bit in range(12):
        share = sum(m >> bit & 1 for m in masks) / len(masks)
        assert 0.4 < share < 0.6, (bit, share)


def test_zero_bytes_read_as_the_simplest_decisions() -> None:
    """What Hypothesis shrinks towards: no optional field, the first option, no lenient form."""
    reader = Reader(lambda _: bytes(256))
    assert (reader.mask(9), reader.maybe_mask(3), reader.bit(), reader.pick(("first", "second"))) == (
        0,
        0,
        False,
        "first",
    )


def test_the_simplest_tensorart_job_is_the_first_workflow_in_camel_case() -> None:
    """Shrinking a job (every choice to zero) gives DIFFUSION alone, each key in its camelCase
    spelling, no notifyUrl: a failing test's report shows the smallest job, not a random one."""
    job = find(valid_requests("tensorart"), lambda _: True)
    assert [stage["type"] for stage in job["stages"]] == ["INPUT_INITIALIZE", *WORKFLOWS[0]]
    assert set(job) == {"requestId", "stages"}
    assert set(job["stages"][0]) == {"type", "inputInitialize"}
    assert set(job["stages"][1]) == {"type", "diffusion"}
    assert sdcontracts.validate("tensorart", job).ok


def test_tensorart_jobs_are_often_spelt_one_way_throughout() -> None:
    """Most clients send one spelling: at least a third of the jobs are camelCase throughout (what
    the exported OpenAPI document lists) and at least one in twenty snake_case throughout."""

    def keys(value: Any) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for item in value.values() for k in keys(item)}
        if isinstance(value, list):
            return {k for item in value for k in keys(item)}
        return set()

    jobs = valid_payloads("tensorart", SCHEMA, DRAWN, SEED)
    aliased = [{k for k in keys(job) if snake_name(k) != k or "_" in k} for job in jobs]
    camel = sum(all("_" not in k for k in found) for found in aliased)
    snake = sum(all(snake_name(k) == k for k in found) for found in aliased)
    assert camel >= DRAWN / 3
    assert snake >= DRAWN / 20
