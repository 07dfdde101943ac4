"""Real senders against the mock over HTTP: what a provider's own SDK sends must be accepted.

The official Novita Python SDK (novita-client 0.7.1) is driven against ``sd_http_mock`` (uvicorn
on a loopback port) exactly as a user calls it; the body it sends is kept in the corpus
(``schemas/novita/examples/novita-client-img2img-v3.json``, with its provenance), and these tests
hold the SDK, the corpus and the mock to each other. async-tensorart 0.2.1, a third-party TAMS
client that signs with TAMS-SHA256-RSA, runs in a side environment of its own (it needs an older
cryptography than the tests run with), built from the package index on first use in ``.venv/``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import novita_client  # type: ignore[import-untyped]
import pytest

import sdcontracts
from sdcontracts._corpus import examples
from sdcontracts.pytest_plugin import HttpMock

RECORDED = next(e for e in examples("novita") if e.name == "novita-client-img2img-v3")


@pytest.fixture(autouse=True)
def _no_poll_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK sleeps a second between polls; the mock's tasks advance per poll, not with time."""
    monkeypatch.setattr(novita_client.settings, "DEFAULT_POLL_INTERVAL", 0)


def call_as_recorded(url: str) -> Any:
    """The call the corpus records (novita-client 0.7.1's img2img_v3), against ``url``: the mock, or a
    proxy in front of it (test_proxy_senders)."""
    request = RECORDED.payload["request"]
    client = novita_client.NovitaClient("sk_mock_novita_key", url)
    return client.img2img_v3(
        model_name=request["model_name"],
        input_image=request["image_base64"],
        prompt=request["prompt"],
        image_num=request["image_num"],
        width=request["width"],
        height=request["height"],
        steps=request["steps"],
        guidance_scale=request["guidance_scale"],
        sampler_name=request["sampler_name"],
    )


def test_recorded_sdk_body_has_its_provenance() -> None:
    """The recorded body names the package, its version and the call that sent it."""
    provenance = RECORDED.record["provenance"]
    assert ("novita-client", "0.7.1") == (provenance["package"], provenance["version"])
    assert "img2img_v3" in provenance["call"]
    assert provenance["version"] == version("novita-client")  # the SDK these tests drive is the one recorded


# novita-client's utils.batch_download_images makes a ThreadPool it never closes (the SDK's own leak)
@pytest.mark.filterwarnings("ignore:unclosed running multiprocessing pool:ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_novita_sdk_default_body_completes_its_round_trip_over_http(sd_http_mock: HttpMock) -> None:
    """The SDK's call succeeds against the mock: submitted, polled to success, images downloaded;
    what it sent is byte for byte the recorded body, accepted with its warnings journaled."""
    result = call_as_recorded(sd_http_mock.url)
    assert "TASK_STATUS_SUCCEED" == result.task.status.value
    assert RECORDED.payload["request"]["image_num"] == len(result.images_encoded)
    (submit,) = sd_http_mock.mock.journal.entries("novita", "img2img")
    assert RECORDED.payload == json.loads(submit.json_body)
    assert 200 == submit.status
    assert {f"[{rule}] {path} ({dispute})" for rule, path, dispute in RECORDED.warnings} == set(submit.warnings)


def test_novita_sdk_body_is_valid_with_warnings_and_invalid_when_strict() -> None:
    """validate() accepts the SDK's body (ok, every warning naming its dispute); strict=True rejects it."""
    report = sdcontracts.validate("novita", RECORDED.payload)
    assert report.ok
    assert {"novita.null-optional-fields", "novita.sdk-request-extra"} == report.disputes
    strict = sdcontracts.validate("novita", RECORDED.payload, strict=True)
    assert {(w.rule, w.path) for w in report.warnings} == {(v.rule, v.path) for v in strict.violations}


@pytest.mark.sd_mock(strict=True)
def test_strict_mock_rejects_the_sdk_body_in_novitas_error_shape(sd_http_mock: HttpMock) -> None:
    """With strict=True the mock answers the SDK's body 400 INVALID_REQUEST_BODY, naming the null."""
    with pytest.raises(Exception, match="INVALID_REQUEST_BODY"):
        call_as_recorded(sd_http_mock.url)
    (submit,) = sd_http_mock.mock.journal.entries("novita", "img2img")
    assert 400 == submit.status


# -- async-tensorart: a third-party TAMS client, TAMS-SHA256-RSA signed, in its own environment ----------

SIDES = Path(__file__).parent / "sides"
SIDE_ENV = Path(__file__).parents[1] / ".venv" / "side-async-tensorart"
TENSORART_RECORDED = next(e for e in examples("tensorart") if e.name == "async-tensorart-post-job")


def _side_python() -> Path:
    """The side environment's python, built on first use (the package index only)."""
    python = SIDE_ENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(SIDE_ENV)], check=True, capture_output=True, timeout=120)
        requirements = SIDES / "async-tensorart-requirements.txt"
        install = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(requirements)]
        subprocess.run(install, check=True, capture_output=True, timeout=600)
    return python


@pytest.mark.sd_mock(lifecycle="clock", queue_seconds=0, run_seconds=0)
def test_async_tensorart_signs_a_job_the_mock_verifies_and_sends_the_recorded_body(
    sd_http_mock: HttpMock, tmp_path: Path
) -> None:
    """async-tensorart 0.2.1 (an independent TAMS-SHA256-RSA signer) creates a job through the HTTP
    mock: its signature verifies, its body is the one the corpus records (valid), and its job decoder
    fails on the spec's protobuf-JSON answer (stageIndex as a string), as the corpus notes."""
    credentials = sd_http_mock.mock.credentials("tensorart", "rsa")
    key = tmp_path / "tams.pem"
    key.write_text(credentials["private_key"], encoding="utf-8")
    finished = subprocess.run(
        [str(_side_python()), str(SIDES / "async_tensorart_driver.py"), sd_http_mock.url, credentials["app_id"], str(key)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert 0 == finished.returncode, finished.stderr
    outcome = json.loads(finished.stdout.strip().splitlines()[-1])
    (submit,) = sd_http_mock.mock.journal.entries("tensorart", "img2img")
    assert (200, "CREATED") == (submit.status, outcome["status"])
    assert TENSORART_RECORDED.payload == json.loads(submit.json_body) == outcome["sent"]
    assert "`$.job.successInfo.stages[0].stageIndex`" in outcome["poll_error"]
