"""The proxy under abuse, with the guarantees the mock gives (tests/test_mock_abuse.py): whatever arrives,
each provider answers in its own words, never a server failure, and a sender of garbage, forgeries or
half a request delays no honest client. Credentials never reach the log, the metrics or the recording."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from payloads import PROVIDERS, raw_request, rejected_as_invalid, server_failure, valid_request
from sdcontracts.mock import DEFAULT_CREDENTIALS, ManualClock, Mock, MockConfig
from sdcontracts.mock.asgi import BackgroundServer
from sdcontracts.mock.asgi import create_app as mock_app
from test_mock_abuse import LIMIT, SLOW, forged, hostile_requests, storm

from sdcontracts.clients import TaskState
from sdcontracts.proxy import BackgroundProxy, ProxyApp, create_app

BASE = "http://proxy.sdcontracts.test"
MOCK = Mock(MockConfig(lifecycle="steps"), clock=ManualClock())
UPSTREAM = httpx.ASGITransport(mock_app(MOCK))
APPS = {
    (provider, mode): create_app(provider, upstream="http://mock.test", mode=mode, transport=UPSTREAM)
    for provider in PROVIDERS
    for mode in ("enforce", "report")
}


def through(app: ProxyApp, request: httpx.Request) -> httpx.Response:
    """``request`` sent to the proxy app in-process (its upstream the mock's ASGI app, in-process too)."""

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app)) as client:
            answer = await client.send(request)
        await app.aclose()
        return answer

    return asyncio.run(call())


@settings(max_examples=200, deadline=None)  # deadline: a few bodies carry 20,000 brackets or a huge string
@given(case=hostile_requests(), mode=st.sampled_from(["enforce", "report"]))
def test_no_body_makes_the_proxy_fail_in_either_mode(case: tuple[str, str, bytes, dict[str, str]], mode: str) -> None:
    """Any bytes, with valid credentials, to any provider's submit or task query, through the proxy: refused
    by it (enforce) or forwarded (report), the answer is a 2xx or 4xx in the provider's envelope."""
    provider, operation, body, headers = case
    request = raw_request(provider, body, MOCK.credentials(provider), BASE, operation=operation, headers=headers)
    if request.method == "GET":  # the query rides in the URL: put the damage there
        target = body.decode("utf-8", "replace")[:2_000]
        url = (
            request.url.copy_merge_params({"task_id": target})
            if provider == "novita"
            else f"{BASE}/v1/jobs/{quote(target, safe='')}"
        )
        request = httpx.Request("GET", url, headers=request.headers)
    response = through(APPS[(provider, mode)], request)
    assert not server_failure(provider, response), response.text[:500]


# -- over HTTP, all at once ----------------------------------------------------------------------------


@pytest.fixture
def proxies(request: pytest.FixtureRequest) -> Iterator[tuple[Mock, dict[str, BackgroundProxy]]]:
    """One mock over HTTP and a proxy per provider in front of it, in the mode the test is given."""
    mode: str = request.param
    mock = Mock(MockConfig(lifecycle="steps", max_body_bytes=LIMIT, body_timeout=SLOW))
    with ExitStack() as stack:
        url = stack.enter_context(BackgroundServer(mock))
        started = {}
        for provider in PROVIDERS:
            app = create_app(provider, upstream=url, mode=mode, max_body_bytes=LIMIT, body_timeout=SLOW)
            started[provider] = BackgroundProxy(app, mock=mock)
            stack.enter_context(started[provider])
        yield mock, started


def outcomes(proxy: BackgroundProxy) -> dict[str, float]:
    found: dict[str, float] = {}
    for family in proxy.app.metrics.registry.collect():
        for sample in family.samples:
            if sample.name == "sdcontracts_proxy_requests_total":
                outcome = sample.labels["outcome"]
                found[outcome] = found.get(outcome, 0.0) + sample.value
    return found


@pytest.mark.parametrize("proxies", ["enforce", "report"], indirect=True)
def test_abuse_through_the_proxy_gets_each_providers_answer_while_honest_clients_are_served(
    proxies: tuple[Mock, dict[str, BackgroundProxy]],
) -> None:
    """Malformed bodies, forged and replayed signatures and two slowloris connections, at the same time as
    honest clients of every provider, all through the proxies: each abuse gets its provider's refusal (the
    proxy's own in enforce mode, the provider's in report mode), every honest task succeeds, nothing is a 5xx."""
    mock, by_provider = proxies
    mode = by_provider["novita"].app.mode
    signatures: dict[str, Any] = {}
    for provider, prefix in (("tensorart", "Tensor.Art"), ("picpik", "PICPIK"), ("aliyun", "Alibaba")):
        made = forged(mock, by_provider[provider].url)
        signatures |= {name: case for name, case in made.items() if name.startswith(prefix)}
    urls = {provider: proxy.url for provider, proxy in by_provider.items()}
    states, answers, signed, slow_answer = storm(mock, urls, signatures)
    assert [TaskState.SUCCEEDED] * (3 * len(PROVIDERS)) == states
    assert [] == [key for key, response in answers.items() if not rejected_as_invalid(key[0], response)]
    assert [] == [name for name, response in signed.items() if not signatures[name][1](response)]
    assert slow_answer.startswith(b"HTTP/1.1 400") and b"did not arrive within 1 s" in slow_answer
    assert 0 == sum(mock.journal.count(status=status) for status in range(500, 600))
    assert [] == [p for p, proxy in by_provider.items() if "upstream-error" in outcomes(proxy)]
    if mode == "enforce":
        # refused by the proxy in the provider's words, all but one: a PICPIK body naming no Action is none of
        # the contract's operations (PICPIK has more than the contract lists), so it is forwarded unchecked
        forwarded = [
            key for key, response in answers.items() if response.headers.get("x-sdcontracts-proxy") != "rejected"
        ]
        assert [("picpik", "contract violation")] == forwarded


# -- credentials ------------------------------------------------------------------------------------


def test_a_credential_the_caller_sent_is_never_in_the_log_the_metrics_or_the_recording(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The key rides in the Authorization header, is quoted by a violation (a body field holding it) and named
    by the answer (an upstream echoing it as a new field's name): the log line, every metric label and the
    recorded exchange show it redacted, and the caller still gets the answer unchanged."""
    caplog.set_level(logging.INFO, logger="sdcontracts.proxy")
    key = DEFAULT_CREDENTIALS["novita"]["api_key"]
    payload = valid_request("novita")
    payload["request"]["sampler_name"] = key
    echo = _EchoKey(key)
    recording = tmp_path / "calls.json"
    from sdcontracts.mock.asgi import ServerThread

    with ServerThread(echo, lifespan="off") as upstream:
        app = create_app("novita", upstream=upstream, mode="report", record=str(recording))
        with BackgroundProxy(app) as url:
            answer = httpx.post(f"{url}/v3/async/img2img", json=payload, headers={"Authorization": f"Bearer {key}"})
            metrics = httpx.get(f"{url}/_proxy/metrics").text
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "sdcontracts.proxy")
    line = json.loads(logged)
    assert (200, {key: 1, "task_id": "t"}) == (answer.status_code, answer.json())
    assert ("invalid", ["/REDACTED"], ["enum"]) == (
        line["outcome"],
        [d["path"] for d in line["drift"]],
        [v["rule"] for v in line["violations"]],
    )
    assert 'path="/REDACTED"' in metrics
    assert [] == [where for where, text in (("log", logged), ("metrics", metrics),
                                            ("recording", recording.read_text())) if key in text]  # fmt: skip


class _EchoKey:
    """An upstream whose answer names the caller's key as a field."""

    def __init__(self, key: str) -> None:
        self.key = key

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        content = json.dumps({self.key: 1, "task_id": "t"}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": content})
