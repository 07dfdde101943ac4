"""bench/costs.py: callgrind's totals read per call, and each part it leaves out really left out
(while the request it counts still succeeds), so that a saving it reports is that part's cost."""

from __future__ import annotations

import importlib
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sdcontracts.mock import Mock, MockConfig, _handler
from sdcontracts.mock.asgi import ServerThread, serving

from bench import _bare, _served, costs
from bench import mock as bench_mock
from sdcontracts._validation import compiled


def test_callgrind_totals_are_read_per_call_with_the_models_cycles() -> None:
    text = "\n".join(
        [
            "events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw",
            "summary: 2000 0 0 10 20 30 1 2 3",
            "totals: 9 9 9 9 9 9 9 9 9",  # the first of the two lines counts
        ]
    )
    cost = costs.parse_totals(text, calls=10)
    assert (cost.instructions, cost.l1_misses, cost.ll_misses) == (200.0, 6.0, 0.6)
    assert cost.cycles == pytest.approx(200 + 10 * 6 + 100 * 0.6)


def test_a_run_that_counted_nothing_is_an_error_not_a_zero() -> None:
    with pytest.raises(RuntimeError, match="counted nothing"):
        costs.parse_totals("events: Ir\nsummary: 0\n", calls=5)


def test_without_valgrind_the_tool_says_so_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(costs.shutil, "which", lambda name: None)
    assert costs.main(["--provider", "novita"]) == 2
    assert "valgrind is not installed" in capsys.readouterr().err


def test_a_failed_run_is_reported_by_name_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing(provider: str, without: str | None = None, **options: int) -> costs.Cost:
        raise RuntimeError("the counted run failed: boom")

    monkeypatch.setattr(costs.shutil, "which", lambda name: "/usr/bin/valgrind")
    monkeypatch.setattr(costs, "measure", failing)
    assert costs.main(["--provider", "novita", "--without", "journal", "--jobs", "1"]) == 1
    assert "novita whole: the counted run failed: boom" in capsys.readouterr().err


@pytest.mark.parametrize("bad", [["--jobs", "0"], ["--calls", "0"], ["--warm", "-1"]])
def test_counts_and_jobs_below_their_minimum_are_refused(bad: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        costs.main(bad)
    assert exit_.value.code == 2


def test_each_part_applies_only_to_the_providers_that_have_it() -> None:
    assert set(costs.ABLATIONS["uploads"][1]) == {"tensorart"}
    assert set(costs.ABLATIONS["journal"][1]) == set(costs.PROVIDERS)


@pytest.fixture
def restored(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What the ablations replace process-wide, put back after the test."""
    schema = compiled("tensorart", "img2img.request", "wire")
    for owner, name in [(schema, "_quick"), (schema, "_quick_checks"), (_handler, "json_response")]:
        monkeypatch.setattr(owner, name, getattr(owner, name))
    for provider in costs.PROVIDERS:
        module = importlib.import_module(f"sdcontracts.mock.providers.{provider}")
        for name in ("json_response", "Job"):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, getattr(module, name))
    yield


def _mock(provider: str, without: str | None) -> tuple[Any, list[Any]]:
    mock, requests = costs._setup(provider, 3)
    if without is not None:
        costs.ABLATIONS[without][0](mock, provider, requests)
    return mock, requests


def _with_body(request: Any, body: dict[str, Any]) -> Any:
    return type(request)(request.method, request.path, "", dict(request.headers), json.dumps(body).encode())


@pytest.mark.parametrize("provider", costs.PROVIDERS)
def test_the_counted_request_is_a_valid_submit_and_the_store_and_journal_stay_full(provider: str) -> None:
    mock, requests = _mock(provider, None)
    for request in requests:
        assert mock.handle(request).status == 200
    mock.journal.max_entries = 2
    mock.handle(requests[0])
    assert len(mock.journal.entries()) == 2


@pytest.mark.parametrize(
    ("provider", "without"),
    [(provider, part) for part, (_, providers) in costs.ABLATIONS.items() for provider in providers],
)
def test_a_request_without_a_part_still_succeeds(provider: str, without: str, restored: None) -> None:
    mock, requests = _mock(provider, without)
    assert [mock.handle(request).status for request in requests] == [200, 200, 200]


@pytest.mark.parametrize("provider", costs.PROVIDERS)
def test_without_validation_an_invalid_request_is_accepted(provider: str) -> None:
    mock, requests = _mock(provider, None)
    body = {**json.loads(requests[0].body), "unknownField": 1}
    assert mock.handle(_with_body(requests[0], body)).status == 400
    costs.ABLATIONS["validation"][0](mock, provider, requests)
    assert mock.handle(_with_body(requests[1], {**json.loads(requests[1].body), "unknownField": 1})).status == 200


def test_without_the_rules_in_the_engine_a_job_breaking_only_a_rule_is_accepted(restored: None) -> None:
    mock, requests = _mock("tensorart", None)
    job = json.loads(requests[0].body)
    job["stages"].insert(0, dict(job["stages"][0]))  # a second INPUT_INITIALIZE: input-initialize-first
    assert mock.handle(_with_body(requests[0], job)).status == 400
    costs.ABLATIONS["rules in the engine"][0](mock, "tensorart", requests)
    job["requestId"] += "-again"
    assert mock.handle(_with_body(requests[0], job)).status == 200


@pytest.mark.parametrize("provider", costs.PROVIDERS)
def test_without_the_journal_nothing_is_recorded(provider: str) -> None:
    mock, requests = _mock(provider, "journal")
    before = mock.journal.count()  # Tensor.Art's uploads were recorded
    mock.handle(requests[0])
    assert mock.journal.count() == before


@pytest.mark.parametrize("provider", costs.PROVIDERS)
def test_without_the_body_parse_the_content_type_is_not_read(provider: str) -> None:
    mock, requests = _mock(provider, None)
    for request in requests[:2]:
        request.headers["content-type"] = "text/plain"
    assert mock.handle(requests[0]).status == 400
    costs.ABLATIONS["body parse"][0](mock, provider, requests)
    assert mock.handle(requests[1]).status == 200


@pytest.mark.parametrize("provider", costs.PROVIDERS)
def test_without_the_new_task_nothing_is_stored(provider: str) -> None:
    mock, requests = _mock(provider, "new task")
    mock.handle(requests[0])
    assert list(mock.store.tasks()) == []


@pytest.mark.parametrize("provider", costs.PROVIDERS)
def test_without_the_answer_encoding_every_answer_is_the_first_ones_bytes(provider: str, restored: None) -> None:
    mock, requests = _mock(provider, "answer encoding")
    first, second = (mock.handle(request).body for request in requests[:2])
    assert first == second
    assert json.loads(first)  # still the provider's JSON


def test_without_the_uploads_a_job_naming_unknown_images_is_accepted() -> None:
    mock, requests = _mock("tensorart", None)
    job = json.loads(requests[0].body)
    job["stages"][0]["inputInitialize"]["imageResourceId"] = "no-such-resource"
    assert mock.handle(_with_body(requests[0], job)).status == 400
    costs.ABLATIONS["uploads"][0](mock, "tensorart", requests)
    job["requestId"] += "-again"
    assert mock.handle(_with_body(requests[0], job)).status == 200


def test_without_the_job_view_every_job_reads_as_the_first(restored: None) -> None:
    module = importlib.import_module("sdcontracts.mock.providers.tensorart")
    _, requests = _mock("tensorart", "job view")
    assert module.Job.of({}) is module.Job.of(json.loads(requests[1].body))


# -- whole servers (--server): what can be checked without valgrind -------------------------------


def test_an_answer_is_read_whole_across_reads_and_what_follows_it_is_kept() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\nServer: x\r\n\r\nab")
        threading.Timer(0.05, lambda: theirs.sendall(b"cdeHTTP/1.1 200")).start()
        status, head, rest = _served.read_answer(ours)
    assert (201, b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\nServer: x", b"HTTP/1.1 200") == (status, head, rest)


@pytest.mark.parametrize(
    ("sent", "problem"),
    [(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", "middle of an answer"),
     (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "without Content-Length"),
     (b"HTTP/1.1 200", "before answering")],
)  # fmt: skip
def test_an_answer_cut_short_or_not_framed_by_its_length_is_an_error(sent: bytes, problem: str) -> None:
    ours, theirs = socket.socketpair()
    with ours:
        theirs.sendall(sent)
        theirs.close()
        with pytest.raises(ConnectionError, match=problem):
            _served.read_answer(ours)


@pytest.mark.parametrize("provider", costs.PROVIDERS)
def test_the_mock_answers_every_request_the_server_count_sends_with_a_2xx(provider: str) -> None:
    with serving(Mock(MockConfig(lifecycle="steps"))) as server:
        requests = _served._traffic("mock", provider, server.url, 30)
        answers = _served.drive(server.url, requests, 30, connections=4)
        assert (30, 0) == (answers.read, answers.failed)
        assert 30 == server.mock.journal.count(provider, "img2img", status=200)


@pytest.mark.parametrize("provider", costs.PROVIDERS)
def test_the_bare_endpoint_answers_every_request_the_server_count_sends_with_a_2xx(provider: str) -> None:
    with ServerThread(_bare.create()) as url:
        answers = _served.drive(url, _served._traffic("bare", provider, url, 10), 10, connections=3)
    assert (10, 0) == (answers.read, answers.failed)


def test_answers_that_are_not_2xx_are_counted_and_the_first_kept() -> None:
    with serving(Mock()) as server:
        traffic = _served._traffic("mock", "novita", server.url, 1)
        wrong = [request.replace(b"Bearer ", b"Bearer x", 1) for request in traffic]  # a key the mock refuses
        answers = _served.drive(server.url, wrong, 5, connections=2)
    assert (5, 5) == (answers.read, answers.failed)
    assert answers.first_failure.startswith(b"HTTP/1.1 403")  # Novita refuses a wrong key with 403


def test_the_server_table_gives_the_mocks_share_of_the_bare_endpoints_rate() -> None:
    counted = {("novita", "bare"): (400.0, 10.0, 1.0), ("novita", "mock"): (700.0, 20.0, 1.0)}
    rows = costs._server_table(counted, ["novita"])  # model cycles: bare 600, mock 1,000
    assert rows[2:] == [
        "| novita | bare | 400 | 10 | 1 | 600 |  |",
        "| novita | mock | 700 | 20 | 1 | 1,000 | 60% |",
    ]


@pytest.mark.parametrize("bad", [["--server", "--without", "journal"], ["--cache-kib", "100"], ["--cache-kib", "32"]])
def test_server_options_that_cannot_work_are_refused(bad: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        costs.main(bad)
    assert exit_.value.code == 2


def test_a_failed_server_count_is_reported_by_name_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing(server: str, provider: str, **options: int) -> tuple[float, float, float]:
        raise RuntimeError("mock answered 3 novita requests with errors (HTTP/1.1 401)")

    monkeypatch.setattr(costs.shutil, "which", lambda name: "/usr/bin/valgrind")
    monkeypatch.setattr(_served, "measure_server", failing)
    assert costs.main(["--server", "--provider", "novita", "--jobs", "1"]) == 1
    assert "novita bare server: mock answered 3 novita requests with errors" in capsys.readouterr().err


def test_without_callgrind_control_a_server_count_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_served.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="callgrind_control is not installed"):
        _served.measure_server("mock", "novita", calls=1, warm=0, cache_kib=512)


@pytest.mark.parametrize("server", _served.SERVERS)
def test_each_counted_server_starts_from_its_command_and_answers_at_the_url_it_prints(server: str) -> None:
    with bench_mock._process(bench_mock._command(server), "serving", timeout=60) as (process, url):
        answers = _served.drive(url, _served._traffic(server, "novita", url, 2), 2, connections=1)
        assert (None, 2, 0) == (process.poll(), answers.read, answers.failed)
    assert process.poll() is not None  # stopped on leaving the block
