"""Aliyun (AI Creation Workshop, /scc/sd_img2img): the schemas, the (empty) rule set, the corpus."""

from __future__ import annotations

import math
from typing import Any

import pytest

import sdcontracts
from sdcontracts import Report
from sdcontracts._catalogue import provider_info, raw_schema
from sdcontracts._corpus import check, examples
from sdcontracts.rules import rules_for

SCHEMAS = ("img2img.request", "img2img.response", "task.request", "task.response", "error")
TASK_STATUSES = ("waiting", "running", "succeeded", "failed")

# Every field of the doc's "Request parameters" table: a value of its type, and its JSON type.
FIELDS: dict[str, tuple[Any, str]] = {
    "stable_diffusion_model": ("sd_xl_base_1.0.safetensors", "string"),
    "sd_vae": ("Automatic", "string"),
    "init_images": (["iVBORw0KGgo="], "array"),
    "denoising_strength": (0.75, "number"),
    "prompt": ("a lighthouse at dawn", "string"),
    "negtive_prompt": ("blurry", "string"),
    "batch_size": (2, "integer"),
    "steps": (30, "integer"),
    "cfg_scale": (7.5, "number"),
    "width": (1024, "integer"),
    "height": (768, "integer"),
    "sampler_name": ("Euler a", "string"),
    "seed": (1234567890, "integer"),
}
# Values of each JSON type; a field rejects those its type does not admit.
SAMPLES: dict[str, Any] = {
    "string": "512",
    "integer": 512,
    "number": 0.5,
    "boolean": True,
    "null": None,
    "array": ["512"],
    "object": {"value": 512},
}
ADMITS = {
    "string": {"string"},
    "integer": {"integer"},
    "number": {"integer", "number"},
    "array": {"array"},
}
WRONG_TYPES = [(name, kind) for name, (_, wanted) in FIELDS.items() for kind in SAMPLES if kind not in ADMITS[wanted]]


def found(report: Report) -> list[tuple[str, str]]:
    """The (rule, path) of every violation, in report order."""
    return [(v.rule, v.path) for v in report.violations]


# -- img2img.request: fields and types -----------------------------------------------------------


def test_request_fields_are_exactly_the_doc_table() -> None:
    """The request schema lists the table's thirteen fields, with the doc's spelling negtive_prompt."""
    schema = raw_schema("aliyun", "img2img.request")
    assert sorted(FIELDS) == sorted(schema["properties"])


def test_request_using_every_field_is_valid() -> None:
    """A request giving every field a value of its documented type has no violations."""
    report = sdcontracts.validate("aliyun", {name: value for name, (value, _) in FIELDS.items()})
    assert [] == found(report)


def test_empty_request_is_valid_because_the_doc_marks_no_field_required() -> None:
    """{} is valid: the doc's table has no Required column, so requiring a field would be invented."""
    assert [] == found(sdcontracts.validate("aliyun", {}))


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_each_field_alone_is_valid(name: str) -> None:
    """Any one field on its own is a valid request (no field depends on another)."""
    assert [] == found(sdcontracts.validate("aliyun", {name: FIELDS[name][0]}))


@pytest.mark.parametrize(("name", "kind"), WRONG_TYPES)
def test_field_rejects_a_value_of_the_wrong_type_at_its_pointer(name: str, kind: str) -> None:
    """A value of another JSON type is one `type` violation pointing at the field."""
    report = sdcontracts.validate("aliyun", {name: SAMPLES[kind]})
    assert [("type", f"/{name}")] == found(report)
    assert [FIELDS[name][1]] == report.violations[0].expected


@pytest.mark.parametrize("name", ["batch_size", "steps", "width", "height", "seed"])
def test_integral_float_counts_as_an_integer(name: str) -> None:
    """512.0 is an integer for JSON Schema, so an integer field accepts it."""
    assert [] == found(sdcontracts.validate("aliyun", {name: 512.0}))


@pytest.mark.parametrize("name", ["batch_size", "steps", "width", "height", "seed"])
def test_fractional_number_is_not_an_integer(name: str) -> None:
    """512.5 in an integer field is a `type` violation that names both types."""
    report = sdcontracts.validate("aliyun", {name: 512.5})
    assert [("type", f"/{name}")] == found(report)
    assert f"{name} must be an integer, not a number (512.5)" == report.violations[0].message


@pytest.mark.parametrize("name", ["denoising_strength", "cfg_scale"])
def test_double_field_accepts_an_integer(name: str) -> None:
    """A double field accepts 7 as well as 7.5 (every integer is a number)."""
    assert [] == found(sdcontracts.validate("aliyun", {name: 7}))


@pytest.mark.parametrize(
    "payload",
    [
        {"width": -64, "height": 0},
        {"steps": 100_000, "batch_size": 0},
        {"denoising_strength": 5.0, "cfg_scale": -1},
        {"seed": -1},
        {"seed": 2**70},
        {"prompt": "", "sampler_name": "not a sampler", "sd_vae": "my_vae.pt"},
    ],
)
def test_no_range_enum_or_length_is_enforced_because_the_doc_states_none(payload: dict[str, Any]) -> None:
    """Out-of-A1111-range numbers and any string are valid: the doc gives no ranges, enums or lengths."""
    assert [] == found(sdcontracts.validate("aliyun", payload))


def test_sd_vae_common_options_are_examples_not_an_enum() -> None:
    """The doc's "common options" are recorded as examples, and any other VAE name is valid."""
    vae = raw_schema("aliyun", "img2img.request")["properties"]["sd_vae"]
    assert ["Automatic", "None", "sdxl_vae.safetensors"] == vae["examples"]
    assert "enum" not in vae
    assert [] == found(sdcontracts.validate("aliyun", {"sd_vae": "None"}))


def test_type_violation_quotes_the_doc_row() -> None:
    """A violation carries the doc page's title and the table row's description."""
    report = sdcontracts.validate("aliyun", {"width": "1024"})
    assert (
        'Aliyun "Submit an image-to-image task - sd_img2img" (help.aliyun.com/en/document_detail/2835086.html): '
        '"The image width."'
    ) == report.violations[0].doc


# -- img2img.request: init_images ----------------------------------------------------------------


def test_init_images_accepts_any_strings_because_the_image_format_page_was_not_found() -> None:
    """Base64, a data: URI, a URL or an empty string are all valid items: no format is documented."""
    images = ["iVBORw0KGgo=", "data:image/png;base64,iVBORw0KGgo=", "https://example.com/a.png", ""]
    assert [] == found(sdcontracts.validate("aliyun", {"init_images": images}))


def test_init_images_may_be_empty_because_no_count_is_documented() -> None:
    """An empty list is valid: the doc states no minimum number of images."""
    assert [] == found(sdcontracts.validate("aliyun", {"init_images": []}))


def test_init_images_item_of_the_wrong_type_is_reported_at_its_index() -> None:
    """Each non-string item is one `type` violation at /init_images/<index>; strings pass."""
    report = sdcontracts.validate("aliyun", {"init_images": ["ok", 1, None, ["x"], {"url": "u"}, True]})
    expected = [("type", f"/init_images/{i}") for i in (1, 2, 3, 4, 5)]
    assert expected == found(report)


def test_init_images_as_a_bare_string_is_a_type_violation() -> None:
    """A single image not wrapped in a list is reported at /init_images, not per character."""
    report = sdcontracts.validate("aliyun", {"init_images": "iVBORw0KGgo="})
    assert [("type", "/init_images")] == found(report)
    assert 'init_images must be an array, not a string ("iVBORw0KGgo=")' == report.violations[0].message


# -- img2img.request: unknown fields and suggestions ---------------------------------------------


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("negative_prompt", "negtive_prompt"),
        ("negativePrompt", "negtive_prompt"),
        ("model", "stable_diffusion_model"),
        ("sd_model_checkpoint", "stable_diffusion_model"),
        ("model_name", "stable_diffusion_model"),
        ("guidance_scale", "cfg_scale"),
        ("cfgScale", "cfg_scale"),
        ("strength", "denoising_strength"),
        ("sampler", "sampler_name"),
        ("vae", "sd_vae"),
        ("init_image", "init_images"),
        ("image", "init_images"),
        ("Width", "width"),
    ],
)
def test_unknown_field_suggests_the_doc_name(key: str, suggestion: str) -> None:
    """A name from A1111 or another provider is unknown-field with a "did you mean" for this doc's name."""
    report = sdcontracts.validate("aliyun", {key: "x"})
    assert [("unknown-field", f"/{key}")] == found(report)
    violation = report.violations[0]
    assert suggestion == violation.expected
    assert f"the payload has no field {key!r}; did you mean {suggestion!r}?" == violation.message


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("cfg", "cfg_scale"), ("denoise", "denoising_strength"), ("ckpt_name", "stable_diffusion_model")],
)
def test_comfyui_input_names_get_the_doc_name_suggested(key: str, suggestion: str) -> None:
    """ComfyUI's short input names (this platform runs ComfyUI) map to the doc's field names."""
    report = sdcontracts.validate("aliyun", {key: 1})
    assert [("unknown-field", f"/{key}")] == found(report)
    assert suggestion == report.violations[0].expected


def test_unknown_field_without_a_suggestion_lists_the_allowed_fields() -> None:
    """A name close to nothing gets no suggestion; the message lists the fields instead."""
    report = sdcontracts.validate("aliyun", {"zzz_unrelated": 1})
    violation = report.violations[0]
    assert violation.expected is None
    assert (
        "the payload has no field 'zzz_unrelated'; allowed fields: stable_diffusion_model, sd_vae, "
        "init_images, denoising_strength, prompt, negtive_prompt, batch_size, steps, cfg_scale, "
        "width, height, sampler_name, seed"
    ) == violation.message


def test_negative_prompt_beside_negtive_prompt_is_still_unknown() -> None:
    """Giving both spellings reports only the A1111 one: the doc's spelling is the field."""
    report = sdcontracts.validate("aliyun", {"negtive_prompt": "blurry", "negative_prompt": "blurry"})
    assert [("unknown-field", "/negative_prompt")] == found(report)


def test_unknown_field_value_is_not_inspected() -> None:
    """A misspelt key is reported once; its (badly typed) value is left alone."""
    report = sdcontracts.validate("aliyun", {"negative_prompt": {"nested": [1, None]}})
    assert [("unknown-field", "/negative_prompt")] == found(report)


def test_resource_config_header_is_not_a_body_field() -> None:
    """X-SP-RESOURCE-CONFIG-ID is a request header (in provider.json), so in the body it is unknown."""
    report = sdcontracts.validate("aliyun", {"X-SP-RESOURCE-CONFIG-ID": "a,b,default"})
    assert [("unknown-field", "/X-SP-RESOURCE-CONFIG-ID")] == found(report)
    header = provider_info("aliyun")["headers"]["X-SP-RESOURCE-CONFIG-ID"]
    assert (False, ["img2img"]) == (header["required"], header["operations"])


def test_aliyun_has_no_rules_because_the_doc_has_no_prose_constraints() -> None:
    """The rule set is empty: every documented constraint is a type the schemas carry."""
    assert () == rules_for("aliyun")


# -- task.request --------------------------------------------------------------------------------


def test_task_request_with_task_id_is_valid() -> None:
    """{"taskId": …} is the whole documented body of sd_get_result."""
    assert [] == found(sdcontracts.validate("aliyun", {"taskId": "01j2dn2545m****"}, schema="task.request"))


def test_task_request_requires_task_id() -> None:
    """sd_get_result marks taskId Required: Yes, so {} is a `required` violation at the root."""
    report = sdcontracts.validate("aliyun", {}, schema="task.request")
    assert [("required", "")] == found(report)
    assert "taskId" == report.violations[0].expected


def test_task_request_snake_case_task_id_suggests_task_id() -> None:
    """task_id is unknown (the body is camelCase) with a suggestion, and taskId is still missing."""
    report = sdcontracts.validate("aliyun", {"task_id": "x"}, schema="task.request")
    assert [("unknown-field", "/task_id"), ("required", "")] == found(report)
    assert "taskId" == report.violations[0].expected


@pytest.mark.parametrize("value", [12345, None, ["x"], {"id": "x"}, True])
def test_task_request_task_id_must_be_a_string(value: Any) -> None:
    """A non-string taskId is a `type` violation at /taskId."""
    assert [("type", "/taskId")] == found(sdcontracts.validate("aliyun", {"taskId": value}, schema="task.request"))


# -- the gateway envelope: img2img.response and task.response ------------------------------------


@pytest.mark.parametrize("schema", ["img2img.response", "task.response", "error"])
def test_empty_envelope_is_valid_because_no_response_field_is_marked_required(schema: str) -> None:
    """{} is valid: no page marks a response field required and the SDK types every one nullable."""
    assert [] == found(sdcontracts.validate("aliyun", {}, schema=schema))


@pytest.mark.parametrize("schema", ["img2img.response", "task.response"])
@pytest.mark.parametrize("status", [10, 20, 10.0])
def test_envelope_status_accepts_the_documented_codes(schema: str, status: Any) -> None:
    """The gateway status 10 (success) and 20 (failure) are valid."""
    assert [] == found(sdcontracts.validate("aliyun", {"status": status}, schema=schema))


@pytest.mark.parametrize("schema", ["img2img.response", "task.response"])
@pytest.mark.parametrize(("status", "rule"), [(0, "enum"), (30, "enum"), (200, "enum"), ("10", "type"), (None, "type")])
def test_envelope_status_rejects_other_values(schema: str, status: Any, rule: str) -> None:
    """Any other status is an `enum` violation (or `type`, for a non-integer) at /status."""
    assert [(rule, "/status")] == found(sdcontracts.validate("aliyun", {"status": status}, schema=schema))


@pytest.mark.parametrize("schema", ["img2img.response", "task.response"])
@pytest.mark.parametrize("status", TASK_STATUSES)
def test_data_status_accepts_the_four_documented_task_statuses(schema: str, status: str) -> None:
    """waiting, running, succeeded and failed are the task statuses the sd pages list."""
    payload = {"status": 10, "data": {"taskId": "t", "status": status}}
    assert [] == found(sdcontracts.validate("aliyun", payload, schema=schema))


@pytest.mark.parametrize("schema", ["img2img.response", "task.response"])
def test_data_status_rejects_an_undocumented_status(schema: str) -> None:
    """cancelled (known to the SDK for ComfyUI tasks, not to the sd pages) is an `enum` violation."""
    report = sdcontracts.validate("aliyun", {"data": {"status": "cancelled"}}, schema=schema)
    assert [("enum", "/data/status")] == found(report)
    assert list(TASK_STATUSES) == report.violations[0].expected


def test_data_status_in_the_wrong_case_suggests_the_documented_value() -> None:
    """SUCCEEDED is not a status; the message suggests "succeeded"."""
    report = sdcontracts.validate("aliyun", {"data": {"status": "SUCCEEDED"}}, schema="task.response")
    assert [("enum", "/data/status")] == found(report)
    assert report.violations[0].message.endswith('did you mean "succeeded"?')


@pytest.mark.parametrize("schema", ["img2img.response", "task.response", "error"])
def test_envelope_error_fields_may_be_null(schema: str) -> None:
    """errCode, errMessage, subErrCode and subErrMessage accept null: the SDK reads null as "no error"."""
    payload = {"errCode": None, "errMessage": None, "subErrCode": None, "subErrMessage": None}
    assert [] == found(sdcontracts.validate("aliyun", payload, schema=schema))


@pytest.mark.parametrize("schema", ["img2img.response", "task.response", "error"])
def test_envelope_fields_reject_wrong_types(schema: str) -> None:
    """Each envelope field of the wrong type is one `type` violation at its pointer."""
    payload = {"apiInvokeId": 7, "errCode": 400, "errMessage": ["x"], "subErrCode": {}, "subErrMessage": False}
    expected = [("type", f"/{k}") for k in payload]
    assert expected == found(sdcontracts.validate("aliyun", payload, schema=schema))


@pytest.mark.parametrize("schema", ["img2img.response", "task.response"])
def test_data_must_be_an_object(schema: str) -> None:
    """data as a list or string is a `type` violation at /data."""
    for data in ([], "t", None):
        assert [("type", "/data")] == found(sdcontracts.validate("aliyun", {"data": data}, schema=schema))


@pytest.mark.parametrize("schema", ["img2img.response", "task.response", "error"])
def test_envelope_is_open_to_undocumented_fields(schema: str) -> None:
    """Responses are open: extra envelope and data fields are valid, whatever their type."""
    payload = {"requestId": 1, "extra": [None], "data": {"taskDuration": 1200, "progress": 0.5}}
    assert [] == found(sdcontracts.validate("aliyun", payload, schema=schema))


def test_task_response_images_are_url_strings() -> None:
    """data.images is a list of strings; a non-string item is reported at its index."""
    good = {"data": {"images": ["https://a/0.png", "https://a/1.png"]}}
    assert [] == found(sdcontracts.validate("aliyun", good, schema="task.response"))
    bad = {"data": {"images": ["https://a/0.png", {"url": "https://a/1.png"}, 3]}}
    expected = [("type", "/data/images/1"), ("type", "/data/images/2")]
    assert expected == found(sdcontracts.validate("aliyun", bad, schema="task.response"))


@pytest.mark.parametrize("name", ["images", "parameters", "info"])
def test_task_response_data_members_have_their_documented_types(name: str) -> None:
    """images (list), parameters and info (objects) reject a string, which A1111 would send for info."""
    report = sdcontracts.validate("aliyun", {"data": {name: '{"seed": 1}'}}, schema="task.response")
    assert [("type", f"/data/{name}")] == found(report)


def test_task_response_parameters_and_info_accept_any_members() -> None:
    """The members of parameters and info are undocumented, so any object is valid."""
    payload = {"data": {"parameters": {"seed": 1, "x": [None]}, "info": {"anything": {"at": "all"}}}}
    assert [] == found(sdcontracts.validate("aliyun", payload, schema="task.response"))


# -- error ---------------------------------------------------------------------------------------


def test_error_status_must_be_20() -> None:
    """The error envelope's status, when given, is the failure code 20; 10 is a `const` violation."""
    assert [] == found(sdcontracts.validate("aliyun", {"status": 20, "subErrCode": "E"}, schema="error"))
    report = sdcontracts.validate("aliyun", {"status": 10}, schema="error")
    assert [("const", "/status")] == found(report)
    assert "status must be 20, not 10" == report.violations[0].message


# -- provider.json -------------------------------------------------------------------------------


def test_provider_json_describes_both_post_operations_and_the_lifecycle() -> None:
    """Submit and query are POSTs on /scc; the lifecycle reads /data/status."""
    info = provider_info("aliyun")
    operations = {name: (op["method"], op["path"]) for name, op in info["operations"].items()}
    assert {"img2img": ("POST", "/scc/sd_img2img"), "task": ("POST", "/scc/sd_get_result")} == operations
    assert ("/data/status", ["succeeded"], ["failed"]) == (
        info["lifecycle"]["status"],
        info["lifecycle"]["succeeded"],
        info["lifecycle"]["failed"],
    )
    assert "aliyun-api-gateway-hmac-sha256" == info["auth"]["scheme"]


# -- corpus --------------------------------------------------------------------------------------


def test_corpus_covers_every_aliyun_schema() -> None:
    """The corpus has an example of each of the five messages."""
    assert set(SCHEMAS) == {e.schema for e in examples("aliyun")}


def test_negative_prompt_example_records_the_unknown_field() -> None:
    """The misspelling example holds exactly one unknown-field at /negative_prompt."""
    (example,) = [e for e in examples("aliyun") if e.name == "negative-prompt-spelling"]
    outcome = check(example)
    assert (("unknown-field", "/negative_prompt"),) == outcome.found
    assert outcome.holds


# -- never raises --------------------------------------------------------------------------------


@pytest.mark.parametrize("schema", SCHEMAS)
@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (None, [("type", "")]),
        ([], [("type", "")]),
        (["taskId"], [("type", "")]),
        ("{}", [("type", "")]),
        (512, [("type", "")]),
        (math.nan, [("not-json", "")]),
        (b"{}", [("not-json", "")]),
    ],
    ids=["None", "list", "list-of-str", "string", "int", "NaN", "bytes"],
)
def test_non_object_payload_is_reported_not_raised(schema: str, payload: Any, expected: list[tuple[str, str]]) -> None:
    """A payload that is not a JSON object gives one violation at the root, never an exception."""
    assert expected == found(sdcontracts.validate("aliyun", payload, schema=schema))


def test_nested_wrong_types_in_a_request_are_each_reported_without_raising() -> None:
    """Deeply wrong values, NaN and infinity inside a request are reported where they are."""
    payload = {
        "init_images": [[[]], {"a": math.nan}],
        "width": {"value": math.nan},
        "seed": math.inf,
        "prompt": math.nan,
        "cfg_scale": [7],
    }
    expected = [
        ("type", "/init_images/0"),
        ("type", "/init_images/1"),
        ("type", "/width"),
        ("not-json", "/seed"),
        ("not-json", "/prompt"),
        ("type", "/cfg_scale"),
    ]
    assert expected == found(sdcontracts.validate("aliyun", payload))


def test_nested_wrong_types_in_a_task_response_are_each_reported_without_raising() -> None:
    """Non-JSON values inside open parts of a response are found; typed parts report their type."""
    payload = {
        "status": math.nan,
        "data": {"images": [{"x": math.nan}], "parameters": {"k": math.inf}, "info": [1], 3: "x"},
        "extra": {"deep": [[{"n": math.nan}]]},
    }
    report = sdcontracts.validate("aliyun", payload, schema="task.response")
    expected = {
        ("not-json", "/status"),
        ("type", "/data/images/0"),
        ("not-json", "/data/parameters/k"),
        ("type", "/data/info"),
        ("not-json", "/data"),
        ("not-json", "/extra/deep/0/0/n"),
    }
    assert expected == set(found(report))
    assert "internal-error" not in report.rules


def test_non_string_key_in_a_request_is_reported_not_raised() -> None:
    """A Python dict with an int key (not JSON) is a `not-json` violation at the root."""
    report = sdcontracts.validate("aliyun", {1: "x", "width": 512})
    assert [("not-json", "")] == found(report)
