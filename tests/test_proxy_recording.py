"""The proxy's recording (--record) and what replaying it means: the provider judged by the traffic it
served (`sdcontracts conformance --target replay:FILE`), and a client answered from it; the command line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from payloads import valid_request
from sdcontracts.mock import DEFAULT_CREDENTIALS, Mock, MockConfig
from test_extras import without
from test_proxy import broken, novita_auth, proxied

from sdcontracts._cli import main
from sdcontracts.clients.novita import NovitaClient
from sdcontracts.conformance import Cassette, ReplayMismatch
from sdcontracts.conformance._cassette import ReplayTransport

KEY = DEFAULT_CREDENTIALS["novita"]["api_key"]


def conformance(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = main(["conformance", "--target", f"replay:{path}", "--no-progress", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_a_recording_is_a_cassette_of_every_exchange_without_credentials(tmp_path: Path) -> None:
    path = tmp_path / "calls.json"
    with proxied("novita", record=str(path)) as (_, proxy), proxy.client("novita") as client:
        client.generate(valid_request("novita"), poll_interval=0.01)
        httpx.post(f"{proxy.url}/v3/async/img2img", json=broken("novita"), headers=novita_auth(), timeout=10)
    cassette = Cassette.load(path)
    entries = cassette.interactions["novita"]
    assert ("proxy", proxy.app.upstream) == (cassette.target, cassette.base_urls["novita"])
    assert [("img2img", "ok"), ("task", "ok"), ("task", "ok"), ("task", "ok"), ("img2img", "rejected")] == [
        (e["proxy"]["operation"], e["proxy"]["outcome"]) for e in entries
    ]
    assert ("REDACTED", [{"path": "/cfg_scale_typo", "rule": "unknown-field"}]) == (
        entries[0]["request"]["headers"]["authorization"],
        [{k: v[k] for k in ("path", "rule")} for v in entries[4]["proxy"]["violations"]],
    )
    assert KEY not in path.read_text(encoding="utf-8")


def test_a_recording_is_a_complete_cassette_from_the_start_and_after_each_write(tmp_path: Path) -> None:
    """The file exists, empty of exchanges, as soon as the proxy starts; a reader never finds half a file."""
    path = tmp_path / "calls.json"
    with proxied("novita", record=str(path)) as (_, proxy):
        assert {} == Cassette.load(path).interactions
        httpx.post(f"{proxy.url}/v3/async/img2img", json=valid_request("novita"), headers=novita_auth(), timeout=10)
        deadline = time.monotonic() + 10
        while not Cassette.load(path).interactions and time.monotonic() < deadline:
            time.sleep(0.1)  # written within a second while the proxy runs
        assert 1 == len(Cassette.load(path).interactions["novita"])


def test_replaying_clean_traffic_judges_the_provider_conforming(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "calls.json"
    with proxied("novita", record=str(path)) as (_, proxy), proxy.client("novita") as client:
        client.generate(valid_request("novita"), poll_interval=0.01)
        httpx.post(f"{proxy.url}/v3/async/img2img", json=broken("novita"), headers=novita_auth(), timeout=10)
    code, out, _ = conformance(path, capsys)
    assert 0 == code
    assert "conforming: the 4 exchange(s) the provider answered agree with the contract" == out.splitlines()[-1]
    assert "  img2img              2         1                 0              0         0" in out


def test_replaying_a_drifting_answer_is_not_conforming_and_names_its_pointer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "calls.json"
    with proxied("novita", record=str(path)) as (_, proxy):
        httpx.post(f"{proxy.url}/v3/async/img2img", json=valid_request("novita"),
                   headers={**novita_auth(), "X-Mock-Fault": "retype=/task_id"}, timeout=10)  # fmt: skip
    code, out, _ = conformance(path, capsys)
    assert (1, "NOT CONFORMING: 1 disagreement(s) in 1 exchange(s) the provider answered") == (
        code,
        out.splitlines()[-1],
    )
    assert "drifting: #0 POST /v3/async/img2img: [type] /task_id: " in out


def test_replaying_an_invalid_request_the_provider_accepted_is_not_conforming(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Report mode forwards a width above Novita's maximum; a provider lax about it accepts it: a disagreement."""
    path = tmp_path / "calls.json"
    lax = Mock(MockConfig(lifecycle="steps", unenforced={"novita": ["maximum"]}))
    payload = valid_request("novita")
    payload["request"]["width"] = 4096
    with proxied("novita", lax, mode="report", record=str(path)) as (_, proxy):
        assert (
            200
            == httpx.post(f"{proxy.url}/v3/async/img2img", json=payload, headers=novita_auth(), timeout=10).status_code
        )
    code, out, _ = conformance(path, capsys)
    assert 1 == code
    assert "accepted invalid: #0 POST /v3/async/img2img: breaks maximum, answered HTTP 200 without refusing it" in out


def test_options_that_shape_generated_cases_are_refused_for_a_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "calls.json"
    with proxied("novita", record=str(path)):
        pass
    code, out, err = conformance(path, capsys, "--seed", "3", "--examples", "5")
    assert (2, "") == (code, out)
    assert (
        "sdcontracts conformance: error: --examples, --seed do not apply to a proxy's recording: its traffic is judged as recorded\n"
        == err
    )


def test_a_client_replaying_the_calls_it_made_through_the_proxy_gets_the_same_answers_offline(tmp_path: Path) -> None:
    path = tmp_path / "calls.json"
    with proxied("novita", record=str(path)) as (_, proxy), proxy.client("novita") as client:
        live = client.generate(valid_request("novita"), poll_interval=0.01)
    replayed = NovitaClient(api_key="replay", transport=ReplayTransport(Cassette.load(path), "novita"))
    task = replayed.generate(valid_request("novita"), poll_interval=0)
    assert (live.id, live.state, [i.url for i in live.images]) == (task.id, task.state, [i.url for i in task.images])
    with pytest.raises(ReplayMismatch, match="exchanges are used up"):
        replayed.get_task(task.id)


# -- the command line -------------------------------------------------------------------------------


def test_proxy_help_needs_no_extra_and_names_the_modes_and_metrics() -> None:
    result = without(["uvicorn", "prometheus_client", "PIL", "respx", "hypothesis"], "proxy", "--help")
    assert 0 == result.returncode, result.stderr
    assert "--upstream URL" in result.stdout and "enforce   a request breaking" in result.stdout
    assert "GET /_proxy/metrics" in result.stdout


def test_proxy_without_prometheus_client_names_the_proxy_extra() -> None:
    result = without(["prometheus_client"], "proxy", "novita", "--upstream", "http://127.0.0.1:9")
    assert (2, ["sdcontracts proxy: error: sdcontracts proxy (its metrics) needs prometheus-client, from the 'proxy' extra: "
                "pip install 'sdcontracts[proxy]'"]) == (result.returncode, result.stderr.splitlines())  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--upstream", "api.novita.ai"],
            "the upstream must be an http(s) URL with a host, e.g. https://api.novita.ai, not 'api.novita.ai'",
        ),
        (
            ["--upstream", "http://h", "--record", "/nonexistent-dir/calls.json"],
            "--record /nonexistent-dir/calls.json: cannot write there (No such file or directory)",
        ),
    ],
)
def test_a_proxy_that_cannot_work_says_why_in_one_line_and_exits_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert 2 == main(["proxy", "novita", *argv])
    assert f"sdcontracts proxy: error: {message}\n" == capsys.readouterr().err


def test_sdcontracts_proxy_serves_until_sigterm_and_logs_a_json_line_per_call(tmp_path: Path) -> None:
    """The command as a user runs it: the URL it prints answers, each call is a JSON line on stderr, SIGTERM stops it."""
    with proxied("novita") as (mock, _):
        upstream = _.app.upstream
        process = subprocess.Popen(
            [sys.executable, "-m", "sdcontracts", "proxy", "novita", "--upstream", upstream, "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            url = first.split(" at ")[1].split(" -> ")[0]
            answer = httpx.post(
                f"{url}/v3/async/img2img", json=valid_request("novita"), headers=novita_auth(), timeout=10
            )
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            out, err = process.communicate(timeout=30)
    assert (200, 0, 1) == (answer.status_code, process.returncode, mock.journal.count("novita"))
    assert f"sdcontracts proxy: novita (enforce mode) at {url} -> {upstream}\n" == first
    assert "sdcontracts proxy stopped." == out.splitlines()[-1]
    (line,) = [json.loads(text) for text in err.splitlines() if text.startswith("{")]
    assert ("img2img", "ok", 200) == (line["operation"], line["outcome"], line["status"])
