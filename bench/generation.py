"""Generation: valid and invalid cases per second from ``sdcontracts.strategies``, per provider.

The cases are drawn the way the conformance suite draws them (`sdcontracts.conformance` seeds
Hypothesis, batches draws, no shrinking). The baseline, on the same schema file, is
hypothesis-jsonschema's ``from_schema``: it breaks on current Hypothesis (``'many' object has
no attribute 'more'`` from 6.170.10 on), so it runs in a side environment with the last
Hypothesis it works with (`_hjs`), and is reported unavailable if that cannot be built.

Also timed: ``sdcontracts conformance --examples 1000`` per provider against the in-process mock
(generation, client, mock, checks), in a fresh process.

Targets: at least 200 generated cases per second for every provider, and 1,000 cases per
provider through the in-process mock in under 10 s.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sized
from dataclasses import dataclass

import sdcontracts
from sdcontracts.conformance._cases import VALID, invalid_cases, shares, valid_cases

from . import _hjs

__all__ = ["Row", "run"]

SEED = 2026


@dataclass(frozen=True)
class Row:
    provider: str
    valid_rate: float  # cases per second
    invalid_rate: float
    baseline_rate: float | None  # hypothesis-jsonschema examples per second, None when unavailable
    baseline_note: str
    conformance_seconds: float | None  # 1,000 cases through the in-process mock


def _rate(draw: Callable[[], Sized]) -> float:
    """Items per second of one call of ``draw``."""
    started = time.perf_counter()
    drawn = draw()
    return len(drawn) / (time.perf_counter() - started)


def _invalid(provider: str, count: int) -> list[object]:
    """``count`` invalid cases, spread over the rules as the suite spreads them."""
    share = shares(provider, 2 * count)
    share.pop(VALID)
    cases: list[object] = []
    for index, (rule, number) in enumerate(sorted(share.items())):
        if number:
            cases += invalid_cases(provider, rule, number, SEED + index)
    return cases


def _conformance(provider: str, examples: int) -> float | None:
    """Wall seconds of a whole conformance run in a fresh process; None if it disagreed or failed."""
    command = [
        sys.executable,
        "-m",
        "sdcontracts",
        "conformance",
        "--provider",
        provider,
        "--examples",
        str(examples),
        "--seed",
        str(SEED),
        "--no-progress",
    ]
    with tempfile.TemporaryDirectory() as scratch:  # where failing cases would be saved
        started = time.perf_counter()
        finished = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=scratch)
        seconds = time.perf_counter() - started
    return seconds if finished.returncode == 0 else None


def run(*, quick: bool = False, log: Callable[[str], object] = print) -> list[Row]:
    count = 100 if quick else 400
    hjs_seconds = 3.0 if quick else 15.0
    rows = []
    for provider in sdcontracts.providers():
        log(f"  generation: {provider}")
        valid_cases(provider, 8, SEED)  # warm: strategies are built on first use
        valid = _rate(lambda p=provider: valid_cases(p, count, SEED))  # type: ignore[misc]
        invalid = _rate(lambda p=provider: _invalid(p, count))  # type: ignore[misc]
        baseline, note = _hjs.rate(provider, "img2img.request", seconds=hjs_seconds)
        seconds = None if quick else _conformance(provider, 1000)
        rows.append(Row(provider, valid, invalid, baseline, note, seconds))
    return rows
