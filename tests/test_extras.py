"""Optional dependencies: what works without each extra, and the error that names a missing one."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from sdcontracts._cli import main
from sdcontracts._extras import EXTRAS, MissingExtra

ROOT = Path(__file__).parent.parent


def without(modules: list[str], *argv: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh interpreter where ``modules`` cannot be imported, as when their extra is absent."""
    block = "".join(f"sys.modules[{m!r}] = None; " for m in modules)
    code = f"import sys; {block}from sdcontracts._cli import main; sys.exit(main({list(argv)!r}))"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_conformance_help_works_without_any_extra() -> None:
    """`sdcontracts conformance --help` on a bare install shows the whole usage, not an empty one."""
    result = without(["hypothesis", "PIL", "respx", "uvicorn"], "conformance", "--help")
    assert 0 == result.returncode, result.stderr
    assert "--budget N" in result.stdout and "exit status:" in result.stdout and "replay:FILE" in result.stdout


def test_conformance_without_hypothesis_names_the_conformance_extra() -> None:
    result = without(["hypothesis"], "conformance", "--provider", "novita")
    assert 2 == result.returncode
    assert [
        "sdcontracts conformance: error: sdcontracts conformance (it generates the cases) needs hypothesis, "
        "from the 'conformance' extra: pip install 'sdcontracts[conformance]'"
    ] == result.stderr.splitlines()


def test_conformance_on_the_mock_without_pillow_names_the_mock_extra_instead_of_failing_every_case(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without Pillow the mock cannot render result images: one line naming the extra, nothing sent."""
    monkeypatch.setitem(sys.modules, "PIL", None)
    code = main(["conformance", "--provider", "novita", "--examples", "2", "--no-progress"])
    captured = capsys.readouterr()
    assert (2, "") == (code, captured.out)
    assert [
        "sdcontracts conformance: error: the mock (it renders the result images) needs pillow, from the 'mock' "
        "extra: pip install 'sdcontracts[mock]'"
    ] == captured.err.splitlines()


def test_the_mock_and_its_router_name_their_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from sdcontracts.mock import Mock

    mock = Mock()
    monkeypatch.setitem(sys.modules, "respx", None)
    with pytest.raises(MissingExtra, match=r"Mock.router\(\) needs respx, from the 'mock' extra"):
        mock.router()
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(MissingExtra, match="needs pillow, from the 'mock' extra"):
        Mock()


def test_the_strategies_without_hypothesis_name_the_conformance_extra() -> None:
    code = "import sys; sys.modules['hypothesis'] = None; import sdcontracts.strategies"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "MissingExtra: sdcontracts.strategies needs hypothesis, from the 'conformance' extra" in result.stderr


def test_each_extra_named_in_errors_brings_that_module_and_the_readme_lists_every_extra() -> None:
    """The table behind the errors agrees with pyproject.toml, and the README's Install table lists each extra."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    for module, (distribution, extra) in EXTRAS.items():
        names = [re.split(r"[\[<>=]", requirement)[0].lower() for requirement in extras[extra]]
        assert distribution in names, (module, extra)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    install = readme[readme.index("## Install") : readme.index("## Validate a request")]
    listed = re.findall(r"^\| `(\w+)` \|", install, re.M)
    assert sorted(extras) == sorted(listed)
