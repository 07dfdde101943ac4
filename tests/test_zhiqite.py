"""Zhiqite Img Open: every documented bound on both sides, enums, required fields, the query schemas."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

import sdcontracts
from sdcontracts import _catalogue
from sdcontracts._pointer import parts
from sdcontracts.rules import rules_for

SCRIPTS = "/alwayson_scripts"
UNIT = "/alwayson_scripts/controlnet/args/0"
SCHEMA = _catalogue.raw_schema("zhiqite", "img2img.request")
SAMPLERS: list[str] = SCHEMA["properties"]["sampler_index"]["enum"]

# The doc's example (prompts shortened, URLs replaced) with its three defects fixed: batch_size and
# resize_mode added, seed an integer.
VALID: dict[str, Any] = {
    "prompt": "{best quality}, {{masterpiece}}, {highres}, original, 1girl , kneeling down, from below",
    "n_iter": 1, "batch_size": 1, "steps": 25, "seed": 1221212, "restore_faces": False, "enable_hr": False,
    "hr_scale": 2, "width": 768, "height": 768, "negative_prompt": "(nsfw:1.5), (worst quality, low quality:1.4)",
    "cfg_scale": 11, "sampler_index": "DPM++ 2M Karras", "hr_second_pass_steps": 20, "hr_resize_x": 1024,
    "hr_resize_y": 1024, "denoising_strength": 0.55, "resize_mode": 0,
    "alwayson_scripts": {
        "sd_model_checkpoint": "revAnimated_v122_7371.safetensors", "id_task": "pro1686666",
        "sd_vae": "vae-ft-mse-840000-ema-pruned.vae.pt", "image_link": "https://example.com/base.png",
        "controlnet": {
            "args": [
                {
                    "image_link": "https://example.com/QR_Code4.png", "enabled": True,
                    "module": "inpaint_global_harmonious", "model": "control_v1p_sd15_brightness", "weight": 0.7,
                    "resize_mode": "Crop and Resize", "low_vram": False, "processor_res": 512, "threshold_a": 64,
                    "threshold_b": 64, "guidance_start": 0.35, "guidance_end": 0.75, "pixel_perfect": True,
                    "control_mode": "Balanced",
                }
            ]
        },
    },
}  # fmt: skip

QUERY_REPLY: dict[str, Any] = {
    "code": "200", "msg": "success",
    "data": {
        "id_task": "pro1686666", "status": 2, "desc": "任务成功 !", "temporaryImageDto": None,
        "differentialImageRspList": [
            {
                "img_audit": [{"confidence": None, "label": "nonLabel"}], "img_audit_status": True,
                "image_status": 1, "image_url": "https://example.com/out.png", "seed": 1063029203,
            }
        ],
    },
}  # fmt: skip


def _parent(payload: Any, pointer: str) -> tuple[Any, str]:
    *path, last = parts(pointer)
    for token in path:
        payload = payload[int(token) if isinstance(payload, list) else token]
    return payload, last


def changed(pointer: str, value: Any, base: Any = VALID) -> Any:
    """A copy of ``base`` with the value at ``pointer`` set (an object member is added if absent)."""
    payload = copy.deepcopy(base)
    parent, last = _parent(payload, pointer)
    parent[int(last) if isinstance(parent, list) else last] = value
    return payload


def without(pointer: str, base: Any = VALID) -> Any:
    """A copy of ``base`` without the object member at ``pointer``."""
    payload = copy.deepcopy(base)
    parent, last = _parent(payload, pointer)
    del parent[last]
    return payload


def found(payload: Any, schema: str = "img2img.request") -> list[tuple[str, str]]:
    return [(v.rule, v.path) for v in sdcontracts.validate("zhiqite", payload, schema=schema).violations]


def only(payload: Any, schema: str = "img2img.request") -> sdcontracts.Violation:
    (violation,) = sdcontracts.validate("zhiqite", payload, schema=schema).violations
    return violation


# -- img2img.request: the fixture and the minimum ----------------------------------------------


def test_doc_example_with_its_defects_fixed_is_valid() -> None:
    """The doc's example, with batch_size and resize_mode added and an integer seed, validates."""
    assert [] == found(VALID)


def test_request_with_only_the_required_fields_is_valid() -> None:
    """prompt, batch_size, resize_mode and alwayson_scripts {sd_model_checkpoint, id_task, controlnet} suffice."""
    minimal = {
        "prompt": "a cat", "batch_size": 1, "resize_mode": 1,
        "alwayson_scripts": {"sd_model_checkpoint": "model.safetensors", "id_task": "t1", "controlnet": {}},
    }  # fmt: skip
    assert [] == found(minimal)


# -- ranges and multiples of 8 -----------------------------------------------------------------

SIZES = [("/width", 128, 1024), ("/height", 128, 1024), ("/hr_resize_x", 128, 2048), ("/hr_resize_y", 128, 2048)]


@pytest.mark.parametrize(("pointer", "low", "high"), SIZES)
def test_sizes_pass_at_both_bounds_and_fail_one_step_of_8_past(pointer: str, low: int, high: int) -> None:
    """[min, max] is inclusive; the nearest multiples of 8 outside it break only the bound."""
    assert [] == found(changed(pointer, low)) == found(changed(pointer, high))
    assert [("minimum", pointer)] == found(changed(pointer, low - 8))
    assert [("maximum", pointer)] == found(changed(pointer, high + 8))


@pytest.mark.parametrize(("pointer", "low", "high"), SIZES)
def test_sizes_one_past_the_bounds_break_the_bound_and_the_multiple_of_8(pointer: str, low: int, high: int) -> None:
    """min-1 and max+1 are out of range and not multiples of 8: two violations, one per constraint."""
    assert [("minimum", pointer), ("multiple-of", pointer)] == found(changed(pointer, low - 1))
    assert [("maximum", pointer), ("multiple-of", pointer)] == found(changed(pointer, high + 1))


@pytest.mark.parametrize("pointer", [p for p, _, _ in SIZES])
@pytest.mark.parametrize(("value", "ok"), [(512, True), (1016, True), (516, False), (1020, False), (129, False)])
def test_sizes_must_be_multiples_of_8(pointer: str, value: int, ok: bool) -> None:
    """512 and 1016 pass; 516, 1020 and 129 are in range but fail multiple-of (且为8的倍数)."""
    assert ([] if ok else [("multiple-of", pointer)]) == found(changed(pointer, value))


def test_multiple_of_8_violation_says_so() -> None:
    """The message names the value and the step, and the doc reference quotes the table."""
    violation = only(changed("/width", 516))
    assert ("multiple-of", "/width", 8) == (violation.rule, violation.path, violation.expected)
    assert "width is 516, not a multiple of 8" == violation.message
    assert "[128,1024] 且为8的倍数" in violation.doc


@pytest.mark.parametrize("pointer", [p for p, _, _ in SIZES])
def test_sizes_with_a_fraction_are_type_violations(pointer: str) -> None:
    """Sizes are integers: 512.5 is a type violation, reported once."""
    assert [("type", pointer)] == found(changed(pointer, 512.5))


@pytest.mark.parametrize("value", [1, 1.0, 6, 7.5, 11, 12, 29.99, 30])
def test_cfg_scale_takes_any_number_from_1_to_30(value: float) -> None:
    """cfg_scale is a number in [1,30] (fractions warned about); the suggested [7,11] (建议值) is advice, so 6 and 12 pass."""
    assert [] == found(changed("/cfg_scale", value))


@pytest.mark.parametrize(("value", "rule"), [(0.999, "minimum"), (0, "minimum"), (30.001, "maximum"), (31, "maximum")])
def test_cfg_scale_outside_1_to_30_fails(value: float, rule: str) -> None:
    """Just below 1 and just above 30 (integer and fractional) break the bound."""
    violation = only(changed("/cfg_scale", value))
    assert (rule, "/cfg_scale") == (violation.rule, violation.path)
    assert "(allowed: 1 to 30)" in violation.message


# -- enums ---------------------------------------------------------------------------------------


def test_sampler_list_is_the_17_documented_names_without_an_empty_one() -> None:
    """The doc's list ends with a trailing comma; it is read as 17 names, not 17 plus an empty value."""
    assert 17 == len(SAMPLERS) == len(set(SAMPLERS))
    assert ("Euler a", "DPM++ 2M Karras") == (SAMPLERS[0], SAMPLERS[-1])
    assert [("enum", "/sampler_index")] == found(changed("/sampler_index", ""))


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_every_documented_sampler_is_accepted(sampler: str) -> None:
    """Each of the 17 sampler names validates."""
    assert [] == found(changed("/sampler_index", sampler))


@pytest.mark.parametrize(
    ("sampler", "suggestion"),
    [("euler a", "Euler a"), ("Euler A", "Euler a"), ("DPM++ 2M karras", "DPM++ 2M Karras"),
     ("DPM++ 2M Karras,", "DPM++ 2M Karras"), ("dpm++ sde karras", "DPM++ SDE Karras")],
)  # fmt: skip
def test_sampler_near_misses_are_rejected_with_a_suggestion(sampler: str, suggestion: str) -> None:
    """A case slip or a stray comma is not a sampler; the message suggests the documented name."""
    violation = only(changed("/sampler_index", sampler))
    assert ("enum", "/sampler_index") == (violation.rule, violation.path)
    assert violation.message.endswith(f'did you mean "{suggestion}"?')


@pytest.mark.parametrize("sampler", ["DDIM", "UniPC", "PLMS", "Euler_a_"])
def test_samplers_other_providers_list_are_rejected(sampler: str) -> None:
    """DDIM, UniPC and PLMS are in Novita's list but not in Zhiqite's."""
    assert [("enum", "/sampler_index")] == found(changed("/sampler_index", sampler))


@pytest.mark.parametrize("mode", [0, 1, 2, 3, 1.0])
def test_every_documented_resize_mode_is_accepted(mode: float) -> None:
    """0 Just Resize, 1 Crop and Resize, 2 Resize and Fill, 3 Just resize (latent upscale); 1.0 is the number 1."""
    assert [] == found(changed("/resize_mode", mode))


@pytest.mark.parametrize(
    ("mode", "rule"),
    [(4, "enum"), (-1, "enum"), (1.5, "enum"), ("1", "type"), ("Crop and Resize", "type"), (True, "type"),
     (None, "type")],
)  # fmt: skip
def test_resize_mode_near_misses_are_rejected(mode: Any, rule: str) -> None:
    """Numbers outside 0..3 break the enum; the ControlNet unit's string form or a boolean is a type error."""
    assert [(rule, "/resize_mode")] == found(changed("/resize_mode", mode))


def test_controlnet_unit_resize_mode_is_a_name_not_a_number() -> None:
    """Inside a unit resize_mode is a string ("Crop and Resize"), unlike the top-level number."""
    assert [] == found(changed(f"{UNIT}/resize_mode", "Just Resize"))
    assert [("type", f"{UNIT}/resize_mode")] == found(changed(f"{UNIT}/resize_mode", 1))


@pytest.mark.parametrize("fmt", ["jpg", "png"])
def test_output_image_format_is_jpg_or_png(fmt: str) -> None:
    """The doc names jpg (the default) and png."""
    assert [] == found(changed(f"{SCRIPTS}/output_image_format", fmt))


@pytest.mark.parametrize(("fmt", "suggestion"), [("jpeg", "jpg"), ("PNG", "png"), ("webp", None)])
def test_other_output_formats_are_rejected(fmt: str, suggestion: str | None) -> None:
    """jpeg, PNG and webp are not documented; a near miss gets the documented spelling suggested."""
    violation = only(changed(f"{SCRIPTS}/output_image_format", fmt))
    assert ("enum", f"{SCRIPTS}/output_image_format") == (violation.rule, violation.path)
    assert (suggestion is not None) == ("did you mean" in violation.message)
    if suggestion is not None:
        assert violation.message.endswith(f'did you mean "{suggestion}"?')


# -- required fields -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pointer", "parent", "name"),
    [("/prompt", "", "prompt"), ("/alwayson_scripts", "", "alwayson_scripts"),
     (f"{SCRIPTS}/sd_model_checkpoint", SCRIPTS, "sd_model_checkpoint"), (f"{SCRIPTS}/id_task", SCRIPTS, "id_task"),
     (f"{SCRIPTS}/controlnet", SCRIPTS, "controlnet")],
)  # fmt: skip
def test_each_required_field_is_reported_at_its_parent(pointer: str, parent: str, name: str) -> None:
    """Each field the table marks 必需 (and the example gives) is required, at the level the example puts it."""
    violation = only(without(pointer))
    assert ("required", parent, name) == (violation.rule, violation.path, violation.expected)
    assert f"missing the required field '{name}'" in violation.message


@pytest.mark.parametrize("name", ["batch_size", "resize_mode"])
def test_batch_size_and_resize_mode_missing_is_a_warning_as_the_doc_example_omits_them(name: str) -> None:
    """The table marks them 必需, the doc's own example omits both: their absence is a warning
    naming the dispute, an error under strict=True."""
    report = sdcontracts.validate("zhiqite", without(f"/{name}"))
    assert report.ok
    (warning,) = report.warnings
    assert ("required", "", name, "warning") == (warning.rule, warning.path, warning.expected, warning.severity)
    assert "zhiqite.batch-size-resize-mode-required" == warning.dispute.id  # type: ignore[union-attr]
    assert [("required", "")] == [
        (v.rule, v.path) for v in sdcontracts.validate("zhiqite", without(f"/{name}"), strict=True)
    ]


@pytest.mark.parametrize(
    "pointer",
    ["/n_iter", "/steps", "/seed", "/restore_faces", "/enable_hr", "/hr_scale", "/width", "/height",
     "/negative_prompt", "/cfg_scale", "/sampler_index", "/hr_second_pass_steps", "/hr_resize_x", "/hr_resize_y",
     "/denoising_strength", f"{SCRIPTS}/sd_vae", f"{SCRIPTS}/image_link", f"{SCRIPTS}/controlnet/args",
     *(f"{UNIT}/{key}" for key in VALID["alwayson_scripts"]["controlnet"]["args"][0])],
)  # fmt: skip
def test_fields_marked_optional_may_be_omitted(pointer: str) -> None:
    """Fields marked 可选, controlnet.args and every ControlNet unit key (the doc marks none) may be left out."""
    assert [] == found(without(pointer))


# -- unknown fields --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parent", "key", "suggestion"),
    [("", "sampler_name", "sampler_index"), ("", "sampler", "sampler_index"), ("", "guidance_scale", "cfg_scale"),
     ("", "negativePrompt", "negative_prompt"), ("", "batchSize", "batch_size"),
     (SCRIPTS, "task_id", "id_task"), (SCRIPTS, "businessTaskId", "id_task"), (SCRIPTS, "vae", "sd_vae"),
     (SCRIPTS, "model_name", "sd_model_checkpoint"), (UNIT, "image", "image_link"), (UNIT, "lowvram", "low_vram")],
)  # fmt: skip
def test_unknown_fields_get_the_documented_name_suggested(parent: str, key: str, suggestion: str) -> None:
    """A misspelt key, or another provider's name for a field, is unknown; the message suggests Zhiqite's."""
    violation = only(changed(f"{parent}/{key}", 1))
    assert ("unknown-field", f"{parent}/{key}", suggestion) == (violation.rule, violation.path, violation.expected)
    assert violation.message.endswith(f"did you mean {suggestion!r}?")


def test_checkpoint_at_the_top_level_is_unknown_and_missing_from_alwayson_scripts() -> None:
    """sd_model_checkpoint belongs inside alwayson_scripts: moved to the top it is unknown there and missing inside."""
    payload = without(f"{SCRIPTS}/sd_model_checkpoint", changed("/sd_model_checkpoint", "model.safetensors"))
    missing, unknown = sorted(sdcontracts.validate("zhiqite", payload).violations, key=lambda v: v.rule)
    assert ("unknown-field", "/sd_model_checkpoint") == (unknown.rule, unknown.path)
    assert "alwayson_scripts" in unknown.message  # among the allowed fields listed
    assert ("required", SCRIPTS, "sd_model_checkpoint") == (missing.rule, missing.path, missing.expected)


def test_checkpoint_at_the_top_level_is_pointed_to_alwayson_scripts() -> None:
    """The unknown-field message for a top-level sd_model_checkpoint names alwayson_scripts.sd_model_checkpoint."""
    violation = only(changed("/sd_model_checkpoint", "model.safetensors"))
    assert "alwayson_scripts.sd_model_checkpoint" == violation.expected
    assert violation.message.endswith("it belongs in alwayson_scripts.sd_model_checkpoint")


@pytest.mark.parametrize(
    ("key", "value"),
    [("sd_model_checkpoint", "m.safetensors"), ("override_settings", {}), ("id_task", "t1"), ("sd_vae", "v.pt"),
     ("output_image_format", "png"), ("image_link", "https://example.com/a.png"), ("controlnet", {"args": []})],
)  # fmt: skip
def test_fields_the_table_lists_flat_are_accepted_only_inside_alwayson_scripts(key: str, value: Any) -> None:
    """The seven fields listed after alwayson_scripts live inside it (as in the example), not at the top level."""
    assert [] == found(changed(f"{SCRIPTS}/{key}", value))
    assert [("unknown-field", f"/{key}")] == found(changed(f"/{key}", value))


# -- types ---------------------------------------------------------------------------------------


def test_seed_as_a_string_is_a_warning_an_error_when_strict() -> None:
    """The table types seed as integer; the example's "1221212" and the English field list send a
    string: a type warning naming the dispute and its sources, an error under strict=True."""
    report = sdcontracts.validate("zhiqite", changed("/seed", "1221212"))
    assert report.ok
    (warning,) = report.warnings
    assert ("type", "/seed", ["integer"]) == (warning.rule, warning.path, warning.expected)
    assert warning.message.startswith('seed must be an integer, not a string ("1221212"); the sources disagree: ')
    assert ("doc", "img2img-ref") == warning.sources
    strict = sdcontracts.validate("zhiqite", changed("/seed", "1221212"), strict=True)
    assert [("type", "/seed", "error")] == [(v.rule, v.path, v.severity) for v in strict.violations]


def test_seed_of_neither_reading_is_an_error_naming_what_either_accepts() -> None:
    """A boolean seed is an integer by neither reading nor a string: an error, saying both are accepted."""
    violation = only(changed("/seed", True))
    assert ("type", "error", ["integer", "string"]) == (violation.rule, violation.severity, violation.expected)
    assert "seed must be an integer or a string, not a boolean (true)" == violation.message
    assert violation.dispute is None


def test_cfg_scale_with_a_fraction_is_a_warning_as_the_field_lists_disagree() -> None:
    """The seed page types cfg_scale as number, the English field list as integer: 7.5 is a warning."""
    report = sdcontracts.validate("zhiqite", changed("/cfg_scale", 7.5))
    assert report.ok
    assert [("type", "/cfg_scale", "zhiqite.cfg-scale-fraction")] == [
        (w.rule, w.path, w.dispute.id if w.dispute else "") for w in report.warnings
    ]


@pytest.mark.parametrize(
    ("pointer", "value"),
    [("/seed", -1), ("/seed", 0), ("/seed", 2**32), ("/steps", 0), ("/steps", 1000), ("/n_iter", 0),
     ("/batch_size", 100), ("/hr_scale", 8), ("/hr_second_pass_steps", 0), ("/denoising_strength", 1.5),
     ("/prompt", ""), (f"{UNIT}/weight", 5), (f"{UNIT}/guidance_end", 2), (f"{UNIT}/threshold_a", 0.5),
     (f"{UNIT}/processor_res", -1)],
)  # fmt: skip
def test_fields_without_a_documented_range_take_any_value_of_their_type(pointer: str, value: Any) -> None:
    """Nothing invented: where the doc gives no range (seed, steps, denoising_strength, unit keys…) none applies."""
    assert [] == found(changed(pointer, value))


@pytest.mark.parametrize(
    ("pointer", "value"),
    [("/prompt", 1), ("/n_iter", "1"), ("/batch_size", 1.5), ("/steps", 25.5), ("/restore_faces", "false"),
     ("/enable_hr", 0), ("/hr_scale", 1.5), ("/negative_prompt", None), ("/cfg_scale", "7"),
     ("/sampler_index", 1), ("/denoising_strength", "0.5"), (f"{SCRIPTS}/sd_model_checkpoint", 1),
     (f"{SCRIPTS}/id_task", 1686666), (f"{SCRIPTS}/override_settings", []), (f"{SCRIPTS}/sd_vae", None),
     (f"{SCRIPTS}/output_image_format", 1), (f"{SCRIPTS}/image_link", ["https://example.com/a.png"]),
     (f"{SCRIPTS}/controlnet", []), (f"{SCRIPTS}/controlnet/args", {}), (UNIT, "unit"),
     (f"{UNIT}/image_link", None), (f"{UNIT}/enabled", "true"), (f"{UNIT}/module", 1), (f"{UNIT}/model", 1),
     (f"{UNIT}/weight", "0.7"), (f"{UNIT}/low_vram", 0), (f"{UNIT}/processor_res", 512.5),
     (f"{UNIT}/threshold_a", "64"), (f"{UNIT}/threshold_b", None), (f"{UNIT}/guidance_start", "0.35"),
     (f"{UNIT}/guidance_end", False), (f"{UNIT}/pixel_perfect", "true"), (f"{UNIT}/control_mode", 0)],
)  # fmt: skip
def test_a_value_of_the_wrong_type_is_one_type_violation_at_its_pointer(pointer: str, value: Any) -> None:
    """Every field's type is checked, at every level, and reported once at the value."""
    assert [("type", pointer)] == found(changed(pointer, value))


def test_override_settings_takes_any_object() -> None:
    """override_settings is free-form: the doc gives it no keys."""
    settings = {"CLIP_stop_at_last_layers": 2, "sd_model_checkpoint": "x", "nested": {"a": [1, None]}}
    assert [] == found(changed(f"{SCRIPTS}/override_settings", settings))


@pytest.mark.parametrize("args", [[], [{}], [VALID["alwayson_scripts"]["controlnet"]["args"][0]] * 3])
def test_controlnet_takes_any_number_of_units(args: list[Any]) -> None:
    """No unit count or required unit key is documented: none, an empty unit or three units validate."""
    assert [] == found(changed(f"{SCRIPTS}/controlnet/args", args))


# -- never raises ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [(None, [("type", "")]), ([], [("type", "")]), ("x", [("type", "")]), (7, [("type", "")]),
     (changed("/alwayson_scripts", None), [("type", SCRIPTS)]),
     (changed("/alwayson_scripts", []), [("type", SCRIPTS)]),
     (changed(f"{SCRIPTS}/controlnet", "x"), [("type", f"{SCRIPTS}/controlnet")]),
     (changed(f"{SCRIPTS}/controlnet/args", None), [("type", f"{SCRIPTS}/controlnet/args")]),
     (changed(f"{SCRIPTS}/controlnet/args", [None, 1, "x", []]),
      [("type", f"{SCRIPTS}/controlnet/args/{i}") for i in range(4)]),
     (changed("/width", math.nan), [("not-json", "/width")]),
     (changed("/prompt", b"bytes"), [("not-json", "/prompt")])],
)  # fmt: skip
def test_wrong_types_at_every_level_are_reported_not_raised(payload: Any, expected: list[tuple[str, str]]) -> None:
    """None, a list or a scalar at the root or at any nested object gives violations, not an exception."""
    assert expected == found(payload)


@pytest.mark.parametrize("schema", sdcontracts.schemas("zhiqite"))
@pytest.mark.parametrize(
    "payload",
    [None, [], "x", 0, True, 1.5, math.inf, b"x", {1, 2}, {1: "x"}, {"data": []}, {"data": {"x": {1: 2}}},
     {"alwayson_scripts": {"controlnet": {"args": [None, {"weight": {}}]}}},
     {"data": {"differentialImageRspList": [None, {"img_audit": "x"}, {"img_audit": [None, {"confidence": "x"}]}]}},
     [VALID] * 3, changed("/prompt", object())],
)  # fmt: skip
def test_validate_never_raises(schema: str, payload: Any) -> None:
    """Any value given to any Zhiqite schema yields a Report."""
    report = sdcontracts.validate("zhiqite", payload, schema=schema)
    assert isinstance(report, sdcontracts.Report)


# -- img2img.response, error -----------------------------------------------------------------------

SUBMITTED = {"code": "200", "msg": "success", "data": {"task_id": "pro1686666"}}


def test_submit_response_example_is_valid_and_open() -> None:
    """The doc's reply validates, and extra fields at any level are accepted (responses are open)."""
    assert [] == found(SUBMITTED, "img2img.response")
    extended = changed("/data/queue", 3, changed("/traceId", "abc", SUBMITTED))
    assert [] == found(extended, "img2img.response")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [(changed("/code", 200, SUBMITTED), [("type", "/code")]),
     (without("/msg", SUBMITTED), [("required", "")]), (without("/data", SUBMITTED), [("required", "")]),
     (without("/data/task_id", SUBMITTED), [("required", "/data")]),
     (changed("/data/task_id", 1686666, SUBMITTED), [("type", "/data/task_id")]),
     (changed("/data", None, SUBMITTED), [("type", "/data")])],
)  # fmt: skip
def test_submit_response_breaks(payload: Any, expected: list[tuple[str, str]]) -> None:
    """code is a string ("200"), and code, msg, data and data.task_id are required (必需)."""
    assert expected == found(payload, "img2img.response")


@pytest.mark.parametrize("data", [None, {}, "x", [], {"task_id": None}])
def test_error_reply_is_code_and_msg_with_any_data(data: Any) -> None:
    """A failure is {"code": "400", "msg": …}; data, when present, may be anything."""
    assert [] == found({"code": "400", "msg": "参数错误", "data": data}, "error")
    assert [] == found({"code": "400", "msg": "参数错误"}, "error")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [({"code": 400, "msg": "bad"}, [("type", "/code")]), ({"code": "400"}, [("required", "")]),
     ({"msg": "bad"}, [("required", "")]), ({"code": "400", "msg": None}, [("type", "/msg")])],
)  # fmt: skip
def test_error_reply_breaks(payload: Any, expected: list[tuple[str, str]]) -> None:
    """code must be a string and both code and msg are present."""
    assert expected == found(payload, "error")


# -- task.request, task.response --------------------------------------------------------------------


def test_query_request_takes_the_business_task_id() -> None:
    """{"businessTaskId": <id_task>} is the whole query body."""
    assert [] == found({"businessTaskId": "pro1686666"}, "task.request")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [({}, [("required", "", "businessTaskId")]), ({"businessTaskId": 1686666}, [("type", "/businessTaskId", None)]),
     ({"businessTaskId": "t", "id_task": "t"}, [("unknown-field", "/id_task", "businessTaskId")]),
     ({"task_id": "t"}, [("unknown-field", "/task_id", "businessTaskId"), ("required", "", "businessTaskId")]),
     (None, [("type", "", None)])],
)  # fmt: skip
def test_query_request_breaks(payload: Any, expected: list[tuple[str, str, str | None]]) -> None:
    """businessTaskId is a required string; the request's other names for the id are unknown, with it suggested."""
    report = sdcontracts.validate("zhiqite", payload, schema="task.request")
    actual = [(v.rule, v.path, v.expected if v.rule != "type" else None) for v in report.violations]
    assert expected == actual


@pytest.mark.parametrize(
    "payload",
    [QUERY_REPLY, changed("/data/temporaryImageDto", {"progress": 40, "image_url": "https://example.com/p.png"},
                          QUERY_REPLY),
     changed("/data/status", 1, changed("/data/differentialImageRspList", [], QUERY_REPLY)),
     changed("/data/differentialImageRspList/0/img_audit/0/confidence", 0.93, QUERY_REPLY),
     changed("/data/differentialImageRspList/0/extra", True, changed("/data/new", 1, changed("/x", 1, QUERY_REPLY))),
     {"code": "200", "msg": "success"}, {}],
)  # fmt: skip
def test_query_response_accepts_the_documented_shape_and_extras(payload: Any) -> None:
    """The documented reply, a running one, extra fields anywhere and absent fields validate (open, none required)."""
    assert [] == found(payload, "task.response")


@pytest.mark.parametrize(
    ("pointer", "value"),
    [("/code", 200), ("/msg", None), ("/data", []), ("/data/id_task", 1), ("/data/status", "2"),
     ("/data/status", 2.5), ("/data/desc", None), ("/data/temporaryImageDto", "x"),
     ("/data/differentialImageRspList", {}), ("/data/differentialImageRspList/0", None),
     ("/data/differentialImageRspList/0/img_audit", "x"), ("/data/differentialImageRspList/0/img_audit/0", []),
     ("/data/differentialImageRspList/0/img_audit/0/confidence", "0.9"),
     ("/data/differentialImageRspList/0/img_audit/0/label", None),
     ("/data/differentialImageRspList/0/img_audit_status", "true"),
     ("/data/differentialImageRspList/0/image_status", "1"), ("/data/differentialImageRspList/0/image_url", None),
     ("/data/differentialImageRspList/0/seed", "1063029203")],
)  # fmt: skip
def test_query_response_types_are_checked_at_every_level(pointer: str, value: Any) -> None:
    """Each field of the documented reply has the example's type; a wrong one is one type violation."""
    assert [("type", pointer)] == found(changed(pointer, value, QUERY_REPLY), "task.response")


# -- provider.json and rules -----------------------------------------------------------------------


def test_provider_json_records_status_2_as_the_only_documented_status() -> None:
    """The lifecycle's 0/1/3 are marked inferred; only 2 (任务成功) is documented."""
    lifecycle = _catalogue.provider_info("zhiqite")["lifecycle"]
    assert ("/data/status", [0, 1, 2, 3], [2], [3]) == (
        lifecycle["status"], lifecycle["statuses"], lifecycle["succeeded"], lifecycle["failed"],
    )  # fmt: skip
    assert ([2], True) == (lifecycle["documented"], lifecycle["inferred"])
    assert "NOT FOUND" in lifecycle["x-note"]


def test_provider_json_names_the_endpoints_and_key_headers() -> None:
    """Both operations are POSTs under /AIGCImgOpenServ; auth is the two plain key headers."""
    info = _catalogue.provider_info("zhiqite")
    operations = {name: (op["method"], op["path"], op["request"]) for name, op in info["operations"].items()}
    assert {
        "img2img": ("POST", "/AIGCImgOpenServ/saas/sd/v2/controlnet", "img2img.request"),
        "task": ("POST", "/AIGCImgOpenServ/saas/sd/v2/queryTaskInfo", "task.request"),
    } == operations
    assert ("key-headers", ["X-Request-req-accessKeyId", "X-Request-req-accessKeySecret"]) == (
        info["auth"]["scheme"], info["auth"]["headers"],
    )  # fmt: skip
    assert {"default": "https://api.zhiqite.com"} == info["base_urls"]


def test_zhiqite_has_no_prose_rules() -> None:
    """Every documented constraint is in the schemas, so the rule set is empty."""
    assert () == rules_for("zhiqite")
