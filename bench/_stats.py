"""Repeated timing rounds, summarised as a median with its spread; ratios against a baseline."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Sample", "per_call", "sample"]


@dataclass(frozen=True)
class Sample:
    """Rounds of one measurement (seconds per operation, or any unit), and their summary."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def spread(self) -> float:
        """Half the interquartile range, relative to the median (0.05 = ±5 %)."""
        if len(self.values) < 4 or not self.median:
            return (max(self.values) - min(self.values)) / 2 / self.median if self.median else 0.0
        q1, _, q3 = statistics.quantiles(self.values, n=4)
        return (q3 - q1) / 2 / self.median

    def ratio(self, baseline: Sample) -> float:
        return self.median / baseline.median


def sample(values: list[float]) -> Sample:
    return Sample(tuple(values))


def per_call(function: Callable[[], object], *, rounds: int = 7, budget: float = 0.2) -> Sample:
    """Seconds per call of ``function``: ``rounds`` rounds of as many calls as fit in ``budget`` s."""
    function()  # warm: caches, compiled schemas
    calls, started = 0, time.perf_counter()
    while time.perf_counter() - started < budget / 4:
        function()
        calls += 1
    number = max(1, int(calls / (time.perf_counter() - started) * budget))
    values = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(number):
            function()
        values.append((time.perf_counter() - started) / number)
    return Sample(tuple(values))
