"""One target's mutation run, on cosmic-ray: enumerate, sample, mutate the installed file, test.

Cosmic-ray mutates a file on disk and runs a test command against it, which is what the
installed-wheel layout needs: the file mutated is the one the tests import
(``site-packages/sdcontracts/mock/_state.py``), checked to be byte-identical to the repository
file it came from, so line numbers and the report refer to the repository. Cosmic-ray restores
the file after each mutant; the run also restores it on any way out (a signal included), and
deletes the module's cached bytecode first (its tests run with ``PYTHONDONTWRITEBYTECODE``, so a
mutant and its restoration never share a stale ``.pyc``).

The session is cosmic-ray's own sqlite work database (``.mutation/NAME.sqlite``), so
``cr-report`` and ``cr-html`` read it; mutants outside the sample are marked skipped in it.
"""

from __future__ import annotations

import importlib.util
import random
import shlex
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import parso
from cosmic_ray.commands.init import init
from cosmic_ray.mutating import mutate_and_test
from cosmic_ray.testing import run_tests
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkItem, WorkResult

from . import _operators
from .equivalents import EQUIVALENTS, Equivalent
from .targets import Target

__all__ = ["Mutant", "TargetRun", "run_target"]

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = ROOT / ".mutation"

# Every mutant starts a test process, so its start-up counts: plain asserts (pytest's rewriting,
# with no bytecode cache, recompiles the whole installed package and Hypothesis in every process,
# a second of the 2.5 a process took) and no plugins the focused tests do not use.
_PYTEST = (
    "-m pytest -x -q --no-header --assert=plain -p no:cacheprovider -p no:schemathesis -p no:typeguard -p no:xdist"
)


@dataclass(frozen=True)
class Mutant:
    """One mutant that was run, and what became of it."""

    line: int
    definition: str  # the enclosing function or class ("" at module level)
    operator: str  # "core/ReplaceComparisonOperator_Lt_LtE", "sdcontracts/DeleteStatement"
    before: str  # the repository's lines it changes, stripped, one per line
    after: str
    outcome: str  # "killed", "timeout", "survived", "equivalent", "error"
    reason: str = ""  # why it is equivalent; what went wrong for "error"


@dataclass
class TargetRun:
    target: Target
    mutants_total: int = 0  # every mutant cosmic-ray and our operator make of the module
    in_annotations: int = 0  # of which inside annotations, never evaluated: not sampled
    sites: int = 0  # places a mutant can go (one mutation kind at one span)
    sampled: int = 0
    baseline_seconds: float = 0.0
    seconds: float = 0.0
    mutants: list[Mutant] = field(default_factory=list)
    stale: list[Equivalent] = field(default_factory=list)  # listed equivalents whose code is gone
    problem: str = ""  # why the module could not be run at all

    def count(self, *outcomes: str) -> int:
        return sum(m.outcome in outcomes for m in self.mutants)

    @property
    def not_run(self) -> int:
        return self.sampled - len(self.mutants)

    @property
    def score(self) -> float | None:
        killed = self.count("killed", "timeout")
        judged = killed + self.count("survived", "error")
        return killed / judged if judged else None


def installed_file(target: Target) -> Path:
    spec = importlib.util.find_spec(target.module)
    if spec is None or spec.origin is None:
        raise LookupError(f"{target.module} is not installed: run `make install`")
    return Path(spec.origin)


def run_target(target: Target, *, sample: int, seed: str, deadline: float, log: Callable[[str], None]) -> TargetRun:
    """Run a seeded sample of ``sample`` mutation sites of one target, until ``deadline``
    (`time.monotonic`); the mutants not reached by then are counted as not run."""
    started = time.monotonic()
    result = _run(target, sample, seed, deadline, log)
    result.seconds = time.monotonic() - started
    return result


def _run(target: Target, sample: int, seed: str, deadline: float, log: Callable[[str], None]) -> TargetRun:
    result = TargetRun(target)
    source = ROOT / target.source
    installed = installed_file(target)
    original = source.read_bytes()
    if installed.read_bytes() != original:
        result.problem = f"the installed {target.module} is not {target.source}: run `make install`"
        return result
    missing = [t for t in target.tests if not (ROOT / t).is_file()]
    if missing:
        result.problem = f"test files not found: {', '.join(missing)}"
        return result
    for cached in installed.parent.glob(f"__pycache__/{installed.stem}.*.pyc"):
        cached.unlink()
    command = f"{shlex.quote(sys.executable)} {_PYTEST} {' '.join(target.tests)}"
    _operators.register()
    SESSIONS.mkdir(exist_ok=True)
    text = original.decode("utf-8")
    result.stale = [e for e in EQUIVALENTS if e.target == target.name and not _present(e, text)]
    with _restored_on_exit(installed, original), use_db(str(SESSIONS / f"{target.name}.sqlite")) as db:
        init([installed], db, {})
        items = list(db.pending_work_items)
        result.mutants_total = len(items)
        chosen, result.in_annotations, result.sites = _sample(
            items, text, sample, random.Random(f"{seed}/{target.name}")
        )
        result.sampled = len(chosen)
        _skip_all_but(db, items, chosen)
        log(f"{target.name}: {result.mutants_total} mutants at {result.sites} sites; {result.sampled} sampled")
        baseline_start = time.monotonic()
        outcome, output = run_tests(command, timeout=max(60.0, deadline - time.monotonic()))
        result.baseline_seconds = time.monotonic() - baseline_start
        if outcome != TestOutcome.SURVIVED:
            result.problem = f"the focused tests fail without any mutation:\n{output[-2000:]}"
            return result
        timeout = 3 * result.baseline_seconds + 10  # a mutant that makes the tests hang is killed by timeout
        for index, item in enumerate(chosen, 1):
            if time.monotonic() + result.baseline_seconds > deadline:
                log(f"{target.name}: time cap reached, {result.sampled - index + 1} mutants not run")
                break
            work = mutate_and_test(item.mutations, command, timeout)
            db.set_result(item.job_id, work)
            mutant = _mutant(target, item, work)
            result.mutants.append(mutant)
            if mutant.outcome in ("survived", "error"):
                log(f"{target.name} [{index}/{result.sampled}] {mutant.outcome}: line {mutant.line} {mutant.operator}")
    return result


def _sample(items: list[WorkItem], text: str, size: int, rng: random.Random) -> tuple[list[WorkItem], int, int]:
    """One mutant per site (a random one of the kinds cosmic-ray makes there), at up to ``size``
    random sites, in file order; mutants inside annotations are left out: with ``from __future__
    import annotations`` Python never evaluates them, so every one is equivalent."""
    spans = _annotation_spans(text) if "from __future__ import annotations" in text else []
    sites: dict[tuple[Any, ...], list[WorkItem]] = {}
    in_annotations = 0
    for item in items:
        spec = item.mutations[0]
        start, end = tuple(spec.start_pos), tuple(spec.end_pos)
        if any(low <= start and end <= high for low, high in spans):
            in_annotations += 1
            continue
        family = spec.operator_name.split("_", 1)[0]  # ReplaceComparisonOperator_Lt_LtE -> one family
        sites.setdefault((start, end, family), []).append(item)
    keys = sorted(sites)
    picked = sorted(rng.sample(keys, min(size, len(keys))))
    chosen = [rng.choice(sorted(sites[key], key=lambda i: (i.mutations[0].operator_name, i.mutations[0].occurrence)))
              for key in picked]  # fmt: skip
    return chosen, in_annotations, len(keys)


def _annotation_spans(text: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    spans = []
    for node in _nodes(parso.parse(text)):
        annotation = None
        if node.type in ("param", "funcdef"):
            annotation = node.annotation
        elif node.type == "annassign":
            annotation = node.children[1]
        if annotation is not None:
            spans.append((annotation.start_pos, annotation.end_pos))
    return spans


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    for child in getattr(node, "children", ()):
        yield from _nodes(child)


def _skip_all_but(db: WorkDB, items: list[WorkItem], chosen: list[WorkItem]) -> None:
    keep = {item.job_id for item in chosen}
    skipped = [item.job_id for item in items if item.job_id not in keep]
    db.set_multiple_results(skipped, WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output="not in the sample"))


def _mutant(target: Target, item: WorkItem, work: WorkResult) -> Mutant:
    spec = item.mutations[0]
    lines = (work.diff or "").splitlines()
    before = _changed(lines, "-")
    after = _changed(lines, "+")
    definition = spec.definition_name or ""
    base = dict(line=spec.start_pos[0], definition=definition, operator=spec.operator_name, before=before, after=after)
    if work.worker_outcome != WorkerOutcome.NORMAL:
        return Mutant(**base, outcome="error", reason=(work.output or work.worker_outcome)[-500:])
    if work.test_outcome != TestOutcome.SURVIVED:
        return Mutant(**base, outcome="timeout" if work.output == "timeout" else "killed")
    for equivalent in EQUIVALENTS:
        if (equivalent.target, equivalent.definition, equivalent.before, equivalent.after) == (
            target.name, definition, before, after,
        ):  # fmt: skip
            return Mutant(**base, outcome="equivalent", reason=equivalent.reason)
    return Mutant(**base, outcome="survived")


def _changed(diff: list[str], sign: str) -> str:
    """The lines of a unified diff on one side, stripped, blank ones left out (a removed decorator
    takes the blank lines above it along)."""
    found = (line[1:].strip() for line in diff if line.startswith(sign) and not line.startswith(sign * 3))
    return "\n".join(line for line in found if line)


def _present(equivalent: Equivalent, text: str) -> bool:
    lines = {line.strip() for line in text.splitlines()}
    return all(line in lines for line in equivalent.before.splitlines())


class _restored_on_exit:  # a context manager, read as a clause
    """Put the original bytes back on exit, however the run ends: an exception, Ctrl-C, or a
    SIGTERM (turned into an exception so that cosmic-ray's own restore runs too)."""

    def __init__(self, path: Path, original: bytes) -> None:
        self.path, self.original = path, original
        self.previous: Any = None

    def __enter__(self) -> None:
        def stop(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt(f"signal {signum}")

        self.previous = signal.signal(signal.SIGTERM, stop)

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGTERM, self.previous)
        if self.path.read_bytes() != self.original:
            self.path.write_bytes(self.original)
