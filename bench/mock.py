"""Mock throughput: requests per second and p50/p99 latency of a valid Novita submit and a
Tensor.Art job submit.

(a) the in-process mock with the sync client (httpx transport, and respx routing the real host);
(b) the HTTP mock (``sdcontracts mock serve``) under uvicorn, loaded by wrk when it is installed
    (else by the Python load generator in `_load`, from this process);
(c) a bare Starlette endpoint on the same server stack that parses the JSON and answers a fixed
    body: what the stack itself costs;
(d) Stoplight Prism mocking our OpenAPI export of the same operation, when node/npx and the
    export are available (skipped with the reason otherwise).

Servers run on CPU 0 and the load generator on CPU 1 (2 cores here), every run is bounded in
time, and every server is stopped afterwards. The HTTP mock, the bare endpoint and Prism are up
together and take turns round by round (`_interleaved`), so that their ratios are measured under
the same conditions on a machine whose speed drifts. Targets: the HTTP mock at least 1.5x Prism's rate
with a p99 at most a third of Prism's, and at least 70 % (Novita) and 60 % (Tensor.Art) of the bare
endpoint's rate (issue 19).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sdcontracts.mock import DEFAULT_CREDENTIALS, Mock, MockConfig

from sdcontracts.strategies._images import jpeg, png

from . import payloads
from ._load import LoadResult, build_request, load
from ._stats import Sample
from ._wrk import available as wrk_available
from ._wrk import wrk_load

__all__ = ["Result", "run"]

NOVITA_PATH = "/v3/async/img2img"
TENSORART_PATH = "/v1/jobs"


@dataclass(frozen=True)
class Result:
    """One operation on one server, over repeated rounds."""

    operation: str  # "novita submit", "tensorart job"
    server: str
    rate: Sample | None  # requests per second, per round; None when skipped
    p50: Sample | None = None  # seconds, per round
    p99: Sample | None = None
    note: str = ""


def _summary(operation: str, server: str, rounds: list[tuple[float, float, float]], note: str = "") -> Result:
    """A Result from per-round (rate, p50, p99)."""
    rates, p50s, p99s = (Sample(tuple(column)) for column in zip(*rounds, strict=True))
    return Result(operation, server, rates, p50s, p99s, note)


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    ordered = sorted(latencies)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def _pin(cpu: int) -> None:
    with contextlib.suppress(AttributeError, OSError):  # not on every platform
        os.sched_setaffinity(0, {cpu % (os.cpu_count() or 1)})


@contextlib.contextmanager
def _server(command: list[str], ready: str | None = None, *, port: int | None = None,
            timeout: float = 60.0) -> Iterator[str]:  # fmt: skip
    """Start a server process (its own process group) on CPU 0 and yield its URL: the one it
    prints after ``ready``, or ``http://127.0.0.1:port`` once that port accepts connections.
    The server is always stopped, children and all, and it never waits past ``timeout``."""
    with _process(command, ready, port=port, timeout=timeout) as (_, url):
        yield url


@contextlib.contextmanager
def _process(command: list[str], ready: str | None = None, *, port: int | None = None, timeout: float = 60.0,
             env: dict[str, str] | None = None) -> Iterator[tuple[subprocess.Popen[str], str]]:  # fmt: skip
    """`_server`, yielding the process too (bench.costs --server asks it to dump its counts);
    ``env``: its environment (default: this one's)."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=lambda: _pin(0),
        start_new_session=True, env=env,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout or ()], daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        url = None
        while url is None and time.monotonic() < deadline and process.poll() is None:
            if port is not None:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    url = f"http://127.0.0.1:{port}"
                time.sleep(0.2)
                continue
            with contextlib.suppress(queue.Empty):
                line = lines.get(timeout=0.5)
                if ready is not None and ready in line:
                    url = next(word for word in line.split() if word.startswith("http")).rstrip("/")
        if url is None:
            said = "".join(list(lines.queue)[-3:]).strip()
            raise RuntimeError(f"{command[0]} did not start in {timeout:.0f} s (exit {process.poll()}): {said[:200]}")
        yield process, url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join(timeout=5)  # the pipe's end, now that the process group is gone
        if process.stdout is not None:
            process.stdout.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Traffic:
    """What a load run sends: POSTs of ``bodies`` (cycled) to ``path`` with ``headers``."""

    path: str
    headers: dict[str, str]
    bodies: list[bytes]

    def raw(self, host: str, bodies: list[bytes]) -> list[bytes]:
        """The requests as bytes, for the Python load generator."""
        return [build_request("POST", self.path, host, body, self.headers) for body in bodies]


def _novita_traffic() -> Traffic:
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {DEFAULT_CREDENTIALS['novita']['api_key']}",
    }
    return Traffic(NOVITA_PATH, headers, [json.dumps(payloads.typical("novita")).encode()])


def _tensorart_job(source: str, mask: str) -> dict[str, Any]:
    job = payloads.typical("tensorart")
    job["requestId"] = uuid.uuid4().hex
    job["stages"][0]["inputInitialize"]["imageResourceId"] = source
    job["stages"][1]["imageToInpaint"]["maskImageResourceId"] = mask
    return job


def _upload(client: httpx.Client, data: bytes) -> str:
    answer = client.post("/v1/resource/image", json={}).json()
    client.put(answer["putUrl"], content=data, headers=answer["headers"]).raise_for_status()
    return str(answer["resourceId"])


def _tensorart_images() -> tuple[bytes, bytes]:
    """The source image and the inpainting mask (a JPEG of the source's size) a job names."""
    return png(512, 768), jpeg(512, 768)


def _tensorart_traffic(url: str, count: int) -> Traffic:
    """Distinct jobs naming two images uploaded to the mock at ``url`` (see `_tensorart_jobs`)."""
    token = DEFAULT_CREDENTIALS["tensorart"]["token"]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        source, mask = (_upload(client, image) for image in _tensorart_images())
    return _tensorart_jobs(source, mask, count)


def _tensorart_jobs(source: str, mask: str, count: int) -> Traffic:
    """``count`` distinct jobs (each a new requestId: a repeated one is an idempotent replay, not a
    job) naming the uploaded resources ``source`` and ``mask``."""
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {DEFAULT_CREDENTIALS['tensorart']['token']}",
    }
    template = json.dumps(_tensorart_job(source, mask))
    job_id = json.loads(template)["requestId"]
    return Traffic(TENSORART_PATH, headers, [template.replace(job_id, f"{job_id}-{i}").encode() for i in range(count)])


def _tensorart_traffic_for_bare() -> Traffic:
    body = json.dumps(_tensorart_job("source", "mask")).encode()
    return Traffic(TENSORART_PATH, {"Content-Type": "application/json"}, [body])


def _traffic_for(server: str, provider: str, url: str, count: int) -> Traffic:
    """What ``server`` ("mock" or "bare", at ``url``) is sent for ``provider``: a Novita submit to
    either; for Tensor.Art, ``count`` distinct jobs naming images uploaded to the mock, and to the
    bare endpoint (which stores nothing) one job."""
    if provider == "novita":
        return _novita_traffic()
    return _tensorart_traffic(url, count) if server == "mock" else _tensorart_traffic_for_bare()


def _command(server: str) -> list[str]:
    """How the bench starts ``server``: "mock" is `sdcontracts mock serve` (steps lifecycle),
    "bare" the bare endpoint (`bench._bare`)."""
    if server == "bare":
        return [sys.executable, "-m", "bench._bare"]
    return [sys.executable, "-m", "sdcontracts", "mock", "serve", "--port", "0", "--lifecycle", "steps"]


def _measure(operation: str, server: str, url: str, traffic: Traffic, seconds: float, rounds: int, *,
             connections: int = 32) -> Result:  # fmt: skip
    """``rounds`` load runs of ``seconds`` each on one server (see `_interleaved`)."""
    return _interleaved(operation, [(server, url, traffic)], seconds, rounds, connections=connections)[0]


def _interleaved(operation: str, servers: list[tuple[str, str, Traffic]], seconds: float, rounds: int, *,
                 connections: int = 32) -> list[Result]:  # fmt: skip
    """``rounds`` load runs of ``seconds`` each on every server (name, URL, what it is sent), taking
    turns round by round (A B A B …, not A A … B B …), so that a machine slowing down or speeding up
    during the run weighs on every server alike and their ratio stays fair, after a warm-up run each
    that is not counted. Each round sends its own share of the bodies (the warm-up, the last
    thousand: a distinct body, a job, is sent once)."""
    for _, url, traffic in servers:  # not counted: the first requests fill caches
        _run(url, traffic, traffic.bodies[-1000:], min(1.0, seconds), connections)
    per_round: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _, _ in servers}
    bad = dict.fromkeys(per_round, 0)
    errors = dict.fromkeys(per_round, 0)
    for index in range(rounds):
        for name, url, traffic in servers:
            rate, p50, p99, failed, lost = _run(url, traffic, traffic.bodies[index::rounds] or traffic.bodies, seconds,
                                                connections)  # fmt: skip
            per_round[name].append((rate, p50, p99))
            bad[name] += failed
            errors[name] += lost
    results = []
    for name in per_round:
        note = f"{bad[name]} non-2xx answers" if bad[name] else ""
        if errors[name]:
            note += f" {errors[name]} connection errors"
        results.append(_summary(operation, name, per_round[name], note.strip()))
    return results


def _run(url: str, traffic: Traffic, bodies: list[bytes], seconds: float,
         connections: int) -> tuple[float, float, float, int, int]:  # fmt: skip
    """One load run of ``bodies`` for ``seconds``, from wrk when installed (else from this process), on
    the other core, over ``connections`` keep-alive connections: rate, p50, p99, non-2xx answers and
    connection errors."""
    if wrk_available():
        answer = wrk_load(url, traffic.path, traffic.headers, bodies, seconds=seconds, connections=connections, cpu=1)
        return answer.rate, answer.p50, answer.p99, answer.bad, answer.errors
    host, port = url.split("://", 1)[1].split(":")
    _pin(1)
    try:
        requests = traffic.raw(f"{host}:{port}", bodies)
        result: LoadResult = load(host, int(port), requests, seconds=seconds, connections=connections)
    finally:
        with contextlib.suppress(AttributeError, OSError):
            os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    failed = sum(n for s, n in result.statuses.items() if s >= 400)
    return result.rate, result.percentile(0.5), result.percentile(0.99), failed, result.errors


def _in_process(seconds: float, rounds: int) -> list[Result]:
    from sdcontracts.clients import Retry
    from sdcontracts.clients.novita import NovitaClient
    from sdcontracts.clients.tensorart import TensorArtClient

    results = []
    for label, routed in (("in-process (transport)", False), ("in-process (respx)", True)):
        mock = Mock(MockConfig(lifecycle="steps"))
        context = mock.router() if routed else contextlib.nullcontext()
        transport = None if routed else mock.transport()
        with context:
            novita = NovitaClient(**mock.credentials("novita"), transport=transport, retry=Retry(attempts=0))
            tensorart = TensorArtClient(**mock.credentials("tensorart"), transport=transport, retry=Retry(attempts=0))
            source = tensorart.upload_image(png(512, 768))
            mask = tensorart.upload_image(jpeg(512, 768))
            calls: list[tuple[str, Callable[[], object]]] = [
                ("novita submit", functools.partial(novita.submit, payloads.typical("novita"))),
                ("tensorart job", lambda t=tensorart, s=source, m=mask: t.submit(_tensorart_job(s, m))),  # type: ignore[misc]
            ]
            for operation, call in calls:
                per_round = []
                for _ in range(rounds):
                    latencies = []
                    started = time.perf_counter()
                    until = started + seconds
                    while time.perf_counter() < until:
                        began = time.perf_counter()
                        call()
                        latencies.append(time.perf_counter() - began)
                    elapsed = time.perf_counter() - started
                    per_round.append((len(latencies) / elapsed, *_percentiles(latencies)))
                results.append(_summary(operation, label, per_round))
            novita.close()
            tensorart.close()
    return results


@contextlib.contextmanager
def _prism(export: Path | None, quick: bool) -> Iterator[tuple[str | None, str]]:
    """Stoplight Prism mocking our OpenAPI export, on CPU 0: its URL (None when it cannot run) and
    what to say about it."""
    npx = shutil.which("npx")
    if export is None:
        yield None, "skipped: no OpenAPI export (sdcontracts.openapi)"
    elif quick:
        yield None, "skipped in a quick run"
    elif npx is None:
        yield None, "skipped: node/npx not installed"
    else:
        port = _free_port()  # at -v warn Prism prints nothing when it is ready: wait for its port
        command = [npx, "--yes", "@stoplight/prism-cli@5", "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "warn",
                   str(export)]  # fmt: skip
        try:
            server = _server(command, port=port, timeout=240)
            url = server.__enter__()
        except (RuntimeError, OSError) as error:
            yield None, f"skipped: Prism did not start ({error})"
            return
        try:
            yield url, ""
        finally:
            server.__exit__(None, None, None)


def _export(provider: str, directory: Path) -> Path | None:
    try:
        from sdcontracts.openapi import document  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    path = directory / f"{provider}.openapi.json"
    path.write_text(json.dumps(document(provider)), encoding="utf-8")
    return path


def run(*, quick: bool = False, log: Callable[[str], object] = print) -> list[Result]:
    seconds, rounds = (1.0, 1) if quick else (3.0, 5)
    log("  mock: in-process")
    results = _in_process(0.5 if quick else 1.0, rounds)
    log("  mock: HTTP mock, bare Starlette and Prism, round by round")
    with contextlib.ExitStack() as servers:
        # all served at once (those not being loaded wait, and cost nothing), their rounds alternating
        url = servers.enter_context(_server(_command("mock"), "serving "))
        bare = servers.enter_context(_server(_command("bare"), "serving at "))
        scratch = servers.enter_context(tempfile.TemporaryDirectory())
        prism, skipped = servers.enter_context(_prism(_export("novita", Path(scratch)), quick))
        novita = [("HTTP mock", url, _novita_traffic()), ("bare Starlette", bare, _novita_traffic())]
        if prism is not None:
            novita.append(("Prism (-v warn)", prism, _novita_traffic()))
        results += _interleaved("novita submit", novita, seconds, rounds)
        if prism is None:
            results.append(Result("novita submit", "Prism", None, note=skipped))
        jobs = _traffic_for("mock", "tensorart", url, 4_000 if quick else 100_000)  # more than a run sends
        results += _interleaved(
            "tensorart job",
            [("HTTP mock", url, jobs), ("bare Starlette", bare, _traffic_for("bare", "tensorart", bare, 1))],
            seconds, rounds,
        )  # fmt: skip
    return results
