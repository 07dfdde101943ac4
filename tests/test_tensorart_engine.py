"""Tensor.Art's rules in jsonschema-rs's schema: validation gives the verdicts of running every rule
in Python on every payload (rule ids, pointers, messages, severities), on generated jobs, valid and
mutated, and on every size on the area rules' grids around their bounds."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_tensorart import DIFFUSION, UPSCALE, diffusion, job

from sdcontracts._protojson import snake_name
from sdcontracts._report import Report
from sdcontracts._validation import VIEWS, CompiledSchema, View, compiled
from sdcontracts.rules import rules_for
from sdcontracts.rules.tensorart import MAX_AREA, MIN_AREA, UPSCALER_AREA
from sdcontracts.strategies import invalid_requests, valid_requests

SCHEMA = "img2img.request"
STAGE_TYPES = [
    "DEFAULT",
    "INPUT_INITIALIZE",
    "DIFFUSION",
    "IMAGE_TO_UPSCALER",
    "IMAGE_TO_ADETAILER",
    "IMAGE_TO_INPAINT",
]
MEMBERS = ["inputInitialize", "diffusion", "imageToUpscaler", "imageToAdetailer", "imageToInpaint"]
PYTHON_ONLY = {r.id for r in rules_for("tensorart", SCHEMA) if r.engine is None}
ENGINE = {r.id for r in rules_for("tensorart", SCHEMA) if r.engine is not None}
_REFERENCE: dict[View, CompiledSchema] = {}


def reference(view: View) -> CompiledSchema:
    """Every rule in Python on every payload: validation as it was before the rules joined the engine."""
    if view not in _REFERENCE:
        _REFERENCE[view] = CompiledSchema("tensorart", SCHEMA, view, rules_in_engine=False)
    return _REFERENCE[view]


def both(payload: Any, view: View = "wire", strict: bool = False) -> tuple[Report, Report]:
    """(the reference's report, validation's report)."""
    return reference(view).validate(payload, strict), compiled("tensorart", SCHEMA, view).validate(payload, strict)


def assert_same_verdicts(payload: Any, view: View = "wire") -> None:
    for strict in (False, True):
        expected, actual = both(payload, view, strict)
        assert expected == actual
    # and jsonschema-rs accepts exactly the jobs where only the rules it does not state find anything:
    # none is left to the fallback, none of its findings is skipped
    report = reference(view).validate(payload)
    found = {v.rule for v in report.violations + report.warnings} - PYTHON_ONLY
    assert (not found) == compiled("tensorart", SCHEMA, view)._exact.is_valid(payload)


# -- mutations aimed at the stage rules ---------------------------------------------------------------


def _member_key(stage: dict[str, Any]) -> str | None:
    return next((k for k in stage if k != "type"), None)


def _member(stage: Any) -> dict[str, Any]:
    key = _member_key(stage) if isinstance(stage, dict) else None
    value = stage.get(key) if key is not None else None
    return value if isinstance(value, dict) else {}


@st.composite
def mutated_jobs(draw: st.DrawFn) -> Any:
    # from jobs valid by every reading, so that a mutation breaking one rule meets jsonschema-rs's "valid"
    payload = copy.deepcopy(draw(valid_requests("tensorart", strict=draw(st.booleans()))))
    stages: list[Any] = payload["stages"]
    for _ in range(draw(st.integers(1, 2))):
        at = draw(st.integers(0, max(0, len(stages) - 1)))
        how = draw(
            st.sampled_from(
                ["shuffle", "duplicate", "drop", "retype", "foreign", "unmember", "respell", "count", "size",
                 "resize", "scale", "unmask", "nest", "empty", "latent"]
            )
        )  # fmt: skip
        if how == "shuffle":
            stages[:] = draw(st.permutations(stages))
        elif how == "duplicate" and stages:
            stages.insert(draw(st.integers(0, len(stages))), copy.deepcopy(stages[at]))
        elif how == "drop" and stages:
            del stages[at]
        elif how == "retype" and stages:
            stages[at]["type"] = draw(st.sampled_from(STAGE_TYPES))
        elif how == "foreign" and stages:
            stages[at][draw(st.sampled_from(MEMBERS + [snake_name(m) for m in MEMBERS]))] = {}
        elif how == "unmember" and stages and _member_key(stages[at]) is not None:
            del stages[at][_member_key(stages[at])]
        elif how == "respell" and stages and _member_key(stages[at]) is not None:
            key = _member_key(stages[at])
            assert key is not None
            stages[at][snake_name(key)] = stages[at].pop(key)
        elif how == "count" and stages:
            _member(stages[0])["count"] = draw(st.integers(1, 4))
        elif how == "size" and stages:
            target = _member(stages[at]).get("diffusion", _member(stages[at]))
            for name in ("width", "height"):
                target[name] = draw(st.sampled_from(range(448, 1665, 64)))
        elif how == "resize" and stages:
            body = _member(stages[at])
            body.pop(draw(st.sampled_from(["hrScale", "hr_scale"])), None)
            for name in ("hrResizeX", "hrResizeY"):
                key = draw(st.sampled_from([name, snake_name(name)]))
                body[key] = draw(st.sampled_from([64, 128, 192, 256, 512, 1024, 2048, 2880, 4096, 8192, 16256, 99968]))
        elif how == "scale" and stages:
            _member(stages[at])[draw(st.sampled_from(["hrScale", "hr_scale"]))] = 2
        elif how == "unmask" and stages:
            for key in ("maskImageResourceId", "mask_image_resource_id"):
                _member(stages[at]).pop(key, None)
        elif how == "nest" and stages:
            body = _member(stages[at])
            if draw(st.booleans()):
                body.pop("diffusion", None)
            else:
                body["diffusion"] = diffusion()
        elif how == "empty":
            stages.clear()
        elif how == "latent" and stages:
            _member(stages[at])["hrUpscaler"] = "Latent"
    return payload


@settings(max_examples=500, deadline=None)
@given(payload=mutated_jobs(), view=st.sampled_from(VIEWS))
def test_mutated_jobs_get_the_verdicts_of_every_rule_run_in_python(payload: Any, view: View) -> None:
    """Jobs with their stages shuffled, repeated, dropped, retyped, given foreign or no members,
    respelt, resized, rescaled, unmasked: the same report as with every rule in Python."""
    assert_same_verdicts(payload, view)


@settings(max_examples=150, deadline=None)
@given(payload=valid_requests("tensorart"))
def test_valid_jobs_get_the_verdicts_of_every_rule_run_in_python(payload: Any) -> None:
    """Valid jobs (some with warnings, in forms only a disputed reading accepts): the same report."""
    assert_same_verdicts(payload)


@settings(max_examples=100, deadline=None)
@given(case=invalid_requests("tensorart"))
def test_invalid_jobs_get_the_verdicts_of_every_rule_run_in_python(case: Any) -> None:
    """Jobs breaking one rule (schema or prose): the same report."""
    assert_same_verdicts(case.payload)


@pytest.mark.parametrize("rule", sorted(ENGINE))
def test_jobs_breaking_only_a_rule_in_the_engine_are_rejected_by_it(rule: str) -> None:
    """For each rule jsonschema-rs states, jobs breaking that rule alone (the strategies' breakers,
    which fall back to another rule where they cannot): jsonschema-rs says invalid, and the report
    is the Python rule's."""

    @settings(max_examples=25, deadline=None)
    @given(case=invalid_requests("tensorart", rules=[rule]))
    def check(case: Any) -> None:
        assert False is compiled("tensorart", SCHEMA)._exact.is_valid(case.payload)
        assert_same_verdicts(case.payload)

    check()


def _about_the_bounds(x: int) -> list[int]:
    """Multiples of 64 from 128 at and beside each area bound over ``x``, and a few far away."""
    found = {128, 192, 99968}
    for area in (MIN_AREA, MAX_AREA, UPSCALER_AREA.lenient):
        edge = area // x // 64 * 64
        found |= {edge - 64, edge, edge + 64, edge + 128}
    return sorted(v for v in found if v >= 128)


@pytest.mark.parametrize("x", [*range(128, 16448, 64), 32768, 99968])
def test_upscaler_area_in_the_engine_matches_the_rule_on_the_grid(x: int) -> None:
    """hrResizeX x hrResizeY, for y on the grid at and beside every bound over x (the minimum, the
    strict and the disputed maximum area): the same verdicts, warnings included."""
    for y in _about_the_bounds(x):
        stage = copy.deepcopy(UPSCALE)
        body = stage["imageToUpscaler"]
        del body["hrScale"]
        body.update(hrResizeX=x, hrResizeY=y)
        assert_same_verdicts(job(DIFFUSION, stage))


@pytest.mark.parametrize("width", range(512, 1537, 64))
def test_diffusion_area_in_the_engine_matches_the_rule_on_the_grid(width: int) -> None:
    """width x height for every pair on the 64-pixel grid, in a DIFFUSION stage: the same verdicts."""
    for height in range(512, 1537, 64):
        assert_same_verdicts(job({"type": "DIFFUSION", "diffusion": diffusion(width=width, height=height)}))


def test_only_the_order_dependent_rules_run_in_python_on_a_valid_job() -> None:
    """Every Tensor.Art rule but nested-diffusion and latent-upscaler is stated in the engine's schema."""
    python = [r.id for r in rules_for("tensorart", SCHEMA) if r.engine is None]
    assert ["tensorart.nested-diffusion", "tensorart.latent-upscaler"] == python
    assert python == [rule for rule, _, _ in compiled("tensorart", SCHEMA)._python_checks]
