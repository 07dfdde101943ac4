"""Tensor.Art: job schema, protobuf-JSON spellings, and every stage-workflow rule on both sides."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import sdcontracts
from sdcontracts._protojson import snake_name
from sdcontracts.rules.tensorart import Job


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


def upscale_to(x: int, y: int) -> dict[str, Any]:
    """An upscaler stage whose target size is hrResizeX x hrResizeY."""
    member = {"hrUpscaler": "Lanczos", "hrSecondPassSteps": 5, "denoisingStrength": 0.2, "hrResizeX": x, "hrResizeY": y}
    return {"type": "IMAGE_TO_UPSCALER", "imageToUpscaler": member}


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
    payload = job(DIFFUSION, upscale_to(x, y))
    broken = [("tensorart.upscaler-area", "/stages/2/imageToUpscaler")]
    assert (broken if verdict == "error" else []) == found(payload)
    expected_warnings = [(*broken[0], "tensorart.upscaler-area-limit")] if verdict == "warning" else []
    assert expected_warnings == warned(payload)
    assert ([] if verdict == "valid" else broken) == found(payload, strict=True)


def test_every_upscaler_area_is_checked_after_a_valid_one() -> None:
    """A valid upscaler stage does not end the check: a later one out of bounds is still an error."""
    assert [("tensorart.upscaler-area", "/stages/3/imageToUpscaler")] == found(
        job(DIFFUSION, upscale_to(512, 512), upscale_to(128, 1984))
    )


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


# -- the rules read every spelling, and skip what they cannot read ----------------------------


def messages(payload: Any, rule: str) -> list[tuple[str, str]]:
    """(pointer, message) of each finding of one rule, whatever else the report holds."""
    return [(v.path, v.message) for v in sdcontracts.validate("tensorart", payload).violations if v.rule == rule]


@pytest.mark.parametrize("member", ["imageToUpscaler", "image_to_upscaler"])
def test_latent_upscaler_spelt_snake_case_after_diffusion_is_a_violation(member: str) -> None:
    """hr_upscaler "Latent" after a DIFFUSION stage is caught at the snake_case key, whichever way the member is spelt."""
    body = {"hr_upscaler": "Latent (bicubic)", "hr_scale": 2, "hr_second_pass_steps": 10, "denoising_strength": 0.3}
    payload = job(DIFFUSION, {"type": "IMAGE_TO_UPSCALER", member: body})
    assert [("tensorart.latent-upscaler", f"/stages/2/{member}/hr_upscaler")] == found(payload)


def test_latent_upscaler_message_names_the_upscaler_and_the_alternative() -> None:
    """The message quotes the latent upscaler and suggests an image upscaler."""
    upscale = copy.deepcopy(UPSCALE)
    upscale["imageToUpscaler"]["hrUpscaler"] = "Latent"
    ((_, message),) = messages(job(DIFFUSION, upscale), "tensorart.latent-upscaler")
    assert message.startswith('hrUpscaler "Latent" is a latent upscaler') and "'4x-UltraSharp'" in message


def test_an_upscaler_name_merely_containing_latent_is_not_a_latent_upscaler() -> None:
    """Only names starting with "Latent" are the doc's latent upscalers."""
    upscale = copy.deepcopy(UPSCALE)
    upscale["imageToUpscaler"]["hrUpscaler"] = "4x-NotLatent"
    assert [] == messages(job(DIFFUSION, upscale), "tensorart.latent-upscaler")


def test_count_above_one_is_caught_when_input_initialize_is_not_the_first_stage() -> None:
    """Without DIFFUSION, a count of 3 on an INPUT_INITIALIZE given second is reported there (beside its misplacement)."""
    payload = job(with_nested_diffusion(UPSCALE), count=3)
    payload["stages"].reverse()
    assert [("tensorart.input-initialize-first", "/stages/1"),
            ("tensorart.count-without-diffusion", "/stages/1/inputInitialize/count")] == found(payload)  # fmt: skip


def test_count_rule_says_the_count_and_why_it_can_only_be_one() -> None:
    """The message gives the count sent and the reason."""
    payload = job(with_nested_diffusion(ADETAIL), count=4)
    assert [("/stages/0/inputInitialize/count",
             "inputInitialize.count is 4, but the job has no DIFFUSION stage, so it can only be 1")] == (
        messages(payload, "tensorart.count-without-diffusion")
    )  # fmt: skip


def test_count_rule_stays_quiet_when_a_stage_type_is_unknown() -> None:
    """A stage of unknown type might be a diffusion the rule cannot see: the schema reports the type, the count is left alone."""
    payload = job({"type": "IMAGE_TO_ANIMATE_DIFF", "imageToAnimateDiff": {}}, count=3)
    assert [] == messages(payload, "tensorart.count-without-diffusion")


def test_a_non_numeric_count_is_the_schemas_business_only() -> None:
    """count "3" is a type violation; the count rule does not report it again."""
    payload = job(with_nested_diffusion(UPSCALE))
    payload["stages"][0]["inputInitialize"]["count"] = "3"
    assert [("type", "/stages/0/inputInitialize/count")] == found(payload)


def test_missing_input_initialize_is_not_claimed_when_a_stage_type_is_unknown() -> None:
    """With a stage the rules cannot read, "no INPUT_INITIALIZE" is not claimed: that stage may be one, misspelt."""
    payload = {"requestId": "x", "stages": [DIFFUSION, {"type": "INPUT_INITIALISE", "inputInitialize": {}}]}
    assert [] == messages(payload, "tensorart.input-initialize-first")


def test_every_extra_input_initialize_is_reported() -> None:
    """Three INPUT_INITIALIZE stages: the second and the third are each reported."""
    payload = job(DIFFUSION)
    payload["stages"] += [copy.deepcopy(payload["stages"][0]) for _ in range(2)]
    assert [("/stages/2", "stage 2 is a second INPUT_INITIALIZE; a job has exactly one"),
            ("/stages/3", "stage 3 is a second INPUT_INITIALIZE; a job has exactly one")] == (
        messages(payload, "tensorart.input-initialize-first")
    )  # fmt: skip


def test_input_initialize_not_first_names_where_it_is() -> None:
    """The message says which stage INPUT_INITIALIZE is."""
    payload = job(DIFFUSION, UPSCALE)
    payload["stages"].append(payload["stages"].pop(0))
    assert [("/stages/2", "INPUT_INITIALIZE must be the first stage; here it is stage 2")] == (
        messages(payload, "tensorart.input-initialize-first")
    )


def test_every_diffusion_stage_after_the_first_is_reported() -> None:
    """Three DIFFUSION stages: the second and the third are reported."""
    assert [("tensorart.single-diffusion", "/stages/2"), ("tensorart.single-diffusion", "/stages/3")] == found(
        job(DIFFUSION, DIFFUSION, DIFFUSION)
    )


@pytest.mark.parametrize(
    ("stage", "message"),
    [({"type": "DIFFUSION"}, "stage 1 is DIFFUSION, whose parameters go in 'diffusion', but it does not carry it"),
     ({"type": "DIFFUSION", "image_to_upscaler": {}, "imageToAdetailer": {}},
      "stage 1 is DIFFUSION, whose parameters go in 'diffusion', but it carries 'image_to_upscaler', "
      "'imageToAdetailer' instead"),
     ({"type": "DEFAULT"}, "stage 1 has type DEFAULT, the unset value; use one of INPUT_INITIALIZE, DIFFUSION, "
      "IMAGE_TO_UPSCALER, IMAGE_TO_ADETAILER, IMAGE_TO_INPAINT")],
)  # fmt: skip
def test_stage_member_messages_say_what_the_stage_carries(stage: dict[str, Any], message: str) -> None:
    """A stage without its member says what it carries instead, or that it carries nothing; DEFAULT lists the types."""
    assert [message] == [m for _, m in messages(job(stage), "tensorart.stage-member")]


def test_an_extra_member_is_reported_by_name_once_each() -> None:
    """A DIFFUSION stage also carrying two other types' members is reported at each of them."""
    stage = {"type": "DIFFUSION", "diffusion": diffusion(), "imageToUpscaler": {}, "image_to_inpaint": {}}
    assert ["/stages/1/imageToUpscaler", "/stages/1/image_to_inpaint"] == [
        path for path, _ in messages(job(stage), "tensorart.stage-member")
    ]


def test_every_post_processing_stage_types_own_member_is_accepted() -> None:
    """Upscaler, ADetailer and inpaint stages each carry their own member without a stage-member finding."""
    assert [] == messages(job(DIFFUSION, UPSCALE, ADETAIL, INPAINT), "tensorart.stage-member")


@pytest.mark.parametrize(("stage", "member"), [(UPSCALE, "imageToUpscaler"), (INPAINT, "imageToInpaint")])
def test_nested_diffusion_in_snake_case_counts(stage: dict[str, Any], member: str) -> None:
    """A post-processing stage written in snake_case with its own diffusion needs nothing more."""
    own = with_nested_diffusion(stage)
    assert [] == found(job(snake_case_everything(own)))


def test_nested_diffusion_message_names_the_member() -> None:
    """The message says which stage lacks its diffusion and under which key it goes."""
    assert [("/stages/1/imageToAdetailer", "stage 1 (IMAGE_TO_ADETAILER) has no DIFFUSION stage before it, so "
             "imageToAdetailer.diffusion must give the original image's diffusion parameters")] == (
        messages(job(ADETAIL), "tensorart.nested-diffusion")
    )  # fmt: skip


def test_post_processing_member_that_is_not_an_object_is_left_to_the_schema() -> None:
    """imageToUpscaler [] is a type violation only: the rules needing its fields stay quiet."""
    assert [("type", "/stages/1/imageToUpscaler")] == found(job({"type": "IMAGE_TO_UPSCALER", "imageToUpscaler": []}))


def test_inpaint_mask_may_be_spelt_snake_case() -> None:
    """mask_image_resource_id is the mask, as maskImageResourceId is."""
    inpaint = copy.deepcopy(INPAINT)
    inpaint["imageToInpaint"]["mask_image_resource_id"] = inpaint["imageToInpaint"].pop("maskImageResourceId")
    assert [] == found(job(inpaint))


def test_inpaint_after_diffusion_without_mask_is_reported_with_how_to_fix_it() -> None:
    """After DIFFUSION an inpaint stage still needs its mask; the message says to upload one."""
    inpaint = {"type": "IMAGE_TO_INPAINT", "imageToInpaint": {"resizeMode": "JUST_RESIZE"}}
    assert [("/stages/2/imageToInpaint", "stage 2 inpaints but gives no maskImageResourceId; upload the mask (a JPEG "
             "of the source image's size) and pass its resource id")] == (
        messages(job(DIFFUSION, inpaint), "tensorart.inpaint-mask")
    )  # fmt: skip


@pytest.mark.parametrize(
    ("target", "expected"),
    [({"hr_scale": 2}, []), ({"hr_resize_x": 1024, "hr_resize_y": 1024}, []),
     ({"hr_resize_y": 1024}, ["the upscaler gives neither hrScale nor hrResizeX; give hrScale, or both hrResizeX and "
                              "hrResizeY"]),
     ({}, ["the upscaler gives neither hrScale nor hrResizeX and hrResizeY; give hrScale, or both hrResizeX and "
           "hrResizeY"])],
)  # fmt: skip
def test_upscaler_target_reads_snake_case_and_names_what_is_missing(
    target: dict[str, int], expected: list[str]
) -> None:
    """hr_scale, hr_resize_x and hr_resize_y count as their camelCase names; the message lists the sides missing."""
    upscale = {"type": "IMAGE_TO_UPSCALER",
               "imageToUpscaler": {"hrUpscaler": "Lanczos", "hrSecondPassSteps": 5, "denoisingStrength": 0.2, **target}}  # fmt: skip
    assert expected == [m for _, m in messages(job(DIFFUSION, upscale), "tensorart.upscaler-target")]


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [(448, 576, "hrResizeX x hrResizeY is 448 x 576 = 258,048 pixels; it must be 262,144 to 8,294,400"),
     (64 * 10**56, 128, f"hrResizeX x hrResizeY is {64 * 10**56} x 128 = {64 * 10**56 * 128:,} pixels; "
                        "it must be 262,144 to 8,294,400"),
     (64 * 10**58, 128, f"hrResizeX x hrResizeY is {64 * 10**58} x 128 = an integer of 62 digits pixels; "
                        "it must be 262,144 to 8,294,400"),
     (64 * 10**70, 128, "hrResizeX x hrResizeY is an integer of 72 digits x 128 = an integer of 74 digits pixels; "
                        "it must be 262,144 to 8,294,400")],
)  # fmt: skip
def test_upscaler_area_message_gives_the_area_even_for_absurd_sizes(x: int, y: int, message: str) -> None:
    """The area is printed with thousands separators; one too long to print is described by its digits. An
    area outside both readings is an error stating what is accepted by default (up to async-tensorart's 8,294,400)."""
    upscale = {"type": "IMAGE_TO_UPSCALER",
               "image_to_upscaler": {"hr_upscaler": "Lanczos", "hr_second_pass_steps": 5, "denoising_strength": 0.2,
                                     "hr_resize_x": x, "hr_resize_y": y}}  # fmt: skip
    assert [("/stages/2/image_to_upscaler", message)] == messages(job(DIFFUSION, upscale), "tensorart.upscaler-area")


@pytest.mark.parametrize(("x", "y"), [(64, 65536), (128, 1000), (512.0, 512.5), (True, 512), ("512", 512)])
def test_upscaler_area_skips_sides_the_schema_reports(x: Any, y: Any) -> None:
    """A side below 128, not a multiple of 64, not whole or not a number is the schema's to report; no area is computed."""
    upscale = {"type": "IMAGE_TO_UPSCALER",
               "imageToUpscaler": {"hrUpscaler": "Lanczos", "hrSecondPassSteps": 5, "denoisingStrength": 0.2,
                                   "hrResizeX": x, "hrResizeY": y}}  # fmt: skip
    assert [] == messages(job(DIFFUSION, upscale), "tensorart.upscaler-area")


def test_diffusion_area_message_and_snake_case_nested_diffusion() -> None:
    """A nested diffusion spelt snake_case is checked at its own key; the message gives the area and both bounds."""
    upscale = with_nested_diffusion(UPSCALE)
    upscale["imageToUpscaler"]["diffusion"].update(width=1536, height=1536)
    assert [("/stages/1/image_to_upscaler/diffusion", "width x height is 1536 x 1536 = 2,359,296 pixels; at most "
             "2,073,600 (SDXL; 1,048,576 on 512 and 768 engines)")] == (
        messages(job(snake_case_everything(upscale)), "tensorart.diffusion-area")
    )  # fmt: skip


@pytest.mark.parametrize(("width", "height"), [(1600, 1600), (448, 4096), (1536.0, 1536.5)])
def test_diffusion_area_skips_sides_out_of_their_own_range(width: Any, height: Any) -> None:
    """A side above 1536, below 512 or not whole is the schema's violation; the area rule adds nothing."""
    payload = job({"type": "DIFFUSION", "diffusion": diffusion(width=width, height=height)})
    assert [] == messages(payload, "tensorart.diffusion-area")


@pytest.mark.parametrize(
    ("stage", "extra"),
    [({"type": "IMAGE_TO_UPSCALER", "imageToUpscaler": UPSCALE["imageToUpscaler"]}, "diffusion"),
     ({"type": "IMAGE_TO_INPAINT", "imageToInpaint": INPAINT["imageToInpaint"]}, "input_initialize"),
     ({"type": "INPUT_INITIALIZE", "inputInitialize": {"count": 1}}, "imageToAdetailer")],
)  # fmt: skip
def test_a_stage_carrying_any_other_types_member_is_reported_there(stage: dict[str, Any], extra: str) -> None:
    """Whichever type the stage is and whichever other type's member it also carries, that member is reported."""
    payload = job(DIFFUSION, {**copy.deepcopy(stage), extra: {}})
    assert [f"/stages/2/{extra}"] == [path for path, _ in messages(payload, "tensorart.stage-member")]


def test_stages_after_one_of_unknown_type_are_still_checked() -> None:
    """A stage the rules cannot read does not hide the stages after it: a second DIFFUSION after it is reported."""
    payload = job(DIFFUSION, {"type": "IMAGE_TO_ANIMATE_DIFF"}, DIFFUSION)
    assert [("tensorart.single-diffusion", "/stages/3")] == [
        (v.rule, v.path)
        for v in sdcontracts.validate("tensorart", payload).violations
        if v.rule.startswith("tensorart.")
    ]


def test_stages_after_a_default_stage_or_one_without_its_member_are_still_checked() -> None:
    """A DEFAULT stage and a stage lacking its member are reported, and so is a stage after them carrying an extra member."""
    extra = {"type": "IMAGE_TO_UPSCALER", "imageToUpscaler": UPSCALE["imageToUpscaler"], "imageToAdetailer": {}}
    payload = job({"type": "DEFAULT"}, {"type": "DIFFUSION"}, extra)
    assert ["/stages/1/type", "/stages/2", "/stages/3/imageToAdetailer"] == [
        p for p, _ in messages(payload, "tensorart.stage-member")
    ]


def test_a_member_given_in_both_spellings_is_read_in_its_first_the_one_not_flagged_as_duplicate() -> None:
    """imageToUpscaler then image_to_upscaler: the second is the duplicate; the rules read the first (here, a latent upscaler)."""
    latent = {**UPSCALE["imageToUpscaler"], "hrUpscaler": "Latent"}
    payload = job(DIFFUSION, {"type": "IMAGE_TO_UPSCALER", "imageToUpscaler": latent,
                              "image_to_upscaler": UPSCALE["imageToUpscaler"]})  # fmt: skip
    assert [("duplicate-field", "/stages/2/image_to_upscaler"),
            ("tensorart.latent-upscaler", "/stages/2/imageToUpscaler/hrUpscaler")] == found(payload)  # fmt: skip


@pytest.mark.parametrize("stage", [{"type": "INPUT_INITIALIZE", "inputInitialize": {"count": 1}}, ADETAIL, INPAINT])
def test_hr_upscaler_outside_an_upscaler_stage_is_only_an_unknown_field(stage: dict[str, Any]) -> None:
    """hrUpscaler "Latent" in another stage's member after DIFFUSION is one unknown-field, not also a latent-upscaler."""
    stage = copy.deepcopy(stage)
    member = next(k for k in stage if k != "type")
    stage[member]["hrUpscaler"] = "Latent"
    assert [] == messages(job(DIFFUSION, stage), "tensorart.latent-upscaler")


def test_every_diffusion_is_area_checked_whatever_stage_comes_before() -> None:
    """A member that is not an object, or a DIFFUSION stage, before them does not hide later diffusions from the area rule."""
    nested = with_nested_diffusion(UPSCALE)
    nested["imageToUpscaler"]["diffusion"].update(width=1536, height=1536)
    too_big = {"type": "DIFFUSION", "diffusion": diffusion(width=1536, height=1536)}
    payload = job({"type": "IMAGE_TO_ADETAILER", "imageToAdetailer": []}, too_big, nested)
    assert ["/stages/2/diffusion", "/stages/3/imageToUpscaler/diffusion"] == [
        p for p, _ in messages(payload, "tensorart.diffusion-area")
    ]


@pytest.mark.parametrize("order", ["default-first", "default-after"])
def test_a_default_stage_beside_one_diffusion_is_not_a_second_diffusion(order: str) -> None:
    """A DEFAULT stage is reported as DEFAULT only: with one DIFFUSION stage, single-diffusion finds nothing."""
    default = {"type": "DEFAULT"}
    payload = job(default, DIFFUSION) if order == "default-first" else job(DIFFUSION, default)
    assert [] == messages(payload, "tensorart.single-diffusion")


# -- the job view the mock and the strategies read ---------------------------------------------------


def test_a_stages_diffusion_is_its_own_member_or_the_one_nested_in_it() -> None:
    """A DIFFUSION stage runs with its member; another stage with the diffusion nested in its member, if any."""
    view = Job.of(job(DIFFUSION, with_nested_diffusion(UPSCALE), UPSCALE))
    assert view is not None
    assert [None, diffusion(), diffusion(), None] == [stage.diffusion for stage in view.stages]


@pytest.mark.parametrize("spell", [lambda payload: payload, snake_case_everything], ids=["camel", "snake"])
def test_the_job_names_its_image_resources_as_spelt_source_first(spell: Any) -> None:
    """resources lists the source image and the inpaint mask, each under the key the payload spells it with."""
    view = Job.of(spell(job(INPAINT)))
    assert view is not None
    keys = [spell({name: 1}).popitem()[0] for name in ("imageResourceId", "maskImageResourceId")]
    assert [(0, keys[0], "imageResourceId"), (1, keys[1], "maskImageResourceId")] == [
        (stage.index, key, name) for stage, key, name in view.resources()
    ]


@pytest.mark.parametrize("spell", [str, snake_name], ids=["lowerCamel", "snake_case"])
def test_a_stage_reads_its_members_fields_in_either_spelling(spell: Any) -> None:
    """`Stage.get` (what the mock reads uploads and sizes through): the field as asked for or in its
    other protobuf spelling; None when absent, null, or the member is no object."""
    member = {spell("imageResourceId"): "img-9", spell("count"): 2, spell("seed"): None}
    view = Job.of(
        {
            "stages": [
                {"type": "INPUT_INITIALIZE", spell("inputInitialize"): member},
                {"type": "DIFFUSION", "diffusion": [1]},
            ]
        }
    )
    assert view is not None
    first, second = view.stages
    assert ("img-9", 2, None, None, None) == (
        first.get("imageResourceId"),
        first.get("count"),
        first.get("seed"),
        first.get("maskImageResourceId"),
        second.get("width"),
    )


@pytest.mark.parametrize("kind", ["CONTROLNET", "", "default", "DEFAULTS", "IMAGE_TO_ANIMATE_DIFF", 7])
def test_a_stage_of_unknown_type_leaves_the_job_view_incomplete_wherever_it_sorts(kind: Any) -> None:
    """Only the known types and DEFAULT are read; any other (before or after "DEFAULT" in order) is
    left out, and the view says it is incomplete."""
    view = Job.of({"stages": [{"type": kind}, {"type": "DEFAULT"}]})
    assert view is not None
    assert (False, ["DEFAULT"], [None]) == (
        view.complete,
        [stage.type for stage in view.stages],
        [stage.member_key for stage in view.stages],
    )
