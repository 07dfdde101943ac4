"""The Markdown of mutation/RESULTS.md: the score per module, every survivor, every equivalent."""

from __future__ import annotations

import datetime
import importlib.metadata
import platform
import subprocess
from collections.abc import Sequence

from ._session import ROOT, Mutant, TargetRun
from .equivalents import EQUIVALENTS

__all__ = ["markdown", "met", "percent"]


def met(run: TargetRun) -> bool:
    score = run.score
    return not run.problem and run.not_run == 0 and score is not None and score >= run.target.score


def _commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _change(mutant: Mutant) -> str:
    before = " / ".join(mutant.before.splitlines()) or "(nothing)"
    after = " / ".join(mutant.after.splitlines()) or "(nothing)"
    return f"`{before}` → `{after}`"


def _where(mutant: Mutant) -> str:
    return f"line {mutant.line}" + (f" in `{mutant.definition}`" if mutant.definition else "")


def markdown(runs: Sequence[TargetRun], *, sample: int, seed: str, budget: float, seconds: float) -> str:
    operators = "cosmic-ray " + importlib.metadata.version("cosmic-ray")
    out = [
        "# Mutation testing results",
        "",
        f"Written by `make mutation` (`python -m mutation`) on {datetime.date.today().isoformat()}, commit "
        f"{_commit()}; {operators}, Python {platform.python_version()}. Seed `{seed}`, up to {sample} "
        f"sites per module, time cap {budget:,.0f} s; the run took {seconds:,.0f} s.",
        "",
        "Each module is mutated where it is installed (the file the tests import, byte-identical to the "
        "repository file) and judged by its focused tests (`mutation/targets.py`), stopping at the first "
        "failure. A *site* is one place and one kind of mutation (a comparison, a number, a statement…); "
        "the sample is one mutant, of a kind drawn at random, at each of up to N sites drawn at random. "
        "Mutants inside annotations are not sampled (never evaluated under `from __future__ import "
        "annotations`). Score = killed / (killed + survived); a timeout counts as killed, the mutants "
        "judged equivalent (below, with the reason for each) are left out.",
        "",
        "| module | mutants | in annotations | sites | sampled | killed | of which timeouts | survived "
        "| equivalent | not run | score | target | |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for run in runs:
        t = run.target
        status = "problem" if run.problem else ("met" if met(run) else "**missed**")
        out.append(
            f"| `{t.source}` | {run.mutants_total} | {run.in_annotations} | {run.sites} | {run.sampled} "
            f"| {run.count('killed', 'timeout')} | {run.count('timeout')} | {run.count('survived', 'error')} "
            f"| {run.count('equivalent')} | {run.not_run} | {percent(run.score)} | {t.score:.0%} | {status} |"
        )
    out += ["", "Focused tests, and time per module (the focused tests once, unmutated; then the whole module):", ""]
    out += [
        f"- `{r.target.source}`: {', '.join(f'`{t}`' for t in r.target.tests)}; {r.baseline_seconds:.1f} s; "
        f"{r.seconds:,.0f} s"
        for r in runs
    ]
    problems = [r for r in runs if r.problem]
    if problems:
        out += ["", "## Problems", ""]
        out += [f"- `{r.target.source}`: {r.problem}" for r in problems]
    out += ["", "## Surviving mutants", ""]
    survivors = [(r, m) for r in runs for m in r.mutants if m.outcome in ("survived", "error")]
    if not survivors:
        out.append("None.")
    for run, mutant in survivors:
        note = f" (the test run failed to start: {mutant.reason})" if mutant.outcome == "error" else ""
        out.append(f"- `{run.target.source}` {_where(mutant)}, {mutant.operator}: {_change(mutant)}{note}")
    killed_listed = [
        (r, m)
        for r in runs
        for m in r.mutants
        if m.outcome in ("killed", "timeout")
        and any((e.target, e.definition, e.before, e.after) == (r.target.name, m.definition, m.before, m.after)
                for e in EQUIVALENTS)
    ]  # fmt: skip
    if killed_listed:
        out += ["", "Listed as equivalent but killed (the entry is wrong; remove it):", ""]
        out += [f"- `{r.target.source}` {_where(m)}: {_change(m)}" for r, m in killed_listed]
    out += [
        "",
        "## Mutants judged equivalent",
        "",
        "Every entry of `mutation/equivalents.py`; *in this run* marks those the sample drew (and that survived).",
        "",
    ]
    hit = {
        (r.target.name, m.definition, m.before, m.after) for r in runs for m in r.mutants if m.outcome == "equivalent"
    }
    stale = {id(e) for r in runs for e in r.stale}
    sources = {r.target.name: r.target.source for r in runs}
    for e in EQUIVALENTS:
        flags = " *in this run*" if (e.target, e.definition, e.before, e.after) in hit else ""
        flags += " **stale: the code is gone**" if id(e) in stale else ""
        where = f"`{sources.get(e.target, e.target)}`" + (f" in `{e.definition}`" if e.definition else "")
        before = " / ".join(e.before.splitlines())
        after = " / ".join(e.after.splitlines()) or "(nothing)"
        out.append(f"- {where}: `{before}` → `{after}`{flags}. {e.reason}")
    if not EQUIVALENTS:
        out.append("None.")
    return "\n".join(out) + "\n"
