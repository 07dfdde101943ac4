"""The mock's core and its Novita handler: lifecycle on a driven clock, wire envelopes, faults,
rate limits, expiry, the journal, and the three adapters (transport, respx, HTTP)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import b64, png
from payloads import raw_request
from sdcontracts.mock import FaultError, FaultRule, ManualClock, Mock, MockConfig, MockRequest, parse_faults
from sdcontracts.mock._state import NonceStore
from sdcontracts.mock._wire import new_uuid
from sdcontracts.mock.asgi import BackgroundServer, create_app

import sdcontracts
from sdcontracts._images import read_image
from sdcontracts.clients import Retry, TaskState
from sdcontracts.clients.novita import NovitaClient
from sdcontracts.pytest_plugin import HttpMock

KEY = "sk_mock_novita_key"
AUTH = {"authorization": f"Bearer {KEY}", "content-type": "application/json"}


def payload(**changes: Any) -> dict[str, Any]:
    request = {
        "model_name": "m", "image_base64": b64(png(64, 64)), "prompt": "a cat", "width": 320, "height": 192,
        "image_num": 2, "steps": 20, "guidance_scale": 7, "sampler_name": "Euler a",
    }  # fmt: skip
    request.update(changes)
    return {"extra": {"response_image_type": "png"}, "request": request}


def call(
    mock: Mock, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    path, _, query = path.partition("?")
    response = mock.handle(MockRequest(method, path, query, {**AUTH, **(headers or {})}, raw, "https://api.novita.ai"))
    try:
        document = json.loads(response.body)
    except ValueError:
        document = response.body
    return response.status, document, response.headers


@pytest.fixture
def mock() -> Mock:
    return Mock(
        MockConfig(providers=("novita",), lifecycle="clock", queue_seconds=1, run_seconds=2), clock=ManualClock()
    )


# -- lifecycle ------------------------------------------------------------------------------------


def test_task_advances_with_the_clock_and_never_sleeps(mock: Mock) -> None:
    """Queued for queue_seconds, processing with progress for run_seconds, then succeeded."""
    _, created, _ = call(mock, "POST", "/v3/async/img2img", payload())
    seen = []
    for step in (0.5, 1.0, 1.0, 1.0):
        _, result, _ = call(mock, "GET", f"/v3/async/task-result?task_id={created['task_id']}")
        seen.append((result["task"]["status"], result["task"]["progress_percent"], len(result["images"])))
        mock.clock.advance(step)  # type: ignore[attr-defined]
    assert [("TASK_STATUS_QUEUED", 0, 0), ("TASK_STATUS_QUEUED", 0, 0), ("TASK_STATUS_PROCESSING", 25, 0),
            ("TASK_STATUS_PROCESSING", 75, 0)] == seen  # fmt: skip
    mock.clock.advance(5)  # type: ignore[attr-defined]
    _, done, _ = call(mock, "GET", f"/v3/async/task-result?task_id={created['task_id']}")
    assert ("TASK_STATUS_SUCCEED", 2) == (done["task"]["status"], len(done["images"]))
    assert [] == list(sdcontracts.validate("novita", done, schema="task.response").violations)


def test_images_are_real_and_of_the_requested_size_and_format(mock: Mock) -> None:
    """Each image URL serves a real PNG/JPEG/WebP of width x height, one per image_num."""
    for fmt in ("png", "jpeg", "webp"):
        body = payload(image_num=3)
        body["extra"]["response_image_type"] = fmt
        with NovitaClient(api_key=KEY, transport=mock.transport()) as client:
            submitted = client.submit(body)
            mock.clock.advance(10)  # type: ignore[attr-defined]
            task = client.get_task(submitted)
            infos = [read_image(client.download(image)) for image in task.images]
        assert [(fmt, 320, 192)] * 3 == [(i.format, i.width, i.height) for i in infos]
        assert {fmt} == {i.format for i in task.images}


def test_terminal_state_never_changes(mock: Mock) -> None:
    """Once succeeded (or failed), a task stays so: later polls and time change nothing."""
    _, created, _ = call(mock, "POST", "/v3/async/img2img", payload(), {"x-mock-fault": "fail"})
    mock.clock.advance(10)  # type: ignore[attr-defined]
    states = []
    for _ in range(3):
        _, result, _ = call(mock, "GET", f"/v3/async/task-result?task_id={created['task_id']}")
        states.append(result["task"]["status"])
        mock.clock.advance(100)  # type: ignore[attr-defined]
    assert ["TASK_STATUS_FAILED"] * 3 == states
    assert {"novita": 1} == dict(mock.store.finished)


def test_steps_lifecycle_moves_one_phase_per_poll() -> None:
    """lifecycle="steps": queued, processing, succeeded on three successive polls."""
    mock = Mock(MockConfig(providers=("novita",), lifecycle="steps"), clock=ManualClock())
    _, created, _ = call(mock, "POST", "/v3/async/img2img", payload())
    statuses = [
        call(mock, "GET", f"/v3/async/task-result?task_id={created['task_id']}")[1]["task"]["status"] for _ in range(4)
    ]
    assert ["TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING", "TASK_STATUS_SUCCEED", "TASK_STATUS_SUCCEED"] == statuses


# -- wire envelopes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "reason"),
    [({"authorization": ""}, 400, "MISSING_API_KEY"), ({"authorization": "Bearer nope"}, 403, "INVALID_API_KEY"),
     ({"authorization": KEY}, 403, "INVALID_API_KEY")],
)  # fmt: skip
def test_credentials_are_checked_as_the_error_table_says(
    mock: Mock, headers: dict[str, str], status: int, reason: str
) -> None:
    """Missing key: 400 MISSING_API_KEY; wrong key (or no Bearer): 403 INVALID_API_KEY."""
    code, body, _ = call(mock, "POST", "/v3/async/img2img", payload(), headers)
    assert (status, status, reason) == (code, body["code"], body["reason"])
    assert [] == list(sdcontracts.validate("novita", body, schema="error").violations)


def test_auth_status_401_is_configurable() -> None:
    """novita_auth_status=401 follows the error guide instead of the table."""
    mock = Mock(MockConfig(providers=("novita",), novita_auth_status=401))
    assert 401 == call(mock, "GET", "/v3/async/task-result?task_id=x", headers={"authorization": "Bearer wrong"})[0]


def test_violations_come_back_in_novitas_envelope_naming_rule_and_field(mock: Mock) -> None:
    """A contract violation is 400 INVALID_REQUEST_BODY; the message and metadata name the rule and pointer."""
    status, body, _ = call(mock, "POST", "/v3/async/img2img", payload(width=4096))
    assert (400, "INVALID_REQUEST_BODY", {"rule": "maximum", "path": "/request/width"}) == (
        status,
        body["reason"],
        body["metadata"],
    )
    assert body["message"].startswith("[maximum] /request/width: request.width is 4096")


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        (b64(png(2049, 8)), "IMAGE_EXCEEDS_MAX_RESOLUTION"),
        ("bm90IGFuIGltYWdl", "INVALID_IMAGE_FORMAT"),
        ("%%%", "INVALID_IMAGE_FORMAT"),
    ],
)
def test_image_problems_get_novitas_image_reasons(mock: Mock, image: str, reason: str) -> None:
    """Image rules map to the documented image reasons, not the generic one."""
    assert reason == call(mock, "POST", "/v3/async/img2img", payload(image_base64=image))[1]["reason"]


@pytest.mark.parametrize(
    ("body", "headers", "fragment"),
    [(b"{not json", {}, "not JSON"), (b'{"a": 1}', {"content-type": "text/plain"}, "Content-Type must be application/json"),
     (b"\xff\xfe\x00", {}, "not UTF-8"), (b"[" * 100_000 + b"]" * 100_000, {}, "nests too deeply")],
)  # fmt: skip
def test_malformed_bodies_get_a_4xx_never_a_500(
    mock: Mock, body: bytes, headers: dict[str, str], fragment: str
) -> None:
    """Malformed JSON, a wrong content type, non-UTF-8 and absurd nesting: 400 with a reason."""
    status, document, _ = call(mock, "POST", "/v3/async/img2img", body, headers)
    assert (400, "INVALID_REQUEST_BODY") == (status, document["reason"])
    assert fragment in document["message"]


def test_unknown_task_is_404_task_not_found(mock: Mock) -> None:
    """An id the mock never issued (or has forgotten) is 404 TASK_NOT_FOUND."""
    status, body, _ = call(mock, "GET", "/v3/async/task-result?task_id=nope")
    assert (404, "TASK_NOT_FOUND") == (status, body["reason"])


def test_unknown_endpoint_is_404(mock: Mock) -> None:
    """A path no provider has is 404."""
    assert 404 == call(mock, "GET", "/v3/nothing")[0]


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/v3/async/img2img", "POST"), ("PUT", "/v1/jobs/123", "GET, HEAD, DELETE"), ("GET", "/", "POST"),
        ("GET", "/v1/jobs/credits", "POST"),  # a concrete path, not the job "credits" (Schemathesis' Allow check)
    ],
)  # fmt: skip
def test_a_served_path_with_another_method_is_405_with_allow(method: str, path: str, allow: str) -> None:
    """RFC 9110: the methods the path does serve are listed in Allow (Schemathesis' unsupported_method check)."""
    status, body, headers = call(Mock(), method, path)
    assert (405, allow) == (status, headers["allow"])
    assert f"allowed: {allow}" in body["message"]


# -- rate limits and faults -----------------------------------------------------------------------


def test_rate_limit_counts_images_per_minute_when_switched_on() -> None:
    """Novita img2img: 10 images per minute; the 11th image gets 429 RATE_LIMIT_EXCEEDED with Retry-After."""
    mock = Mock(MockConfig(providers=("novita",), rate_limits=True), clock=ManualClock())
    statuses = [call(mock, "POST", "/v3/async/img2img", payload(image_num=4))[0] for _ in range(3)]
    status, body, headers = call(mock, "POST", "/v3/async/img2img", payload(image_num=2))
    assert ([200, 200, 429], 200) == (statuses, status)
    status, body, headers = call(mock, "POST", "/v3/async/img2img", payload(image_num=1))
    assert (429, "RATE_LIMIT_EXCEEDED", "60") == (status, body["reason"], headers["retry-after"])
    mock.clock.advance(60)  # type: ignore[attr-defined]
    assert 200 == call(mock, "POST", "/v3/async/img2img", payload(image_num=1))[0]


def test_rate_limit_is_off_by_default(mock: Mock) -> None:
    """Without rate_limits, many images a minute are fine."""
    assert [200] * 5 == [call(mock, "POST", "/v3/async/img2img", payload(image_num=8))[0] for _ in range(5)]


@pytest.mark.parametrize(
    ("fault", "status", "check"),
    [("status=503", 503, lambda b: b["reason"] == "CREATE_TASK_FAILED"),
     ("status=429; retry-after=2", 429, lambda b: b["reason"] == "RATE_LIMIT_EXCEEDED"),
     ("truncate", 200, lambda b: isinstance(b, bytes)), ("malformed", 200, lambda b: b.startswith(b"<html>"))],
)  # fmt: skip
def test_faults_by_header(mock: Mock, fault: str, status: int, check: Any) -> None:
    """X-Mock-Fault injects statuses (in the provider's envelope) and broken bodies."""
    code, body, headers = call(mock, "POST", "/v3/async/img2img", payload(), {"x-mock-fault": fault})
    assert status == code and check(body)
    if "retry-after" in fault:
        assert "2" == headers["retry-after"]


def test_latency_and_drop_faults_are_carried_out_by_the_adapter(mock: Mock) -> None:
    """latency delays the answer; drop breaks the connection (httpx sees RemoteProtocolError)."""
    with (
        httpx.Client(transport=mock.transport(), base_url="https://api.novita.ai") as http,
        pytest.raises(httpx.RemoteProtocolError),
    ):
        http.get("/v3/async/task-result", params={"task_id": "x"}, headers={**AUTH, "x-mock-fault": "drop"})
    assert (
        0.25
        == mock.handle(
            MockRequest("GET", "/v3/async/task-result", "task_id=x", {**AUTH, "x-mock-fault": "latency=0.25"})
        ).delay
    )


def test_unknown_fault_is_rejected_with_a_message(mock: Mock) -> None:
    """A misspelt fault is the provider's 400, naming the faults the mock knows."""
    status, body, _ = call(mock, "POST", "/v3/async/img2img", payload(), {"x-mock-fault": "explode"})
    assert 400 == status and "unknown fault 'explode'" in body["message"]


def test_configured_faults_apply_a_set_number_of_times() -> None:
    """A FaultRule with times=2 fails the first two matching requests, then stops."""
    mock = Mock(MockConfig(providers=("novita",), faults=[FaultRule("status=503", operation="task", times=2)]))
    statuses = [call(mock, "GET", "/v3/async/task-result?task_id=x")[0] for _ in range(3)]
    assert [503, 503, 404] == statuses


def test_fault_syntax() -> None:
    """parse_faults reads several faults and their values."""
    fault = parse_faults("latency=0.5; status=429; retry-after=3; fail")
    assert (0.5, 429, 3.0, True) == (fault.latency, fault.status, fault.retry_after, fault.fail)


def test_a_rename_fault_renames_the_field_in_place_and_keeps_the_rest_of_the_answer(mock: Mock) -> None:
    """rename=/task_id:taskId answers the submit with the field renamed: a new field, a missing one."""
    status, body, _ = call(mock, "POST", "/v3/async/img2img", payload(), {"x-mock-fault": "rename=/task_id:taskId"})
    assert (200, ["taskId"]) == (status, list(body))


def test_a_retype_fault_changes_a_strings_type_to_a_number_and_a_numbers_to_a_string(mock: Mock) -> None:
    """retype turns the string task_id into 0, and a number (a status query's progress) into its JSON text."""
    task_id = call(mock, "POST", "/v3/async/img2img", payload())[1]["task_id"]
    _, submitted, _ = call(mock, "POST", "/v3/async/img2img", payload(), {"x-mock-fault": "retype=/task_id"})
    query = f"/v3/async/task-result?task_id={task_id}"
    _, task, _ = call(mock, "GET", query, headers={"x-mock-fault": "retype=/task/progress_percent"})
    assert (0, "0") == (submitted["task_id"], task["task"]["progress_percent"])


def test_a_drift_fault_whose_pointer_the_answer_lacks_changes_nothing(mock: Mock) -> None:
    """A pointer the answer has no value at (the field is elsewhere, or an array index past its end) leaves it as it is."""
    faults = "rename=/job/id:jobId; retype=/images/5"
    status, body, _ = call(mock, "POST", "/v3/async/img2img", payload(), {"x-mock-fault": faults})
    assert (200, ["task_id"], str) == (status, list(body), type(body["task_id"]))


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            "rename=task_id:x",
            "rename='task_id:x': give a JSON Pointer into the answer and the new name, e.g. rename=/task/status:state",
        ),
        (
            "rename=/task_id",
            "rename='/task_id': give a JSON Pointer into the answer and the new name, e.g. rename=/task/status:state",
        ),
        ("retype=", "retype='': give a JSON Pointer into the answer, e.g. retype=/task_id"),
    ],
)
def test_a_drift_fault_without_a_pointer_or_a_new_name_is_refused_saying_what_it_takes(
    fault: str, message: str
) -> None:
    with pytest.raises(FaultError) as raised:
        parse_faults(fault)
    assert message == str(raised.value)


# -- memory and journal ---------------------------------------------------------------------------


def test_finished_tasks_expire_after_task_ttl() -> None:
    """A finished task is forgotten task_ttl seconds after its last poll; then it is 404."""
    mock = Mock(MockConfig(providers=("novita",), lifecycle="steps", task_ttl=60), clock=ManualClock())
    task_id = call(mock, "POST", "/v3/async/img2img", payload())[1]["task_id"]
    for _ in range(3):
        call(mock, "GET", f"/v3/async/task-result?task_id={task_id}")
    mock.clock.advance(61)  # type: ignore[attr-defined]
    assert (404, 1) == (call(mock, "GET", f"/v3/async/task-result?task_id={task_id}")[0], mock.store.expired)


def test_store_never_holds_more_than_max_tasks() -> None:
    """Beyond max_tasks, the oldest tasks are evicted, so memory stays bounded."""
    mock = Mock(MockConfig(providers=("novita",), max_tasks=5))
    for _ in range(12):
        call(mock, "POST", "/v3/async/img2img", payload())
    assert 5 == len(list(mock.store.tasks()))


@pytest.mark.parametrize("lifecycle", ["steps", "clock"])
def test_an_abandoned_task_is_forgotten_too(lifecycle: str) -> None:
    """A task nobody polls (it never ends in steps mode, is never seen to end in clock mode) goes task_ttl after its submit."""
    mock = Mock(MockConfig(providers=("novita",), lifecycle=lifecycle, task_ttl=60), clock=ManualClock())
    call(mock, "POST", "/v3/async/img2img", payload())
    mock.clock.advance(61)  # type: ignore[attr-defined]
    call(mock, "GET", "/v3/async/task-result?task_id=other")
    assert ([], 1) == (list(mock.store.tasks()), mock.store.expired)


def test_a_task_in_use_outlives_task_ttl() -> None:
    """Each request about a task restarts its task_ttl: one polled every 50 s of a 60 s ttl is kept for 10 minutes."""
    mock = Mock(MockConfig(providers=("novita",), lifecycle="steps", task_ttl=60), clock=ManualClock())
    task_id = call(mock, "POST", "/v3/async/img2img", payload())[1]["task_id"]
    statuses = []
    for _ in range(12):
        mock.clock.advance(50)  # type: ignore[attr-defined]
        statuses.append(call(mock, "GET", f"/v3/async/task-result?task_id={task_id}")[0])
    assert [200] * 12 == statuses


def test_beyond_max_tasks_the_least_recently_used_go_first() -> None:
    """With room for three, a fourth submit evicts the task least recently asked about, not one being polled."""
    mock = Mock(MockConfig(providers=("novita",), lifecycle="steps", max_tasks=3), clock=ManualClock())
    first, second, third = (call(mock, "POST", "/v3/async/img2img", payload())[1]["task_id"] for _ in range(3))
    call(mock, "GET", f"/v3/async/task-result?task_id={first}")
    fourth = call(mock, "POST", "/v3/async/img2img", payload())[1]["task_id"]
    assert {first, third, fourth} == {t.id for t in mock.store.tasks()}
    assert 404 == call(mock, "GET", f"/v3/async/task-result?task_id={second}")[0]


def test_the_bytes_tasks_hold_are_bounded() -> None:
    """max_task_bytes caps what the tasks hold of their requests, whatever their number: 40 large Alibaba submits
    (its task query echoes the request, so its tasks keep their bodies) keep at most the cap."""
    body = json.dumps({"prompt": "p" * 1000, "width": 512, "height": 512}).encode()

    def submit(mock: Mock) -> int:
        request = raw_request("aliyun", body, mock.credentials("aliyun"), "http://mock")
        return mock.handle(MockRequest(request.method, "/scc/sd_img2img", "", dict(request.headers), body)).status

    probe = Mock(MockConfig(providers=("aliyun",)))
    submit(probe)
    held = next(probe.store.tasks()).held_bytes
    mock = Mock(MockConfig(providers=("aliyun",), max_task_bytes=5 * held + 10))
    assert [200] * 40 == [submit(mock) for _ in range(40)]
    assert (True, 5, 5 * held) == (held > len(body), len(list(mock.store.tasks())), mock.store.task_bytes)


def test_what_a_task_holds_is_counted_in_its_strings_and_bytes_however_deeply_they_nest() -> None:
    """Strings and bytes count, in lists, tuples and dict values (not keys, not numbers); a value nested
    5,000 deep is counted too (a loop, not recursion)."""
    from sdcontracts.mock._handler import _client_bytes

    deep: Any = "x"
    for _ in range(5_000):
        deep = [{"k": deep}]
    flat = ("id", None, 7, b"ab", {"key": ["v", ("w",)]}, 2.5)
    expected = sum(sys.getsizeof(value) for value in ("id", b"ab", "v", "w"))
    assert (expected, sys.getsizeof("x"), 0) == (_client_bytes(flat), _client_bytes(deep), _client_bytes(None))


def test_a_task_holds_none_of_a_request_its_answers_do_not_echo() -> None:
    """A Novita task keeps its id and a seed, not its body: 40 submits of 1,000-character prompts hold 40 ids."""
    mock = Mock(MockConfig(providers=("novita",)))
    ids = [call(mock, "POST", "/v3/async/img2img", payload(prompt="p" * 1000))[1]["task_id"] for _ in range(40)]
    assert (40, sum(sys.getsizeof(task_id) for task_id in ids)) == (len(set(ids)), mock.store.task_bytes)


def test_upload_slots_expire_like_tasks() -> None:
    """A Tensor.Art upload slot and its bytes are forgotten task_ttl seconds after their last use."""
    mock = Mock(MockConfig(providers=("tensorart",), task_ttl=60), clock=ManualClock())
    with mock.client("tensorart") as client:
        resource = client.upload_image(png(64, 64))
    kept = mock.store.resource(resource) is not None
    mock.clock.advance(61)  # type: ignore[attr-defined]
    assert (True, None) == (kept, mock.store.resource(resource))


def test_the_journal_keeps_at_most_journal_bytes_of_bodies_and_counts_everything() -> None:
    """60 bodies of 2 KB into a journal holding 20 KB: the newest fit, the rest are dropped, every one is counted."""
    mock = Mock(MockConfig(providers=("novita",), journal_bytes=20_000))
    for _ in range(60):
        call(mock, "POST", "/v3/async/img2img", payload(prompt="p" * 1500))
    assert (60, True) == (mock.journal.count("novita", "img2img"), mock.journal.body_bytes <= 20_000)
    assert len(mock.journal.entries()) < 60


def test_nonces_are_kept_for_their_window_only() -> None:
    """Replay protection remembers a nonce for signature_window seconds, then lets it go."""
    now = [0.0]
    nonces = NonceStore(lambda: now[0], window=300)
    seen = [nonces.seen_before(f"n{i}") for i in range(1_000)] + [nonces.seen_before("n0")]
    now[0] = 301
    assert ([False] * 1_000 + [True], False, 1) == (seen, nonces.seen_before("n1"), len(nonces))


def test_journal_counts_everything_and_redacts_secrets(mock: Mock) -> None:
    """The journal counts requests by provider and operation; no credential is stored."""
    with NovitaClient(api_key=KEY, transport=mock.transport(), retry=Retry(attempts=0)) as client:
        client.submit(payload(prompt="x" * 1000))
        with pytest.raises(sdcontracts.TaskNotFound):
            client.get_task("nope")
    assert (2, 1, 1) == (
        mock.journal.count(),
        mock.journal.count("novita", "img2img", 200),
        mock.journal.count(status=404),
    )
    assert KEY not in repr(mock.journal.entries())
    assert "x" * 32 + "…(1,000 characters)" == mock.journal.entries("novita", "img2img")[0].body["request"]["prompt"]


def test_the_journal_endpoint_shows_what_the_mock_received(mock: Mock) -> None:
    """GET /_mock/journal lists the requests, newest last, with redacted bodies, beside the totals;
    provider, operation and limit narrow the list."""
    call(mock, "POST", "/v3/async/img2img", payload(prompt="a red fox"))
    call(mock, "POST", "/v3/async/img2img", {"request": {}})
    call(mock, "GET", "/v3/async/task-result?task_id=nope")
    status, journal, _ = call(mock, "GET", "/_mock/journal?operation=img2img")
    assert (200, 3, {"img2img": 2, "task": 1}) == (status, journal["requests"], journal["by_provider"]["novita"])
    first, second = journal["entries"]
    assert ("POST", "/v3/async/img2img", 200, "a red fox") == (
        first["method"], first["path"], first["status"], first["body"]["request"]["prompt"]
    )  # fmt: skip
    assert (400, {"request": {}}, None) == (second["status"], second["body"], second["task_id"])
    assert first["body"]["request"]["image_base64"].startswith("iVBOR") and KEY not in json.dumps(journal)
    status, latest, _ = call(mock, "GET", "/_mock/journal?limit=1&provider=novita")
    assert ("task", 1) == (latest["entries"][0]["operation"], len(latest["entries"]))
    assert 400 == call(mock, "GET", "/_mock/journal?limit=-1")[0]


# -- adapters -------------------------------------------------------------------------------------


def test_respx_router_answers_for_the_real_hosts() -> None:
    """Inside mock.router(), a client with no transport at api.ppinfra.com reaches the mock."""
    mock = Mock(MockConfig(providers=("novita",), lifecycle="steps"))
    with mock.router(), NovitaClient(api_key=KEY, base_url="https://api.ppinfra.com") as client:
        task = client.generate(payload(), poll_interval=0)
    assert TaskState.SUCCEEDED == task.state and task.images[0].url.startswith("https://api.ppinfra.com/_mock/images/")


def test_async_client_against_the_transport() -> None:
    """The same transport serves AsyncNovitaClient."""
    mock = Mock(MockConfig(providers=("novita",), lifecycle="steps"))

    async def run() -> TaskState:
        async with mock.client("novita", asynchronous=True) as client:
            return (await client.generate(payload(), poll_interval=0)).state

    assert TaskState.SUCCEEDED == asyncio.run(run())


def test_http_server_serves_the_same_mock_and_stops() -> None:
    """Over real HTTP on 127.0.0.1: submit, poll, download; the port is free again afterwards."""
    mock = Mock(MockConfig(providers=("novita",), lifecycle="steps"))
    server = BackgroundServer(mock)
    with server as url, NovitaClient(api_key=KEY, base_url=url) as client:
        task = client.generate(payload(), poll_interval=0)
        data = client.download(task.images[0])
    assert (320, 192) == read_image(data)[1:3]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/_mock/health")


def test_http_server_rejects_oversized_bodies_with_the_providers_4xx() -> None:
    """A body over max_body_bytes gets 400 INVALID_REQUEST_BODY, not a 500 or a hang."""
    mock = Mock(MockConfig(providers=("novita",), max_body_bytes=10_000))
    with BackgroundServer(mock) as url:
        response = httpx.post(f"{url}/v3/async/img2img", content=b"x" * 50_000, headers=AUTH)
    assert (400, "INVALID_REQUEST_BODY") == (response.status_code, response.json()["reason"])
    assert "larger than 10,000 bytes" in response.json()["message"]


@pytest.mark.parametrize(("method", "path"), [("DELETE", "/v1/jobs/a%0Ab"), ("TRACE", "/v3/async/img2img")])
def test_asgi_app_hands_every_method_and_path_to_the_mock(method: str, path: str) -> None:
    """A job id holding a newline (found by Schemathesis) and an unusual method get the mock's
    JSON answer, not the framework's text/plain 404."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(Mock()))
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            return await client.request(method, path, headers={"authorization": "Bearer ta_mock_token"})

    response = asyncio.run(send())
    assert response.headers["content-type"].startswith("application/json")
    assert response.status_code in (404, 405), response.text
    assert "message" in response.json()


@pytest.mark.sd_mock(providers=["novita"])
def test_plugin_fixtures_give_in_process_and_http_mocks(sd_mock: Mock, sd_http_mock: HttpMock) -> None:
    """sd_mock and sd_http_mock come from the installed pytest plugin and share one mock."""
    with sd_http_mock.client("novita") as client:
        client.submit(payload())
    assert sd_mock is sd_http_mock.mock and 1 == sd_mock.journal.count("novita", "img2img")


def test_manual_clock_can_be_driven_over_http() -> None:
    """POST /_mock/clock/advance moves a manual clock (for HTTP tests that must not sleep)."""
    mock = Mock(MockConfig(providers=("novita",)), clock=ManualClock(start=0))
    with BackgroundServer(mock) as url:
        assert 12.5 == httpx.post(f"{url}/_mock/clock/advance", params={"seconds": 12.5}).json()["now"]


def test_mock_serve_prints_credentials_and_serves_until_interrupted() -> None:
    """`sdcontracts mock serve --port 0` prints its URL and keys, answers requests, stops cleanly on SIGINT."""
    command = [sys.executable, "-m", "sdcontracts", "mock", "serve", "--port", "0", "--provider", "novita"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        banner = [process.stdout.readline() for _ in range(4)]
        url = re.search(r"http://127\.0\.0\.1:\d+", banner[0])
        assert url is not None, banner
        assert f"credentials: api_key={KEY}" in banner[3]
        response = httpx.get(f"{url.group(0)}/v3/async/task-result", params={"task_id": "x"}, headers=AUTH)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert (404, 0, "") == (response.status_code, process.returncode, err)
    assert "sdcontracts mock stopped." in out


def serve(*args: str, tmp: Path) -> subprocess.Popen[str]:
    """`sdcontracts mock serve` with its temporary files under ``tmp``."""
    command = [sys.executable, "-m", "sdcontracts", "mock", "serve", *args]
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp)}
    )


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_mock_serve_removes_its_key_file_however_it_is_stopped(tmp_path: Path, stop: signal.Signals) -> None:
    """The TAMS private key `mock serve` writes for its users is gone after Ctrl-C and after SIGTERM (SIGTERM used to
    end the process before any cleanup); both stop gracefully, exit 0."""
    with serve("--port", "0", tmp=tmp_path) as process:
        assert process.stdout is not None
        banner = "".join(iter(process.stdout.readline, "Ctrl-C stops the server.\n"))
        key_file = Path(banner.split("TAMS-SHA256-RSA private key: ")[1].split()[0])
        existed = key_file.is_file() and key_file.parent.parent == tmp_path
        process.send_signal(stop)
        out, err = process.communicate(timeout=10)
    assert (True, 0, "", []) == (existed, process.returncode, err, list(tmp_path.iterdir()))
    assert "sdcontracts mock stopped." in out


def test_mock_serve_on_a_port_in_use_exits_2_with_a_message_and_leaves_nothing(tmp_path: Path) -> None:
    """A port that cannot be bound: exit 2, the reason on stderr, no traceback and no temporary files."""
    with (
        socket.create_server(("127.0.0.1", 0)) as taken,
        serve("--port", str(taken.getsockname()[1]), tmp=tmp_path) as process,
    ):
        out, err = process.communicate(timeout=30)
    assert (2, "", []) == (process.returncode, out, list(tmp_path.iterdir()))
    assert err.startswith("sdcontracts mock serve: error: cannot listen on 127.0.0.1:") and "Traceback" not in err


@pytest.mark.parametrize(("port", "told"), [("99999", "99999 is not a port number"), ("-1", "-1 is not a port number"),
                                            ("http", "'http' is not a port number")])  # fmt: skip
def test_mock_serve_refuses_a_port_out_of_range_with_exit_2(tmp_path: Path, port: str, told: str) -> None:
    """--port 99999 (which ended in an OverflowError traceback), -1 or a word: a usage error, exit 2, nothing served."""
    with serve("--port", port, tmp=tmp_path) as process:
        out, err = process.communicate(timeout=30)
    assert (2, "", []) == (process.returncode, out, list(tmp_path.iterdir()))
    assert f"argument --port: {told}" in err and "Traceback" not in err


# -- a lax mock -----------------------------------------------------------------------------------


def test_an_unenforced_rule_lets_a_request_breaking_only_it_through() -> None:
    """unenforced rules make the mock act like a provider that lets them slide, and no others."""
    mock = Mock(MockConfig(providers=("novita",), unenforced={"novita": ["maximum"]}))
    assert 200 == call(mock, "POST", "/v3/async/img2img", payload(steps=10_000))[0]
    status, body, _ = call(mock, "POST", "/v3/async/img2img", payload(steps=10_000, width=7))
    assert 400 == status and "[minimum] /request/width" in body["message"]


def test_an_unenforced_count_still_makes_a_bounded_task() -> None:
    """A lax count never makes the mock hold more than 64 images for one task."""
    mock = Mock(MockConfig(providers=("novita",), unenforced={"novita": ["maximum"]}))
    call(mock, "POST", "/v3/async/img2img", payload(image_num=10**9))
    assert [64] == [task.images for task in mock.store.tasks()]


def test_unenforced_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown provider 'nova'"):
        MockConfig(unenforced={"nova": ["maximum"]})
    with pytest.raises(ValueError, match="must be a list of rule ids"):
        MockConfig(unenforced={"novita": "maximum"})  # type: ignore[dict-item]


def test_the_journal_keeps_large_bodies_counted_but_not_stored(mock: Mock) -> None:
    """A body over the journal's limit (an oversized-image case) is not kept; its size is."""
    big = payload(prompt="p" * (1024 * 1024 + 1))
    call(mock, "POST", "/v3/async/img2img", big)
    entry = mock.journal.entries("novita", "img2img")[0]
    assert (None, True) == (entry.body, entry.body_size > 1024 * 1024)


def test_mock_serve_banner_lists_every_operation_from_provider_json() -> None:
    """The endpoints `mock serve` prints are the routed ones (Tensor.Art's credits estimate included)."""
    from sdcontracts.mock._serve import endpoints

    assert "POST /v1/jobs, POST /v1/jobs/credits, GET|DELETE /v1/jobs/{jobId}, POST /v1/resource/image" == endpoints(
        "tensorart"
    )
    assert "POST / (Action GenerateImg2Img | GetGenerateTaskDetail)" == endpoints("picpik")


# -- graded verdicts ------------------------------------------------------------------------------


def test_a_request_with_disputed_values_is_accepted_with_a_warnings_header_and_journaled(mock: Mock) -> None:
    """Nulls on optional fields (what Novita's SDK sends) are accepted by default: 200, the disputes
    named in X-Sdcontracts-Warnings, each warning in the journal."""
    status, body, headers = call(mock, "POST", "/v3/async/img2img", payload(negative_prompt=None, sd_vae=None))
    assert (200, "novita.null-optional-fields") == (status, headers["x-sdcontracts-warnings"])
    assert "task_id" in body
    (entry,) = mock.journal.entries("novita", "img2img")
    assert (
        "[type] /request/negative_prompt (novita.null-optional-fields)",
        "[type] /request/sd_vae (novita.null-optional-fields)",
    ) == entry.warnings


def test_a_request_without_warnings_has_no_warnings_header(mock: Mock) -> None:
    """A request valid by every reading gets no X-Sdcontracts-Warnings header."""
    status, _, headers = call(mock, "POST", "/v3/async/img2img", payload())
    assert 200 == status and "x-sdcontracts-warnings" not in headers
    assert () == mock.journal.entries("novita", "img2img")[0].warnings


def test_a_strict_mock_rejects_disputed_values_in_the_providers_envelope() -> None:
    """MockConfig(strict=True) answers a disputed value as an error: Novita's 400, naming rule and field."""
    strict = Mock(MockConfig(providers=("novita",), strict=True), clock=ManualClock())
    status, body, _ = call(strict, "POST", "/v3/async/img2img", payload(negative_prompt=None))
    assert (400, "INVALID_REQUEST_BODY", {"rule": "type", "path": "/request/negative_prompt"}) == (
        status,
        body["reason"],
        body["metadata"],
    )


def test_mock_serve_takes_strict_from_the_command_line() -> None:
    """`mock serve --strict` makes a strict MockConfig; without it, disputed values are accepted."""
    from sdcontracts.mock._serve import _parser, build_config

    assert build_config(_parser().parse_args(["--strict"])).strict
    assert not build_config(_parser().parse_args([])).strict


def test_task_ids_are_version_4_uuids_with_every_variant_digit() -> None:
    """The mock's task ids read as uuid.uuid4() gives them: canonical text, version 4, the RFC 4122
    variant, and the variant digit's two random bits taking all four values."""
    ids = [new_uuid() for _ in range(400)]
    parsed = [uuid.UUID(text) for text in ids]
    assert all(
        str(u) == text and u.version == 4 and u.variant == uuid.RFC_4122 for u, text in zip(parsed, ids, strict=True)
    )
    assert {"8", "9", "a", "b"} == {text[19] for text in ids} and len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    "value",
    [0, 7, -1, 512, 2**53, -(2**53), 2**53 + 1, -(2**53) - 1, 2**63 - 1, 10**400, 7.9, -0.5, "12", "1e3", "abc", True,
     None, [1], float("inf"), float("nan")],
)  # fmt: skip
def test_a_handlers_number_reads_a_value_as_int_of_float_of_it_or_the_default(value: object) -> None:
    """The handlers' `number` (widths, seeds, counts) answers int(float(value)), or the default where that fails
    or the value is no JSON number or numeric string (a bool is none): its shortcut for small ints changes nothing."""
    from sdcontracts.mock.providers._common import number

    try:
        expected = -99 if isinstance(value, bool) or not isinstance(value, int | float | str) else int(float(value))
    except (ValueError, OverflowError):
        expected = -99
    assert expected == number(value, -99)
