"""The mock's direct path (sdcontracts.mock._protocol): a request whose head and body arrive in one read
is answered at once by `MockApp.answer_now`, without an ASGI task; anything else (a body still coming,
a fault that may be asked for, a proxy's forwarded headers) takes the ASGI path. Both paths must give
the same answer, byte for byte but the Date header and the ids a task is given.

Over real sockets; times are hang guards, not speed claims (bench/ measures speed).
"""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator

import pytest
from payloads import valid_request
from sdcontracts.mock import DEFAULT_CREDENTIALS, FaultRule, Mock, MockConfig
from sdcontracts.mock.asgi import BackgroundServer, MockApp

NOVITA_AUTH = f"Authorization: Bearer {DEFAULT_CREDENTIALS['novita']['api_key']}\r\n".encode()
TENSORART_AUTH = f"Authorization: Bearer {DEFAULT_CREDENTIALS['tensorart']['token']}\r\n".encode()


def request(method: str, target: str, body: bytes = b"", headers: bytes = b"", *, version: str = "1.1") -> bytes:
    length = b"Content-Length: %d\r\n" % len(body) if body or method in ("POST", "PUT") else b""
    return f"{method} {target} HTTP/{version}\r\nHost: mock\r\n".encode() + headers + length + b"\r\n" + body


def read_answers(connection: socket.socket, count: int) -> list[tuple[int, dict[str, str], bytes]]:
    """``count`` responses (status, headers, body); HEAD answers are read as bodiless."""
    data, found = b"", []
    while len(found) < count:
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            assert chunk, f"the connection closed after {len(found)} answers"
            data += chunk
        head, _, data = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
        size = 0 if headers.pop("x-head", None) else int(headers.get("content-length", "0"))
        while len(data) < size:
            data += connection.recv(65536)
        found.append((int(lines[0].split()[1]), headers, data[:size]))
        data = data[size:]
    return found


def exchange(
    url: str, raw: bytes, *, split: bool = False, head_request: bool = False
) -> tuple[int, dict[str, str], bytes]:
    """Send one request (in two writes, its head apart from its body, when ``split``) and read its answer."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        if split:
            head, _, body = raw.partition(b"\r\n\r\n")
            connection.sendall(head + b"\r\n\r\n")
            time.sleep(0.05)  # the head is read on its own: the body is still coming
            connection.sendall(body)
        else:
            connection.sendall(raw)
        if head_request:
            connection.settimeout(10)
            data = b""
            while b"\r\n\r\n" not in data:
                data += connection.recv(65536)
            status_line, _, rest = data.partition(b"\r\n")
            headers = dict(line.split(": ", 1) for line in rest.decode("latin-1").split("\r\n") if ": " in line)
            return int(status_line.split()[1]), {k.lower(): v for k, v in headers.items()}, b""
        return read_answers(connection, 1)[0]


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Counts of requests answered by each path in the servers a test starts."""
    counts = {"direct": 0, "asgi": 0}
    answer_now, http = MockApp.answer_now, MockApp._http

    def counted_answer_now(self: MockApp, scope: dict[str, object], body: bytes, **options: bool) -> object:
        answer = answer_now(self, scope, body, **options)
        counts["direct"] += answer is not None
        return answer

    async def counted_http(self: MockApp, *args: object) -> None:
        counts["asgi"] += 1
        await http(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(MockApp, "answer_now", counted_answer_now)
    monkeypatch.setattr(MockApp, "_http", counted_http)
    yield counts


def test_a_request_arriving_whole_is_answered_directly_and_one_whose_body_comes_later_by_the_asgi_path(
    paths: dict[str, int],
) -> None:
    """The same valid submit, in one write and in two: both make a task and answer 200 with its id; the first
    never reaches the ASGI application, the second does (its body was still coming when its head was read)."""
    mock = Mock(MockConfig(providers=("novita",), lifecycle="steps"))
    raw = request("POST", "/v3/async/img2img", json.dumps(valid_request("novita")).encode(),
                  NOVITA_AUTH + b"Content-Type: application/json\r\n")  # fmt: skip
    with BackgroundServer(mock) as url:
        whole = exchange(url, raw)
        after_whole = dict(paths)
        split = exchange(url, raw, split=True)
    ids = [json.loads(answer[2])["task_id"] for answer in (whole, split)]
    assert ((200, 200), {"direct": 1, "asgi": 0}, {"direct": 1, "asgi": 1}) == (
        (whole[0], split[0]), after_whole, paths,
    )  # fmt: skip
    assert sorted(ids) == sorted(task.id for task in mock.store.tasks())


CASES = {
    "valid submit": request("POST", "/v3/async/img2img", json.dumps(valid_request("novita")).encode(),
                            NOVITA_AUTH + b"Content-Type: application/json\r\n"),
    "invalid submit": request("POST", "/v3/async/img2img", b'{"request": {"model_name": 7}}',
                              NOVITA_AUTH + b"Content-Type: application/json\r\n"),
    "no credentials": request("POST", "/v3/async/img2img", b"{}", b"Content-Type: application/json\r\n"),
    "not JSON": request("POST", "/v3/async/img2img", b"{not json", NOVITA_AUTH + b"Content-Type: application/json\r\n"),
    "wrong content type": request("POST", "/v3/async/img2img", b"{}", NOVITA_AUTH + b"Content-Type: text/plain\r\n"),
    "unknown task": request("GET", "/v3/async/task-result?task_id=none", headers=NOVITA_AUTH),
    "no such path": request("GET", "/nowhere"),
    "method not allowed": request("DELETE", "/v3/async/img2img", headers=NOVITA_AUTH),
    "tensorart upload slot": request("POST", "/v1/resource/image", b"{}",
                                     TENSORART_AUTH + b"Content-Type: application/json\r\n"),
    "journal": request("GET", "/_mock/journal?limit=0"),
}  # fmt: skip
_IDS = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _comparable(answer: tuple[int, dict[str, str], bytes]) -> tuple[int, dict[str, str], bytes]:
    status, headers, body = answer
    if b'"requests"' in body:  # the journal's totals count this test's own requests
        body = json.dumps(sorted(json.loads(body))).encode()
    return status, {k: v for k, v in headers.items() if k != "date"}, _IDS.sub(b"<id>", body)


def test_the_direct_path_answers_as_the_asgi_path_does(paths: dict[str, int]) -> None:
    """Ten requests (valid, invalid, unauthenticated, unreadable, unrouted, the mock's own endpoints), each sent
    whole, to one mock answering directly and one whose direct path is off: the same status, headers (Date
    aside) and body (task ids aside), and each went the path it was meant to."""
    direct: dict[str, tuple[int, dict[str, str], bytes]] = {}
    with BackgroundServer(Mock(MockConfig(lifecycle="steps"))) as url:
        for name, raw in CASES.items():
            direct[name] = _comparable(exchange(url, raw))
        head = exchange(url, request("HEAD", "/_mock/health"), head_request=True)
    taken = dict(paths)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(MockApp, "answer_now", lambda self, scope, body, **options: None)
        with BackgroundServer(Mock(MockConfig(lifecycle="steps"))) as url:
            through_asgi = {name: _comparable(exchange(url, raw)) for name, raw in CASES.items()}
            asgi_head = exchange(url, request("HEAD", "/_mock/health"), head_request=True)
    assert direct == through_asgi
    assert (head[0], {k: v for k, v in head[1].items() if k != "date"}) == (
        asgi_head[0], {k: v for k, v in asgi_head[1].items() if k != "date"},
    )  # fmt: skip
    assert ({"direct": len(CASES) + 1, "asgi": 0}, len(CASES) + 1) == (taken, paths["asgi"])
    assert [200, 400, 400, 400, 400, 404, 404, 405, 200, 200, 200] == [
        *(answer[0] for answer in direct.values()), head[0],
    ]  # fmt: skip


def test_a_fault_header_or_configured_faults_take_the_asgi_path_and_are_carried_out(paths: dict[str, int]) -> None:
    """X-Mock-Fault latency=0.3 is waited out, a configured drop fault drops the connection: both need the event
    loop, so neither request is answered directly."""
    raw = request("GET", "/v3/async/task-result?task_id=none", headers=NOVITA_AUTH)
    with BackgroundServer(Mock(MockConfig(providers=("novita",)))) as url:
        started = time.monotonic()
        delayed = exchange(url, raw.replace(b"\r\n\r\n", b"\r\nX-Mock-Fault: latency=0.3\r\n\r\n"))
        waited = time.monotonic() - started
    dropping = Mock(MockConfig(providers=("novita",), faults=(FaultRule("drop", provider="novita"),)))
    with BackgroundServer(dropping) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            connection.sendall(raw)
            received = b""
            while chunk := connection.recv(65536):
                received += chunk
    assert (404, True, {"direct": 0, "asgi": 2}) == (delayed[0], waited >= 0.3, paths)
    assert received.endswith(b'{"truncated":') and b"content-length: 1000" in received


def test_forwarded_headers_from_a_trusted_proxy_take_the_asgi_path_and_name_the_scheme(paths: dict[str, int]) -> None:
    """X-Forwarded-Proto https from 127.0.0.1 (uvicorn's trusted proxy): the upload URL the mock answers with is
    https, as uvicorn's proxy-headers middleware makes it; without the header it is http, answered directly."""
    raw = request("POST", "/v1/resource/image", b"{}", TENSORART_AUTH + b"Content-Type: application/json\r\n")
    forwarded = raw.replace(b"\r\n\r\n", b"\r\nX-Forwarded-Proto: https\r\n\r\n", 1)
    with BackgroundServer(Mock(MockConfig(providers=("tensorart",)))) as url:
        plain, proxied = (json.loads(exchange(url, r)[2])["putUrl"] for r in (raw, forwarded))
    assert (True, True, {"direct": 1, "asgi": 1}) == (
        plain.startswith("http://mock/"), proxied.startswith("https://mock/"), paths,
    )  # fmt: skip


def test_an_http_1_0_request_is_answered_directly_and_the_connection_closed(paths: dict[str, int]) -> None:
    """HTTP/1.0 without keep-alive: one answer with Connection: close, then the server closes the connection."""
    raw = request("GET", "/v3/async/task-result?task_id=none", headers=NOVITA_AUTH, version="1.0")
    with BackgroundServer(Mock(MockConfig(providers=("novita",)))) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            connection.sendall(raw)
            received = b""
            while chunk := connection.recv(65536):  # ends: the server closed it
                received += chunk
    assert (True, 1, {"direct": 1, "asgi": 0}) == (
        b"connection: close\r\n" in received.lower(), received.count(b"HTTP/1.1 404"), paths,
    )  # fmt: skip


def test_pipelined_requests_arriving_together_are_all_answered_directly_in_order(paths: dict[str, int]) -> None:
    """Three requests in one write, the last asking to close: three answers in order, none through ASGI."""
    submit = CASES["valid submit"]
    query = request("GET", "/v3/async/task-result?task_id=none", headers=NOVITA_AUTH)
    last = query.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
    with BackgroundServer(Mock(MockConfig(providers=("novita",)))) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            connection.sendall(query + submit + last)
            got = read_answers(connection, 3)
            closed = connection.recv(65536) == b""
    assert ([404, 200, 404], "close", True, {"direct": 3, "asgi": 0}) == (
        [status for status, _, _ in got], got[2][1].get("connection"), closed, paths,
    )  # fmt: skip


def test_a_direct_path_that_raises_leaves_the_request_to_the_asgi_path(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in the direct path (here: answer_now raising) loses no answer: the request is answered by the ASGI
    path, as it would have been, and the failure is logged."""

    def broken(self: MockApp, scope: dict[str, object], body: bytes, **options: bool) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(MockApp, "answer_now", broken)
    with BackgroundServer(Mock(MockConfig(providers=("novita",), lifecycle="steps"))) as url:
        answer = exchange(url, CASES["valid submit"])
    assert (200, True) == (answer[0], any("direct path failed" in r.getMessage() for r in caplog.records))
