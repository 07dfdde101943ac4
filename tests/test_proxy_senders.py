"""Senders that are not this project, through the proxy over HTTP: the official Novita SDK (novita-client
0.7.1, as tests/test_real_clients.py drives it) and curl, with `sdcontracts mock serve` as the upstream."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable

import novita_client  # type: ignore[import-untyped]
import pytest
from novita_client.exceptions import NovitaResponseError  # type: ignore[import-untyped]
from payloads import valid_request
from sdcontracts.mock import DEFAULT_CREDENTIALS
from test_real_clients import call_as_recorded

from sdcontracts._corpus import examples
from sdcontracts.proxy import BackgroundProxy
from sdcontracts.pytest_plugin import HttpMock

RECORDED = next(e for e in examples("novita") if e.name == "novita-client-img2img-v3").payload["request"]
KEY = DEFAULT_CREDENTIALS["novita"]["api_key"]


@pytest.fixture(autouse=True)
def _no_poll_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK sleeps a second between polls; the mock's tasks advance per poll, not with time."""
    monkeypatch.setattr(novita_client.settings, "DEFAULT_POLL_INTERVAL", 0)


def requests_by_outcome(proxy: BackgroundProxy) -> dict[tuple[str, str], float]:
    found = {}
    for family in proxy.app.metrics.registry.collect():
        for sample in family.samples:
            if sample.name == "sdcontracts_proxy_requests_total":
                found[(sample.labels["operation"], sample.labels["outcome"])] = sample.value
    return found


# novita-client's utils.batch_download_images makes a ThreadPool it never closes (the SDK's own leak)
@pytest.mark.filterwarnings("ignore:unclosed running multiprocessing pool:ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_the_novita_sdk_completes_its_round_trip_through_the_proxy_its_disputed_values_forwarded(
    sd_proxy: Callable[..., BackgroundProxy], sd_http_mock: HttpMock
) -> None:
    """The SDK's body keeps the contract but for values the sources dispute (nulls on optional fields, a field
    its own request type adds): enforce mode forwards it, counted as warnings; the task succeeds, no drift."""
    proxy = sd_proxy("novita")
    result = call_as_recorded(proxy.url)
    polls = sd_http_mock.mock.journal.count("novita", "task")
    assert ("TASK_STATUS_SUCCEED", RECORDED["image_num"]) == (result.task.status.value, len(result.images_encoded))
    assert {("img2img", "warnings"): 1.0, ("task", "ok"): float(polls)} == requests_by_outcome(proxy)
    assert 1 + polls == proxy.app.used


def test_a_strict_proxy_refuses_the_novita_sdks_body_and_the_sdk_reports_novitas_error(
    sd_proxy: Callable[..., BackgroundProxy], sd_http_mock: HttpMock
) -> None:
    proxy = sd_proxy("novita", strict=True)
    with pytest.raises(NovitaResponseError, match="INVALID_REQUEST_BODY"):
        call_as_recorded(proxy.url)
    assert (0, {("img2img", "rejected"): 1.0}) == (
        sd_http_mock.mock.journal.count("novita"),
        requests_by_outcome(proxy),
    )


CURL = shutil.which("curl")


def curl(*arguments: str, data: bytes | None = None) -> tuple[int, bytes]:
    """curl's status code and body for one call (``data`` on stdin)."""
    command = [str(CURL), "-sS", "--max-time", "20", "-o", "-", "-w", "\n%{http_code}", *arguments]
    if data is not None:
        command += ["--data-binary", "@-"]
    done = subprocess.run(command, input=data, capture_output=True, check=True, timeout=30)
    body, _, status = done.stdout.rpartition(b"\n")
    return int(status), body


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_curl_submits_and_polls_through_the_proxy_and_a_broken_submit_stops_there(
    sd_proxy: Callable[..., BackgroundProxy], sd_http_mock: HttpMock
) -> None:
    proxy = sd_proxy("novita")
    auth = ["-H", f"Authorization: Bearer {KEY}", "-H", "Content-Type: application/json"]
    submit = f"{proxy.url}/v3/async/img2img"
    status, body = curl(*auth, submit, data=json.dumps(valid_request("novita")).encode())
    task_id = json.loads(body)["task_id"]
    polled, answer = curl(*auth, f"{proxy.url}/v3/async/task-result?task_id={task_id}")
    refused, why = curl(*auth, submit, data=json.dumps({**valid_request("novita"), "typo": 1}).encode())
    assert (200, 200, task_id) == (status, polled, json.loads(answer)["task"]["task_id"])
    assert (400, "INVALID_REQUEST_BODY", {"rule": "unknown-field", "path": "/typo"}) == (
        refused,
        json.loads(why)["reason"],
        json.loads(why)["metadata"],
    )
    assert [200, 200] == [entry.status for entry in sd_http_mock.mock.journal.entries("novita")]
    metrics_status, metrics = curl(f"{proxy.url}/_proxy/metrics")
    assert (200, True) == (
        metrics_status,
        b'sdcontracts_proxy_rejections_total{operation="img2img",provider="novita",rule="unknown-field"} 1.0'
        in metrics,
    )
