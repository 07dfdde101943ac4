"""sdcontracts proxy over real HTTP, with `sdcontracts mock serve` (`BackgroundServer`) as the upstream:
round trips of every provider's client, requests refused before the provider, byte-for-byte forwarding,
upstream failures, the budget, hostile input, metrics, health and the log. Times are hang guards."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from payloads import PROVIDERS, as_sent, error_kind, raw_request, valid_request
from prometheus_client.parser import text_string_to_metric_families
from sdcontracts.mock import DEFAULT_CREDENTIALS, Mock, MockConfig
from sdcontracts.mock.asgi import BackgroundServer, ServerThread

from sdcontracts import RateLimited, ServerError
from sdcontracts.clients import TaskState
from sdcontracts.proxy import BackgroundProxy, create_app


@contextlib.contextmanager
def proxied(provider: str, mock: Mock | None = None, **options: Any) -> Iterator[tuple[Mock, BackgroundProxy]]:
    """A mock served over HTTP and a proxy for ``provider`` in front of it."""
    mock = mock or Mock(MockConfig(lifecycle="steps"))
    with BackgroundServer(mock) as upstream:
        proxy = BackgroundProxy(create_app(provider, upstream=upstream, **options), mock=mock)
        with proxy:
            yield mock, proxy


def samples(proxy: BackgroundProxy, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """The proxy's samples of one metric, by their labels (less ``provider``), from /_proxy/metrics."""
    text = httpx.get(f"{proxy.url}/_proxy/metrics").text
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted((k, v) for k, v in sample.labels.items() if k != "provider"))] = sample.value
    return found


def credentials(provider: str) -> dict[str, str]:
    return dict(DEFAULT_CREDENTIALS[provider])


def send(request: httpx.Request, base_url: str) -> httpx.Response:
    """``request`` sent as built (signed for the mock) to ``base_url`` instead of its own origin."""
    target = httpx.URL(base_url).copy_with(raw_path=request.url.raw_path)
    moved = httpx.Request(request.method, target, headers=[(k, v) for k, v in request.headers.raw if k.lower() != b"host"],
                          content=request.content)  # fmt: skip
    with httpx.Client(timeout=10) as client:
        return client.send(moved)


# -- round trips ----------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_providers_client_completes_its_round_trip_through_the_proxy_with_no_drift(provider: str) -> None:
    """The project's own client, base_url = the proxy: submit, polls to success, every call forwarded (the
    mock verifies PICPIK's SHA-1, Alibaba's HMAC over headers and Content-MD5), counted ok, no drift."""
    with proxied(provider) as (mock, proxy):
        with proxy.client(provider, retry=None) as client:
            task = client.generate(valid_request(provider), poll_interval=0.01)
        received = mock.journal.count(provider)
        assert (TaskState.SUCCEEDED, 1) == (task.state, len(task.images))
        assert {
            (("operation", "img2img"), ("outcome", "ok")): 1.0,
            (("operation", "task"), ("outcome", "ok")): received - 1.0,
        } == samples(proxy, "sdcontracts_proxy_requests_total")
        assert ({}, received) == (samples(proxy, "sdcontracts_proxy_drift_total"), proxy.app.used)


def test_a_tams_rsa_signature_over_method_path_and_body_verifies_at_the_upstream() -> None:
    """A TAMS-SHA256-RSA client (the mock holds the public key) completes its job through the proxy."""
    with proxied("tensorart") as (mock, proxy), proxy.client("tensorart", rsa=True) as client:
        task = client.generate(valid_request("tensorart"), poll_interval=0.01)
    assert (TaskState.SUCCEEDED, 0) == (task.state, mock.journal.count("tensorart", status=401))


class Echo:
    """An upstream that answers every request with what it received (method, raw path, query, headers, body)."""

    def __init__(self, answer: dict[str, Any] | None = None, status: int = 200) -> None:
        self.seen: list[dict[str, Any]] = []
        self.answer = answer
        self.status = status

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.seen.append({"method": scope["method"], "raw_path": scope["raw_path"], "query": scope["query_string"],
                          "headers": scope["headers"], "body": body})  # fmt: skip
        content = json.dumps(self.answer if self.answer is not None else {"task_id": "t"}).encode()
        await send({"type": "http.response.start", "status": self.status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": content})


@contextlib.contextmanager
def echoed(provider: str, echo: Echo, **options: Any) -> Iterator[tuple[str, BackgroundProxy]]:
    with ServerThread(echo, lifespan="off") as upstream:
        proxy = BackgroundProxy(create_app(provider, upstream=upstream, **options))
        with proxy:
            yield upstream, proxy


def raw_exchange(url: str, data: bytes, *, wait: float = 10.0) -> bytes:
    """Bytes written to ``url``'s port, and everything read back until the server closes."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as connection:
        connection.sendall(data)
        received = b""
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := connection.recv(65536):
                received += chunk
    return received


def test_method_path_query_headers_and_body_reach_the_upstream_byte_for_byte_less_the_hop_by_hop_fields() -> None:
    """What a signature may cover arrives as sent: the escaped path, the query, every end-to-end header in
    order (repeated ones too; names lower-cased, as ASGI gives them), the body's exact bytes; Host is the
    upstream's, Via is added, and Connection,
    the fields it names, Keep-Alive, TE, Proxy-Authorization and Expect stop at the proxy (RFC 9110 §7.6.1)."""
    echo = Echo()
    body = json.dumps(valid_request("novita"), indent=3).encode() + b"\n"
    head = (
        b"POST /v3/async/img2img?x=%20y&z=a+b&k=%7E HTTP/1.1\r\nHost: proxy.example\r\n"
        b"X-Custom: One\r\nX-Dup: 1\r\nConnection: keep-alive, X-Hop\r\nX-Hop: drop me\r\nKeep-Alive: timeout=5\r\n"
        b"TE: trailers\r\nProxy-Authorization: Basic eDp5\r\nX-Dup: 2\r\nAuthorization: Bearer sk_mock_novita_key\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    with (
        echoed("novita", echo) as (upstream, proxy),
        socket.create_connection((proxy.host, proxy.port), timeout=10) as connection,
    ):
        connection.sendall(head + body)
        answer = connection.recv(65536)
    (seen,) = echo.seen
    host = upstream.removeprefix("http://").encode()
    assert b"HTTP/1.1 200" == answer[:12]
    assert ("POST", b"/v3/async/img2img", b"x=%20y&z=a+b&k=%7E", body) == (
        seen["method"],
        seen["raw_path"],
        seen["query"],
        seen["body"],
    )
    assert [
        (b"host", host),
        (b"x-custom", b"One"),
        (b"x-dup", b"1"),
        (b"x-dup", b"2"),
        (b"authorization", b"Bearer sk_mock_novita_key"),
        (b"content-type", b"application/json"),
        (b"via", b"1.1 sdcontracts"),
        (b"content-length", str(len(body)).encode()),
    ] == [(name, value) for name, value in seen["headers"]]


class RawUpstream:
    """A TCP server that reads one request head and answers with ``reply`` (bytes, or None: reset the connection)."""

    def __init__(self, reply: bytes | None, *, pause: float = 0.0) -> None:
        self.reply = reply
        self.pause = pause  # > 0: the reply trickles out a byte at a time, this long between bytes
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.stopping = False

    def _serve(self) -> None:
        self.listener.settimeout(0.2)
        while not self.stopping:
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                data = b""
                with contextlib.suppress(OSError):
                    while b"\r\n\r\n" not in data and (chunk := connection.recv(65536)):
                        data += chunk
                if self.reply is None:  # SO_LINGER 0: close with a RST, as a crashing peer does
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                elif self.pause:
                    with contextlib.suppress(OSError):
                        for byte in self.reply:
                            if self.stopping:
                                break
                            connection.sendall(bytes([byte]))
                            time.sleep(self.pause)
                else:
                    connection.sendall(self.reply)

    def __enter__(self) -> str:
        self.thread.start()
        return self.url

    def __exit__(self, *exc_info: object) -> None:
        self.stopping = True
        self.thread.join(5)
        self.listener.close()


def test_the_answer_comes_back_unchanged_less_its_hop_by_hop_fields_and_unchunked() -> None:
    """The upstream's status, end-to-end headers in order and body bytes reach the caller; Connection,
    the fields it names, Keep-Alive and Transfer-Encoding do not, and Content-Length counts the bytes."""
    reply = (b"HTTP/1.1 200 OK\r\nX-Kept: 1\r\nConnection: X-Hop\r\nX-Hop: no\r\nKeep-Alive: timeout=5\r\n"
             b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\n"
             b"5\r\n{\"tas\r\n9\r\nk_id\":\"t\"\r\n1\r\n}\r\n0\r\n\r\n")  # fmt: skip
    with RawUpstream(reply) as upstream, BackgroundProxy(create_app("novita", upstream=upstream)) as url:
        answer = httpx.post(f"{url}/v3/async/img2img", json=valid_request("novita"), timeout=10)
    assert (200, b'{"task_id":"t"}') == (answer.status_code, answer.content)
    assert [("x-kept", "1"), ("content-type", "application/json"), ("date", "Mon, 01 Jan 2024 00:00:00 GMT"),
            ("content-length", "15")] == list(answer.headers.items())  # fmt: skip


# -- requests against the contract ------------------------------------------------------------------


def broken(provider: str) -> dict[str, Any]:
    """A submit as its client sends it, breaking its contract with an unknown field at the top."""
    return {**as_sent(provider), "cfg_scale_typo": 7}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_request_breaking_the_contract_is_answered_as_the_provider_would_and_never_reaches_it(provider: str) -> None:
    """Enforce mode: the proxy's answer is the mock's own answer to the same signed request (status,
    envelope, code, the message naming rule and pointer), and the mock's journal shows only the direct one."""
    with proxied(provider) as (mock, proxy):
        signed = raw_request(provider, json.dumps(broken(provider)).encode(), credentials(provider), "http://x")
        through = send(signed, proxy.url)
        assert 0 == mock.journal.count(provider)
        direct = send(
            raw_request(provider, json.dumps(broken(provider)).encode(), credentials(provider), "http://x"),
            mock_url(proxy),
        )
    assert (direct.status_code, volatile_free(direct.json())) == (through.status_code, volatile_free(through.json()))
    assert ("invalid", "rejected", 1) == (
        error_kind(provider, through),
        through.headers["x-sdcontracts-proxy"],
        mock.journal.count(provider),
    )
    assert "unknown-field" in through.text


def mock_url(proxy: BackgroundProxy) -> str:
    return proxy.app.upstream


def volatile_free(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "apiInvokeId"}  # Alibaba's id of each call


def test_report_mode_forwards_a_request_breaking_the_contract_and_counts_its_rules() -> None:
    with proxied("novita", mode="report") as (mock, proxy):
        answer = httpx.post(f"{proxy.url}/v3/async/img2img", json=broken("novita"), headers=novita_auth(), timeout=10)
        assert (400, 1) == (answer.status_code, mock.journal.count("novita", "img2img", 400))
        assert {(("operation", "img2img"), ("rule", "unknown-field")): 1.0} == samples(
            proxy, "sdcontracts_proxy_rejections_total"
        )
        assert {(("operation", "img2img"), ("outcome", "invalid")): 1.0} == samples(
            proxy, "sdcontracts_proxy_requests_total"
        )


def novita_auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {DEFAULT_CREDENTIALS['novita']['api_key']}"}


def disputed() -> dict[str, Any]:
    """A Novita submit with nulls on optional fields, as its SDK sends them: a warning, not an error."""
    payload = valid_request("novita")
    payload["request"]["negative_prompt"] = None
    return payload


def test_a_request_with_warnings_only_is_forwarded_and_its_answer_names_the_disputes() -> None:
    with proxied("novita") as (mock, proxy):
        answer = httpx.post(f"{proxy.url}/v3/async/img2img", json=disputed(), headers=novita_auth(), timeout=10)
        assert (200, "novita.null-optional-fields", 1) == (
            answer.status_code,
            answer.headers["x-sdcontracts-warnings"],
            mock.journal.count("novita", "img2img"),
        )
        assert {(("dispute", "novita.null-optional-fields"), ("operation", "img2img")): 1.0} == samples(
            proxy, "sdcontracts_proxy_warnings_total"
        )


def test_strict_refuses_a_request_with_warnings_in_the_providers_shape() -> None:
    with proxied("novita", strict=True) as (mock, proxy):
        answer = httpx.post(f"{proxy.url}/v3/async/img2img", json=disputed(), headers=novita_auth(), timeout=10)
    assert (400, "INVALID_REQUEST_BODY", {"rule": "type", "path": "/request/negative_prompt"}, 0) == (
        answer.status_code, answer.json()["reason"], answer.json()["metadata"], mock.journal.count("novita"))  # fmt: skip


def test_a_required_query_parameter_missing_is_refused_as_the_provider_refuses_it() -> None:
    """provider.json says Novita's task query requires task_id: without it, the provider's 400, not forwarded."""
    with proxied("novita") as (mock, proxy):
        answer = httpx.get(f"{proxy.url}/v3/async/task-result", headers=novita_auth(), timeout=10)
    assert (400, "INVALID_REQUEST_BODY", 0) == (
        answer.status_code,
        answer.json()["reason"],
        mock.journal.count("novita"),
    )
    assert "[required] /: the task_id query parameter is required" == answer.json()["message"]


def test_picpik_calls_are_told_apart_by_their_action_and_an_unknown_action_is_forwarded_unchecked() -> None:
    """PICPIK's operations share POST /: Action picks the schema; an Action the contract lacks is none of
    its operations, so it is forwarded as is (the provider answers it) and counted unmatched."""
    with proxied("picpik") as (mock, proxy):
        listed = send(
            raw_request(
                "picpik", json.dumps({"Action": "ListGenerateTaskDetail"}).encode(), credentials("picpik"), "http://x"
            ),
            proxy.url,
        )
        assert (200, 231, 1) == (listed.status_code, listed.json()["RetCode"], mock.journal.count("picpik"))
        assert {(("operation", "unmatched"), ("outcome", "unmatched")): 1.0} == samples(
            proxy, "sdcontracts_proxy_requests_total"
        )


# -- drift ----------------------------------------------------------------------------------------


def test_a_renamed_field_is_drift_reported_with_its_pointers_and_the_answer_is_passed_on_unchanged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="sdcontracts.proxy")
    with proxied("novita") as (_, proxy):
        answer = httpx.post(f"{proxy.url}/v3/async/img2img", json=valid_request("novita"),
                            headers={**novita_auth(), "X-Mock-Fault": "rename=/task_id:taskId"}, timeout=10)  # fmt: skip
        assert (200, ["taskId"]) == (answer.status_code, list(answer.json()))
        assert {
            (("operation", "img2img"), ("path", ""), ("rule", "required")): 1.0,
            (("operation", "img2img"), ("path", "/taskId"), ("rule", "unknown-field")): 1.0,
        } == samples(proxy, "sdcontracts_proxy_drift_total")
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "sdcontracts.proxy"]
    assert ("WARNING", ["", "/taskId"]) == (caplog.records[-1].levelname, sorted(d["path"] for d in line["drift"]))


def test_a_changed_type_is_drift_at_its_pointer() -> None:
    with proxied("novita") as (_, proxy), proxy.client("novita") as client:
        submitted = client.submit(valid_request("novita"))
        httpx.get(f"{proxy.url}/v3/async/task-result", params={"task_id": submitted.id},
                  headers={**novita_auth(), "X-Mock-Fault": "retype=/task/progress_percent"}, timeout=10)  # fmt: skip
        assert {(("operation", "task"), ("path", "/task/progress_percent"), ("rule", "type")): 1.0} == samples(
            proxy, "sdcontracts_proxy_drift_total"
        )


def test_an_undocumented_status_is_drift() -> None:
    with proxied("novita") as (_, proxy):
        answer = httpx.post(f"{proxy.url}/v3/async/img2img", json=valid_request("novita"),
                            headers={**novita_auth(), "X-Mock-Fault": "status=418"}, timeout=10)  # fmt: skip
        assert 418 == answer.status_code
        assert {(("operation", "img2img"), ("path", ""), ("rule", "undocumented-status")): 1.0} == samples(
            proxy, "sdcontracts_proxy_drift_total"
        )


def test_an_undocumented_error_code_is_drift_at_the_field_holding_it() -> None:
    echo = Echo({"code": 400, "reason": "BRAND_NEW_REASON", "message": "new"}, status=400)
    with echoed("novita", echo) as (_, proxy):
        httpx.post(f"{proxy.url}/v3/async/img2img", json=valid_request("novita"), timeout=10)
        assert {
            (("operation", "img2img"), ("path", "/reason"), ("rule", "enum")): 1.0,
            (("operation", "img2img"), ("path", "/reason"), ("rule", "undocumented-code")): 1.0,
        } == samples(proxy, "sdcontracts_proxy_drift_total")


def test_an_answer_that_is_not_json_is_drift_and_reaches_the_caller_as_it_came() -> None:
    with proxied("novita") as (_, proxy):
        answer = httpx.post(f"{proxy.url}/v3/async/img2img", json=valid_request("novita"),
                            headers={**novita_auth(), "X-Mock-Fault": "malformed"}, timeout=10)  # fmt: skip
        assert (b"<html><body>502 Bad Gateway</body></html>", "text/html") == (
            answer.content,
            answer.headers["content-type"],
        )
        assert {(("operation", "img2img"), ("path", ""), ("rule", "not-json")): 1.0} == samples(
            proxy, "sdcontracts_proxy_drift_total"
        )


# -- upstream failures ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_upstream_refusing_connections_is_the_providers_own_502(provider: str) -> None:
    """Nothing listens upstream: the provider's server-error envelope with HTTP 502, saying so."""
    app = create_app(provider, upstream=f"http://127.0.0.1:{free_port()}")
    with BackgroundProxy(app) as url:
        answer = send(
            raw_request(provider, json.dumps(as_sent(provider)).encode(), credentials(provider), "http://x"), url
        )
    assert (502, "server", "upstream-error") == (
        answer.status_code,
        error_kind(provider, answer),
        answer.headers["x-sdcontracts-proxy"],
    )
    assert "sdcontracts proxy: cannot connect to the upstream" in answer.text


def test_a_slow_upstream_is_a_504_after_the_timeout() -> None:
    with proxied("novita", timeout=0.3) as (_, proxy):
        answer = httpx.post(f"{proxy.url}/v3/async/img2img", json=valid_request("novita"),
                            headers={**novita_auth(), "X-Mock-Fault": "latency=3"}, timeout=10)  # fmt: skip
    assert (504, "CREATE_TASK_FAILED") == (answer.status_code, answer.json()["reason"])
    assert answer.json()["message"].startswith("sdcontracts proxy: the upstream did not answer within 0.3 s")


@pytest.mark.parametrize(
    ("reply", "words"),
    [
        (None, "the upstream closed the connection"),
        (b"NOT HTTP AT ALL\r\n\r\n", "the upstream's answer is not valid HTTP"),
        (b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{"task', "the upstream's answer is not valid HTTP"),
    ],
    ids=["reset", "garbled", "cut-short"],
)
def test_an_upstream_that_resets_garbles_or_cuts_its_answer_short_is_a_502(
    reply: bytes | None, words: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sdcontracts.proxy")
    with RawUpstream(reply) as upstream, BackgroundProxy(create_app("novita", upstream=upstream)) as url:
        answer = httpx.post(f"{url}/v3/async/img2img", json=valid_request("novita"), timeout=10)
    assert (502, "CREATE_TASK_FAILED") == (answer.status_code, answer.json()["reason"])
    assert words in answer.json()["message"]
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "sdcontracts.proxy"]
    assert ("upstream-error", words) == (line["outcome"], line["error"][len("sdcontracts proxy: ") :][: len(words)])


def test_an_answer_ended_by_the_upstream_closing_the_connection_is_forwarded_whole() -> None:
    """No Content-Length and not chunked: the body is what arrives until the upstream closes (RFC 9112 §6.3)."""
    reply = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"task_id":"until-close"}'
    with RawUpstream(reply) as upstream, BackgroundProxy(create_app("novita", upstream=upstream)) as url:
        answer = httpx.post(f"{url}/v3/async/img2img", json=valid_request("novita"), timeout=10)
    assert (200, b'{"task_id":"until-close"}', "25") == (
        answer.status_code, answer.content, answer.headers["content-length"]
    )  # fmt: skip


def test_calls_after_the_upstream_closed_its_idle_connection_are_sent_on_a_new_one() -> None:
    """The upstream closes each connection after one answer (without saying so): the next call is not
    sent on the closed one, and every call is answered."""
    reply = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"task_id":"t"}'
    with RawUpstream(reply) as upstream, BackgroundProxy(create_app("novita", upstream=upstream)) as url:
        statuses = []
        for _ in range(3):
            statuses.append(httpx.post(f"{url}/v3/async/img2img", json=valid_request("novita"), timeout=10).status_code)
            time.sleep(0.05)
    assert [200, 200, 200] == statuses


def test_a_head_is_answered_with_the_get_answers_length_and_the_next_call_is_unaffected() -> None:
    """HEAD's answer announces a body it does not send: the caller gets its Content-Length and no
    bytes, and the next call through the proxy is answered in full."""
    with proxied("novita") as (_, proxy), httpx.Client(base_url=proxy.url, headers=novita_auth(), timeout=10) as client:
        task = client.post("/v3/async/img2img", json=valid_request("novita")).json()["task_id"]
        got = client.get("/v3/async/task-result", params={"task_id": task})
        head = client.head("/v3/async/task-result", params={"task_id": task})
        again = client.get("/v3/async/task-result", params={"task_id": task})
    assert (200, b"", 200) == (head.status_code, head.content, again.status_code)
    assert (str(len(got.content)), got.json()["task"]["task_id"]) == (
        head.headers["content-length"], again.json()["task"]["task_id"]
    )  # fmt: skip


def test_an_upstream_trickling_its_answer_is_a_504_at_the_deadline_not_a_hang() -> None:
    """A byte every 0.1 s keeps each read alive: the deadline covers the whole exchange, not each read."""
    reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n" + b" " * 200
    with (
        RawUpstream(reply, pause=0.1) as upstream,
        BackgroundProxy(create_app("novita", upstream=upstream, timeout=0.5)) as url,
    ):
        started = time.monotonic()
        answer = httpx.post(f"{url}/v3/async/img2img", json=valid_request("novita"), timeout=30)
        took = time.monotonic() - started
    assert (504, "CREATE_TASK_FAILED") == (answer.status_code, answer.json()["reason"])
    assert answer.json()["message"].startswith("sdcontracts proxy: the upstream did not answer within 0.5 s")
    assert took < 10  # a hang guard: the reply alone would take 10 s to trickle out


def test_an_answer_larger_than_the_limit_is_the_providers_502_and_is_not_held_whole() -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 50000\r\n\r\n" + b"x" * 50_000
    with (
        RawUpstream(reply) as upstream,
        BackgroundProxy(create_app("novita", upstream=upstream, max_answer_bytes=10_000)) as url,
    ):
        answer = httpx.post(f"{url}/v3/async/img2img", json=valid_request("novita"), timeout=10)
    assert (502, "CREATE_TASK_FAILED", "sdcontracts proxy: the upstream's answer is larger than 10,000 bytes") == (
        answer.status_code,
        answer.json()["reason"],
        answer.json()["message"],
    )


def test_a_gzipped_answer_reaches_the_caller_in_its_own_bytes_and_is_checked_for_drift_decoded() -> None:
    plain = json.dumps({"task_id": "t", "brand_new": 1}).encode()
    packed = gzip.compress(plain)
    reply = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
             b"Content-Length: " + str(len(packed)).encode() + b"\r\n\r\n" + packed)  # fmt: skip
    with RawUpstream(reply) as upstream, BackgroundProxy(create_app("novita", upstream=upstream)) as url:
        with httpx.Client(timeout=10) as client, client.stream("POST", f"{url}/v3/async/img2img",
                                                               json=valid_request("novita")) as answer:  # fmt: skip
            sent = b"".join(answer.iter_raw())
        proxy_metrics = httpx.get(f"{url}/_proxy/metrics").text
    assert (packed, "gzip") == (sent, answer.headers["content-encoding"])
    assert (
        'sdcontracts_proxy_drift_total{operation="img2img",path="/brand_new",provider="novita",rule="unknown-field"} 1.0'
        in proxy_metrics
    )


class Stalled(httpx.AsyncBaseTransport):
    """An upstream transport whose calls never end (until cancelled), counting them."""

    def __init__(self) -> None:
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def test_when_every_upstream_connection_is_busy_a_call_waits_for_one_at_most_the_timeout() -> None:
    """connections=1: the second of two calls at once never reaches the upstream and says why."""
    upstream = Stalled()
    app = create_app("novita", upstream="http://upstream.test", timeout=0.3, connections=1, transport=upstream)

    async def calls() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://proxy.test") as client:
            sent = [client.post("/v3/async/img2img", json=valid_request("novita"), headers=novita_auth())
                    for _ in range(2)]  # fmt: skip
            answers = await asyncio.gather(*sent)
            await app.aclose()
            return answers

    first, second = asyncio.run(calls())
    assert (504, 504, 1) == (first.status_code, second.status_code, upstream.calls)
    assert (
        "sdcontracts proxy: the upstream did not answer within 0.3 s (http://upstream.test)",
        "sdcontracts proxy: no upstream connection was free within 0.3 s",
    ) == (first.json()["message"], second.json()["message"])


def test_the_mocks_dropped_connection_fault_is_a_502_and_the_client_sees_a_server_error() -> None:
    with (
        proxied("novita") as (_, proxy),
        proxy.client("novita", headers={"X-Mock-Fault": "drop"}) as client,
        pytest.raises(ServerError) as raised,
    ):
        client.submit(valid_request("novita"))
    assert 502 == raised.value.status_code


# -- budget -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_after_its_budget_the_proxy_answers_with_the_providers_rate_limit_shape(provider: str) -> None:
    """budget=1: the first call is forwarded; the next is the provider's own rate-limit answer (its status,
    envelope and code), which the provider's client reads as RateLimited; the upstream saw one call."""
    with proxied(provider, budget=1) as (mock, proxy), proxy.client(provider, retry=None) as client:
        submitted = client.submit(valid_request(provider))
        with pytest.raises(RateLimited) as raised:
            client.get_task(submitted)
        assert (1, {(): 0.0}) == (mock.journal.count(provider), samples(proxy, "sdcontracts_proxy_budget_remaining"))
    assert "the budget of 1 upstream calls is spent" in raised.value.message


# -- hostile input ----------------------------------------------------------------------------------


def test_a_head_longer_than_16_kib_is_refused_with_431_before_anything_is_forwarded() -> None:
    with proxied("novita") as (mock, proxy):
        answer = raw_exchange(
            proxy.url,
            b"GET /v3/async/task-result?task_id=x HTTP/1.1\r\nHost: p\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n",
        )
    assert (b"HTTP/1.1 431", 0) == (answer[:12], mock.journal.count())


def test_pipelined_requests_are_answered_in_order_before_the_garbage_that_follows_them() -> None:
    with proxied("novita") as (mock, proxy):
        query = b"GET /v3/async/task-result?task_id=none HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer sk_mock_novita_key\r\n\r\n"
        answer = raw_exchange(proxy.url, query + query + b"GARBAGE\r\n\r\n")
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)
    assert ([b"404", b"404", b"400"], 2) == (statuses, mock.journal.count("novita", "task"))


def test_an_oversized_body_is_refused_unread_in_the_providers_shape_and_the_connection_closed() -> None:
    with proxied("novita", max_body_bytes=1000) as (mock, proxy):
        answer = httpx.post(f"{proxy.url}/v3/async/img2img", content=b"x" * 5000, headers=novita_auth(), timeout=10)
    assert (400, "the body is larger than 1,000 bytes", "close", 0) == (
        answer.status_code, answer.json()["message"], answer.headers["connection"], mock.journal.count())  # fmt: skip


def test_a_body_that_does_not_arrive_in_time_is_refused_in_the_providers_shape() -> None:
    with proxied("novita", body_timeout=0.5) as (mock, proxy):
        head = b"POST /v3/async/img2img HTTP/1.1\r\nHost: p\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        started = time.monotonic()
        answer = raw_exchange(proxy.url, head + b'{"request"')
    assert b"HTTP/1.1 400" == answer[:12] and b"the body did not arrive within 0.5 s" in answer
    assert 0 == mock.journal.count() and time.monotonic() - started < 8


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"{{{", "application/json", "the body is not JSON: "),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", "the body nests too deeply"),
        (b"\xff\xfe", "application/json", "the body is not UTF-8"),
        (b"{}", "text/plain", "Content-Type must be application/json, not text/plain"),
    ],
    ids=["not-json", "deep", "not-utf8", "content-type"],
)
def test_a_body_the_provider_cannot_read_is_refused_in_its_shape(body: bytes, content_type: str, message: str) -> None:
    with proxied("novita") as (mock, proxy):
        answer = httpx.post(
            f"{proxy.url}/v3/async/img2img",
            content=body,
            headers={**novita_auth(), "Content-Type": content_type},
            timeout=10,
        )
        assert {(("operation", "img2img"), ("rule", "not-json")): 1.0} == samples(
            proxy, "sdcontracts_proxy_rejections_total"
        )
    assert (400, "INVALID_REQUEST_BODY", 0) == (answer.status_code, answer.json()["reason"], mock.journal.count())
    assert answer.json()["message"].startswith(message)


# -- metrics, health, log -----------------------------------------------------------------------------


def test_metrics_are_prometheus_text_with_every_family_and_health_says_how_the_proxy_is_set_up() -> None:
    with proxied("novita", budget=5) as (_, proxy), proxy.client("novita") as client:
        client.generate(valid_request("novita"), poll_interval=0.01)
        text = httpx.get(f"{proxy.url}/_proxy/metrics").text
        families = {f.name: f.type for f in text_string_to_metric_families(text) if not f.name.endswith("_created")}
        health = httpx.get(f"{proxy.url}/_proxy/health").json()
        latency = samples(proxy, "sdcontracts_proxy_upstream_seconds_count")
    assert {
        "sdcontracts_proxy_requests": "counter",
        "sdcontracts_proxy_rejections": "counter",
        "sdcontracts_proxy_warnings": "counter",
        "sdcontracts_proxy_drift": "counter",
        "sdcontracts_proxy_upstream_seconds": "histogram",
        "sdcontracts_proxy_upstream_calls": "counter",
        "sdcontracts_proxy_budget_remaining": "gauge",
    } == families
    assert {(("operation", "img2img"),): 1.0, (("operation", "task"),): 3.0} == latency
    assert {"ok": True, "provider": "novita", "upstream": proxy.app.upstream, "mode": "enforce", "strict": False,
            "upstream_calls": 4, "budget": 5, "recording": None} == health  # fmt: skip


def test_the_proxys_own_endpoints_answer_get_and_head_only() -> None:
    with proxied("novita") as (_, proxy):
        posted = httpx.post(f"{proxy.url}/_proxy/metrics", timeout=10)
        missing = httpx.get(f"{proxy.url}/_proxy/nothing", timeout=10)
    assert (405, "GET, HEAD", 404) == (posted.status_code, posted.headers["allow"], missing.status_code)


def test_each_call_is_one_json_log_line_that_never_holds_a_credential(caplog: pytest.LogCaptureFixture) -> None:
    """A violation's message quotes the value it is about: the caller's key, sent in a body field, is redacted."""
    caplog.set_level(logging.INFO, logger="sdcontracts.proxy")
    key = DEFAULT_CREDENTIALS["novita"]["api_key"]
    payload = valid_request("novita")
    payload["request"]["sampler_name"] = key
    with proxied("novita") as (_, proxy):
        httpx.post(f"{proxy.url}/v3/async/img2img", json=payload, headers=novita_auth(), timeout=10)
    (record,) = [r for r in caplog.records if r.name == "sdcontracts.proxy"]
    line = json.loads(record.getMessage())
    assert ("rejected", "enum", "/request/sampler_name") == (
        line["outcome"],
        line["violations"][0]["rule"],
        line["violations"][0]["path"],
    )
    assert key not in record.getMessage() and "REDACTED" in line["violations"][0]["message"]


def test_a_log_line_quoting_a_lone_surrogate_is_written_as_ascii_escapes_and_other_text_as_it_is() -> None:
    """A caller's "\\ud800" in a violation's message cannot be written as UTF-8: that line alone is escaped,
    so a handler writing UTF-8 keeps it (it dropped it, with a traceback on stderr); a Chinese prompt stays readable."""
    from sdcontracts.proxy import _log

    stream = io.BytesIO()
    handler = logging.StreamHandler(io.TextIOWrapper(stream, encoding="utf-8", write_through=True))
    _log.logger.addHandler(handler)
    level = _log.logger.level
    _log.logger.setLevel(logging.INFO)
    try:
        _log.event(logging.INFO, message="bad \ud800 value")
        _log.event(logging.INFO, message="一只猫")
    finally:
        _log.logger.removeHandler(handler)
        _log.logger.setLevel(level)
    lines = stream.getvalue().decode("utf-8").splitlines()
    assert (['{"message": "bad \\ud800 value"}', '{"message": "一只猫"}'], "bad \ud800 value") == (
        lines,
        json.loads(lines[0])["message"],
    )


# -- Python API and the pytest fixture ----------------------------------------------------------------


def test_the_app_runs_in_process_with_the_mock_behind_an_asgi_transport() -> None:
    """No sockets at all: the proxy app under httpx's ASGI transport, the mock app as its upstream transport."""
    from sdcontracts.mock.asgi import create_app as mock_app

    mock = Mock(MockConfig(providers=("novita",), lifecycle="steps"))
    app = create_app("novita", upstream="http://mock.test", transport=httpx.ASGITransport(mock_app(mock)))

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://proxy.test") as client:
            answer = await client.post("/v3/async/img2img", json=valid_request("novita"), headers=novita_auth())
            await app.aclose()
            return answer

    answer = asyncio.run(call())
    assert (200, 1, "img2img") == (
        answer.status_code,
        mock.journal.count("novita"),
        mock.journal.entries()[0].operation,
    )


def test_the_sd_proxy_fixture_stands_in_front_of_sd_http_mock(
    sd_proxy: Callable[..., BackgroundProxy], sd_http_mock: Any
) -> None:
    proxy = sd_proxy("novita")
    with proxy.client("novita") as client:
        with pytest.raises(Exception, match="unknown-field") as raised:
            client.submit(broken("novita"), validate=False)
        assert ("RequestRejected", 0) == (type(raised.value).__name__, sd_http_mock.journal.count("novita"))
        assert TaskState.SUCCEEDED == client.generate(valid_request("novita")).state


def test_a_proxy_for_one_provider_refuses_to_make_another_providers_client() -> None:
    with proxied("novita") as (_, proxy), pytest.raises(ValueError, match="in front of novita, not zhiqite"):
        proxy.client("zhiqite")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"upstream": "api.novita.ai"}, "the upstream must be an http(s) URL with a host"),
        ({"upstream": "http://h/?x=1"}, "must have no query or fragment"),
        ({"upstream": "http://h", "mode": "audit"}, "mode must be one of enforce, report, not 'audit'"),
        ({"upstream": "http://h", "budget": -1}, "the budget must be 0 or more upstream calls"),
    ],
)
def test_create_app_refuses_settings_that_cannot_work(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        create_app("novita", **options)
