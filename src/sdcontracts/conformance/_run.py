"""A conformance run: generate each provider's cases, send them to a target, collect verdicts.

    from sdcontracts.conformance import TargetSpec, run

    result = run(["novita", "tensorart"], TargetSpec("mock"), examples=100, seed=7)
    assert result.ok, result.disagreements()

Providers are independent, so each runs in its own worker process (as many as there are cores)
with its own target built from the `TargetSpec`: cases are generated there (reproducibly, from
the seed and the provider alone) and sent one at a time, in order, so a cassette records the same
sequence a replay asks for. With ``workers=1``, or a ready-made `Target`, everything runs here.
Every exchange of a case is kept until its verdict is known; a failing case keeps them.

Before anything is sent the target is checked (`Target.preflight`) and each provider's `Plan` is
made: with a budget, it says which rules the budget reaches, and the cases go in the plan's order
(rules first). A result says, for every rule, whether it was judged: `RunResult.verdict` is
"conforming" only when every rule and a valid request were, and every case agreed.
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import Manager
from typing import Any

import httpx

from .._catalogue import check_provider
from ._budget import Plan, order, plan_for
from ._cases import VALID, generate_cases
from ._cassette import Cassette, ReplayMismatch
from ._checks import Verdict, check
from ._targets import BudgetExhausted, Target, target_from

__all__ = ["Exchange", "ProviderResult", "RunResult", "TargetSpec", "run"]

Progress = Callable[[str, str, int, int, int], None]  # (provider, phase, cases done, cases, requests sent)
Announce = Callable[[dict[str, Plan]], None]  # the plans, before anything is sent

CONFORMING, NOT_CONFORMING, INCONCLUSIVE = "conforming", "not conforming", "inconclusive"
BUDGET_SPENT, TOO_FEW_CASES = "budget spent", "too few --examples"  # why a rule was not judged


@dataclass(frozen=True)
class TargetSpec:
    """A target by name (what ``--target`` takes), buildable in a worker process."""

    spec: str = "mock"
    budget: int | None = None
    unenforced: dict[str, list[str]] = field(default_factory=dict)
    strict: bool = False

    def build(self) -> Target:
        return target_from(self.spec, budget=self.budget, unenforced=self.unenforced or None, strict=self.strict)


@dataclass(frozen=True)
class Exchange:
    """One HTTP request of a case and its answer (bodies as sent; redact before writing them)."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    status: int
    response: bytes


@dataclass
class ProviderResult:
    """One provider's verdicts, and what kept cases from being sent."""

    provider: str
    verdicts: list[Verdict] = field(default_factory=list)
    exchanges: dict[int, list[Exchange]] = field(default_factory=dict)  # failing case number -> its traffic
    unsent: int = 0  # cases not sent because the budget ran out or the replay ended
    stopped: str | None = None  # why sending stopped early
    budget_spent: bool = False  # whether it stopped because the budget was spent
    skipped: str | None = None  # why the provider was not run at all
    requests: int = 0
    recorded: list[dict[str, Any]] = field(default_factory=list)  # cassette entries, when recording
    base_url: str | None = None
    plan: Plan | None = None

    @property
    def disagreements(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.agreed]

    def unjudged(self) -> dict[str, str]:
        """Every rule (and ``"valid"``) no case was judged for, with the reason: the budget, too
        few cases, or why sending stopped. Empty for a skipped provider (it says why itself)."""
        if self.skipped or self.plan is None:
            return {}
        judged = {v.case.rule for v in self.verdicts}
        plan = self.plan
        why: dict[str, str] = {}
        for rule in (VALID, *plan.rules, *plan.without_case):
            if rule in judged:
                continue
            if rule in plan.without_case or (rule == VALID and not plan.valid):
                why[rule] = TOO_FEW_CASES
            elif self.budget_spent:
                why[rule] = BUDGET_SPENT
            else:
                why[rule] = f"not sent: {self.stopped or 'the run stopped'}"
        return why


@dataclass
class RunResult:
    target: str
    is_mock: bool
    seed: int
    examples: int
    providers: dict[str, ProviderResult]
    seconds: float = 0.0
    spec: str | None = None  # the --target value, when the run was given one
    unenforced: dict[str, list[str]] = field(default_factory=dict)
    budget: int | None = None  # requests per provider, when the run had a budget
    polls: int = 3  # the status queries per task its plans expected
    strict: bool = False  # the strict profile: disputed values were cases to reject, not to accept

    @property
    def ok(self) -> bool:
        """True when every case sent agreed with the contract (and none failed to run); see
        `complete` for whether every rule was judged."""
        return all(not r.disagreements for r in self.providers.values())

    @property
    def complete(self) -> bool:
        """True when every provider run had a valid case and every rule judged."""
        return not self.unjudged()

    @property
    def verdict(self) -> str:
        """``"not conforming"`` when a case disagreed, else ``"inconclusive"`` when a rule was not
        judged (`unjudged` says which and why), else ``"conforming"``."""
        if not self.ok:
            return NOT_CONFORMING
        return CONFORMING if self.complete else INCONCLUSIVE

    def unjudged(self) -> dict[str, dict[str, str]]:
        """provider -> rule (or ``"valid"``) -> why no case of it was judged."""
        return {p: why for p, r in self.providers.items() if (why := r.unjudged())}

    def disagreements(self) -> list[Verdict]:
        return [v for r in self.providers.values() for v in r.disagreements]

    def cassette(self) -> Cassette:
        """The run's recorded traffic (empty unless it ran with ``record=True``)."""
        recorded = Cassette(self.target, self.is_mock, self.seed, self.examples, list(self.providers),
                            budget=self.budget, polls=self.polls)  # fmt: skip
        for provider, outcome in self.providers.items():
            if outcome.recorded:
                recorded.interactions[provider] = outcome.recorded
            if outcome.base_url:
                recorded.base_urls[provider] = outcome.base_url
        return recorded


def provider_seed(provider: str, seed: int) -> int:
    """Each provider's own seed, so its cases do not depend on which other providers run."""
    return (seed * 1_000_003 + sum(map(ord, provider)) * 7919) % 2**32


def run(
    providers: Iterable[str],
    target: Target | TargetSpec,
    *,
    examples: int = 100,
    seed: int = 0,
    progress: Progress | None = None,
    record: bool = False,
    workers: int | None = None,
    announce: Announce | None = None,
) -> RunResult:
    """Send ``examples`` generated cases per provider to ``target`` and judge each.

    The target is checked first (`Target.preflight`: `TargetUnreachable` before anything is
    sent); ``announce`` is then given each provider's `Plan`. ``record`` keeps every exchange
    (credentials redacted) for `RunResult.cassette`.
    """
    if examples < 1:
        raise ValueError("examples must be at least 1")
    chosen = [check_provider(p) for p in providers]
    started = time.perf_counter()
    here = target if isinstance(target, Target) else target.build()
    here.preflight(chosen)
    result = RunResult(here.name, here.is_mock, seed, examples, {p: ProviderResult(p) for p in chosen})
    result.budget, result.polls, result.strict = here.budget, here.polls, here.strict
    if isinstance(target, TargetSpec):
        result.spec, result.unenforced = target.spec, dict(target.unenforced)
    runnable = [p for p in chosen if p not in here.skipped]
    for provider in chosen:
        result.providers[provider].skipped = here.skipped.get(provider)
    plans = {p: plan_for(p, examples, provider_seed(p, seed), here) for p in runnable}
    if announce is not None:
        announce(plans)
    workers = min(len(runnable), os.cpu_count() or 1) if workers is None else min(workers, len(runnable))
    if isinstance(target, Target) or workers <= 1:
        for provider in runnable:
            result.providers[provider] = _provider_run(provider, here, plans[provider], examples, seed, progress,
                                                       record)  # fmt: skip
    else:
        result.providers.update(_in_workers(plans, target, examples, seed, progress, record, workers))
    result.seconds = time.perf_counter() - started
    return result


def _in_workers(plans: dict[str, Plan], spec: TargetSpec, examples: int, seed: int, progress: Progress | None,
                record: bool, workers: int) -> dict[str, ProviderResult]:  # fmt: skip
    with Manager() as manager, ProcessPoolExecutor(max_workers=workers) as pool:
        events: Any = manager.Queue()
        futures: dict[str, Future[ProviderResult]] = {
            p: pool.submit(_worker, p, plan, spec, examples, seed, record, events) for p, plan in plans.items()
        }
        while not all(f.done() for f in futures.values()):
            try:
                event = events.get(timeout=0.1)
            except queue.Empty:
                continue
            if progress:
                progress(*event)
        while progress and not events.empty():
            progress(*events.get())
        return {p: f.result() for p, f in futures.items()}


def _worker(provider: str, plan: Plan, spec: TargetSpec, examples: int, seed: int, record: bool,
            events: Any) -> ProviderResult:  # fmt: skip
    def report(*event: Any) -> None:
        events.put(event)

    return _provider_run(provider, spec.build(), plan, examples, seed, report, record)


def _provider_run(provider: str, target: Target, plan: Plan, examples: int, seed: int, progress: Progress | None,
                  record: bool) -> ProviderResult:  # fmt: skip
    if progress:
        progress(provider, "generating", 0, examples, 0)
    cases = order(list(generate_cases(provider, examples, provider_seed(provider, seed), strict=target.strict)), plan)
    outcome = ProviderResult(provider, plan=plan)
    traffic: list[Exchange] = []
    recorder = Cassette(target.name, target.is_mock, seed, examples, [provider]) if record else None

    def keep(_: str, request: httpx.Request, response: httpx.Response) -> None:
        traffic.append(
            Exchange(request.method, str(request.url), dict(request.headers), request.content,
                     response.status_code, response.content)
        )  # fmt: skip

    observers: list[Any] = [keep] + ([recorder.record] if recorder is not None else [])
    client = target.client(provider, observers=tuple(observers))
    overrides = target.payload_overrides.get(provider)
    try:
        for done, case in enumerate(cases):
            if progress:
                progress(provider, "sending", done, len(cases), target.sent(provider))
            traffic.clear()
            try:
                verdict = check(
                    client, case, is_mock=target.is_mock, poll_interval=target.poll_interval,
                    timeout=target.wait_timeout, overrides=overrides, max_poll_interval=target.max_poll_interval,
                )  # fmt: skip
            except (BudgetExhausted, ReplayMismatch) as stop:
                outcome.unsent = len(cases) - done
                outcome.stopped = str(stop)
                outcome.budget_spent = isinstance(stop, BudgetExhausted)
                if isinstance(stop, ReplayMismatch):  # the replay no longer matches: that is a finding
                    outcome.verdicts.append(Verdict(case, "replay mismatch", [str(stop)]))
                    outcome.unsent -= 1
                break
            except Exception as crash:  # a bug in sdcontracts: report it with the case, keep going
                verdict = Verdict(case, "crashed", [f"sdcontracts crashed on this case: {crash!r}"])
            outcome.verdicts.append(verdict)
            if not verdict.agreed:
                outcome.exchanges[case.number] = list(traffic)
        if progress:
            progress(provider, "done", len(outcome.verdicts), len(cases), target.sent(provider))
    finally:
        client.close()
        outcome.requests = target.sent(provider)
        if recorder is not None:
            outcome.recorded = recorder.interactions.get(provider, [])
            outcome.base_url = recorder.base_urls.get(provider)
    return outcome
