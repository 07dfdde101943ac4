"""A sixth provider, Acme, added as a plugin: the files of the README's "Adding a provider" guide,
installed as a package declaring them by entry point, with no edit anywhere else.

The plugin is a folder on ``PYTHONPATH`` with a ``.dist-info`` holding its entry point (what pip
would install from the guide's ``pyproject.toml``), so everything runs in a subprocess that sees
it: validation, the registry, the mock in-process and over HTTP, the strategies, conformance and
the OpenAPI export.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def guide() -> str:
    """The README's "Adding a provider" section."""
    return README.read_text("utf-8").split("\n## Adding a provider\n")[1].split("\n## ")[0]


def guide_files() -> dict[str, str]:
    """The guide's files: name -> text (each block follows a ``<!-- file: NAME -->`` line)."""
    return dict(re.findall(r"<!-- file: (\S+) -->\n```json\n(.*?)```", guide(), re.S))


def guide_entry_points() -> dict[str, str]:
    """The entry points the guide's ``pyproject.toml`` declares in sdcontracts' group."""
    block = re.search(r"```toml\n(.*?)```", guide(), re.S)
    assert block is not None
    declared: dict[str, str] = tomllib.loads(block.group(1))["project"]["entry-points"]["sdcontracts.providers"]
    return declared


def install(root: Path, package: str, files: dict[str, str], entry_points: dict[str, str]) -> None:
    """``package`` with ``files`` and a dist-info declaring ``entry_points``, as pip would lay them out."""
    folder = root / package
    folder.mkdir()
    (folder / "__init__.py").write_text("", "utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, "utf-8")
    info = root / f"{package}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package.replace('_', '-')}\nVersion: 1.0\n")
    lines = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[sdcontracts.providers]\n{lines}", "utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    install(root, "acme_sd", guide_files(), guide_entry_points())
    return root


def environment(site: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(site), "PYTHONHASHSEED": "0"}


def python(site: Path, script: str) -> Any:
    """What ``script`` prints (one JSON document), run where the plugin is installed."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)], env=environment(site), capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert 0 == done.returncode, done.stderr
    return json.loads(done.stdout)


IN_PROCESS = """
import asyncio, base64, io, json
from hypothesis import given, settings, HealthCheck, strategies as st
from PIL import Image
import sdcontracts
from sdcontracts.conformance import TargetSpec, run
from sdcontracts.mock import Mock, MockConfig
from sdcontracts.openapi import document
from sdcontracts.strategies import invalid_requests, rule_ids, valid_requests

buffer = io.BytesIO()
Image.new("RGB", (64, 48)).save(buffer, "PNG")
PNG = base64.b64encode(buffer.getvalue()).decode()
seen = {}
seen["providers"] = list(sdcontracts.providers())
seen["provider"] = [sdcontracts.provider("acme").name, sdcontracts.provider("acme").origin]
bad = {"prompt": "", "image": PNG, "n": 9, "width": 100, "tags": ["a", "a"], "colour": "red"}
seen["violations"] = [[v.rule, v.path] for v in sdcontracts.validate("acme", bad).violations]
seen["valid"] = sdcontracts.validate("acme", {"prompt": "a cat", "image": PNG}).ok
guide = sdcontracts.validate("acme", {"prompt": "a cat", "image": "", "n": 9}).violations
seen["guide"] = ", ".join(f"{v.rule} {v.path}" for v in guide)

mock = Mock(MockConfig(lifecycle="steps"))
with mock.client("acme") as client:
    task = client.generate({"prompt": "a cat", "image": PNG, "n": 2, "format": "jpeg"}, poll_interval=0)
    sizes = [Image.open(io.BytesIO(client.download(image))).format for image in task.images]
    seen["task"] = [type(client).__name__, task.state.value, len(task.images), sizes]
    try:
        client.submit({"prompt": "a cat"}, validate=False)
    except sdcontracts.ProviderError as error:
        seen["rejected"] = [type(error).__name__, error.status_code, error.code]

async def generate():
    async with mock.client("acme", asynchronous=True) as client:
        task = await client.generate({"prompt": "a dog", "image": PNG}, poll_interval=0)
        return [type(client).__name__, task.state.value, len(task.images)]
seen["async"] = asyncio.run(generate())

valid, rules = [], set()
@settings(max_examples=25, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(valid_requests("acme"), invalid_requests("acme"))
def draw(payload, case):
    valid.append(sdcontracts.validate("acme", payload).ok)
    rules.add(case.rule)
    assert case.rule in {v.rule for v in sdcontracts.validate("acme", case.payload).violations}
draw()
seen["strategies"] = [all(valid), sorted(rules), rule_ids("acme")]

result = run(["acme"], TargetSpec("mock"), examples=30, seed=5, workers=1)
seen["conformance"] = [result.verdict, [str(d) for d in result.disagreements()][:3]]
spec = document("acme", servers=["http://127.0.0.1:8000"])
seen["openapi"] = [spec["openapi"], sorted(spec["paths"]), sorted(spec["components"]["securitySchemes"])]
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def seen(site: Path) -> Any:
    return python(site, IN_PROCESS)


def test_the_plugin_is_a_provider_of_the_registry(seen: Any) -> None:
    """`sdcontracts.providers()` lists it beside the five built in; `provider()` names where it comes from."""
    assert ["acme", "aliyun", "novita", "picpik", "tensorart", "zhiqite"] == seen["providers"]
    assert ["Acme Diffusion v1", "acme-sd (acme_sd)"] == seen["provider"]


def test_validate_reads_the_plugin_schemas(seen: Any) -> None:
    """Each constraint of its request schema is a violation with its pointer and rule id."""
    expected = [
        ["min-length", "/prompt"],
        ["maximum", "/n"],
        ["multiple-of", "/width"],
        ["unique-items", "/tags/1"],
        ["unknown-field", "/colour"],
    ]
    assert (sorted(expected), True) == (sorted(seen["violations"]), seen["valid"])


def test_the_guide_states_what_validate_reports(seen: Any) -> None:
    """The guide's own example shows the violations `validate` gives."""
    assert f"violations   # {seen['guide']}\n" in guide()


def test_the_in_process_mock_serves_it_to_the_generic_clients(seen: Any) -> None:
    """The generic client submits, polls and downloads what the generic handler makes; a request
    breaking the schema is the provider's own 400 error."""
    assert ["AcmeClient", "succeeded", 2, ["JPEG", "JPEG"]] == seen["task"]
    assert ["AsyncAcmeClient", "succeeded", 1] == seen["async"]
    assert ["RequestRejected", 400, "invalid_request"] == seen["rejected"]


def test_strategies_draw_valid_and_labelled_invalid_requests(seen: Any) -> None:
    """Valid requests validate; each invalid one breaks the rule it is labelled with, one the
    schema states (the plugin's rule ids are read off its schema)."""
    valid, rules, known = seen["strategies"]
    expected = ["enum", "image-dimensions", "image-encoding", "image-format", "max-items", "max-length", "maximum",
                "min-length", "minimum", "multiple-of", "required", "type", "unique-items", "unknown-field"]  # fmt: skip
    assert (True, expected, []) == (valid, known, sorted(set(rules) - set(known)))


def test_conformance_against_the_in_process_mock_conforms(seen: Any) -> None:
    """Every generated case agrees, and every rule is judged."""
    assert "conforming" == seen["conformance"][0]


def test_openapi_exports_its_operations(seen: Any) -> None:
    """The export documents its two operations and its bearer auth."""
    assert ["3.1.0", ["/v1/img2img", "/v1/tasks/{id}"], ["bearer"]] == seen["openapi"]


@pytest.fixture
def served(site: Path) -> Iterator[str]:
    command = [sys.executable, "-m", "sdcontracts", "mock", "serve", "--port", "0", "--provider", "acme",
               "--lifecycle", "steps"]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=environment(site)) as process:  # fmt: skip
        assert process.stdout is not None
        banner = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", banner)
        assert url is not None, banner + process.stderr.read() if process.stderr else banner
        try:
            yield url.group(0)
        finally:
            process.terminate()
            process.communicate(timeout=10)


def test_conformance_over_http_against_mock_serve_conforms(site: Path, served: str) -> None:
    """`sdcontracts mock serve --provider acme` serves it over HTTP, and `sdcontracts conformance`
    finds every case agreeing (exit 0)."""
    command = [sys.executable, "-m", "sdcontracts", "conformance", "--provider", "acme", "--target", served,
               "--examples", "40", "--seed", "3", "--workers", "1", "--no-progress", "--failures", str(site / "f")]  # fmt: skip
    done = subprocess.run(command, env=environment(site), capture_output=True, text=True, timeout=300)
    assert (0, "conforming") == (done.returncode, "conforming" if "conforming:" in done.stdout else done.stdout)


def test_a_plugin_reusing_a_built_in_id_is_an_error_at_load(tmp_path: Path) -> None:
    """A second provider named ``novita`` is a DuplicateProvider naming both, not an override."""
    install(tmp_path, "clash_sd", guide_files(), {"novita": "clash_sd"})
    script = """
    import json, sdcontracts
    try:
        sdcontracts.providers()
    except sdcontracts.DuplicateProvider as error:
        print(json.dumps(str(error)))
    """
    message = python(tmp_path, script)
    assert "two providers are named 'novita': sdcontracts and clash-sd (clash_sd)" in message
