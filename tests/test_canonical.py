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
from sdcontracts import Violation, _catalogue, _validation
from sdcontracts._cli import main
from sdcontracts.canonical import (
    CANONICAL_FIELDS,
    CanonicalRequest,
    Outcome,
    Untranslatable,
    _capabilities,
    _mapping,
    agenerate_all,
    canonicalize,
    capabilities,
    generate_all,
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


# -- clients take a canonical request ---------------------------------------------------------------

MODELS = {"novita": "sd_xl_base_1.0.safetensors", "picpik": "3", "aliyun": "sd_xl_base_1.0",
          "tensorart": "600423083519508503", "zhiqite": "sd_xl_base_1.0.safetensors"}  # fmt: skip
SENDABLE = {"base64": IMAGE["base64"], "url": IMAGE["url"]}  # no resource id: Tensor.Art's client uploads the bytes


def sendable(**fields: Any) -> dict[str, Any]:
    """A request all five providers take, its image in the forms a client can send without an upload."""
    return request(init_image=SENDABLE, **fields)


def received(mock: Mock, provider: str, operation: str = "img2img") -> list[Any]:
    """The JSON bodies the mock received for ``operation``, as sent (not redacted or shortened)."""
    return [json.loads(entry.json_body) for entry in mock.journal.entries(provider, operation)]


def contained(part: Any, whole: Any) -> bool:
    """Every value of ``part`` is in ``whole`` at the same place (objects may have more keys)."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(k in whole and contained(v, whole[k]) for k, v in part.items())
    if isinstance(part, list):
        return isinstance(whole, list) and len(part) == len(whole) and all(map(contained, part, whole))
    return bool(part == whole)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_client_generates_from_a_canonical_request(provider: str) -> None:
    """client.generate(request) sends what translate gives (plus what the client fills in) and the
    mock completes it with as many images as asked."""
    mock = Mock(MockConfig(lifecycle="steps"), clock=ManualClock())
    r = CanonicalRequest.model_validate(sendable(model=MODELS[provider], count=2, seed=5))
    with mock.client(provider) as client:
        task = client.generate(r, poll_interval=0)
    assert TaskState.SUCCEEDED == task.state
    assert 2 == len(task.images)
    [sent] = received(mock, provider)
    uploaded = canonicalize(provider, sent).init_image.resource_id  # Tensor.Art's, None for the others
    with_id = r.model_copy(update={"init_image": r.init_image.model_copy(update={"resource_id": uploaded})})
    expected = translate(with_id, provider).payload
    assert contained(expected, sent)  # and what the client adds: ids, credentials, signatures
    assert (uploaded is not None) == (1 == mock.journal.count(provider, "upload"))


def test_tensorart_uploads_an_image_given_as_bytes_and_sends_its_resource_id() -> None:
    """Tensor.Art takes images only as uploaded resources: the client uploads the bytes (the two
    steps), the job names the new resource, and the mock holds the image uploaded."""
    mock = Mock(MockConfig(lifecycle="steps"), clock=ManualClock())
    r = CanonicalRequest.model_validate(request(init_image={"base64": b64(png(64, 48))}, model=MODELS["tensorart"]))
    with mock.client("tensorart") as client:
        translation = client.translate(r)
        task = client.generate(r, poll_interval=0)
    assert TaskState.SUCCEEDED == task.state
    assert 2 == mock.journal.count("tensorart", "resource", 200)  # one upload for translate, one for generate
    assert 2 == mock.journal.count("tensorart", "upload")
    [job] = received(mock, "tensorart")
    resource_id = job["stages"][0]["inputInitialize"]["imageResourceId"]
    stored = mock.store.resource(resource_id)
    assert stored is not None and (64, 48) == (stored.width, stored.height)
    assert translation.payload["stages"][0]["inputInitialize"]["imageResourceId"] != resource_id  # a fresh upload


def test_a_client_uploads_nothing_when_the_image_has_a_resource_id_or_the_provider_takes_bytes() -> None:
    """An image with a resource id goes as it is; providers taking base64 or a URL upload nothing."""
    mock = Mock(MockConfig(lifecycle="steps"), clock=ManualClock())
    with mock.client("tensorart") as client:
        uploaded = client.upload_image(png(64, 64))
        r = CanonicalRequest.model_validate(request(init_image={"base64": b64(png(8, 8)), "resource_id": uploaded}))
        assert uploaded == client.translate(r).payload["stages"][0]["inputInitialize"]["imageResourceId"]
    with mock.client("novita") as novita:
        novita.translate(CanonicalRequest.model_validate(request(model=MODELS["novita"])))
    assert 1 == mock.journal.count("tensorart", "resource")  # the explicit upload only
    assert 0 == mock.journal.count("novita")


def test_an_untranslatable_request_sends_nothing() -> None:
    """Untranslatable is raised before any request: the mock receives nothing (Tensor.Art uploads
    nothing either when the image's base64 does not decode)."""
    mock = Mock(MockConfig(lifecycle="steps"), clock=ManualClock())
    with mock.client("zhiqite") as client, pytest.raises(Untranslatable) as caught:
        client.generate(CanonicalRequest.model_validate(request(width=1100)))
    assert ("width",) == caught.value.fields
    with mock.client("tensorart") as tensorart, pytest.raises(Untranslatable) as bad_image:
        tensorart.submit(CanonicalRequest.model_validate(request(init_image={"base64": "not base64!"})))
    assert ("init_image",) == bad_image.value.fields
    with pytest.raises(Untranslatable) as two:  # the image's problem hides no other field's
        translate(request(init_image={"base64": IMAGE["base64"]}, width=500), "tensorart")
    assert ("init_image", "width") == two.value.fields
    assert 0 == mock.journal.count()


def test_a_client_submits_a_translation_made_with_adapt_and_refuses_another_providers() -> None:
    """client.translate(adapt=True) reports its adaptations and its payload is what is sent; a
    translation for another provider is a ValueError, nothing sent."""
    mock = Mock(MockConfig(lifecycle="steps"), clock=ManualClock())
    with mock.client("zhiqite") as client:
        translation = client.translate(request(width=1100), adapt=True)
        submitted = client.submit(translation)
        with pytest.raises(ValueError, match="a translation for novita given to the zhiqite client"):
            client.submit(translate(request(model=MODELS["novita"]), "novita"))
    assert [("width", 1100, 1024)] == [(a.field, a.original, a.adapted) for a in translation.adaptations]
    [sent] = received(mock, "zhiqite")
    assert 1024 == sent["width"]
    assert submitted.id
    assert 1 == mock.journal.count("zhiqite")


def test_a_canonical_requests_warnings_reach_the_submitted_task() -> None:
    """Values the sources dispute are warnings of the translation, carried to Submitted.warnings."""
    mock = Mock(MockConfig(lifecycle="steps"), clock=ManualClock())
    with mock.client("zhiqite") as client:
        r = CanonicalRequest.model_validate(sendable(model=MODELS["zhiqite"], guidance=7.5))
        submitted = client.submit(r)
        translation = client.translate(r)
    assert translation.warnings == submitted.warnings
    assert {"zhiqite.cfg-scale-fraction"} == {w.dispute.id for w in submitted.warnings if w.dispute}


def test_generate_all_runs_one_request_through_the_five_providers() -> None:
    """One call: each provider's outcome, in the clients' order; a provider that cannot take the
    request is reported beside the others' tasks, not raised."""
    mock = Mock(MockConfig(lifecycle="steps"), clock=ManualClock())
    clients = [mock.client(provider) for provider in PROVIDERS]
    outcomes = generate_all(sendable(width=1100, count=2), clients, models=MODELS, poll_interval=0)
    assert list(PROVIDERS) == list(outcomes)
    refused = {p: o for p, o in outcomes.items() if not o.ok}
    assert {"tensorart", "zhiqite"} == set(refused)  # 1100 is no multiple of 64, and above Zhiqite's 1024
    for outcome in refused.values():
        assert isinstance(outcome.error, Untranslatable) and ("width",) == outcome.error.fields
        assert outcome.translation is None and outcome.task is None
    for provider, outcome in outcomes.items():
        if outcome.ok:
            assert outcome.task is not None and 2 == len(outcome.task.images), provider
    adapted = generate_all(sendable(width=1100, count=2), clients, models=MODELS, adapt=True, poll_interval=0)
    assert all(outcome.ok for outcome in adapted.values()), [str(o) for o in adapted.values()]
    for provider in refused:
        assert ["width"] == [a.field for a in adapted[provider].translation.adaptations]  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="two clients for novita"):
        generate_all(request(), [mock.client("novita"), mock.client("novita")])


def test_agenerate_all_runs_the_providers_concurrently_with_async_clients() -> None:
    """The asyncio twin gives the same outcomes, and a failing provider (its task fails) is an outcome."""
    import asyncio

    mock = Mock(MockConfig(lifecycle="steps"), clock=ManualClock())

    async def run() -> dict[str, Outcome]:
        clients = [mock.client(provider, asynchronous=True) for provider in PROVIDERS]
        return await agenerate_all(sendable(), clients, models=MODELS, poll_interval=0)

    outcomes = asyncio.run(run())
    assert list(PROVIDERS) == list(outcomes)
    assert all(outcome.ok for outcome in outcomes.values()), [str(o) for o in outcomes.values()]
    assert all(outcome.translation is not None for outcome in outcomes.values())


def test_the_readme_runs_one_request_through_the_five_providers_in_one_call(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The README's generate_all block, run as written, prints the outcomes its comments show."""
    import re
    from pathlib import Path

    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = text[text.index("Every client takes a canonical request") :]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block is not None
    code = block.group(1)
    shown = [line[2:] for line in code.splitlines() if line.startswith("# ")]
    exec(compile(code, "README.md", "exec"), {})
    assert shown == capsys.readouterr().out.splitlines()
    assert 5 == len(shown)


# -- translation details the properties above do not pin ---------------------------------------------


def test_the_translation_reports_what_leaving_a_field_out_means_with_its_value() -> None:
    """.fixed holds (pointer, value, why) for a field left out that the provider needs: Tensor.Art's VAE."""
    fixed = {pointer: (value, why) for pointer, value, why in translate(request(model="1"), "tensorart").fixed}
    value, why = fixed["/stages/1/diffusion/sdVae"]
    assert "Automatic" == value
    assert "Automatic" in why


def test_a_model_name_where_an_integer_id_is_wanted_is_untranslatable() -> None:
    """PICPIK names its models by integer ids: a model name is a problem of that field alone."""
    with pytest.raises(Untranslatable) as caught:
        translate(request(model="sd_xl_base_1.0"), "picpik")
    assert ("model",) == caught.value.fields
    assert "integer id" in caught.value.problems[0].message


def test_adapt_matches_a_samplers_spelling_to_the_one_it_names() -> None:
    """A sampler spelt in another case becomes the enum's own spelling, not some other sampler."""
    translation = translate(request(model="m.safetensors", sampler="dpm++ 2m"), "novita", adapt=True)
    assert "DPM++ 2M" == translation.payload["request"]["sampler_name"]
    assert [("sampler", "dpm++ 2m", "DPM++ 2M")] == [(a.field, a.original, a.adapted) for a in translation.adaptations]


def test_adapt_moves_a_value_above_an_exclusive_minimum() -> None:
    """Novita's strength is in (0, 1]: 0 becomes the least number above 0, which Novita takes."""
    translation = translate(request(model="m.safetensors", denoising_strength=0.0), "novita", adapt=True)
    assert 0 < translation.payload["request"]["strength"] < 1e-300
    from sdcontracts.canonical._translate import _numeric

    assert 4 == _numeric(_node(exclusive_maximum=5), 5, False)  # and below an exclusive maximum
    assert 1 == _numeric(_node(exclusive_minimum=0), 0, False)


def _node(**bounds: Any) -> Any:
    from types import SimpleNamespace

    fields = {"minimum": None, "maximum": None, "exclusive_minimum": None, "exclusive_maximum": None,
              "multiple_of": None, "enum": None, "types": ("integer",)}  # fmt: skip
    return SimpleNamespace(**{**fields, **bounds})


def test_adapt_snaps_onto_the_step_within_a_bound_that_is_off_the_step() -> None:
    """A minimum of 100 on a step of 64: a small value becomes 128, the least multiple in range."""
    from sdcontracts.canonical._translate import _numeric

    assert 128 == _numeric(_node(minimum=100, multiple_of=64), 10, False)
    assert 192 == _numeric(_node(maximum=200, multiple_of=64), 900, False)


@pytest.mark.parametrize(
    ("bounds", "expected"),
    [({"minimum": 1}, "integers from 1"), ({"maximum": 8}, "integers up to 8"),
     ({"minimum": 1, "maximum": 8, "multiple_of": 2}, "multiples of 2 from 1 to 8"),
     ({"enum": list("abcdef")}, "one of a, b, c, d, e, f"), ({"enum": list("abcdefg")}, "one of a, b, c, d, e, f, …"),
     ({"types": ("number",), "exclusive_minimum": 0}, "numbers from 0")],
)  # fmt: skip
def test_an_adaptations_reason_states_what_the_provider_allows(bounds: dict[str, Any], expected: str) -> None:
    """The why of an adaptation names the range, step or values (six values, then an ellipsis)."""
    from sdcontracts.canonical._translate import _allowed

    assert expected == _allowed(_node(**bounds))


def test_an_area_limit_after_another_kind_of_limit_still_applies() -> None:
    """Each area limit of a mapping is applied, whatever limits come before it."""
    import dataclasses

    from sdcontracts.canonical._mapping import Limit
    from sdcontracts.canonical._translate import _fit_limits

    mapping = provider_map("tensorart")
    other = Limit("ratio", ("width", "height"), 4, "tensorart.other")
    shaped = dataclasses.replace(mapping, limits=(other, *mapping.limits))
    payload = translate(request(model="1", width=512, height=512), "tensorart").payload
    diffusion = payload["stages"][1]["diffusion"]
    diffusion["width"] = diffusion["height"] = 4096
    adaptations: list[Any] = []
    _fit_limits("tensorart", shaped, payload, adaptations)
    assert ["width", "height"] == [a.field for a in adaptations]
    assert diffusion["width"] * diffusion["height"] <= mapping.limits[0].maximum


def test_a_violation_no_field_explains_is_named_by_its_pointer() -> None:
    """A problem about a place no canonical field goes is named by its JSON Pointer ("/" at the root)."""
    from sdcontracts.canonical._translate import _problem

    mapping = provider_map("novita")
    assert "/request/extra" == _problem(mapping, {}, Violation("/request/extra", "type", "m")).field
    assert "/" == _problem(mapping, {}, Violation("", "type", "m")).field


def test_a_field_tensorart_requires_is_named_as_the_request_names_it() -> None:
    """A required field under Tensor.Art's numbered stages is named "width", not by list position."""
    with pytest.raises(Untranslatable) as caught:
        translate({k: v for k, v in request(model="1").items() if k != "width"}, "tensorart")
    assert ("width",) == caught.value.fields
    assert "give width" in caught.value.problems[0].message


def test_a_controlnet_image_that_cannot_go_is_one_problem() -> None:
    """A unit's image in a form the provider does not take is that item's problem alone."""
    unit = {"model": "control_v11p_sd15_canny", "preprocessor": "canny", "image": {"base64": IMAGE["base64"]}}
    with pytest.raises(Untranslatable) as caught:
        translate(request(model="1", controlnet=[unit]), "tensorart")
    assert ("controlnet[0].image",) == caught.value.fields


def test_a_list_items_missing_member_that_only_its_image_would_fill_is_no_second_problem() -> None:
    """Were a unit's image member required, its absence (the image being the problem) is not reported twice."""
    from sdcontracts.canonical._translate import Problem, _consequence

    mapping = provider_map("tensorart")
    named = [Problem("controlnet[0].image", "takes the image as resource-id")]
    payload = {"stages": [{}, {"diffusion": {"controlnet": {"args": [{"model": "m"}]}}}]}
    missing = Violation("/stages/1/diffusion/controlnet/args/0", "required", "m", expected="inputImageResourceId")
    assert _consequence(mapping, named, payload, missing)
    other = Violation("/stages/1/diffusion/controlnet/args/0", "required", "m", expected="preprocessor")
    assert not _consequence(mapping, named, payload, other)
    assert not _consequence(mapping, [], payload, missing)


def test_a_vae_sorting_before_automatic_reads_back() -> None:
    """canonicalize (which reads any payload, valid or not) leaves out only the VAE that means
    "none named" (Automatic), not one sorting near it."""
    payload = translate(request(model="1"), "tensorart").payload
    payload["stages"][1]["diffusion"]["sdVae"] = "Anything-v4.vae.pt"
    assert "Anything-v4.vae.pt" == canonicalize("tensorart", payload).vae
    payload["stages"][1]["diffusion"]["sdVae"] = "Automatic"
    assert canonicalize("tensorart", payload).vae is None


def test_adapt_moves_a_fraction_below_an_exclusive_maximum_of_zero() -> None:
    """Below an exclusive maximum of 0 is the greatest negative number, not 0."""
    from sdcontracts.canonical._translate import _numeric

    assert 0 > _numeric(_node(types=("number",), exclusive_maximum=0), 0.5, True) > -1e-300


def test_an_area_limit_waits_for_both_sides() -> None:
    """adapt with a width and no height leaves the area alone and names the missing height."""
    fields = {k: v for k, v in request(model="1", width=4096).items() if k != "height"}
    with pytest.raises(Untranslatable) as caught:
        translate(fields, "tensorart", adapt=True)
    assert ("height",) == caught.value.fields


def test_an_area_limit_never_scales_a_side_below_its_minimum() -> None:
    """Scaled into a small area, a side stops at its minimum (512 for Tensor.Art), on the step."""
    import dataclasses

    from sdcontracts.canonical._translate import _fit_limits

    mapping = provider_map("tensorart")
    small = dataclasses.replace(mapping, limits=(dataclasses.replace(mapping.limits[0], maximum=300_000),))
    payload = translate(request(model="1", width=1536, height=512), "tensorart").payload
    _fit_limits("tensorart", small, payload, [])
    diffusion = payload["stages"][1]["diffusion"]
    assert (896, 512) == (diffusion["width"], diffusion["height"])


def test_a_violation_with_an_expected_string_is_named_by_its_own_place() -> None:
    """Only a required violation's expected value is a field name; a pattern's is not."""
    from sdcontracts.canonical._translate import _problem

    mapping = provider_map("novita")
    violation = Violation("/request/prompt", "pattern", "m", expected="^x$")
    assert "prompt" == _problem(mapping, {"/request/prompt": "prompt"}, violation).field


def test_reading_a_missing_list_item_is_nothing() -> None:
    """A pointer through a list too short, or not a list, reads as absent."""
    from sdcontracts.canonical._translate import _get

    assert _get({"a": []}, ("a", "0")) is None
    assert _get({"a": {"0": 1}}, ("a", "0")) is None
    assert 1 == _get({"a": [1]}, ("a", "0"))


def test_tensorarts_random_seed_reads_back_as_no_seed() -> None:
    """canonicalize reads the provider's random-seed value (0 for Tensor.Art) as the seed left out."""
    payload = translate(request(model="1", seed=7), "tensorart").payload
    assert 7 == canonicalize("tensorart", payload).seed
    payload["stages"][0]["inputInitialize"]["seed"] = 0
    assert canonicalize("tensorart", payload).seed is None
