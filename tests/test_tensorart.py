"""Tensor.Art: job schema, protobuf-JSON spellings, and every stage-workflow rule on both sides."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import sdcontracts
from sdcontracts._protojson import snake_name


def diffusion(**extra: Any) -> dict[str, Any]:
    body = {
        "width": 512, "height": 768, "prompts": [{"text": "1girl"}], "negativePrompts": [{"text": "blurry"}],
        "sampler": "DPM++ 2M Karras", "sdVae": "Automatic", "steps": 20, "cfgScale": 7, "sdModel": "600423083519508503",
    }  # fmt: skip
    body.update(extra)
    return body


def job(*stages: dict[str, Any], count: int = 1) -> dict[str, Any]:
    first = {"type": "INPUT_INITIALIZE", "inputInitialize": {"imageResourceId": "img-1", "count": count, "seed": "7"}}
    return {"requestId": "req-1", "stages": [first, *copy.deepcopy(stages)]}


DIFFUSION = {"type": "DIFFUSION", "diffusion": diffusion()}
UPSCALE = {
    "type": "IMAGE_TO_UPSCALER",
    "imageToUpscaler": {"hrUpscaler": "4x-UltraSharp", "hrScale": 2, "hrSecondPassSteps": 10, "denoisingStrength": 0.3},
}
ADETAIL = {"type": "IMAGE_TO_ADETAILER", "imageToAdetailer": {"args": [{"adModel": "face_yolov8s.pt"}]}}
INPAINT = {
    "type": "IMAGE_TO_INPAINT",
    "imageToInpaint": {"maskImageResourceId": "mask-1", "resizeMode": "JUST_RESIZE", "diffusion": diffusion()},
}


def found(payload: Any, *, strict: bool = False) -> list[tuple[str, str]]:
    return [(v.rule, v.path) for v in sdcontracts.validate("tensorart", payload, strict=strict).violations]


def warned(payload: Any) -> list[tuple[str, str, str]]:
    """(rule, pointer, dispute id) of every warning."""
    report = sdcontracts.validate("tensorart", payload)
    return [(w.rule, w.path, w.dispute.id if w.dispute else "") for w in report.warnings]


def with_nested_diffusion(stage: dict[str, Any]) -> dict[str, Any]:
    stage = copy.deepcopy(stage)
    member = next(k for k in stage if k != "type")
    stage[member]["diffusion"] = diffusion()
    return stage


@pytest.mark.parametrize(
    "payload",
    [
        job(DIFFUSION, count=4),
        job(DIFFUSION, UPSCALE, ADETAIL, count=2),
        job(with_nested_diffusion(UPSCALE)),
        job(with_nested_diffusion(ADETAIL)),
        job(INPAINT),
        job(),
    ],
    ids=["diffusion", "diffusion-upscale-adetail", "upscaler-only", "adetailer-only", "inpaint", "input-only"],
)
def test_documented_workflows_are_valid(payload: dict[str, Any]) -> None:
    """Each workflow the doc describes validates without violations."""
    assert [] == found(payload)


def snake_case_everything(value: Any) -> Any:
    if isinstance(value, dict):
        return {snake_name(k): snake_case_everything(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_case_everything(v) for v in value]
    return value


def test_every_field_may_be_spelt_snake_case_at_every_level() -> None:
    """The same job written entirely in proto (snake_case) names is valid."""
    payload = snake_case_everything(job(DIFFUSION, with_nested_diffusion(INPAINT), UPSCALE))
    assert "image_to_inpaint" in payload["stages"][2] and "cfg_scale" in payload["stages"][1]["diffusion"]
    assert [] == found(payload)


def test_spellings_may_be_mixed_as_the_doc_examples_do() -> None:
    """request_id beside inputInitialize beside image_resource_id is fine."""
    mixed = diffusion(cfg_scale=5)
    del mixed["cfgScale"]
    payload = {
        "request_id": "x",
        "stages": [
            {"type": "INPUT_INITIALIZE", "inputInitialize": {"image_resource_id": "a", "count": 1}},
            {
                "type": "IMAGE_TO_UPSCALER",
                "image_to_upscaler": {
                    "hr_upscaler": "Lanczos", "hrScale": 2, "hr_second_pass_steps": 5,
                    "denoisingStrength": 0.2, "diffusion": mixed,
                },
            },
        ],
    }  # fmt: skip
    assert [] == found(payload)


@pytest.mark.parametrize(
    ("path", "camel", "snake"),
    [
        ((), "requestId", "request_id"),
        (("stages", 1, "diffusion"), "cfgScale", "cfg_scale"),
        (("stages", 0, "inputInitialize"), "imageResourceId", "image_resource_id"),
    ],
)
def test_one_field_in_both_spellings_is_duplicate_field(path: tuple[Any, ...], camel: str, snake: str) -> None:
    """Giving a field as both camelCase and snake_case is one duplicate-field violation."""
    payload = job(DIFFUSION)
    target = payload
    for key in path:
        target = target[key]
    target[camel] = target.get(camel, "x") if camel != "cfgScale" else 7
    target[snake] = target[camel]
    pointer = "".join(f"/{p}" for p in path) + f"/{snake}"
    assert [("duplicate-field", pointer)] == found(payload)


def test_stage_member_in_both_spellings_is_duplicate_field() -> None:
    """image_to_upscaler and imageToUpscaler together are one field given twice."""
    upscale = copy.deepcopy(UPSCALE)
    upscale["image_to_upscaler"] = upscale["imageToUpscaler"]
    assert [("duplicate-field", "/stages/2/image_to_upscaler")] == found(job(DIFFUSION, upscale))


# -- input-initialize-first ------------------------------------------------------------------


def test_job_without_input_initialize_is_a_violation() -> None:
    """A job whose stages are all known but none is INPUT_INITIALIZE breaks the rule once."""
    assert [("tensorart.input-initialize-first", "/stages")] == found({"requestId": "x", "stages": [DIFFUSION]})


def test_input_initialize_not_first_is_a_violation() -> None:
    """INPUT_INITIALIZE after DIFFUSION is reported at its stage."""
    payload = job(DIFFUSION)
    payload["stages"].reverse()
    assert [("tensorart.input-initialize-first", "/stages/1")] == found(payload)


def test_second_input_initialize_is_a_violation() -> None:
    """Two INPUT_INITIALIZE stages: the second is reported."""
    payload = job(DIFFUSION)
    payload["stages"].append(copy.deepcopy(payload["stages"][0]))
    assert [("tensorart.input-initialize-first", "/stages/2")] == found(payload)


def test_stage_with_unknown_type_is_reported_by_the_schema_only() -> None:
    """An unknown type is an enum violation, and no rule guesses about that stage."""
    payload = job({"type": "IMAGE_TO_ANIMATE_DIFF", "imageToAnimateDiff": {}})
    assert [("enum", "/stages/1/type"), ("unknown-field", "/stages/1/imageToAnimateDiff")] == found(payload)


# -- stage-member ----------------------------------------------------------------------------


def test_stage_carrying_another_types_member_is_one_violation() -> None:
    """A DIFFUSION stage carrying imageToUpscaler instead of diffusion is one stage-member violation."""
    payload = job({"type": "DIFFUSION", "imageToUpscaler": UPSCALE["imageToUpscaler"]})
    assert [("tensorart.stage-member", "/stages/1")] == found(payload)


def test_stage_without_its_member_is_a_violation() -> None:
    """{"type": "DIFFUSION"} alone carries no parameters."""
    (violation,) = sdcontracts.validate("tensorart", job({"type": "DIFFUSION"})).violations
    assert ("tensorart.stage-member", "/stages/1") == (violation.rule, violation.path)
    assert "'diffusion'" in violation.message


def test_stage_with_an_extra_member_is_a_violation_at_that_member() -> None:
    """A DIFFUSION stage that also carries imageToInpaint is reported at the extra member."""
    stage = {"type": "DIFFUSION", "diffusion": diffusion(), "image_to_inpaint": INPAINT["imageToInpaint"]}
    assert [("tensorart.stage-member", "/stages/1/image_to_inpaint")] == found(job(stage))


def test_default_stage_type_is_a_violation() -> None:
    """DEFAULT is the protobuf zero value, not a stage."""
    assert [("tensorart.stage-member", "/stages/1/type")] == found(job({"type": "DEFAULT"}))


# -- single-diffusion, count-without-diffusion -----------------------------------------------


def test_second_diffusion_stage_is_a_violation() -> None:
    """Two DIFFUSION stages: the second is reported."""
    assert [("tensorart.single-diffusion", "/stages/2")] == found(job(DIFFUSION, DIFFUSION))


@pytest.mark.parametrize("count", [2, 3, 4])
def test_count_above_one_without_diffusion_is_a_violation(count: int) -> None:
    """Without a DIFFUSION stage, inputInitialize.count can only be 1."""
    payload = job(with_nested_diffusion(UPSCALE), count=count)
    assert [("tensorart.count-without-diffusion", "/stages/0/inputInitialize/count")] == found(payload)


@pytest.mark.parametrize("count", [1, None])
def test_count_of_one_or_absent_without_diffusion_is_valid(count: int | None) -> None:
    """count 1, or no count (default 1), is fine without DIFFUSION."""
    payload = job(with_nested_diffusion(ADETAIL))
    if count is None:
        del payload["stages"][0]["inputInitialize"]["count"]
    assert [] == found(payload)


def test_count_out_of_range_is_the_schemas_business() -> None:
    """count 5 with a DIFFUSION stage is only a maximum violation."""
    assert [("maximum", "/stages/0/inputInitialize/count")] == found(job(DIFFUSION, count=5))


# -- nested-diffusion ------------------------------------------------------------------------


@pytest.mark.parametrize(("stage", "member"), [(UPSCALE, "imageToUpscaler"), (ADETAIL, "imageToAdetailer")])
def test_postprocessing_without_diffusion_needs_nested_diffusion(stage: dict[str, Any], member: str) -> None:
    """Upscaler or ADetailer with no DIFFUSION before it must carry its own diffusion."""
    assert [("tensorart.nested-diffusion", f"/stages/1/{member}")] == found(job(stage))


def test_inpaint_without_diffusion_needs_nested_diffusion() -> None:
    """IMAGE_TO_INPAINT with no DIFFUSION before it must carry its own diffusion."""
    inpaint = copy.deepcopy(INPAINT)
    del inpaint["imageToInpaint"]["diffusion"]
    assert [("tensorart.nested-diffusion", "/stages/1/imageToInpaint")] == found(job(inpaint))


def test_diffusion_after_the_postprocessing_stage_does_not_count() -> None:
    """A DIFFUSION stage *after* the upscaler does not supply its diffusion."""
    assert ("tensorart.nested-diffusion", "/stages/1/imageToUpscaler") in found(job(UPSCALE, DIFFUSION))


# -- latent-upscaler -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Latent", "Latent (antialiased)", "Latent (bicubic)", "Latent (nearest-exact)"])
def test_latent_upscaler_after_diffusion_is_a_violation(name: str) -> None:
    """After a DIFFUSION stage, hrUpscaler may not be a Latent upscaler."""
    upscale = copy.deepcopy(UPSCALE)
    upscale["imageToUpscaler"]["hrUpscaler"] = name
    assert [("tensorart.latent-upscaler", "/stages/2/imageToUpscaler/hrUpscaler")] == found(job(DIFFUSION, upscale))


def test_latent_upscaler_without_diffusion_follows_the_docs_own_example() -> None:
    """The standalone upscaler example uses "Latent" with no DIFFUSION stage; the caution's section
    (Image to Upscaler, after DIFFUSION) does not cover it."""
    upscale = with_nested_diffusion(UPSCALE)
    upscale["imageToUpscaler"]["hrUpscaler"] = "Latent"
    assert [] == found(job(upscale))


def test_image_upscaler_after_diffusion_is_valid() -> None:
    """Non-latent upscalers after DIFFUSION are what the doc recommends."""
    assert [] == found(job(DIFFUSION, UPSCALE))


# -- inpaint-mask, upscaler-target, areas ----------------------------------------------------


def test_inpaint_without_mask_is_a_violation() -> None:
    """IMAGE_TO_INPAINT needs maskImageResourceId."""
    inpaint = copy.deepcopy(INPAINT)
    del inpaint["imageToInpaint"]["maskImageResourceId"]
    assert [("tensorart.inpaint-mask", "/stages/1/imageToInpaint")] == found(job(inpaint))


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({"hrScale": 2}, []),
        ({"hrResizeX": 1024, "hrResizeY": 1024}, []),
        ({"hrResizeX": 1024}, [("tensorart.upscaler-target", "/stages/2/imageToUpscaler")]),
        ({}, [("tensorart.upscaler-target", "/stages/2/imageToUpscaler")]),
    ],
)
def test_upscaler_needs_scale_or_both_resize_sides(target: dict[str, int], expected: list[Any]) -> None:
    """hrScale alone, or hrResizeX with hrResizeY; anything less is a violation."""
    upscale = {
        "type": "IMAGE_TO_UPSCALER",
        "imageToUpscaler": {"hrUpscaler": "Lanczos", "hrSecondPassSteps": 5, "denoisingStrength": 0.2, **target},
    }
    assert expected == found(job(DIFFUSION, upscale))


@pytest.mark.parametrize(
    ("x", "y", "verdict"),
    [
        (512, 512, "valid"),
        (128, 2048, "valid"),
        (128, 1984, "error"),
        (1408, 1472, "valid"),
        (1536, 1408, "warning"),
        (1536, 2304, "warning"),
        (2880, 2880, "warning"),
        (2944, 2880, "error"),
    ],
)
def test_upscaler_target_area_is_bounded(x: int, y: int, verdict: str) -> None:
    """262,144 ≤ hrResizeX·hrResizeY ≤ 2,073,600 (the spec) is certain; up to 8,294,400 (async-tensorart,
    and the doc's own 1536 x 2304) is disputed: a warning, an error in strict mode; beyond it an error."""
    upscale = {
        "type": "IMAGE_TO_UPSCALER",
        "imageToUpscaler": {
            "hrUpscaler": "Lanczos",
            "hrSecondPassSteps": 5,
            "denoisingStrength": 0.2,
            "hrResizeX": x,
            "hrResizeY": y,
        },
    }
    payload = job(DIFFUSION, upscale)
    broken = [("tensorart.upscaler-area", "/stages/2/imageToUpscaler")]
    assert (broken if verdict == "error" else []) == found(payload)
    expected_warnings = [(*broken[0], "tensorart.upscaler-area-limit")] if verdict == "warning" else []
    assert expected_warnings == warned(payload)
    assert ([] if verdict == "valid" else broken) == found(payload, strict=True)


@pytest.mark.parametrize(
    ("width", "height", "ok"), [(1536, 1344, True), (1536, 1408, False), (1472, 1472, False), (1024, 1024, True)]
)
def test_diffusion_area_is_at_most_sdxls(width: int, height: int, ok: bool) -> None:
    """width·height ≤ 2,073,600 (1536x1344 = 2,064,384 passes; 1536x1408 = 2,162,688 fails)."""
    payload = job({"type": "DIFFUSION", "diffusion": diffusion(width=width, height=height)})
    assert ([] if ok else [("tensorart.diffusion-area", "/stages/1/diffusion")]) == found(payload)


def test_nested_diffusion_area_is_checked_too() -> None:
    """The area bound applies to diffusion parameters nested in an upscaler."""
    upscale = with_nested_diffusion(UPSCALE)
    upscale["imageToUpscaler"]["diffusion"].update(width=1536, height=1536)
    assert [("tensorart.diffusion-area", "/stages/1/imageToUpscaler/diffusion")] == found(job(upscale))


# -- schema ranges and enums -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "good", "bad", "rule"),
    [
        ("width", 512, 448, "minimum"), ("width", 1536, 1600, "maximum"), ("height", 576, 600, "multiple-of"),
        ("steps", 10, 9, "minimum"), ("steps", 50, 51, "maximum"), ("cfgScale", 35, 35.5, "maximum"),
        ("sampler", "DPM++ 3M SDE Karras", "DPM++ 4M", "enum"),
        ("sdVae", "animevae.pt", "blessed2.vae.pt,animevae.pt", "enum"),
    ],
)  # fmt: skip
def test_diffusion_field_bounds(field: str, good: Any, bad: Any, rule: str) -> None:
    """Each documented diffusion bound passes at its edge and fails one past it."""
    assert [] == found(job({"type": "DIFFUSION", "diffusion": diffusion(**{field: good})}))
    assert [(rule, f"/stages/1/diffusion/{field}")] == found(
        job({"type": "DIFFUSION", "diffusion": diffusion(**{field: bad})})
    )


@pytest.mark.parametrize("missing", ["width", "height", "prompts", "sampler", "sdVae"])
def test_diffusion_required_fields(missing: str) -> None:
    """width, height, prompts (spec) and sampler, sdVae (server) are required: errors."""
    body = diffusion()
    del body[missing]
    assert [("required", "/stages/1/diffusion")] == found(job({"type": "DIFFUSION", "diffusion": body}))


@pytest.mark.parametrize("missing", ["sampler", "sdVae"])
def test_sampler_and_vae_are_required_although_the_spec_disputes_it(missing: str) -> None:
    """The spec marks sampler and sdVae optional, the official demo says the server requires them:
    the error carries the dispute, decided "error"."""
    body = diffusion()
    del body[missing]
    (violation,) = sdcontracts.validate("tensorart", job({"type": "DIFFUSION", "diffusion": body})).violations
    assert violation.dispute is not None
    assert ("tensorart.sampler-vae-required", "error") == (violation.dispute.id, violation.dispute.decision)
    assert ("spec", "demo") == violation.sources


def test_missing_negative_prompts_is_a_warning_an_error_when_strict() -> None:
    """negativePrompts: required by the spec, omitted by every doc example: a warning naming the
    dispute, and an error under strict=True."""
    body = diffusion()
    del body["negativePrompts"]
    payload = job({"type": "DIFFUSION", "diffusion": body})
    assert [] == found(payload)
    assert [("required", "/stages/1/diffusion", "tensorart.negative-prompts-required")] == warned(payload)
    assert [("required", "/stages/1/diffusion")] == found(payload, strict=True)


@pytest.mark.parametrize(
    ("seed", "ok"), [("0", True), (-1, True), ("4294967295", True), ("4294967296", False), ("abc", False)]
)
def test_seed_is_an_int64_number_or_string_up_to_uint32_max(seed: Any, ok: bool) -> None:
    """seed may be a number or a decimal string, at most 4294967295."""
    payload = job(DIFFUSION)
    payload["stages"][0]["inputInitialize"]["seed"] = seed
    assert ok == sdcontracts.validate("tensorart", payload).ok


def test_misspelt_field_gets_a_suggestion_in_either_spelling() -> None:
    """cfg_scal is unknown; the message points at cfgScale / cfg_scale."""
    body = diffusion()
    body["cfg_scal"] = 7
    (violation,) = sdcontracts.validate("tensorart", job({"type": "DIFFUSION", "diffusion": body})).violations
    assert ("unknown-field", "/stages/1/diffusion/cfg_scal") == (violation.rule, violation.path)
    assert "cfg_scale" in violation.message and "cfgScale" in violation.message


@pytest.mark.parametrize(
    "payload",
    [None, [], "job", {"stages": None}, {"stages": [None, 1, "x", []]}, {"requestId": 1, "stages": [{"type": 3}]},
     {"stages": [{"type": "DIFFUSION", "diffusion": []}]}, {"stages": [{"type": ["INPUT_INITIALIZE"]}]},
     {"stages": [{"type": "INPUT_INITIALIZE", "inputInitialize": {"count": "2"}},
                 {"type": "IMAGE_TO_UPSCALER", "imageToUpscaler": None}]}],
)  # fmt: skip
def test_rules_never_raise_on_malformed_jobs(payload: Any) -> None:
    """Whatever shape the job has, the rules report or skip; no internal-error."""
    report = sdcontracts.validate("tensorart", payload)
    assert not report.ok
    assert "internal-error" not in report.rules


@pytest.mark.parametrize(
    ("schema", "payload", "ok"),
    [
        ("resource.request", {"expireSec": "3600", "term": 1}, True),
        ("resource.request", {"expire_sec": 3600, "term": 3}, False),
        ("img2img.response", {"job": {"id": "685205102316761513", "status": "CREATED"}}, True),
        ("task.response", {"job": {"id": "1", "status": "WAITING", "waitingInfo": {"queueRank": "3"}}}, True),
        ("task.response", {"job": {"id": 1, "status": "RUNNING"}}, False),
        ("cancel.response", {"jobId": "685205102316761513"}, True),
        (
            "error",
            {"code": 3, "message": "params valid", "details": [{"@type": "type.googleapis.com/x", "message": "bad"}]},
            True,
        ),
    ],
)
def test_other_messages(schema: str, payload: Any, ok: bool) -> None:
    """Upload, job, cancel and error messages: ids are decimal strings, enums are names."""
    assert ok == sdcontracts.validate("tensorart", payload, schema=schema).ok
