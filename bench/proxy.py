"""Proxy overhead: a valid Novita submit sent (a) straight to ``sdcontracts mock serve``, (b) through
``sdcontracts proxy novita`` (enforce mode) in front of that mock, and (c) through Stoplight Prism's
proxy mode (``prism proxy --errors`` on our OpenAPI export, which validates too) in front of the same
mock, when node/npx is there.

Throughput is 32 keep-alive connections from wrk (or `_load`); the added latency is one connection
sending one request at a time, the proxy's p50 less the direct p50. The servers share one core
(the mock and the proxy in front of it: what the proxy costs comes out of the mock's share) and the
load generator has the other. In a full run the proxy is then profiled under the same load
(cProfile, a separate run): where its time goes, for the report. Targets: through the proxy at least
70 % of the direct rate, at most 1 ms of added p50, at least 1.5x Prism proxy's rate.
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
PRISM = "Prism proxy (--errors)"


@dataclass
class ProxyBench:
    load: list[Result] = field(default_factory=list)  # 32 connections
    latency: list[Result] = field(default_factory=list)  # one connection, one request at a time
    profile: list[str] = field(default_factory=list)  # the proxy's heaviest functions under load
    profiled_seconds: float = 0.0


@contextlib.contextmanager
def _proxy(upstream: str, *, profile: Path | None = None) -> Iterator[str]:
    command = [sys.executable, "-m", "sdcontracts", "proxy", "novita", "--upstream", upstream, "--port", "0",
               "--log-level", "warning"]  # fmt: skip
    if profile is not None:  # cProfile writes when the proxy returns from SIGTERM (it stops cleanly)
        command[1:3] = ["-m", "cProfile", "-o", str(profile), "-m", "sdcontracts"]
    with _server(command, "sdcontracts proxy: novita") as url:
        yield url


@contextlib.contextmanager
def _prism(export: Path, upstream: str) -> Iterator[str]:
    npx = shutil.which("npx")
    if npx is None:
        raise RuntimeError("node/npx not installed")
    port = _free_port()
    command = [npx, "--yes", "@stoplight/prism-cli@5", "proxy", "-h", "127.0.0.1", "-p", str(port), "-v", "warn",
               "--errors", str(export), upstream]  # fmt: skip
    with _server(command, port=port, timeout=240) as url:
        yield url


def run(*, quick: bool = False, log: Callable[[str], object] = print) -> ProxyBench:
    seconds, rounds = (1.0, 1) if quick else (3.0, 5)
    bench = ProxyBench()
    traffic = _novita_traffic()
    operation = "novita submit"

    def both(server: str, url: str) -> None:
        bench.load.append(_measure(operation, server, url, traffic, seconds, rounds))
        bench.latency.append(_measure(operation, server, url, traffic, seconds, rounds, connections=1))

    with (
        tempfile.TemporaryDirectory() as scratch,
        _server(
            [sys.executable, "-m", "sdcontracts", "mock", "serve", "--port", "0", "--lifecycle", "steps"], "serving "
        ) as mock,  # fmt: skip
    ):
        log("  proxy: direct to the mock")
        both(DIRECT, mock)
        log("  proxy: sdcontracts proxy")
        with _proxy(mock) as url:
            both(OURS, url)
        export = _export("novita", Path(scratch))
        if quick or export is None:
            why = "skipped in a quick run" if quick else "skipped: no OpenAPI export (sdcontracts.openapi)"
            bench.load.append(Result(operation, PRISM, None, note=why))
        else:
            log("  proxy: Prism proxy")
            try:
                with _prism(export, mock) as url:
                    both(PRISM, url)
            except (RuntimeError, OSError) as error:
                bench.load.append(Result(operation, PRISM, None, note=f"skipped: Prism did not start ({error})"))
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
