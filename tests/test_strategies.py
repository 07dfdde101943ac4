"""The public strategies: valid requests validate, invalid ones break exactly their labelled rule,
every rule and range edge is reachable, and Hypothesis raises no health check (none is suppressed)."""

from __future__ import annotations

import collections
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sdcontracts
from sdcontracts._images import read_base64_image
from sdcontracts.strategies import InvalidCase, invalid_requests, rule_ids, valid_requests

PROVIDERS = sdcontracts.providers()
SETTINGS = settings(max_examples=60, deadline=None, database=None)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_valid_requests_validate(provider: str) -> None:
    """Every generated valid request passes sdcontracts.validate (schema and rules)."""

    @SETTINGS
    @given(valid_requests(provider))
    def check(payload: Any) -> None:
        report = sdcontracts.validate(provider, payload)
        assert report.ok, str(report)

    check()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_invalid_requests_break_exactly_their_labelled_rule(provider: str) -> None:
    """Each invalid case re-validates with its labelled rule, and nothing else."""

    @SETTINGS
    @given(invalid_requests(provider))
    def check(case: InvalidCase) -> None:
        payload, rule = case
        assert {rule} == sdcontracts.validate(provider, payload).rules
        assert case.path in {v.path for v in sdcontracts.validate(provider, payload).violations}

    check()


@pytest.mark.parametrize(("provider", "rule"), [(p, r) for p in PROVIDERS for r in rule_ids(p)])
def test_every_rule_a_schema_states_can_be_broken_on_request(provider: str, rule: str) -> None:
    """For each rule id the schema and rules can produce, invalid_requests(rules=[r]) produces it."""
    seen: collections.Counter[str] = collections.Counter()

    @settings(max_examples=8, deadline=None, database=None)
    @given(invalid_requests(provider, rules=[rule]))
    def check(case: InvalidCase) -> None:
        seen[case.rule] += 1
        assert {case.rule} == sdcontracts.validate(provider, case.payload).rules

    check()
    assert seen[rule] >= 1, f"{rule} never produced: {dict(seen)}"


def test_rule_ids_cover_every_prose_rule() -> None:
    """Every registered provider rule has a generator that breaks it."""
    from sdcontracts.rules import rules_for

    for provider in PROVIDERS:
        prose = {r.id for r in rules_for(provider, "img2img.request")}
        assert prose <= set(rule_ids(provider)), provider


def test_tensorart_valid_jobs_cover_workflows_spellings_and_edges() -> None:
    """Across valid jobs: every workflow shape, both spellings, width at 512 and 1536, count 1 to 4."""
    shapes: set[tuple[str, ...]] = set()
    spellings: set[str] = set()
    widths: set[int] = set()
    counts: set[int] = set()

    @settings(max_examples=300, deadline=None, database=None)
    @given(valid_requests("tensorart"))
    def collect(job: dict[str, Any]) -> None:
        shapes.add(tuple(s["type"] for s in job["stages"][1:]))
        spellings.update(k for k in job if k in ("requestId", "request_id"))
        for stage in job["stages"]:
            member = next(v for k, v in stage.items() if k != "type")
            if stage["type"] == "DIFFUSION":
                widths.add(member["width"])
            if stage["type"] == "INPUT_INITIALIZE":
                counts.add(member.get("count", 1))

    collect()
    assert 8 == len(shapes)
    assert {"requestId", "request_id"} == spellings
    assert {512, 1536} <= widths
    assert {1, 2, 3, 4} == counts


def test_novita_images_reach_the_2048_pixel_limit() -> None:
    """Valid Novita requests include real PNGs at exactly 2048 px, and never beyond."""
    sides: set[int] = set()

    @settings(max_examples=100, deadline=None, database=None)
    @given(valid_requests("novita"))
    def collect(payload: dict[str, Any]) -> None:
        info = read_base64_image(payload["request"]["image_base64"])
        sides.update((info.width, info.height))

    collect()
    assert 2048 in sides and max(sides) == 2048


def test_picpik_units_cover_preset_and_custom() -> None:
    """Valid PICPIK requests carry both custom (0) and preset (1-4) ControlNet units, ids as int and str."""
    presets: set[Any] = set()

    @settings(max_examples=150, deadline=None, database=None)
    @given(valid_requests("picpik"))
    def collect(payload: dict[str, Any]) -> None:
        presets.update(u["ControlPreSetId"] for u in payload.get("ControlNetParams", ()))

    collect()
    assert {0, "0"} & presets and {1, 2, 3, 4, "1", "2", "3", "4"} & presets
    assert any(isinstance(p, str) for p in presets) and any(isinstance(p, int) for p in presets)


def test_strategies_compose_with_other_strategies() -> None:
    """They are ordinary SearchStrategy values (st.tuples, .map, …)."""

    @settings(max_examples=5, deadline=None, database=None)
    @given(st.tuples(valid_requests("zhiqite"), invalid_requests("aliyun")))
    def check(pair: tuple[Any, InvalidCase]) -> None:
        assert sdcontracts.validate("zhiqite", pair[0]).ok
        assert not sdcontracts.validate("aliyun", pair[1].payload).ok

    check()


@pytest.mark.parametrize("schema", ["task.request", "resource.request"])
def test_other_request_schemas_get_generic_strategies(schema: str) -> None:
    """Schemas without provider shaping still get valid and single-rule invalid cases."""
    provider = "tensorart" if schema == "resource.request" else "picpik"

    @settings(max_examples=20, deadline=None, database=None)
    @given(valid_requests(provider, schema), invalid_requests(provider, schema))
    def check(payload: Any, case: InvalidCase) -> None:
        assert sdcontracts.validate(provider, payload, schema=schema).ok
        assert {case.rule} == sdcontracts.validate(provider, case.payload, schema=schema).rules

    check()


@pytest.mark.parametrize(
    ("width", "height", "level"), [(8, 8, 255), (100, 37, 255), (513, 769, 0), (1, 1, 128), (64, 48, 17)]
)
def test_the_hand_written_jpeg_decodes_to_its_size_and_level(width: int, height: int, level: int) -> None:
    import io

    from PIL import Image

    from sdcontracts.strategies._images import jpeg

    image = Image.open(io.BytesIO(jpeg(width, height, level)))
    image.load()
    assert ("JPEG", (width, height), (level, level)) == (image.format, image.size, image.getextrema())


def test_a_node_a_strategy_was_built_for_keeps_its_address_to_itself() -> None:
    """Strategies are cached per node by id: the cached node is held, so a node made after a schema
    compiled for one test is dropped never finds that schema's strategy under its own id."""
    import gc

    from sdcontracts._compiler import Node
    from sdcontracts.strategies._schema import value_strategy

    temporary = Node("#/temporary", types=frozenset({"integer"}), minimum=7, maximum=7)
    value_strategy(temporary)
    address = id(temporary)
    del temporary
    gc.collect()
    later = [Node("#/later", types=frozenset({"string"}), const=("x",)) for _ in range(2_000)]
    assert [] == [node for node in later if id(node) == address]
