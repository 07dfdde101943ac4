"""The command line: output, JSON mode and exit codes (0 valid, 1 invalid, 2 usage/unreadable)."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import b64, png

from sdcontracts._cli import main

VALID = {
    "request": {
        "model_name": "m", "image_base64": b64(png(64, 64)), "prompt": "a cat", "width": 512, "height": 512,
        "image_num": 1, "steps": 20, "guidance_scale": 7, "sampler_name": "Euler a",
    }
}  # fmt: skip


def write(tmp_path: Path, name: str, payload: Any) -> str:
    path = tmp_path / name
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload), encoding="utf-8")
    return str(path)


def test_valid_file_exits_0_and_says_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A valid request prints 'valid' and exits 0."""
    path = write(tmp_path, "ok.json", VALID)
    assert 0 == main(["validate", "novita", path])
    assert f"{path}: valid (novita img2img.request)\n" == capsys.readouterr().out


def test_invalid_file_exits_1_and_lists_each_violation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Violations print with pointer, rule id and message; exit 1."""
    payload = json.loads(json.dumps(VALID))
    payload["request"]["width"] = 4096
    payload["request"]["cfg_scale"] = 7
    assert 1 == main(["validate", "novita", write(tmp_path, "bad.json", payload)])
    out = capsys.readouterr().out
    assert "2 violations" in out
    assert "/request/width  [maximum]" in out and "above the maximum 2048" in out
    assert "/request/cfg_scale  [unknown-field]" in out and "did you mean 'guidance_scale'?" in out


def test_json_output_is_one_document_with_overall_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints {ok, results: [{file, provider, schema, ok, violations}]} for any number of files."""
    good, bad = write(tmp_path, "a.json", VALID), write(tmp_path, "b.json", {})
    assert 1 == main(["validate", "novita", good, bad, "--json"])
    document = json.loads(capsys.readouterr().out)
    assert False is document["ok"]
    assert [good, bad] == [r["file"] for r in document["results"]]
    assert [True, False] == [r["ok"] for r in document["results"]]
    assert "required" == document["results"][1]["violations"][0]["rule"]


def test_standard_input_is_read_for_dash(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """FILE '-' (the default) reads JSON from standard input."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(VALID)))
    assert 0 == main(["validate", "novita"])
    assert "<stdin>: valid" in capsys.readouterr().out


def test_no_input_on_a_terminal_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no FILE and a terminal on stdin, it says so instead of waiting; exit 2."""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    assert 2 == main(["validate", "novita"])
    assert "no input" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["validate", "novitta", "x.json"], "did you mean 'novita'?"),
        (["validate", "novita", "--schema", "task.request", "x.json"], "unknown schema for novita: 'task.request'"),
        (["validate", "novita", "/nonexistent/file.json"], "cannot read /nonexistent/file.json"),
    ],
)
def test_usage_errors_exit_2_with_a_message_and_no_traceback(
    argv: list[str], fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unknown provider or schema, unreadable file: exit 2, one-line error on stderr."""
    assert 2 == main(argv)
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_malformed_json_exits_2_naming_the_position(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is not JSON is unreadable input: exit 2 with the parser's position."""
    assert 2 == main(["validate", "novita", write(tmp_path, "broken.json", '{"request": {,}}')])
    assert "is not JSON: Expecting property name enclosed in double quotes: line 1 column 14" in capsys.readouterr().err


def test_duplicate_keys_are_reported_not_silently_dropped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON with a key twice in one object is a duplicate-key violation (parsers keep only the last)."""
    text = json.dumps(VALID).replace('"width": 512', '"width": 512, "width": 4096')
    assert 1 == main(["validate", "novita", write(tmp_path, "dup.json", text)])
    out = capsys.readouterr().out
    assert "[duplicate-key]" in out and "'width'" in out


def test_schema_option_selects_the_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--schema task.response validates a task result."""
    path = write(tmp_path, "r.json", {"job": {"id": "1", "status": "SUCCESS"}})
    assert 0 == main(["validate", "tensorart", path, "--schema", "task.response"])
    assert "valid (tensorart task.response)" in capsys.readouterr().out


def test_examples_command_holds_every_recorded_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    """`sdcontracts examples` exits 0 when every doc example keeps its recorded verdict."""
    assert 0 == main(["examples"])
    assert "examples hold their recorded verdict" in capsys.readouterr().out


def test_examples_verbose_explains_each_doc_defect(capsys: pytest.CaptureFixture[str]) -> None:
    """-v prints each expected violation with the doc defect behind it."""
    assert 0 == main(["examples", "tensorart", "-v"])
    out = capsys.readouterr().out
    assert "expected warning /stages/2/imageToUpscaler [tensorart.upscaler-area]" in out
    assert "doc defect: hrResizeX x hrResizeY = 1536 x 2304" in out
    assert "expected /imageToInpaint [unknown-field]" in out


def test_examples_json_is_a_list_of_results(capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints one entry per example with its recorded verdict and whether it holds."""
    assert 0 == main(["examples", "novita", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert {"provider", "example", "recorded", "holds", "report"} == set(document[0])
    assert all(entry["holds"] for entry in document)


def test_help_lists_providers_and_their_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    """validate --help shows each provider with its schema names and the exit codes."""
    with pytest.raises(SystemExit) as caught:
        main(["validate", "--help"])
    assert 0 == caught.value.code
    out = capsys.readouterr().out
    assert "tensorart" in out and "resource.request" in out and "exit status" in out


def test_console_script_and_module_entry_points_run() -> None:
    """The installed `sdcontracts` script and `python -m sdcontracts` both work."""
    script = shutil.which("sdcontracts", path=str(Path(sys.executable).parent))
    assert script is not None
    for command in ([script, "examples", "novita"], [sys.executable, "-m", "sdcontracts", "examples", "novita"]):
        result = subprocess.run(command, capture_output=True, text=True)
        assert 0 == result.returncode, result.stderr


# -- graded verdicts ----------------------------------------------------------------------------------

SDK_STYLE = {"request": {**VALID["request"], "negative_prompt": None}}


def test_a_request_with_warnings_only_exits_0_and_prints_each_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Warnings print with pointer, rule and the dispute's id; the file is valid, exit 0."""
    path = write(tmp_path, "sdk.json", SDK_STYLE)
    assert 0 == main(["validate", "novita", path])
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: valid, with 1 warning (novita img2img.request)\n")
    assert "/request/negative_prompt  [type] warning, disputed: novita.null-optional-fields" in out


def test_strict_makes_warnings_violations_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--strict reads every source at its strictest: the warning is a violation, exit 1."""
    path = write(tmp_path, "sdk.json", SDK_STYLE)
    assert 1 == main(["validate", "novita", path, "--strict"])
    assert f"{path}: 1 violation (novita img2img.request)\n" == capsys.readouterr().out.splitlines(keepends=True)[0]


def test_json_output_has_warnings_with_their_dispute(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json gives each report its warnings, each with severity and the dispute."""
    assert 0 == main(["validate", "novita", write(tmp_path, "sdk.json", SDK_STYLE), "--json"])
    (result,) = json.loads(capsys.readouterr().out)["results"]
    (warning,) = result["warnings"]
    assert ("warning", "novita.null-optional-fields") == (warning["severity"], warning["dispute"]["id"])


def test_view_caller_accepts_a_job_without_its_request_id(tmp_path: Path) -> None:
    """--view caller: the fields a client fills in (Tensor.Art's requestId) may be absent."""
    from sdcontracts._corpus import examples

    job = dict(next(e for e in examples("tensorart") if e.name == "inpaint-complete").payload)
    del job["requestId"]
    path = write(tmp_path, "job.json", job)
    assert 1 == main(["validate", "tensorart", path])
    assert 0 == main(["validate", "tensorart", path, "--view", "caller"])


def test_rules_lists_the_disputes_with_their_readings(capsys: pytest.CaptureFixture[str]) -> None:
    """`rules` shows each disputed constraint: where, the decision, each source's reading, why."""
    assert 0 == main(["rules", "zhiqite"])
    out = capsys.readouterr().out
    assert "zhiqite.seed-as-string  [type] at img2img.request#/properties/seed: warning" in out
    assert '"seed": "1221212" (the request example)' in out and "why: " in out


def test_rules_json_lists_rules_and_disputes_with_resolved_sources(capsys: pytest.CaptureFixture[str]) -> None:
    """`rules --json`: per provider, the rules and the disputes, each source key with its title."""
    assert 0 == main(["rules", "tensorart", "--json"])
    document = json.loads(capsys.readouterr().out)
    tensorart = document["providers"]["tensorart"]
    assert "tensorart.count-without-diffusion" in [r["id"] for r in tensorart["rules"]]
    area = next(d for d in tensorart["disputes"] if d["id"] == "tensorart.upscaler-area-limit")
    assert (2_073_600, 8_294_400, "warning") == (area["strict"], area["lenient"], area["decision"])
    assert set(area["sources"]) == {"spec", "async-tensorart", "doc"}
    assert "type" in document["schema_rules"]


def test_examples_show_valid_with_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    """The corpus listing says which examples are valid with warnings, and how many."""
    assert 0 == main(["examples", "zhiqite"])
    out = capsys.readouterr().out
    assert "3 valid (1 with warnings)" in out
    assert re.search(r"controlnet-request\s+valid, 3 warnings\s+as recorded", out)


def test_several_files_with_one_missing_still_report_the_readable_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing file is an error line on stderr (exit 2); the files that could be read get their results."""
    good, missing = write(tmp_path, "good.json", VALID), str(tmp_path / "missing.json")
    assert 2 == main(["validate", "novita", good, missing])
    captured = capsys.readouterr()
    assert f"{good}: valid (novita img2img.request)\n" == captured.out
    assert [f"sdcontracts: error: cannot read {missing}: [Errno 2] No such file or directory: {missing!r}"] == (
        captured.err.splitlines()
    )


def test_several_files_with_one_missing_in_json_list_every_file_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing, good = str(tmp_path / "missing.json"), write(tmp_path, "good.json", VALID)
    assert 2 == main(["validate", "novita", missing, good, "--json"])
    document = json.loads(capsys.readouterr().out)
    assert False is document["ok"]
    assert [(missing, False), (good, True)] == [(r["file"], r["ok"]) for r in document["results"]]
    assert document["results"][0]["error"].startswith(f"cannot read {missing}")


def test_an_empty_file_says_it_is_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = write(tmp_path, "empty.json", " \n")
    assert 2 == main(["validate", "novita", empty])
    assert f"sdcontracts: error: {empty} is empty: there is no JSON to check\n" == capsys.readouterr().err


def test_a_duplicate_key_points_at_the_key_where_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The pointer names the repeated key inside /request (and inside arrays), not the document."""
    text = json.dumps(VALID).replace('"width": 512', '"width": 512, "width": 4096')
    text = text.replace('"request": {', '"request": {"loras": [{"strength": 1, "strength": 2}], ')
    assert 1 == main(["validate", "novita", write(tmp_path, "dup.json", text), "--json"])
    violations = json.loads(capsys.readouterr().out)["results"][0]["violations"]
    assert [("/request/loras/0/strength", "strength"), ("/request/width", "width")] == sorted(
        (v["path"], v["message"].split("'")[1]) for v in violations if v["rule"] == "duplicate-key"
    )


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert (0, f"sdcontracts {version('sdcontracts')}\n") == (caught.value.code, capsys.readouterr().out)
