"""Proxy overhead: a valid Novita submit sent (a) straight to ``sdcontracts mock serve``, (b) through
``sdcontracts proxy novita`` (enforce mode) in front of that mock, and (c) through Stoplight Prism's
proxy mode (``prism proxy --errors`` on our OpenAPI export, which validates too) in front of the same
mock, when node/npx is there.

Throughput is 32 keep-alive connections from wrk (or `_load`); the added latency is one connection
sending one request at a time, the proxy's p50 less the direct p50. Two layouts of the machine's
two cores, each with its own direct rows:

- **shared core**: the mock and the proxy in front of it on CPU 0 (what the proxy costs comes out of
  the mock's share), the load generator on CPU 1;
- **proxy on its own core**: the mock alone on CPU 0, the proxy on CPU 1 beside the load generator,
  as a proxy on a machine or sidecar of its own would be.

Beside our proxy, the same proxy sending through httpx's pooled transport (``transport=``: the
forwarder it had before `_upstream.Upstream`), for the before/after in one run. In a full run the
proxy is then profiled under load (cProfile, a separate run, shared-core layout): where its time
goes, for the report. Targets: through the proxy at least 70 % of the direct rate, at most 1 ms of
added p50, at least 1.5x Prism proxy's rate.
"""

from __future__ import annotations

import contextlib
import pstats
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .mock import Result, _export, _free_port, _measure, _novita_traffic, _server

__all__ = ["ProxyBench", "run"]

DIRECT = "direct to the HTTP mock"
OURS = "sdcontracts proxy"
BEFORE = "sdcontracts proxy via httpx (before)"
PRISM = "Prism proxy (--errors)"
SHARED = "shared core"
OWN = "proxy on its own core"
LAYOUTS = (SHARED, OWN)


@dataclass
class ProxyBench:
    # by layout: 32 connections, and one connection sending one request at a time
    load: dict[str, list[Result]] = field(default_factory=lambda: {layout: [] for layout in LAYOUTS})
    latency: dict[str, list[Result]] = field(default_factory=lambda: {layout: [] for layout in LAYOUTS})
    profile: list[str] = field(default_factory=list)  # the proxy's heaviest functions under load
    profiled_seconds: float = 0.0


# `_server` starts every server on CPU 0; this moves one to ``cpu`` before it runs ``sys.argv[1:]``
_ON_CPU = "import os, runpy, sys; os.sched_setaffinity(0, {int(sys.argv.pop(1))}); sys.argv.pop(0); "
_RUN_MODULE = _ON_CPU + "runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)"
# the proxy app sending through httpx's pooled transport, served as `sdcontracts proxy` serves it
_VIA_HTTPX = (
    _ON_CPU
    + """
import signal, threading, httpx
from sdcontracts.proxy import BackgroundProxy, create_app
limits = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=2.0)
app = create_app("novita", upstream=sys.argv[0], transport=httpx.AsyncHTTPTransport(limits=limits))
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
with BackgroundProxy(app) as url:
    print(f"sdcontracts proxy: novita (the forwarder before) at {url} -> {sys.argv[0]}", flush=True)
    stop.wait()
"""
)


def _on_cpu(cpu: int, module: str, *args: str) -> list[str]:
    return [sys.executable, "-c", _RUN_MODULE, str(cpu), module, *args]


@contextlib.contextmanager
def _proxy(upstream: str, *, cpu: int = 0, profile: Path | None = None, via_httpx: bool = False) -> Iterator[str]:
    if via_httpx:
        command = [sys.executable, "-c", _VIA_HTTPX, str(cpu), upstream]
    else:
        args = ["novita", "--upstream", upstream, "--port", "0", "--log-level", "warning"]
        command = _on_cpu(cpu, "sdcontracts", "proxy", *args)
        if profile is not None:  # cProfile writes when the proxy returns from SIGTERM (it stops cleanly)
            command = _on_cpu(cpu, "cProfile", "-o", str(profile), "-m", "sdcontracts", "proxy", *args)
    with _server(command, "sdcontracts proxy: novita") as url:
        yield url


@contextlib.contextmanager
def _prism(export: Path, upstream: str, *, cpu: int = 0) -> Iterator[str]:
    npx = shutil.which("npx")
    taskset = shutil.which("taskset")
    if npx is None:
        raise RuntimeError("node/npx not installed")
    port = _free_port()
    command = [npx, "--yes", "@stoplight/prism-cli@5", "proxy", "-h", "127.0.0.1", "-p", str(port), "-v", "warn",
               "--errors", str(export), upstream]  # fmt: skip
    if cpu != 0:
        if taskset is None:
            raise RuntimeError("taskset is not installed: Prism cannot be moved to its own core")
        command = [taskset, "-c", str(cpu), *command]
    with _server(command, port=port, timeout=240) as url:
        yield url


def run(*, quick: bool = False, log: Callable[[str], object] = print) -> ProxyBench:
    seconds, rounds = (1.0, 1) if quick else (3.0, 5)
    bench = ProxyBench()
    traffic = _novita_traffic()
    operation = "novita submit"

    def both(layout: str, server: str, url: str) -> None:
        bench.load[layout].append(_measure(operation, server, url, traffic, seconds, rounds))
        bench.latency[layout].append(_measure(operation, server, url, traffic, seconds, rounds, connections=1))

    with (
        tempfile.TemporaryDirectory() as scratch,
        _server(
            [sys.executable, "-m", "sdcontracts", "mock", "serve", "--port", "0", "--lifecycle", "steps"], "serving "
        ) as mock,  # fmt: skip
    ):
        export = None if quick else _export("novita", Path(scratch))
        for layout, cpu in ((SHARED, 0), (OWN, 1)):
            log(f"  proxy ({layout}): direct to the mock")
            both(layout, DIRECT, mock)
            log(f"  proxy ({layout}): sdcontracts proxy")
            with _proxy(mock, cpu=cpu) as url:
                both(layout, OURS, url)
            log(f"  proxy ({layout}): sdcontracts proxy via httpx")
            with _proxy(mock, cpu=cpu, via_httpx=True) as url:
                both(layout, BEFORE, url)
            if export is None:
                why = "skipped in a quick run" if quick else "skipped: no OpenAPI export (sdcontracts.openapi)"
                bench.load[layout].append(Result(operation, PRISM, None, note=why))
                continue
            log(f"  proxy ({layout}): Prism proxy")
            try:
                with _prism(export, mock, cpu=cpu) as url:
                    both(layout, PRISM, url)
            except (RuntimeError, OSError) as error:
                bench.load[layout].append(
                    Result(operation, PRISM, None, note=f"skipped: Prism did not start ({error})")
                )
        if not quick:
            log("  proxy: profiling sdcontracts proxy")
            profile = Path(scratch) / "proxy.prof"
            with _proxy(mock, profile=profile) as url:
                _measure(operation, OURS, url, traffic, seconds, 1)
            if profile.exists():
                bench.profile, bench.profiled_seconds = _heaviest(profile)
    return bench


def _heaviest(profile: Path, count: int = 15) -> tuple[list[str], float]:
    """The functions the proxy spent most time in (their own time), as report lines."""
    stats = pstats.Stats(str(profile))
    table = stats.stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in table.values()) or 1.0
    heaviest = sorted(table.items(), key=lambda item: item[1][2], reverse=True)[:count]
    lines = []
    for (filename, line, name), (_, calls, own, cumulative, _) in heaviest:
        where = _short(filename)
        lines.append(f"| {own / total:.1%} | {cumulative / total:.1%} | {calls:,} | `{name}` | {where}:{line} |")
    return lines, total


def _short(filename: str) -> str:
    for marker in ("site-packages/", "lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename
