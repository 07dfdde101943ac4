"""The canonical request: capabilities read off the schemas, translation that drops nothing
silently, canonicalize as its inverse, the matrix, and requests the mock completes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from conftest import b64, png
from hypothesis import HealthCheck, given, settings
from sdcontracts.mock import ManualClock, Mock, MockConfig

import sdcontracts
from sdcontracts import _catalogue, _validation
from sdcontracts._cli import main
from sdcontracts.canonical import (
    CANONICAL_FIELDS,
    CanonicalRequest,
    Untranslatable,
    _capabilities,
    _mapping,
    canonicalize,
    capabilities,
    image,
    matrix,
    render,
    translate,
)
from sdcontracts.canonical._mapping import provider_map
from sdcontracts.clients import TaskState
from sdcontracts.strategies import canonical_requests

PROVIDERS = sdcontracts.providers()
SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
_NOTHING = object()
IMAGE = {"base64": b64(png(64, 64)), "url": "https://images.example.com/cat.png", "resource_id": "res-1"}


def request(**fields: Any) -> dict[str, Any]:
    """A request all five providers take."""
    base = {"prompt": "a cat", "init_image": IMAGE, "width": 512, "height": 512, "steps": 20, "guidance": 7.0,
            "sampler": "Euler a", "model": "12"}  # fmt: skip
    return {**base, **fields}


def expressed(provider: str, r: CanonicalRequest) -> dict[str, Any]:
    """The part of ``r`` the provider can express, as canonicalize gives it back."""
    caps = capabilities(provider)
    unset = {p.canonical.path: p.unset[0] for p in provider_map(provider).placements.values() if p.unset}
    data = {k: v for k, v in r.model_dump(exclude_none=True).items() if unset.get(k, _NOTHING) != v}
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name in ("loras", "controlnet"):
            kept = [{k: v for k, v in item.items() if caps[f"{name}[].{k}"].supported} for item in value]
            if any(kept) and caps[f"{name}[].{next(iter(value[0]))}"].supported:
                out[name] = [_one_form(provider, name, item) for item in kept]
        elif caps[name].supported:
            out[name] = _one_form(provider, name, value) if name == "init_image" else value
    return out


def _one_form(provider: str, name: str, value: Any) -> Any:
    """An image (or a unit's) in the one form the provider takes."""
    forms = {"base64": "base64", "url": "url", "resource-id": "resource_id"}
    if name == "init_image":
        form = forms[capabilities(provider)["init_image"].transport or "base64"]
        return {form: value[form]}
    if name == "controlnet" and "image" in value:
        form = forms[capabilities(provider)["controlnet[].image"].transport or "base64"]
        return {**value, "image": {form: value["image"][form]}}
    return value


# -- the mapping and the capabilities ---------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_canonical_field_is_placed_or_absent_with_a_reason(provider: str) -> None:
    """Each provider's canonical.json places every canonical field, or says why it cannot."""
    caps = capabilities(provider)
    assert [f.path for f in CANONICAL_FIELDS] == list(caps.fields)
    for capability in caps.fields.values():
        assert capability.supported == bool(capability.at) and (capability.supported or capability.why)


def test_capabilities_are_the_schemas_constraints() -> None:
    """Ranges, steps, enums, list limits and image transport come from the schema at each place."""
    novita, tensorart, zhiqite, picpik = (capabilities(p) for p in ("novita", "tensorart", "zhiqite", "picpik"))
    assert (128, 2048, None) == (novita["width"].minimum, novita["width"].maximum, novita["width"].multiple_of)
    assert (512, 1536, 64) == (tensorart["width"].minimum, tensorart["width"].maximum, tensorart["width"].multiple_of)
    assert (5, "base64") == (novita["loras[].name"].max_items, novita["init_image"].transport)
    assert {"maxWidth": 2048, "maxHeight": 2048, "maxBytes": 31457280} == novita["init_image"].image
    assert ("url", "resource-id") == (zhiqite["init_image"].transport, tensorart["init_image"].transport)
    assert ("jpeg", "png") == zhiqite["output_format"].enum  # the provider's "jpg" is the canonical "jpeg"
    assert "DPM++ 2M Karras" in tensorart["sampler"].enum and "DPM++ 3M SDE Karras" not in tensorart["sampler"].enum
    assert not picpik["vae"].supported and "no VAE is named" in picpik["vae"].why
    assert 0 == tensorart["seed"].random
    assert [("tensorart.diffusion-area", 2_073_600)] == [(limit.rule, limit.maximum) for limit in tensorart.limits]


def test_a_schema_edit_moves_the_capabilities_and_the_matrix(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lower Novita's width maximum in its schema: the capability and the matrix cell follow."""
    edited = copy.deepcopy(_catalogue.raw_schema("novita", "img2img.request"))
    edited["properties"]["request"]["properties"]["width"]["maximum"] = 1024
    original = _catalogue.raw_schema

    def raw_schema(provider: str, name: str) -> Any:
        return edited if (provider, name) == ("novita", "img2img.request") else original(provider, name)

    def forget() -> None:
        for key in [k for k in _validation._COMPILED if k[0] == "novita"]:
            del _validation._COMPILED[key]
        _mapping.provider_map.cache_clear()
        _capabilities.capabilities.cache_clear()

    monkeypatch.setattr(_catalogue, "raw_schema", raw_schema)
    forget()
    try:
        assert 1024 == capabilities("novita")["width"].maximum
        assert 1024 == matrix(["novita"])["fields"]["width"]["novita"]["maximum"]
        assert "| `width` | 128–1024 required |" in render("markdown", ["novita"])  # noqa: RUF001
    finally:
        monkeypatch.undo()
        forget()
    assert 2048 == capabilities("novita")["width"].maximum


# -- translation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_request_within_a_providers_capabilities_translates_and_comes_back(provider: str) -> None:
    """A request drawn within the capabilities gives a payload validate() accepts, and canonicalize
    gives back the request, as far as the provider expresses it."""

    @SETTINGS
    @given(canonical_requests(provider))
    def check(r: CanonicalRequest) -> None:
        translation = translate(r, provider)
        assert sdcontracts.validate(provider, translation.payload, view="caller").ok
        assert expressed(provider, r) == canonicalize(provider, translation.payload).model_dump(exclude_none=True)
        assert () == translate(r, provider, adapt=True).adaptations  # nothing to adapt in what fits

    check()


def test_a_request_within_all_five_translates_to_each() -> None:
    """The intersection of the five: every drawn request translates to every provider."""

    @SETTINGS
    @given(canonical_requests())
    def check(r: CanonicalRequest) -> None:
        for provider in PROVIDERS:
            assert sdcontracts.validate(provider, translate(r, provider).payload, view="caller").ok

    check()


@pytest.mark.parametrize(
    ("provider", "field", "value"),
    [("picpik", "vae", "Automatic"), ("aliyun", "clip_skip", 2), ("picpik", "denoising_strength", 0.5),
     ("tensorart", "output_format", "png"), ("zhiqite", "loras", [{"name": "detail", "weight": 0.5}])],
)  # fmt: skip
def test_a_field_the_provider_lacks_is_untranslatable_naming_it_and_why(provider: str, field: str, value: Any) -> None:
    """Never a silent drop: the field the provider cannot express is named, with the mapping's reason."""
    with pytest.raises(Untranslatable) as caught:
        translate(request(**{field: value}), provider)
    assert caught.value.fields[0].startswith(field)
    key = "loras[].name" if field == "loras" else field
    assert capabilities(provider)[key].why in str(caught.value)


BOUNDED = [p for p in PROVIDERS if capabilities(p)["steps"].maximum is not None]  # Alibaba documents no range


@pytest.mark.parametrize("provider", BOUNDED)
def test_a_value_outside_the_providers_range_names_exactly_that_field(provider: str) -> None:
    """One field past its maximum: Untranslatable names that field and no other, with the rule."""
    caps = capabilities(provider)
    field = next(f for f in ("steps", "width", "guidance") if caps[f].supported and caps[f].maximum is not None)
    beyond = caps[field].maximum + (caps[field].multiple_of or 1)
    with pytest.raises(Untranslatable) as caught:
        translate(request(**{field: beyond}), provider)
    assert (field,) == caught.value.fields
    assert "maximum" == caught.value.problems[0].rule


def test_several_problems_are_reported_together() -> None:
    """Every field a provider cannot take is listed at once, not the first only."""
    with pytest.raises(Untranslatable) as caught:
        translate(request(width=4096, vae="v", denoising_strength=0.5, init_image={"url": "https://x/y.png"}), "picpik")
    assert {"width", "vae", "denoising_strength", "init_image"} == set(caught.value.fields)
    assert "picpik takes the image as base64; give init_image.base64" in str(caught.value)


def test_a_required_field_left_out_is_named() -> None:
    """A field the provider needs and the request leaves out: named, with the provider's own name for it."""
    data = request()
    del data["sampler"]
    with pytest.raises(Untranslatable) as caught:
        translate(data, "novita")
    assert ("sampler",) == caught.value.fields
    assert "novita requires it (sampler_name); give sampler" == caught.value.problems[0].message


def test_a_seed_the_provider_reads_as_random_is_untranslatable() -> None:
    """Tensor.Art reads seed 0 as "random": a canonical seed of 0 cannot go there as asked."""
    with pytest.raises(Untranslatable, match="means a random seed to tensorart"):
        translate(request(seed=0), "tensorart")
    assert 0 == translate(request(seed=0), "novita").payload["request"]["seed"]


def test_what_a_left_out_field_means_is_filled_and_reported() -> None:
    """A field the request leaves out but the provider requires gets what leaving it out means
    (PICPIK: a random seed, one image, no CLIP skip), each reported with why, as are fixed values."""
    translation = translate(request(), "picpik")
    assert (-1, 1, 1) == tuple(translation.payload[k] for k in ("Seed", "BatchSize", "ClipSkip"))
    reported = {pointer: why for pointer, _, why in translation.fixed}
    assert "/Seed" in reported and "/ModelType" in reported and "random" in reported["/Seed"]


def test_adapt_snaps_clamps_and_reports_each_change() -> None:
    """adapt=True: width onto Zhiqite's grid of 8, guidance into its range, the sampler's spelling; each reported."""
    translation = translate(request(width=500, guidance=40.0, sampler="euler a"), "zhiqite", adapt=True)
    assert (496, 30, "Euler a") == (translation.payload["width"], translation.payload["cfg_scale"],
                                    translation.payload["sampler_index"])  # fmt: skip
    assert {("width", 500, 496), ("guidance", 40.0, 30), ("sampler", "euler a", "Euler a")} == {
        (a.field, a.original, a.adapted) for a in translation.adaptations
    }


def test_adapt_scales_width_and_height_into_tensorarts_area_keeping_the_aspect() -> None:
    """1536 x 1536 is over Tensor.Art's 2,073,600 pixels: scaled onto its 64 grid, both reported."""
    translation = translate(request(width=1536, height=1536), "tensorart", adapt=True)
    diffusion = translation.payload["stages"][1]["diffusion"]
    assert (1408, 1408) == (diffusion["width"], diffusion["height"])
    assert diffusion["width"] * diffusion["height"] <= 2_073_600
    assert {"width", "height"} == {a.field for a in translation.adaptations}
    with pytest.raises(Untranslatable) as caught:
        translate(request(width=1536, height=1536), "tensorart")
    assert ("width x height",) == caught.value.fields


def test_models_maps_one_model_name_to_each_providers() -> None:
    """models= picks each provider's name for the model, overriding request.model."""
    models = {"novita": "sd_xl_base_1.0.safetensors", "picpik": "3"}
    assert (
        "sd_xl_base_1.0.safetensors" == translate(request(), "novita", models=models).payload["request"]["model_name"]
    )
    assert 3 == translate(request(), "picpik", models=models).payload["MainModelId"]


def test_a_payload_in_tensorarts_snake_case_canonicalizes_too() -> None:
    """Protobuf JSON's other spelling reads back the same."""
    job = translate(request(seed=7), "tensorart").payload
    snake = json.loads(json.dumps(job).replace("inputInitialize", "input_initialize").replace("imageResourceId",
                                                                                             "image_resource_id"))  # fmt: skip
    assert canonicalize("tensorart", job) == canonicalize("tensorart", snake)


# -- the mock completes what translate gives ----------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_in_process_mock_completes_translated_requests(provider: str) -> None:
    """A drawn request, translated (Tensor.Art's image uploaded first), is accepted and completed
    by the mock with as many images as asked."""
    mock = Mock(MockConfig(lifecycle="steps"), clock=ManualClock())

    @settings(max_examples=8, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(canonical_requests(provider))
    def check(r: CanonicalRequest) -> None:
        with mock.client(provider) as client:
            if capabilities(provider)["init_image"].transport == "resource-id":
                uploaded = client.upload_image(png(64, 64))  # type: ignore[attr-defined]
                r = r.model_copy(update={"init_image": image(url=None, resource_id=uploaded), "controlnet": None})
            task = client.generate(translate(r, provider).payload, poll_interval=0)
        assert TaskState.SUCCEEDED == task.state
        assert (r.count or 1) == len(task.images)

    check()


# -- the matrix ---------------------------------------------------------------------------------------


def test_the_matrix_is_every_capability_side_by_side() -> None:
    """matrix() holds each provider's capability dict for each canonical field."""
    document = matrix()
    assert list(PROVIDERS) == document["providers"]
    for field, cells in document["fields"].items():
        for provider, cell in cells.items():
            assert capabilities(provider)[field].to_dict() == cell


@pytest.mark.parametrize(("form", "marker"), [("markdown", "| field | aliyun |"), ("json", '"providers"'),
                                              ("html", "<table><thead>")])  # fmt: skip
def test_the_matrix_command_prints_each_format(form: str, marker: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`sdcontracts matrix --format F` prints the matrix; exit 0."""
    assert 0 == main(["matrix", "--format", form])
    assert marker in capsys.readouterr().out


def test_the_readme_shows_the_matrix_as_the_command_prints_it() -> None:
    """The README's capability matrix is `sdcontracts matrix`'s output: a schema edit shows there too."""
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert render("markdown") in readme
