"""Generated models: reproducible from the schemas, faithful to them, and pleasant to type-check."""

from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pydantic
import pytest

import sdcontracts
from sdcontracts import _catalogue, _codegen
from sdcontracts._corpus import examples

ROOT = Path(__file__).parents[1]


def test_committed_models_equal_a_fresh_generation(tmp_path: Path) -> None:
    """Regenerating into a temporary folder reproduces generated/ byte for byte (CI's drift check)."""
    fresh = _codegen.generate(ROOT / "schemas", tmp_path, config=ROOT / "pyproject.toml")
    committed = ROOT / "generated"
    assert sorted(p.name for p in committed.glob("*.py")) == sorted(p.name for p in fresh)
    stale = [p.name for p in fresh if (committed / p.name).read_bytes() != p.read_bytes()]
    assert [] == stale, "generated/ is out of date: run `make generate`"


def test_check_mode_reports_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`generate --check` exits 1 and names the file that would change."""
    out = tmp_path / "generated"
    _codegen.generate(ROOT / "schemas", out, config=ROOT / "pyproject.toml")
    (out / "novita.py").write_text("# edited by hand\n")
    assert 1 == _codegen.main(["--schemas", str(ROOT / "schemas"), "--out", str(out), "--check"])
    assert "novita.py" in capsys.readouterr().err


def test_generation_errors_are_reported_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A schemas folder without providers is a clear error, not a traceback."""
    assert 2 == _codegen.main(["--schemas", str(tmp_path), "--out", str(tmp_path / "out")])
    assert "no provider schemas" in capsys.readouterr().err


def test_bundle_refuses_two_different_definitions_with_one_name(tmp_path: Path) -> None:
    """Hoisting $defs merges identical duplicates but rejects clashing ones."""
    provider = tmp_path / "p"
    provider.mkdir()
    for name, kind in (("a.response", "string"), ("b.response", "integer")):
        title = name.replace(".", "_")
        schema = {
            "title": title,
            "type": "object",
            "properties": {"x": {"$ref": "#/$defs/X"}},
            "$defs": {"X": {"type": kind}},
        }
        (provider / f"{name}.schema.json").write_text(json.dumps(schema))
    with pytest.raises(_codegen.GenerationError, match="two different definitions named 'X'"):
        _codegen.bundle(tmp_path, "p")


VALID = [e for e in examples() if e.verdict == "valid"]


def model_for(provider: str, schema: str) -> type[pydantic.BaseModel]:
    title = _catalogue.raw_schema(provider, schema)["title"]
    model: type[pydantic.BaseModel] = getattr(importlib.import_module(f"sdcontracts.models.{provider}"), title)
    return model


def camel(value: Any) -> Any:
    """A protobuf-JSON payload with every key in its lowerCamel spelling (what a model dumps)."""
    if isinstance(value, dict):
        return {re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), k): camel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel(item) for item in value]
    return value


@pytest.mark.parametrize("example", VALID, ids=[f"{e.provider}/{e.name}" for e in VALID])
def test_valid_examples_round_trip_through_their_models(example: Any) -> None:
    """model_validate then model_dump(by_alias, exclude_unset) gives the wire payload back (a
    Tensor.Art payload spelt snake_case comes back in its lowerCamel spelling: the same message);
    examples valid with warnings included, since the models accept what is accepted by default."""
    model = model_for(example.provider, example.schema)
    expected = (
        camel(example.payload)
        if _catalogue.raw_schema(example.provider, example.schema).get("x-protojson")
        else example.payload
    )
    assert expected == model.model_validate(example.payload).model_dump(by_alias=True, exclude_unset=True, mode="json")


@pytest.mark.parametrize(
    ("provider", "schema"), [(p, s) for p in sdcontracts.providers() for s in sdcontracts.schemas(p)]
)
def test_every_schema_has_a_model_named_by_its_title(provider: str, schema: str) -> None:
    """Each schema root is a class in sdcontracts.models.<provider>."""
    assert issubclass(model_for(provider, schema), pydantic.BaseModel)


def test_request_models_forbid_unknown_fields_and_responses_keep_them() -> None:
    """Closed request schemas give extra="forbid"; open responses keep provider additions."""
    from sdcontracts.models import novita

    with pytest.raises(pydantic.ValidationError):
        novita.Img2ImgRequest.model_validate({"request": {"cfg_scale": 7}})
    response = novita.Img2ImgResponse.model_validate({"task_id": "t", "new_field": 1})
    assert {"task_id": "t", "new_field": 1} == response.model_dump(by_alias=True)


def test_tensorart_accepts_snake_case_and_emits_camel_case() -> None:
    """Proto (snake_case) names build the model; dumping by alias gives lowerCamel JSON names."""
    from sdcontracts.models import tensorart

    job = tensorart.CreateJobRequest.model_validate(
        {
            "request_id": "r",
            "stages": [{"type": "INPUT_INITIALIZE", "input_initialize": {"image_resource_id": "i", "count": 1}}],
        }
    )
    assert {
        "requestId": "r",
        "stages": [{"type": "INPUT_INITIALIZE", "inputInitialize": {"imageResourceId": "i", "count": 1}}],
    } == (job.model_dump(by_alias=True, exclude_unset=True))


def test_tensorart_stages_are_a_discriminated_union() -> None:
    """Each stage parses to the model its type names; a type with the wrong member fails."""
    from sdcontracts.models import tensorart

    diffusion = {"width": 512, "height": 512, "prompts": [], "negativePrompts": [], "sampler": "Euler", "sdVae": "None"}
    job = tensorart.CreateJobRequest.model_validate(
        {
            "requestId": "r",
            "stages": [
                {"type": "INPUT_INITIALIZE", "inputInitialize": {}},
                {"type": "DIFFUSION", "diffusion": diffusion},
            ],
        }
    )
    assert [tensorart.InputInitializeStage, tensorart.DiffusionStage] == [type(s) for s in job.stages]
    with pytest.raises(pydantic.ValidationError):
        tensorart.CreateJobRequest.model_validate(
            {"requestId": "r", "stages": [{"type": "DIFFUSION", "imageToUpscaler": {}}]}
        )


def test_int64_fields_take_numbers_and_strings() -> None:
    """A protobuf int64 (the seed) is `str | int` in the model."""
    from sdcontracts.models import tensorart

    assert ["-1", 7] == [tensorart.InputInitialize(seed=s).seed for s in ("-1", 7)]


USAGE = """
from sdcontracts.models.novita import Img2ImgParameters, Img2ImgRequest, TaskResultResponse
from sdcontracts.models.tensorart import CreateJobRequest, DiffusionStage, InputInitializeStage
from sdcontracts.clients.novita import NovitaClient
from sdcontracts.clients import Task

def build(image: str) -> Img2ImgRequest:
    params = Img2ImgParameters(
        model_name="m", image_base64=image, prompt="a cat", width=512, height=512, image_num=1, steps=20,
        guidance_scale=7.5, sampler_name="Euler a",
    )
    return Img2ImgRequest(request=params)

def use(request: Img2ImgRequest, job: CreateJobRequest, client: NovitaClient) -> float:
    first = job.stages[0]
    if isinstance(first, InputInitializeStage):
        count: int | None = first.input_initialize.count
    task: Task[TaskResultResponse] = client.wait(client.submit(request))
    status: str = task.response.task.status
    return request.request.guidance_scale + len(status) + (count or 0)
"""


def test_generated_models_and_clients_type_check_under_mypy_strict(tmp_path: Path) -> None:
    """A small program using the models and a client passes `mypy --strict`."""
    program = tmp_path / "usage.py"
    program.write_text(USAGE)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / ".mypy"),
            str(program),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert 0 == result.returncode, result.stdout
