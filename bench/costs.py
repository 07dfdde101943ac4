"""``python -m bench.costs``: what each part of one mock request costs, counted, not timed.

The HTTP mock's share of the bare endpoint's rate (bench/mock.py) moves by ±20 % between rounds on
these VMs, so a change worth 5 % cannot be seen in it. This counts instead: `Mock.handle` on a
valid submit (a Tensor.Art job with its two uploads, a Novita img2img), run under valgrind's
callgrind with its cache simulator, the caches thrashed between requests (4 MiB touched: what the
event loop, the kernel and the other connections do to them in a server, where one request costs
two to three times what it costs in a loop), and the same again with each part of the request
left out. The figure is a model of cycles, ``instructions + 10 x L1 misses + 100 x last-level
misses``: not a time, but the same on every run of the same code, and it ranks the parts much as
py-spy does in the server under load (validation and the new task first, then the uploads, the
body parse, the journal and the answer).

    python -m bench.costs                         # both providers, every part (a few minutes)
    python -m bench.costs --provider tensorart --without validation journal
    python -m bench.costs --server                # whole servers: the mock's share of the bare endpoint

``--server`` counts whole server processes instead (`_served`): the HTTP mock and the bare
endpoint answering what bench/mock.py sends them, everything each process does per request, with a
last-level cache of ``--cache-kib`` (512 by default) and no thrash: its "share of the bare
endpoint" is the timed target's, counted.

Each part is left out by replacing it with what it returns for these requests (`ABLATIONS`), so
the saving is its share of the request. Needs valgrind (``apt install valgrind``); the measured
calls run inside ``functools.reduce`` (callgrind collects only there: ``--toggle-collect``).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import _served

__all__ = ["ABLATIONS", "PROVIDERS", "Cost", "main", "measure", "parse_totals", "table"]

PROVIDERS = ("tensorart", "novita")
_FULL = 100  # tasks and journal entries held: the bounds every counted request runs into
_THRASH = 4 * 1024 * 1024  # bytes touched between requests: twice the simulated last-level cache
_CACHES = ("--I1=32768,8,64", "--D1=32768,8,64", "--LL=2097152,16,64")  # a core's share of this machine's
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where `python -m bench.costs` runs


@dataclass(frozen=True)
class Cost:
    """Callgrind's counts per request, and the model's cycles."""

    instructions: float
    l1_misses: float
    ll_misses: float

    @property
    def cycles(self) -> float:
        return self.instructions + 10 * self.l1_misses + 100 * self.ll_misses


def parse_totals(text: str, calls: int) -> Cost:
    """A callgrind output file's totals, per call."""
    events: list[str] = []
    totals: list[int] = []
    for line in text.splitlines():
        if line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith(("summary:", "totals:")) and not totals:
            totals = [int(value) for value in line.split()[1:]]
    counts = dict(zip(events, totals, strict=False))
    if not counts.get("Ir"):
        raise RuntimeError("callgrind counted nothing: libpython has no symbol functools_reduce to toggle on")
    l1 = sum(counts.get(name, 0) for name in ("I1mr", "D1mr", "D1mw"))
    ll = sum(counts.get(name, 0) for name in ("ILmr", "DLmr", "DLmw"))
    return Cost(counts["Ir"] / calls, l1 / calls, ll / calls)


# -- the requests, and the parts left out -------------------------------------------------------------


def _setup(provider: str, count: int) -> tuple[Any, list[Any]]:
    """A mock with what a valid submit needs (Tensor.Art's uploads), and ``count`` distinct submits.
    Its task store and journal are kept full, as a long-running server's are, so that each request
    also forgets the oldest task and entry (small bounds: the thrash makes every old one cold anyway)."""
    from sdcontracts.mock import Mock, MockConfig
    from sdcontracts.mock._wire import MockRequest

    from .mock import _novita_traffic, _tensorart_images, _tensorart_jobs

    mock = Mock(MockConfig(max_tasks=_FULL))
    mock.journal.max_entries = _FULL
    if provider == "tensorart":  # what the timed bench sends (bench/mock.py), its images uploaded in-process
        client = mock.client("tensorart")
        source, mask = (client.upload_image(image) for image in _tensorart_images())
        traffic = _tensorart_jobs(source, mask, count)
        bodies = traffic.bodies
    else:
        traffic = _novita_traffic()
        bodies = traffic.bodies * count
    headers = {name.lower(): value for name, value in traffic.headers.items()} | {"host": "127.0.0.1:8000"}
    return mock, [
        MockRequest("POST", traffic.path, "", {**headers, "content-length": str(len(body))}, body) for body in bodies
    ]


def _without_validation(mock: Any, provider: str, requests: list[Any]) -> None:
    mock.handlers[provider].check = lambda payload, schema, request: None


def _without_rules(mock: Any, provider: str, requests: list[Any]) -> None:
    """The schema alone in jsonschema-rs's quick form: what the rules compiled into it cost."""
    import jsonschema_rs

    from sdcontracts._quick import quick_form
    from sdcontracts._validation import compiled

    schema = compiled(provider, "img2img.request", "wire")
    quick, formats = quick_form(schema.schema, [])
    schema._quick = jsonschema_rs.validator_for(quick, formats=formats, validate_formats=True)
    schema._quick_checks = ()


def _without_journal(mock: Any, provider: str, requests: list[Any]) -> None:
    mock._record = lambda request, response, fault: None


def _without_parse(mock: Any, provider: str, requests: list[Any]) -> None:
    """orjson alone: what reading the body costs beyond it (Content-Type, the wide-integer scan)."""
    import orjson

    mock.handlers[provider].parse = lambda request, operation: (orjson.loads(request.body), None)


def _without_new_task(mock: Any, provider: str, requests: list[Any]) -> None:
    from sdcontracts.mock._state import MockTask

    def new_task(payload: Any, **options: Any) -> MockTask:
        return MockTask(provider, options.get("task_id") or "t", 0.0, None, 1, 512, 512, "png", None, None, 0)

    mock.handlers[provider].new_task = new_task


def _without_answer(mock: Any, provider: str, requests: list[Any]) -> None:
    """The answer's bytes made once: what encoding each answer costs."""
    import importlib

    from sdcontracts.mock import _handler, _wire

    made: dict[int, Any] = {}

    def json_response(status: int, document: Any, headers: dict[str, str] | None = None) -> Any:
        response = made.get(status) or made.setdefault(status, _wire.json_response(status, document, headers))
        return _wire.MockResponse(response.status, response.body, dict(response.headers))

    # where the handlers call it from: the generic operations, and the provider's own
    for module in (_handler, importlib.import_module(type(mock.handlers[provider]).__module__)):
        if hasattr(module, "json_response"):
            module.json_response = json_response


def _without_uploads(mock: Any, provider: str, requests: list[Any]) -> None:
    """Tensor.Art: the two uploads the job names, not looked up (the source image given)."""
    handler = mock.handlers[provider]
    source = next(iter(mock.store._resources.values()))[0]
    handler._source = lambda job, request: source


def _without_job_view(mock: Any, provider: str, requests: list[Any]) -> None:
    """Tensor.Art: the job's stage view (`rules.tensorart.Job`) built once, not per request."""
    import sdcontracts.mock.providers.tensorart as module

    view = module.Job.of(json.loads(requests[0].body))

    class _Job:
        of = staticmethod(lambda payload: view)

    module.Job = _Job  # type: ignore[misc,assignment]


ABLATIONS: dict[str, tuple[Callable[[Any, str, list[Any]], None], tuple[str, ...]]] = {
    "validation": (_without_validation, PROVIDERS),
    "rules in the engine": (_without_rules, ("tensorart",)),
    "body parse": (_without_parse, PROVIDERS),
    "new task": (_without_new_task, PROVIDERS),
    "answer encoding": (_without_answer, PROVIDERS),
    "journal": (_without_journal, PROVIDERS),
    "uploads": (_without_uploads, ("tensorart",)),
    "job view": (_without_job_view, ("tensorart",)),
}


# -- the child under valgrind, and the runs ---------------------------------------------------------


def _child(provider: str, without: str | None, calls: int, warm: int) -> None:
    """Run inside valgrind: ``calls`` submits after ``warm`` uncounted ones, each inside
    functools.reduce (where callgrind collects), the caches thrashed before each."""
    import gc

    mock, requests = _setup(provider, warm + calls)
    if without is not None:
        ABLATIONS[without][0](mock, provider, requests)
    handle = mock.handle

    def call(_: object, request: Any) -> None:
        response = handle(request)
        if response.status != 200:
            raise RuntimeError(f"{provider} answered {response.status}: {response.body[:300]!r}")

    for request in requests[:warm]:
        call(None, request)
    gc.disable()  # a collection falls on some requests and not others: counted apart, it would blur the parts
    thrash = bytearray(_THRASH)
    line = b"\x01" * (_THRASH // 64)
    for request in requests[warm:]:
        thrash[::64] = line  # every cache line
        functools.reduce(call, (request,), None)


def measure(provider: str, without: str | None = None, *, calls: int = 150, warm: int = 200) -> Cost:
    """One provider's submit, counted under callgrind (``without`` one part)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise RuntimeError("valgrind is not installed (apt install valgrind)")
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "callgrind.out")
        command = [
            valgrind, "--tool=callgrind", "--cache-sim=yes", *_CACHES, "--toggle-collect=functools_reduce",
            f"--callgrind-out-file={out}", sys.executable, "-m", "bench.costs", "--child", provider,
            "--calls", str(calls), "--warm", str(warm), *(["--without", without] if without else []),
        ]  # fmt: skip
        run = subprocess.run(command, capture_output=True, text=True, cwd=_ROOT, check=False)
        if run.returncode != 0:
            raise RuntimeError(f"the counted run failed:\n{run.stderr[-2000:]}")
        with open(out) as counted:
            return parse_totals(counted.read(), calls)


def table(provider: str, full: Cost, parts: Iterable[tuple[str, Cost]]) -> list[str]:
    """Markdown rows: the whole request, then each part's saving as a share of it."""
    rows = [
        f"| {provider} | whole request | {full.instructions:,.0f} | {full.l1_misses:,.0f} | {full.ll_misses:,.0f} "
        f"| {full.cycles:,.0f} | 100% |"
    ]
    for name, cost in sorted(parts, key=lambda item: item[1].cycles):
        saved = full.cycles - cost.cycles
        rows.append(
            f"| {provider} | {name} | {full.instructions - cost.instructions:,.0f} "
            f"| {full.l1_misses - cost.l1_misses:,.0f} | {full.ll_misses - cost.ll_misses:,.0f} "
            f"| {saved:,.0f} | {saved / full.cycles:.1%} |"
        )
    return rows


def _server_table(costs: dict[tuple[str, str], tuple[float, float, float]], providers: list[str]) -> list[str]:
    """Markdown rows: each server's counts per request, and the mock's share of the bare endpoint's
    rate (the bare endpoint's model cycles over the mock's: what bench/mock.py's target reads)."""
    rows = ["| provider | server | instructions | L1 misses | LL misses | model cycles | mock's share of bare |",
            "|---|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for provider in providers:
        cycles = {server: Cost(*costs[provider, server]).cycles for server in _served.SERVERS}
        for server in _served.SERVERS:
            cost = Cost(*costs[provider, server])
            share = f"{cycles['bare'] / cycles['mock']:.0%}" if server == "mock" else ""
            rows.append(f"| {provider} | {server} | {cost.instructions:,.0f} | {cost.l1_misses:,.0f} "
                        f"| {cost.ll_misses:,.0f} | {cost.cycles:,.0f} | {share} |")  # fmt: skip
    return rows


def _run_servers(args: argparse.Namespace) -> int:
    runs = [(provider, server) for provider in args.provider for server in _served.SERVERS]
    calls, warm = args.calls, args.warm
    print(f"counting {len(runs)} servers, {calls} requests each after {warm:,} uncounted, under callgrind "
          f"(last-level cache {args.cache_kib} KiB, {args.jobs} at a time)…", file=sys.stderr, flush=True)  # fmt: skip
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {
            run: pool.submit(_served.measure_server, run[1], run[0], calls=calls, warm=warm, cache_kib=args.cache_kib)
            for run in runs
        }
        costs: dict[tuple[str, str], tuple[float, float, float]] = {}
        for run, future in futures.items():
            try:
                costs[run] = future.result()
            except (RuntimeError, OSError) as error:  # a failed run: say which and why, not a traceback
                print(f"python -m bench.costs: {run[0]} {run[1]} server: {error}", file=sys.stderr)
                for pending in futures.values():
                    pending.cancel()
                return 1
            print(f"  {run[0]} {run[1]} server: {Cost(*costs[run]).cycles:,.0f}", file=sys.stderr, flush=True)
    print("\n".join(_server_table(costs, args.provider)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.costs", description=__doc__.splitlines()[0])
    parser.add_argument("--provider", nargs="+", choices=PROVIDERS, default=list(PROVIDERS))
    every = ", ".join(ABLATIONS)
    parser.add_argument("--without", nargs="+", choices=list(ABLATIONS), default=None, metavar="PART",
                        help=f"the parts to leave out, one run each (default: all of {every})")  # fmt: skip
    parser.add_argument("--server", action="store_true",
                        help="count whole server processes: the HTTP mock beside the bare endpoint")  # fmt: skip
    parser.add_argument("--cache-kib", type=int, default=512,
                        help="with --server: the simulated last-level cache, in KiB (default 512)")  # fmt: skip
    parser.add_argument("--calls", type=int, default=None,
                        help="requests counted per run (default 150; 800 with --server)")  # fmt: skip
    parser.add_argument("--warm", type=int, default=None,
                        help="requests run before counting (default 200; 12,000 with --server, "
                        "which fills the mock's task store)")  # fmt: skip
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="runs at once (default: one per core)")
    parser.add_argument("--child", choices=PROVIDERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if (args.calls is not None and args.calls < 1) or (args.warm is not None and args.warm < 0) or args.jobs < 1:
        parser.error("--calls and --jobs must be at least 1, --warm at least 0")
    if args.cache_kib < 64 or args.cache_kib & (args.cache_kib - 1):
        parser.error("--cache-kib must be a power of two, at least 64")
    if args.server and args.without:
        parser.error("--without leaves parts out of Mock.handle; --server counts whole servers as they are")
    if args.calls is None:
        args.calls = 800 if args.server else 150
    if args.warm is None:
        args.warm = 12_000 if args.server else 200  # with --server: the mock's task store full
    if args.child:
        _child(args.child, args.without[0] if args.without else None, args.calls, args.warm)
        return 0
    if shutil.which("valgrind") is None:
        print("python -m bench.costs: valgrind is not installed (apt install valgrind)", file=sys.stderr)
        return 2
    if args.server:
        return _run_servers(args)
    runs = [
        (provider, part)
        for provider in args.provider
        for part in [None, *(args.without or ABLATIONS)]
        if part is None or provider in ABLATIONS[part][1]
    ]
    print(f"counting {len(runs)} runs of {args.calls} requests under callgrind ({args.jobs} at a time)…",
          file=sys.stderr, flush=True)  # fmt: skip
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {run: pool.submit(measure, *run, calls=args.calls, warm=args.warm) for run in runs}
        costs = {}
        for run, future in futures.items():
            label = f"{run[0]} {'without ' + run[1] if run[1] else 'whole'}"
            try:
                costs[run] = future.result()
            except RuntimeError as error:  # a failed run: say which and why, not a traceback
                print(f"python -m bench.costs: {label}: {error}", file=sys.stderr)
                for pending in futures.values():
                    pending.cancel()
                return 1
            print(f"  {label}: {costs[run].cycles:,.0f}", file=sys.stderr, flush=True)
    print("| provider | left out | instructions | L1 misses | LL misses | model cycles | share |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for provider in args.provider:
        parts = [(part, cost) for (who, part), cost in costs.items() if who == provider and part is not None]
        print("\n".join(table(provider, costs[provider, None], parts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
