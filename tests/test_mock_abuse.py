"""The mock under abuse: whatever arrives, each provider answers in its own words, never with a
server failure, and a client sending garbage or sending slowly delays nobody else.

In-process, Hypothesis sends every provider bodies no client would (mutated requests with NaN
literals, cut short, with stray bytes, a BOM, duplicate keys, numbers too long to read, lone
surrogates, thousands of brackets) with valid credentials, to its submit and its task query. Over
HTTP on 127.0.0.1, malformed bodies, forged or replayed signatures, oversized and half-sent
requests go in at the same time as honest clients, who must all finish their tasks.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mutations import json_mutations
from payloads import PROVIDERS, raw_request, rejected_as_invalid, server_failure, valid_request
from sdcontracts.mock import ManualClock, Mock, MockConfig
from sdcontracts.mock.asgi import BackgroundServer

from sdcontracts import auth
from sdcontracts.clients import TaskState

BASE = "http://mock.sdcontracts.test"
JSON = {"content-type": "application/json"}


def damage(draw: st.DrawFn, body: bytes) -> bytes:
    """The body as a careless or hostile sender might send it."""
    how = draw(st.sampled_from(["none", "cut", "stray", "bom", "duplicate", "long-number", "surrogate", "brackets"]))
    if how == "cut" and body:
        return body[: draw(st.integers(0, len(body) - 1))]
    if how == "stray":
        at = draw(st.integers(0, len(body)))
        return body[:at] + draw(st.binary(min_size=1, max_size=4)) + body[at:]
    if how == "bom":
        return b"\xef\xbb\xbf" + body
    if how == "duplicate" and body.startswith(b"{") and len(body) > 2:
        return b'{"prompt": 1, "prompt": "twice", ' + body[1:]
    if how == "long-number":
        return body.replace(b"1", b"9" * 5_000, 1) if b"1" in body else b"9" * 5_000
    if how == "surrogate":
        return body.replace(b'"', b'"\\ud800', 1)
    if how == "brackets":
        depth = draw(st.integers(500, 20_000))
        return b"[" * depth + body + b"]" * depth
    return body


@st.composite
def hostile_requests(draw: st.DrawFn) -> tuple[str, str, bytes, dict[str, str]]:
    """(provider, operation, body, extra headers): authenticated, but the body anything at all."""
    provider, _, payload = draw(json_mutations(max_depth=50))
    operation = "img2img" if draw(st.integers(0, 3)) else "task"
    body = damage(draw, json.dumps(payload).encode())  # allow_nan: NaN and Infinity literals, as lax encoders write
    kind = draw(st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", ""]))
    return provider, operation, body, {"content-type": kind}


MOCK = Mock(MockConfig(lifecycle="steps"), clock=ManualClock())


@settings(max_examples=250, deadline=None)  # deadline: a few bodies carry 20,000 brackets or a huge string
@given(case=hostile_requests())
def test_no_body_makes_any_provider_fail(case: tuple[str, str, bytes, dict[str, str]]) -> None:
    """Any bytes, with valid credentials, to any provider's submit or task query: a 2xx or 4xx in its own envelope."""
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
    with httpx.Client(transport=MOCK.transport()) as http:
        response = http.send(request)
    assert not server_failure(provider, response), response.text[:500]


# -- over HTTP, all at once ----------------------------------------------------------------------------

LIMIT = 64 * 1024  # max_body_bytes for these tests: an oversized body is quick to send
SLOW = 1.0  # body_timeout for these tests


def malformed(provider: str, credentials: dict[str, str], url: str) -> dict[str, httpx.Request]:
    """Requests no provider accepts, each authenticated as well as its body allows."""
    good = json.dumps(valid_request(provider, id_task="abuse")).encode()

    def send(body: bytes, **headers: str) -> httpx.Request:
        return raw_request(provider, body, credentials, url, headers=headers)

    return {
        "invalid JSON": send(b'{"prompt": "a cat",'),
        "wrong content type": send(good, **{"content-type": "text/plain"}),
        "non-UTF-8 bytes": send(b'{"prompt": "\xff\xfe\xfd"}'),
        "oversized body": send(b'{"prompt": "' + b"x" * (2 * LIMIT) + b'"}'),
        "10,000-deep JSON": send(b"[" * 10_000 + b"]" * 10_000),
        "number too long to read": send(b'{"width": ' + b"9" * 5_000 + b"}"),
        "contract violation": send(b'{"no_such_field": 1}'),
    }


def forged(mock: Mock, url: str) -> dict[str, tuple[httpx.Request, Callable[[httpx.Response], bool]]]:
    """Replayed and stale Tensor.Art signatures, a wrong PICPIK signature, a forged Alibaba Content-MD5."""
    rsa = mock.credentials("tensorart", "rsa")
    tams = json.dumps({**valid_request("tensorart"), "requestId": "forged"}).encode()
    signer = auth.TamsRsaAuth(rsa["app_id"], rsa["private_key"])
    stale = auth.TamsRsaAuth(rsa["app_id"], rsa["private_key"], clock=lambda: time.time() - 3_600)

    def tensorart(header: str) -> httpx.Request:
        return httpx.Request(
            "POST",
            f"{url}/v1/jobs",
            content=tams,
            headers={"content-type": "application/json", "authorization": header},
        )

    replayed = signer.authorization("POST", "/v1/jobs", tams)
    picpik = auth.PicpikSignature("pk_mock_picpik", "not-the-private-key").sign(
        {**valid_request("picpik"), "Action": "GenerateImg2Img"}
    )
    aliyun = raw_request("aliyun", json.dumps(valid_request("aliyun")).encode(), mock.credentials("aliyun"), url)
    aliyun.headers["content-md5"] = "1B2M2Y8AsgTpgAmY7PhCfg=="  # the MD5 of an empty body, not of this one

    def tams_denied(response: httpx.Response) -> bool:
        return (response.status_code, response.json()["code"]) == (401, 16)

    return {
        "Tensor.Art signature, first use": (tensorart(replayed), lambda r: r.status_code == 200),
        "Tensor.Art signature, replayed": (tensorart(replayed), tams_denied),
        "Tensor.Art stale timestamp": (tensorart(stale.authorization("POST", "/v1/jobs", tams)), tams_denied),
        "PICPIK wrong signature": (
            httpx.Request("POST", f"{url}/", json=picpik),
            lambda r: (r.status_code, r.json()["RetCode"]) == (200, 161),
        ),
        "Alibaba forged Content-MD5": (
            aliyun,
            lambda r: (r.status_code, r.json()["errCode"]) == (400, "InvalidContentMD5"),
        ),
    }


def half_sent(url: str, *, headers_done: bool) -> socket.socket:
    """A connection that sends part of a request and then nothing (a slowloris)."""
    host, port = url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)))
    head = b"POST /v3/async/img2img HTTP/1.1\r\nHost: mock\r\nContent-Type: application/json\r\n"
    connection.sendall(head + b"Content-Length: 1000\r\n\r\n" + b'{"request": ' if headers_done else head)
    return connection


def honest_cycle(mock: Mock, provider: str, url: str) -> TaskState:
    with mock.client(provider, base_url=url, transport=None) as client:
        return client.generate(valid_request(provider), poll_interval=0).state  # type: ignore[no-any-return]


Storm = tuple[list[TaskState], dict[tuple[str, str], httpx.Response], dict[str, httpx.Response], bytes]


def storm(mock: Mock, urls: Mapping[str, str], signatures: Mapping[str, Any]) -> Storm:
    """Honest clients of every provider (three each) at the same time as malformed bodies, the forged
    and replayed ``signatures`` and two slowloris connections, each sent to ``urls[provider]`` (the
    mock, or a proxy in front of it): the honest tasks' states, the malformed and signed answers,
    and what the half-sent body got."""
    novita = urls["novita"]
    with httpx.Client(timeout=10) as http:
        slow_body, slow_head = half_sent(novita, headers_done=True), half_sent(novita, headers_done=False)
        try:
            with ThreadPoolExecutor(max_workers=16) as pool:
                honest = [pool.submit(honest_cycle, mock, p, urls[p]) for p in PROVIDERS for _ in range(3)]
                bad = {
                    (provider, name): pool.submit(http.send, request)
                    for provider in PROVIDERS
                    for name, request in malformed(provider, mock.credentials(provider), urls[provider]).items()
                }
                signed = {name: http.send(request) for name, (request, _) in signatures.items()}  # replay second
                states = [future.result() for future in honest]
                answers = {key: future.result() for key, future in bad.items()}
            slow_body.settimeout(10)
            slow_answer = slow_body.recv(65536)
        finally:
            slow_body.close()
            slow_head.close()
    return states, answers, signed, slow_answer


def test_abuse_gets_each_providers_answer_while_honest_clients_are_served() -> None:
    """Malformed bodies, forged and replayed signatures and two slowloris connections, at the same time as honest
    clients of every provider: each abuse gets its provider's refusal, every honest task succeeds, nothing is a 5xx."""
    mock = Mock(MockConfig(lifecycle="steps", max_body_bytes=LIMIT, body_timeout=SLOW))
    with BackgroundServer(mock) as url:
        signatures = forged(mock, url)
        states, answers, signed, slow_answer = storm(mock, dict.fromkeys(PROVIDERS, url), signatures)
    assert [TaskState.SUCCEEDED] * (3 * len(PROVIDERS)) == states
    assert [] == [key for key, response in answers.items() if not rejected_as_invalid(key[0], response)]
    assert [] == [name for name, response in signed.items() if not signatures[name][1](response)]
    assert slow_answer.startswith(b"HTTP/1.1 400") and b"did not arrive within 1 s" in slow_answer
    assert 0 == sum(mock.journal.count(status=status) for status in range(500, 600))


def test_a_half_sent_request_delays_nobody_and_never_holds_the_server() -> None:
    """While one connection has sent half its body and another half its headers, a full Novita cycle completes;
    the half body is answered 400 after body_timeout, and the server still stops at once."""
    mock = Mock(MockConfig(providers=("novita",), lifecycle="steps", body_timeout=2 * SLOW))
    server = BackgroundServer(mock)
    with server as url:
        slow_body, slow_head = half_sent(url, headers_done=True), half_sent(url, headers_done=False)
        try:
            state = honest_cycle(mock, "novita", url)
            slow_body.settimeout(10)
            answer = slow_body.recv(65536)
            closed = slow_body.recv(1) == b""  # the rest of its body is not waited for: the connection ends
        finally:
            slow_body.close()
    stopped = not server._thread.is_alive()
    slow_head.close()
    assert (TaskState.SUCCEEDED, True, True) == (state, closed, stopped)
    submits = [entry.status for entry in mock.journal.entries("novita", "img2img")]
    assert [200, 400] == submits, "the honest submit was answered first, while the slow one was still arriving"
    document = json.loads(answer.split(b"\r\n\r\n", 1)[1])
    assert ("INVALID_REQUEST_BODY", "the body did not arrive within 2 s") == (document["reason"], document["message"])


def test_a_lone_surrogate_goes_back_out_as_the_json_escape_it_came_in_as() -> None:
    """An Alibaba prompt of "\\ud800" (valid JSON, not Unicode text) is accepted and echoed in the task's parameters
    as that same escape, where encoding it raw made the mock fail."""
    credentials = MOCK.credentials("aliyun")
    body = json.dumps({**valid_request("aliyun"), "prompt": "\ud800"}).encode()
    with httpx.Client(transport=MOCK.transport()) as http:
        task_id = http.send(raw_request("aliyun", body, credentials, BASE)).json()["data"]["taskId"]
        query = json.dumps({"taskId": task_id}).encode()
        answer = http.send(raw_request("aliyun", query, credentials, BASE, operation="task"))
    assert not server_failure("aliyun", answer)
    assert (True, "\ud800") == (b'"prompt":"\\ud800"' in answer.content, answer.json()["data"]["parameters"]["prompt"])


# -- hostile values in credentials and ids, over HTTP ---------------------------------------------------
# Found from outside against `mock serve` (issue 13): each made the mock fail before the fix.

NOT_A_TIME = ["9" * 400, "9" * 5_000, "\xb2", "1_700_000_000", "+1700000000", ""]  # "²" is a digit to str.isdigit


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Mock, str]]:
    mock = Mock(MockConfig(lifecycle="steps"))
    with BackgroundServer(mock) as url:
        yield mock, url


def test_a_tensorart_timestamp_that_is_no_time_is_a_malformed_signature(served: tuple[Mock, str]) -> None:
    """TAMS-SHA256-RSA headers whose timestamp is 400 or 5,000 nines, a superscript digit, or not plain digits: 401
    code 16 before any key is used, where 400 nines made an OverflowError (HTTP 500)."""
    _, url = served
    answers = []
    for stamp in NOT_A_TIME:
        header = f"TAMS-SHA256-RSA app_id=mock-app,nonce_str=n,timestamp={stamp or 'x'},signature=x"
        response = httpx.post(
            f"{url}/v1/jobs", content=b"{}", headers={"authorization": header.encode("latin-1"), **JSON}
        )
        answers.append((response.status_code, response.json()["code"], response.json()["message"]))
    malformed = (401, 16, "Signature verification failed: the timestamp is not a number of seconds")
    assert [malformed] * len(NOT_A_TIME) == answers


def test_an_aliyun_timestamp_that_is_no_time_is_the_gateways_invalid_timestamp(served: tuple[Mock, str]) -> None:
    """x-ca-timestamp of 400 or 5,000 digits, a superscript digit, or not plain digits: the gateway's 400
    InvalidTimestamp, where they made an OverflowError or a ValueError (InternalError)."""
    mock, url = served
    answers = []
    for stamp in NOT_A_TIME:
        headers = {"x-ca-key": mock.credentials("aliyun")["app_key"], "x-ca-timestamp": stamp.encode("latin-1"), **JSON}
        response = httpx.post(f"{url}/scc/sd_img2img", content=b"{}", headers=headers)
        answers.append((response.status_code, response.json()["errCode"], response.headers["x-ca-error-code"]))
    assert [(400, "InvalidTimestamp", "InvalidTimestamp")] * len(NOT_A_TIME) == answers


@pytest.mark.parametrize(("field", "code"), [("PublicKey", 160), ("Signature", 161)])
def test_a_lone_surrogate_as_a_picpik_credential_is_refused_as_a_wrong_one(
    served: tuple[Mock, str], field: str, code: int
) -> None:
    """ "\\ud800" (a valid JSON escape, not Unicode text) as PublicKey or Signature is an unknown key or a wrong
    signature, RetCode 160 or 161, where comparing it made RetCode 500."""
    mock, url = served
    body = auth.PicpikSignature(**mock.credentials("picpik")).sign(
        {**valid_request("picpik"), "Action": "GenerateImg2Img"}
    )
    body[field] = "\ud800"
    response = httpx.post(f"{url}/", content=json.dumps(body).encode(), headers=JSON)
    assert (200, code) == (response.status_code, response.json()["RetCode"])


def test_a_picpik_body_holding_a_lone_surrogate_is_signed_as_the_mock_checks_it(served: tuple[Mock, str]) -> None:
    """The signer hashes a lone surrogate as its surrogate bytes, the mock's check does the same: such a prompt,
    signed by `PicpikSignature` as an httpx auth (which sends it as the escape), makes a task, where signing raised
    UnicodeEncodeError. PicpikSignature.sign gives the same signature as the request carries."""
    mock, url = served
    signer = auth.PicpikSignature(**mock.credentials("picpik"))
    body = {**valid_request("picpik"), "Action": "GenerateImg2Img", "PositivePrompts": ["a \ud800 cat"]}
    with httpx.Client(auth=signer) as http:
        response = http.post(f"{url}/", content=json.dumps(body).encode(), headers=JSON)  # httpx's json= cannot
        sent = response.request.content
    assert (200, 0) == (response.status_code, response.json()["RetCode"])
    assert (True, signer.sign(body)["Signature"]) == (b'"a \\ud800 cat"' in sent, json.loads(sent)["Signature"])


def test_a_zhiqite_task_whose_id_holds_a_lone_surrogate_and_slashes_runs_its_whole_lifecycle(
    served: tuple[Mock, str],
) -> None:
    """An id_task of "\\ud800/ x?#" is accepted; its task queries answer code "200" through to success (where
    every query answered code "500") and its image URL downloads, with GET and HEAD."""
    mock, url = served
    credentials = mock.credentials("zhiqite")
    request = {
        **valid_request("zhiqite", id_task="\ud800/ x?#"),
        "seed": -1,
    }  # seed -1: the mock derives one from the id
    query = json.dumps({"businessTaskId": "\ud800/ x?#"}).encode()
    with httpx.Client(timeout=10) as http:
        submitted = http.send(raw_request("zhiqite", json.dumps(request).encode(), credentials, url)).json()
        answers = [
            http.send(raw_request("zhiqite", query, credentials, url, operation="task")).json() for _ in range(3)
        ]
        image = answers[-1]["data"]["differentialImageRspList"][0]["image_url"]
        downloads = [http.get(image), http.head(image)]
    assert ("200", "\ud800/ x?#") == (submitted["code"], submitted["data"]["task_id"])
    assert [("200", 0), ("200", 1), ("200", 2)] == [(a["code"], a["data"]["status"]) for a in answers]
    assert [(200, "image/jpeg")] * 2 == [(d.status_code, d.headers["content-type"]) for d in downloads]
    assert (True, b"") == (len(downloads[0].content) > 0, downloads[1].content)
    assert downloads[0].headers["content-length"] == downloads[1].headers["content-length"]


@pytest.mark.parametrize("retry_after", ["inf", "nan", "-1", "1e9"])
def test_a_retry_after_fault_out_of_range_is_refused_in_the_providers_words(
    served: tuple[Mock, str], retry_after: str
) -> None:
    """X-Mock-Fault "status=429; retry-after=inf" (or NaN, negative, beyond an hour) is a bad fault: the provider's
    invalid-request answer, where infinity and NaN made a 500."""
    _, url = served
    headers = {
        "authorization": "Bearer ta_mock_token",
        "x-mock-fault": f"status=429; retry-after={retry_after}",
        **JSON,
    }
    response = httpx.post(f"{url}/v1/jobs", content=b"{}", headers=headers)
    assert (400, 3, True) == (
        response.status_code,
        response.json()["code"],
        "retry-after" in response.json()["message"],
    )
