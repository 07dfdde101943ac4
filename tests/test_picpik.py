"""PICPIK GenerateImg2Img: every documented bound, the ControlNet preset rule and the sub-model rule."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import b64, png

import sdcontracts

IMAGE = b64(png(32, 32))
SIGNATURE = "10e99193615e2c363f15f7339b3dac0c91a9272a"


def request(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Action": "GenerateImg2Img", "PublicKey": "pk-test", "Signature": SIGNATURE,
        "request_uuid": "a6daddb3-04d8-46b6-a831-88e80769aef3", "ModelType": "combined_model", "MainModelId": 1,
        "BatchSize": 1, "Steps": 20, "CfgScale": 7.5, "Seed": -1, "Sampler": "Euler", "ClipSkip": 1,
        "Width": 512, "Height": 512, "TranslatePrompt": True, "ReferenceImage": IMAGE, "ReferenceScale": 0.5,
    }  # fmt: skip
    body.update(changes)
    return body


CUSTOM = {
    "ControlNetImg": IMAGE, "ControlPreSetId": 0, "ControlWeight": 1, "ModelId": 4, "PreProcessorId": 5,
    "StartingControlStep": 0, "EndingControlStep": 1, "ControlMode": "Balanced", "ResizeMode": "JustResize",
    "PreProcessorResolution": 512, "Param1Value": 10, "Param2Value": 30,
}  # fmt: skip
PRESET = {"ControlPreSetId": 2, "ControlNetImg": IMAGE, "ControlWeight": 1.5}


def found(payload: Any, schema: str = "img2img.request") -> list[tuple[str, str]]:
    return [(v.rule, v.path) for v in sdcontracts.validate("picpik", payload, schema=schema).violations]


def test_documented_request_is_valid() -> None:
    """Every required field with a sensible value validates."""
    assert [] == found(request())


@pytest.mark.parametrize(
    "missing",
    ["Action", "PublicKey", "Signature", "ModelType", "MainModelId", "BatchSize", "Steps", "CfgScale", "Seed",
     "Sampler", "Width", "Height", "ClipSkip", "TranslatePrompt"],
)  # fmt: skip
def test_each_field_the_table_marks_required_is_required(missing: str) -> None:
    """Leaving out a ✓ field is one required violation naming it."""
    payload = request()
    del payload[missing]
    (violation,) = sdcontracts.validate("picpik", payload).violations
    assert ("required", "", missing) == (violation.rule, violation.path, violation.expected)


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [("BatchSize", 1, 16), ("Steps", 1, 150), ("CfgScale", 0, 30), ("Width", 16, 1440), ("Height", 16, 1440),
     ("ReferenceScale", 0, 1)],
)  # fmt: skip
def test_ranges_pass_at_both_ends_and_fail_one_past(field: str, low: int, high: int) -> None:
    """Each documented range is inclusive, and one past either end breaks it."""
    assert [] == found(request(**{field: low})) == found(request(**{field: high}))
    step = 0.01 if field in ("CfgScale", "ReferenceScale") else 1
    assert [("minimum", f"/{field}")] == found(request(**{field: low - step}))
    assert [("maximum", f"/{field}")] == found(request(**{field: high + step}))


def test_action_must_be_generate_img2img() -> None:
    """The command field is a constant."""
    assert [("const", "/Action")] == found(request(Action="GenerateImage"))


@pytest.mark.parametrize("model_type", ["combined_model", "custom_model"])
def test_both_model_types_are_accepted(model_type: str) -> None:
    """ModelType is combined_model or custom_model."""
    assert [] == found(request(ModelType=model_type))


def test_model_type_in_the_wrong_case_suggests_the_right_one() -> None:
    """Combined_Model is not a model type; the message suggests combined_model."""
    (violation,) = sdcontracts.validate("picpik", request(ModelType="Combined_Model")).violations
    assert "enum" == violation.rule and violation.message.endswith('did you mean "combined_model"?')


@pytest.mark.parametrize(
    ("signature", "ok"), [(SIGNATURE, True), (SIGNATURE.upper(), True), ("10e9919", False), ("z" * 40, False)]
)
def test_signature_is_forty_hex_digits_and_never_echoed(signature: str, ok: bool) -> None:
    """A malformed Signature is a pattern violation whose message does not repeat the value."""
    report = sdcontracts.validate("picpik", request(Signature=signature))
    assert ok == report.ok
    if not ok:
        (violation,) = report.violations
        assert ("pattern", "/Signature") == (violation.rule, violation.path)
        assert signature not in violation.message


def test_public_key_is_never_echoed_either() -> None:
    """A PublicKey of the wrong type is reported without its value."""
    (violation,) = sdcontracts.validate("picpik", request(PublicKey=12345678)).violations
    assert "12345678" not in violation.message


@pytest.mark.parametrize(("uuid", "ok"), [("a6daddb3-04d8-46b6-a831-88e80769aef3", True), ("not-a-uuid", False)])
def test_request_uuid_is_a_uuid(uuid: str, ok: bool) -> None:
    """request_uuid is optional but, when given, must be a UUID."""
    assert ok == sdcontracts.validate("picpik", request(request_uuid=uuid)).ok


@pytest.mark.parametrize(("image", "rule"), [("", None), (IMAGE, None), ("not base64", "image-encoding")])
def test_reference_image_is_base64_or_empty(image: str, rule: str | None) -> None:
    """ReferenceImage "" means none (Go reads "" as unset); otherwise it must be a base64 image."""
    assert ([] if rule is None else [(rule, "/ReferenceImage")]) == found(request(ReferenceImage=image))


# -- ControlNet ----------------------------------------------------------------------------------


@pytest.mark.parametrize("units", [[PRESET], [CUSTOM], [PRESET, CUSTOM, PRESET]])
def test_preset_and_custom_units_with_their_fields_are_valid(units: list[dict[str, Any]]) -> None:
    """A preset unit with image and weight, a custom unit with every field, up to three units."""
    assert [] == found(request(ControlNetParams=units))


def test_four_units_break_max_items() -> None:
    """At most three ControlNet units."""
    assert [("max-items", "/ControlNetParams")] == found(request(ControlNetParams=[PRESET] * 4))


@pytest.mark.parametrize("field", sorted(set(CUSTOM) - {"ControlPreSetId"}))
def test_custom_unit_missing_any_field_breaks_the_preset_rule(field: str) -> None:
    """ControlPreSetId 0 needs every parameter; leaving one out is reported with its name."""
    unit = {k: v for k, v in CUSTOM.items() if k != field}
    (violation,) = sdcontracts.validate("picpik", request(ControlNetParams=[unit])).violations
    assert ("picpik.controlnet-preset-fields", "/ControlNetParams/0") == (violation.rule, violation.path)
    assert violation.message.endswith(f"must fill in {field}")


@pytest.mark.parametrize("field", ["ControlNetImg", "ControlWeight"])
def test_preset_unit_needs_image_and_weight(field: str) -> None:
    """A non-zero preset needs only ControlNetImg and ControlWeight, and needs both."""
    unit = {k: v for k, v in PRESET.items() if k != field}
    assert [("picpik.controlnet-preset-fields", "/ControlNetParams/0")] == found(request(ControlNetParams=[unit]))


def test_empty_image_counts_as_not_filled_in() -> None:
    """ControlNetImg "" is not an image: the preset rule reports it."""
    unit = {**PRESET, "ControlNetImg": ""}
    (violation,) = sdcontracts.validate("picpik", request(ControlNetParams=[unit])).violations
    assert "(an empty string counts as not filled in)" in violation.message


def test_absent_preset_id_is_read_as_custom() -> None:
    """Without ControlPreSetId the unit is custom (0), so an image and weight alone are not enough."""
    unit = {"ControlNetImg": IMAGE, "ControlWeight": 1}
    violations = sdcontracts.validate("picpik", request(ControlNetParams=[unit])).violations
    assert 9 == len(violations)
    assert "custom (no ControlPreSetId, read as 0)" in violations[0].message


@pytest.mark.parametrize("preset", [0, 1, 2, 3, 4, "0", "1", "2", "3", "4"])
def test_preset_id_may_be_a_number_or_a_string(preset: int | str) -> None:
    """The table types ControlPreSetId as String; the examples send integers: both are fine."""
    unit = CUSTOM if preset in (0, "0") else PRESET
    assert [] == found(request(ControlNetParams=[{**unit, "ControlPreSetId": preset}]))


def preset_findings(units: list[Any]) -> list[tuple[str, str]]:
    """(pointer, message) of each controlnet-preset-fields finding, whatever else the report holds."""
    report = sdcontracts.validate("picpik", request(ControlNetParams=units))
    return [(v.path, v.message) for v in report.violations if v.rule == "picpik.controlnet-preset-fields"]


@pytest.mark.parametrize("preset", [1, 2, 3, 4, "1", "2", "3", "4"])
def test_each_preset_id_is_read_as_its_own_preset(preset: int | str) -> None:
    """ControlPreSetId 1-4, as a number or a string, is that preset: without ControlWeight the message names it."""
    unit = {"ControlPreSetId": preset, "ControlNetImg": IMAGE}
    assert [("/ControlNetParams/0", f"ControlNetParams[0] is preset {preset} and must fill in ControlWeight")] == (
        preset_findings([unit])
    )


@pytest.mark.parametrize("preset", [0, "0"])
def test_preset_id_zero_as_a_number_or_a_string_is_custom_and_needs_every_field(preset: int | str) -> None:
    """ControlPreSetId 0 or "0" (the table's type is String) is custom: image and weight alone leave nine fields out."""
    unit = {"ControlPreSetId": preset, "ControlNetImg": IMAGE, "ControlWeight": 1}
    missing = [name for name in CUSTOM if name not in unit]
    assert [
        ("/ControlNetParams/0", f"ControlNetParams[0] is custom (ControlPreSetId 0) and must fill in {name}")
        for name in missing
    ] == preset_findings([unit])


@pytest.mark.parametrize(
    "before", [None, "unit", 7, {**PRESET, "ControlPreSetId": 9}, {**PRESET, "ControlPreSetId": []}]
)
def test_a_unit_the_rule_cannot_read_does_not_stop_it_checking_the_next(before: Any) -> None:
    """A unit that is not an object, or has an unknown or unhashable preset, is skipped; the unit after it is still checked."""
    lacking_weight = {"ControlPreSetId": 2, "ControlNetImg": IMAGE}
    assert [("/ControlNetParams/1", "ControlNetParams[1] is preset 2 and must fill in ControlWeight")] == (
        preset_findings([before, lacking_weight])
    )


@pytest.mark.parametrize("preset", [5, "5", -1, True, 2.5])
def test_unknown_preset_id_is_an_enum_violation_only(preset: Any) -> None:
    """An undocumented preset is reported by the schema; the rule does not guess about it."""
    assert [("enum", "/ControlNetParams/0/ControlPreSetId")] == found(
        request(ControlNetParams=[{**PRESET, "ControlPreSetId": preset}])
    )


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [("ControlWeight", 2.01, "maximum"), ("ControlWeight", -0.1, "minimum"), ("ControlMode", "balanced", "enum"),
     ("ResizeMode", "Just Resize", "enum"), ("ModelId", "4", "type")],
)  # fmt: skip
def test_unit_fields_are_checked(field: str, value: Any, rule: str) -> None:
    """Unit ranges, enums and types are the schema's."""
    assert [(rule, f"/ControlNetParams/0/{field}")] == found(request(ControlNetParams=[{**CUSTOM, field: value}]))


# -- sub-models ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["SubModelIds", "SubModelParams"])
def test_submodels_are_not_for_combined_models(key: str) -> None:
    """SubModelIds / SubModelParams with combined_model break the rule; with custom_model they pass."""
    value: Any = [3] if key == "SubModelIds" else [{"SubModelId": 3, "ControlWeight": 0.8}]
    assert [("picpik.submodels-need-custom-model", f"/{key}")] == found(request(**{key: value}))
    assert [] == found(request(ModelType="custom_model", **{key: value}))


def test_null_submodel_list_is_a_type_error_not_a_rule_break() -> None:
    """SubModelIds null is not a []int (schema), and null is not "filled in", so the rule stays quiet."""
    assert [("type", "/SubModelIds")] == found(request(SubModelIds=None))


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("cfg_scale", "CfgScale"), ("Batchsize", "BatchSize"), ("negative_prompt", "NegativePrompts"), ("seed", "Seed")],
)
def test_unknown_fields_get_the_documented_spelling(key: str, suggestion: str) -> None:
    """Other spellings of PICPIK's PascalCase fields are unknown-field with the right one suggested."""
    payload = request()
    payload[key] = 1
    (violation,) = sdcontracts.validate("picpik", payload).violations
    assert ("unknown-field", suggestion) == (violation.rule, violation.expected)


# -- other messages ------------------------------------------------------------------------------

QUERY = {"Action": "GetGenerateTaskDetail", "PublicKey": "pk", "Signature": SIGNATURE}
FINISHED = {"RetCode": 0, "Action": "GetGenerateTaskDetailResponse", "TaskStatus": "Finished"}


@pytest.mark.parametrize(
    ("schema", "payload", "ok"),
    [
        ("task.request", {**QUERY, "TaskUID": "cjr997tleg738lelk3n0"}, True),
        ("task.request", QUERY, False),
        ("task.response", {**FINISHED, "FinalPictureUrls": ["https://x/1.png"], "TaskErrorCode": 0}, True),
        ("task.response", {"RetCode": 0, "Action": "x", "TaskStatus": "Done"}, False),
        ("img2img.response", {"RetCode": 0, "Action": "", "TaskUID": "cjr997tleg738lelk3n0"}, True),
        ("error", {"RetCode": 160, "Action": "GenerateImg2ImgResponse", "Message": "signature mismatch"}, True),
    ],
)  # fmt: skip
def test_query_and_response_messages(schema: str, payload: Any, ok: bool) -> None:
    """The task query, its response, the submit response and the RetCode error shape."""
    assert ok == sdcontracts.validate("picpik", payload, schema=schema).ok


@pytest.mark.parametrize(
    "payload",
    [None, [], "x", {"ControlNetParams": None}, {"ControlNetParams": [None, 1, [], {"ControlPreSetId": []}]},
     {"ModelType": ["combined_model"], "SubModelIds": 3}],
)  # fmt: skip
def test_malformed_payloads_are_reported_never_raised(payload: Any) -> None:
    """Rules skip shapes they cannot read; no internal-error."""
    report = sdcontracts.validate("picpik", payload)
    assert not report.ok and "internal-error" not in report.rules
