"""``python -m mutation [--only NAME ...] [--sample N] [--seed S] [--budget SECONDS] [--out FILE]``.

Mutation testing of the modules in `mutation/targets.py` with cosmic-ray: a seeded sample of
mutants per module, each judged by the module's focused tests, within a time cap; writes
mutation/RESULTS.md (score per module, survivors, equivalents) and exits 1 when a module misses
its target score.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import _report, _session
from .targets import TARGETS


def main(argv: list[str] | None = None) -> int:
    names = [t.name for t in TARGETS]
    parser = argparse.ArgumentParser(prog="python -m mutation", description=" ".join(__doc__.split("\n\n")[1].split()))
    parser.add_argument(
        "--only", nargs="+", choices=names, default=names, metavar="NAME", help=f"these targets ({', '.join(names)})"
    )
    parser.add_argument("--sample", type=int, default=60, help="mutation sites drawn per module (default 60)")
    parser.add_argument("--seed", default="2026", help="the sample's seed (default 2026)")
    parser.add_argument(
        "--budget",
        type=float,
        default=2400,
        help="time cap in seconds for the whole run, shared by the modules (default 2400)",
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"), help="the report file")
    args = parser.parse_args(argv)
    if args.sample < 1 or args.budget <= 0:
        parser.error("--sample and --budget must be positive")

    def log(message: str) -> None:
        print(f"mutation: {message}", file=sys.stderr, flush=True)

    sys.dont_write_bytecode = True  # no .pyc of a module this process imports can outlive a mutant
    started = time.monotonic()
    targets = [t for t in TARGETS if t.name in args.only]
    runs = []
    try:
        for index, target in enumerate(targets):
            # each module gets an equal share of what is left, so time a fast one leaves goes to the next
            share = (started + args.budget - time.monotonic()) / (len(targets) - index)
            run = _session.run_target(
                target, sample=args.sample, seed=args.seed, deadline=time.monotonic() + share, log=log
            )
            runs.append(run)
            log(f"{target.name}: score {_report.percent(run.score)} ({run.count('survived', 'error')} survived) "
                f"in {run.seconds:,.0f} s{'; ' + run.problem if run.problem else ''}")  # fmt: skip
    except KeyboardInterrupt:
        log("interrupted: the installed modules are restored; no report written")
        return 130
    seconds = time.monotonic() - started
    text = _report.markdown(runs, sample=args.sample, seed=args.seed, budget=args.budget, seconds=seconds)
    args.out.write_text(text, encoding="utf-8")
    missed = [r.target.name for r in runs if not _report.met(r)]
    log(f"wrote {args.out} in {seconds:,.0f} s; " + (f"missed: {', '.join(missed)}" if missed else "all targets met"))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
