"""Novita / PPInfra v3 img2img: every documented bound on both sides, images, nullables, extras."""

from __future__ import annotations

import base64
import copy
import math
from typing import Any

import pytest
from conftest import b64, png

import sdcontracts

IMAGE = b64(png(512, 512))


def request(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model_name": "sd_xl_base_1.0.safetensors", "image_base64": IMAGE, "prompt": "a cute dog",
        "width": 512, "height": 512, "image_num": 1, "steps": 20, "guidance_scale": 7.5, "sampler_name": "Euler a",
    }  # fmt: skip
    body.update(changes)
    return {"extra": {"response_image_type": "jpeg"}, "request": body}


def found(payload: Any, schema: str = "img2img.request") -> list[tuple[str, str]]:
    return [(v.rule, v.path) for v in sdcontracts.validate("novita", payload, schema=schema).violations]


def test_minimal_documented_request_is_valid() -> None:
    """The nine required fields with sensible values validate."""
    assert [] == found(request())


def test_request_must_sit_under_request() -> None:
    """Generation fields at the top level are unknown; the wrapper `request` is required."""
    flat = request()["request"]
    result = found(flat)
    assert ("required", "") in result and ("unknown-field", "/prompt") in result


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [("width", 128, 2048), ("height", 128, 2048), ("image_num", 1, 8), ("steps", 1, 100), ("guidance_scale", 1, 30)],
)
def test_ranges_pass_at_both_ends_and_fail_one_past(field: str, low: int, high: int) -> None:
    """Each [min, max] passes at min and max, fails at min-1 and max+1 with the right rule."""
    assert [] == found(request(**{field: low})) == found(request(**{field: high}))
    assert [("minimum", f"/request/{field}")] == found(request(**{field: low - 1}))
    assert [("maximum", f"/request/{field}")] == found(request(**{field: high + 1}))


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("prompt", "", "min-length"), ("prompt", "x" * 1025, "max-length"),
        ("negative_prompt", "x" * 1025, "max-length"), ("seed", -2, "minimum"),
        ("clip_skip", 0, "minimum"), ("clip_skip", 13, "maximum"),
        ("strength", 0, "exclusive-minimum"), ("strength", 1.0001, "maximum"),
    ],
)  # fmt: skip
def test_one_past_each_bound_fails(field: str, value: Any, rule: str) -> None:
    """Lengths, seed ≥ -1, clip_skip [1, 12] and strength (0, 1] each fail one past the bound."""
    assert [(rule, f"/request/{field}")] == found(request(**{field: value}))


@pytest.mark.parametrize(
    ("field", "value"),
    [("prompt", "x"), ("prompt", "x" * 1024), ("negative_prompt", ""), ("negative_prompt", "x" * 1024),
     ("seed", -1), ("clip_skip", 1), ("clip_skip", 12), ("clip_skip", None), ("strength", 1), ("strength", 1e-6),
     ("strength", None)],
)  # fmt: skip
def test_values_at_each_bound_and_documented_nulls_pass(field: str, value: Any) -> None:
    """Bounds are inclusive where the doc says [ ], and clip_skip/strength may be null."""
    assert [] == found(request(**{field: value}))


def test_steps_may_not_be_null() -> None:
    """Only clip_skip and strength are typed ¦null; steps null is a type violation."""
    assert [("type", "/request/steps")] == found(request(steps=None))


@pytest.mark.parametrize(
    "sampler",
    sdcontracts._catalogue.raw_schema("novita", "img2img.request")["properties"]["request"]["properties"][
        "sampler_name"
    ]["enum"],
)
def test_every_documented_sampler_is_accepted(sampler: str) -> None:
    """All twenty samplers of the enum validate."""
    assert [] == found(request(sampler_name=sampler))


def test_sampler_in_the_wrong_case_is_rejected_with_a_suggestion() -> None:
    """ "dpm++ 2m karras" is not a sampler; the message suggests "DPM++ 2M Karras"."""
    (violation,) = sdcontracts.validate("novita", request(sampler_name="dpm++ 2m karras")).violations
    assert violation.rule == "enum" and 'did you mean "DPM++ 2M Karras"?' in violation.message


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("cfg_scale", "guidance_scale"), ("negativePrompt", "negative_prompt"), ("init_images", "image_base64"),
     ("n_iter", "image_num"), ("sampler", "sampler_name"), ("lora", "loras")],
)  # fmt: skip
def test_other_providers_names_get_novitas_name_suggested(key: str, suggestion: str) -> None:
    """A field from another provider's vocabulary is unknown, with Novita's name suggested."""
    payload = request()
    payload["request"][key] = 1
    (violation,) = sdcontracts.validate("novita", payload).violations
    assert ("unknown-field", f"/request/{key}", suggestion) == (violation.rule, violation.path, violation.expected)


@pytest.mark.parametrize(("width", "height", "ok"), [(2048, 2048, True), (2049, 16, False), (16, 2049, False)])
def test_source_image_may_be_at_most_2048_px_per_side(width: int, height: int, ok: bool) -> None:
    """The image header is read: 2048 px per side passes, 2049 fails image-dimensions."""
    expected = [] if ok else [("image-dimensions", "/request/image_base64")]
    assert expected == found(request(image_base64=b64(png(width, height))))


def test_source_image_may_be_at_most_30_mib() -> None:
    """A 30 MiB file passes, one byte more fails image-size (read from the length, not decoded)."""
    header = png(64, 64)
    at_limit = header + b"\0" * (30 * 1024 * 1024 - len(header))
    assert [] == found(request(image_base64=base64.b64encode(at_limit).decode()))
    assert [("image-size", "/request/image_base64")] == found(
        request(image_base64=base64.b64encode(at_limit + b"\0").decode())
    )


@pytest.mark.parametrize(
    ("image", "rule"),
    [("data:image/png;base64," + IMAGE, "image-encoding"), ("not base64!", "image-encoding"),
     (base64.b64encode(b"GIF8 not really").decode(), "image-format")],
)  # fmt: skip
def test_source_image_must_be_plain_base64_of_an_image(image: str, rule: str) -> None:
    """A data: URI, non-base64 text or base64 of a non-image are each reported."""
    assert [(rule, "/request/image_base64")] == found(request(image_base64=image))


def test_controlnet_and_ip_adapter_images_are_checked_too() -> None:
    """Unit and adapter images must be base64 images (their size is not limited by the doc)."""
    payload = request(
        controlnet={"units": [{"model_name": "control_v11p_sd15_openpose", "image_base64": "x", "strength": 0.5}]},
        ip_adapters=[{"model_name": "ip-adapter_sd15.bin", "image_base64": b64(png(4096, 4096)), "strength": 1}],
    )
    assert [("image-encoding", "/request/controlnet/units/0/image_base64")] == found(payload)


@pytest.mark.parametrize(("field", "limit"), [("loras", 5), ("embeddings", 5), ("ip_adapters", 1)])
def test_model_lists_are_capped(field: str, limit: int) -> None:
    """At most 5 LoRAs, 5 embeddings and 1 IP-Adapter."""
    item = {
        "loras": {"model_name": "add_detail", "strength": 0.7},
        "embeddings": {"model_name": "badhandv4.pt"},
        "ip_adapters": {"model_name": "ip-adapter_sdxl.bin", "image_base64": IMAGE, "strength": 0.5},
    }[field]
    assert [] == found(request(**{field: [item] * limit}))
    assert [("max-items", f"/request/{field}")] == found(request(**{field: [item] * (limit + 1)}))


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"response_image_type": "webp"}, []),
        ({"response_image_type": "gif"}, [("enum", "/extra/response_image_type")]),
        (
            {
                "webhook": {
                    "url": "https://example.com/hook",
                    "test_mode": {"enabled": True, "return_task_status": "TASK_STATUS_FAILED"},
                }
            },
            [],
        ),
        ({"webhook": {}}, [("required", "/extra/webhook")]),
        (
            {
                "custom_storage": {
                    "aws_s3": {"region": "us-east-1", "bucket": "b", "path": "p/", "save_to_path_directly": True}
                }
            },
            [],
        ),
        ({"enterprise_plan": {"enabled": True}, "enable_nsfw_detection": True, "nsfw_detection_level": 2}, []),
        ({"nsfw_detection_level": 3}, [("enum", "/extra/nsfw_detection_level")]),
        ({"webhok": {}}, [("unknown-field", "/extra/webhok")]),
    ],
)
def test_extra_fields_from_novitas_reference(extra: dict[str, Any], expected: list[Any]) -> None:
    """extra takes the fields Novita's own reference documents, and nothing else."""
    payload = request()
    payload["extra"] = extra
    assert expected == found(payload)


def test_nan_is_not_a_json_number() -> None:
    """NaN from a non-strict parser is not-json, even where null is allowed."""
    assert [("not-json", "/request/strength")] == found(request(strength=math.nan))


@pytest.mark.parametrize(
    ("payload", "ok"),
    [
        ({"task_id": "73fab7c0-e24f-4027-9df0-81ff8ce4bc1f"}, True),
        ({"code": 0, "msg": "", "data": {"task_id": "x"}}, False),
    ],
)
def test_submit_response_is_the_v3_shape(payload: Any, ok: bool) -> None:
    """The v3 submit response is {task_id}; the v2 envelope Novita's English page shows is not."""
    assert ok == sdcontracts.validate("novita", payload, schema="img2img.response").ok


def test_task_result_accepts_image_url_ttl_as_number_or_string() -> None:
    """image_url_ttl is typed integer but sent as "3600"; both validate, a word does not."""
    result = {
        "task": {"task_id": "t", "status": "TASK_STATUS_SUCCEED"},
        "images": [{"image_url": "u", "image_type": "png", "image_url_ttl": 3600}],
    }
    assert [] == found(result, "task.response")
    result["images"][0]["image_url_ttl"] = "3600"
    assert [] == found(result, "task.response")
    bad = copy.deepcopy(result)
    bad["images"][0]["image_url_ttl"] = "soon"
    assert [("format", "/images/0/image_url_ttl")] == found(bad, "task.response")


def test_error_reason_must_be_a_documented_one() -> None:
    """Error bodies carry a documented reason; an unknown one is an enum finding."""
    assert [] == found({"code": 400, "reason": "INVALID_REQUEST_BODY", "message": "bad"}, "error")
    assert [("enum", "/reason")] == found({"code": 400, "reason": "SOMETHING_NEW"}, "error")
