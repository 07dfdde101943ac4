"""The examples in docstrings and the README stay true."""

from __future__ import annotations

import doctest
import importlib
import json
import re
from pathlib import Path

import pytest

import sdcontracts

MODULES = [
    "sdcontracts",
    "sdcontracts._validation",
    "sdcontracts._disputes",
    "sdcontracts.canonical",
    "sdcontracts.canonical._capabilities",
    "sdcontracts.canonical._translate",
    "sdcontracts.openapi",
    "sdcontracts.rules",
    "sdcontracts.rules._registry",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    """Every >>> example in the public modules' docstrings gives the output it shows."""
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert 0 == result.failed
    assert result.attempted > 0


def test_readme_starts_with_the_two_commands() -> None:
    """The README opens with exactly `make demo` and `make test` in one code block."""
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```\n(.*?)```", text, re.S)
    assert first_block is not None and text.index("```") < 40
    assert ["make demo", "make test"] == first_block.group(1).split("\n")[:-1]


def test_readme_rule_table_names_every_schema_rule() -> None:
    """Every rule id the engine can report is explained in the README's table."""
    from sdcontracts._cli import SCHEMA_RULES

    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert [] == [rule for rule in SCHEMA_RULES if f"`{rule}`" not in text]
    assert sdcontracts.__version__ in (Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8")


def curl_block() -> str:
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    start = text.index("Each provider answers a plain `curl`")
    block = re.search(r"```sh\n(.*?)```", text[start:], re.S)
    assert block is not None
    return block.group(1)


def test_readme_curl_lines_work_against_the_mock_server() -> None:
    """The README's curl lines, run as written by bash against `mock serve`'s server, all succeed."""
    import shutil
    import subprocess

    from sdcontracts.mock import Mock
    from sdcontracts.mock.asgi import BackgroundServer

    assert shutil.which("curl") and shutil.which("openssl"), "the README's examples need curl and openssl"
    with BackgroundServer(Mock()) as url:
        script = "set -euo pipefail\n" + curl_block().replace("MOCK=http://127.0.0.1:8000", f"MOCK={url}")
        result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
    lines = result.stdout.strip().splitlines()
    assert (0, 5) == (result.returncode, len(lines)), result.stderr + result.stdout
    novita, tensorart, picpik, zhiqite, aliyun = (json.loads(line) for line in lines)
    assert "TASK_STATUS_QUEUED" == novita["task"]["status"]
    assert "CREATED" == tensorart["job"]["status"]
    assert (0, "GenerateImg2ImgResponse") == (picpik["RetCode"], picpik["Action"])
    assert ("200", "demo-1") == (zhiqite["code"], zhiqite["data"]["task_id"])
    assert (10, "waiting") == (aliyun["status"], aliyun["data"]["status"])


# Found by Schemathesis in the working directory; it keeps these runs short (as written, the README
# commands run every phase).
SCHEMATHESIS_TOML = """
[generation]
max-examples = 5

[phases.coverage]
enabled = false

[phases.stateful]
enabled = false
"""


def openapi_section() -> str:
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    return text[text.index("**Schemathesis** against the mock") : text.index("**Prism** serves the contract")]


def test_readme_schemathesis_commands_pass_against_the_mock_server(tmp_path: Path) -> None:
    """The README's export and `schemathesis run` lines, its hooks file included, run as written by
    bash against `mock serve`'s server (only the port and the .venv path differ), exit 0."""
    import shutil
    import subprocess
    import sys

    from sdcontracts.mock import Mock
    from sdcontracts.mock.asgi import BackgroundServer

    section = openapi_section()
    commands = re.search(r"```sh\n(.*?)```", section, re.S)
    hooks = re.search(r"```python\n(.*?)```", section, re.S)
    assert commands is not None and hooks is not None and "sd_hooks" in commands.group(1)
    (tmp_path / "sd_hooks.py").write_text(hooks.group(1), encoding="utf-8")
    (tmp_path / "schemathesis.toml").write_text(SCHEMATHESIS_TOML, encoding="utf-8")
    assert shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    with BackgroundServer(Mock()) as url:
        script = "set -euo pipefail\n" + commands.group(1).replace("MOCK=http://127.0.0.1:8000", f"MOCK={url}")
        script = script.replace(".venv/bin/", f"{Path(sys.executable).parent}/")
        result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert 0 == result.returncode, result.stdout[-4000:] + result.stderr[-2000:]
    assert {"novita.openapi.json", "aliyun.openapi.json"} <= {p.name for p in tmp_path.iterdir()}
    assert 2 == result.stdout.count("API Operations:"), result.stdout[-4000:]  # two runs, each to its summary


def test_readme_schemathesis_pytest_example_passes(tmp_path: Path) -> None:
    """The README's in-process pytest example, saved as a test file and run by pytest, passes."""
    import subprocess
    import sys

    section = openapi_section()
    start = section.index("In a test, Schemathesis calls the mock in-process")
    example = re.search(r"```python\n(.*?)```", section[start:], re.S)
    assert example is not None
    (tmp_path / "test_readme_example.py").write_text(example.group(1), encoding="utf-8")
    (tmp_path / "schemathesis.toml").write_text(SCHEMATHESIS_TOML, encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_readme_example.py"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert 0 == result.returncode, result.stdout[-4000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout  # one test per operation


ROOT = Path(__file__).parent.parent


def test_readme_rule_table_names_the_rules_of_json_text() -> None:
    """duplicate-key, which `validate FILE` reports, is among the documented rule ids too."""
    from sdcontracts._cli import TEXT_RULES

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("## What is checked") : text.index("## Schemas and the doc-example corpus")]
    assert ["duplicate-key"] == [rule for rule in TEXT_RULES if f"| `{rule}` |" in table]


def test_readme_lists_every_mock_setting() -> None:
    """Every MockConfig field has a row in the README's settings table, and every row is a field."""
    from dataclasses import fields

    from sdcontracts.mock import MockConfig

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("| setting | default | what it does |") :].split("\n\n")[0]
    documented = {name for cell in re.findall(r"^\| ([^|]+) \|", table, re.M) for name in re.findall(r"`(\w+)`", cell)}
    assert {f.name for f in fields(MockConfig)} == documented


def test_doc_sources_say_where_to_read_them() -> None:
    """A violation's doc cites a page or repository a reader can open, never a file that is not shipped
    (the provider-docs copies and research notes the schemas were written from)."""
    for provider in sdcontracts.providers():
        info = sdcontracts._catalogue.provider_info(provider)
        for key, title in info["sources"].items():
            assert not re.search(r"provider-docs|research notes|\.txt\b", title), (provider, key, title)
            if not title.startswith("constructed by sdcontracts"):  # an example of ours says so, and cites nothing
                assert re.search(r"[\w-]+\.[a-z]{2,}(/|\b)|[\w-]+/[\w.-]+", title), (provider, key, title)
        assert info["docs"].startswith("https://"), provider


def test_pyproject_cites_only_files_in_the_repository() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert [] == [name for name in re.findall(r"[\w./-]+\.md\b", text) if not (ROOT / name).is_file()]


def test_the_license_is_mit_as_pyproject_says_and_ships_with_the_package() -> None:
    from importlib.metadata import files, metadata

    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert "MIT" == metadata("sdcontracts")["License-Expression"]
    shipped = [f for f in files("sdcontracts") or () if f.name == "LICENSE"]
    assert 1 == len(shipped) and shipped[0].read_text().startswith("MIT License\n")
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_the_rule_guide_shows_a_real_rule_and_the_files_it_names_exist() -> None:
    from sdcontracts.rules._registry import registered
    from sdcontracts.rules.picpik import RULES  # noqa: F401  (registers the rule the guide shows)

    guide = (ROOT / "src/sdcontracts/rules/README.md").read_text(encoding="utf-8")
    assert registered()["picpik.submodels-need-custom-model"].doc in guide
    for path in re.findall(r"`((?:src|schemas|tests)/[\w./<>-]+)`", guide):
        concrete = path.replace("<provider>", "picpik")
        assert (ROOT / concrete).exists(), path
    assert "_submodels_with_combined" in (ROOT / "src/sdcontracts/strategies/_picpik.py").read_text(encoding="utf-8")
