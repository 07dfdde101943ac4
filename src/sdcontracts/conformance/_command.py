"""``sdcontracts conformance``: the suite outside pytest, with a progress line and reports.

The parser needs no extra (``conformance --help`` works on a bare install); running needs
Hypothesis (the ``conformance`` extra) and, for the in-process mock, the ``mock`` extra: each
missing one is named. Everything that can fail before a request is sent does: the target is
checked (an unreachable one is one line, exit 2), and every output path is tried for writing.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .._catalogue import providers as all_providers
from .._extras import MissingExtra, require
from ._cassette import Cassette
from ._targets import LIVE_BUDGET, LIVE_CREDENTIALS, TargetUnreachable

if TYPE_CHECKING:
    from ._budget import Plan
    from ._run import RunResult, TargetSpec

__all__ = ["add_parser", "main"]

EXIT_OK, EXIT_DISAGREE, EXIT_USAGE, EXIT_INCONCLUSIVE = 0, 1, 2, 3


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    variables = "\n".join(
        f"  {provider:<10} " + "  ".join(names.values()) for provider, names in LIVE_CREDENTIALS.items()
    )
    parser = commands.add_parser(
        "conformance",
        help="send generated valid and invalid requests to a target and report who agrees with the contract",
        description="Generate requests from the schemas and rules (half valid, the rest each breaking one "
        "rule), send them through the typed clients to a target, and check each answer: valid requests "
        "accepted and finished with what they asked for, invalid ones rejected with the provider's error "
        "shape (and, on the mock, naming the broken rule). Prints a table per provider.",
        epilog="targets:\n"
        "  mock          the in-process mock (default): no network, no credentials\n"
        "  http://H:P    a running `sdcontracts mock serve`\n"
        "  live          the providers' real endpoints, for those whose credentials are set:\n"
        f"{variables}\n"
        "                (plus SDCONTRACTS_<PROVIDER>_BASE_URL, and SDCONTRACTS_<PROVIDER>_PAYLOAD: JSON merged\n"
        "                into every request, e.g. real model names); at most --budget requests per provider\n"
        "  replay:FILE   a cassette written by --record: the recorded answers, offline\n\n"
        "budget: with --budget (live: 20 by default) each provider gets one valid request through its\n"
        "  whole lifecycle first, then one invalid case per rule (a request each), then more cases;\n"
        "  the plan is printed before anything is sent, and the table says which rules were judged\n\n"
        "exit status:\n"
        "  0  conforming: every case agrees and every rule was judged\n"
        "  1  NOT CONFORMING: some case disagrees\n"
        "  2  usage error, missing extra, unreachable target or unwritable output (nothing was sent)\n"
        "  3  INCONCLUSIVE: every case sent agrees, but the budget (or --examples) left rules unjudged",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--provider", dest="providers", metavar="PROVIDER", action="extend", nargs="+", choices=all_providers(),
        help="providers to run (repeatable; default: all, plugins included)",
    )  # fmt: skip
    parser.add_argument("--target", default="mock", help="mock (default), http://HOST:PORT, live or replay:FILE")
    parser.add_argument("--examples", type=_positive, metavar="N", help="cases per provider (default: 100)")
    parser.add_argument("--seed", type=int, metavar="S", help="generation seed (default: random, printed)")
    parser.add_argument("--report", type=Path, metavar="FILE.md", help="write a Markdown report")
    parser.add_argument("--junit", type=Path, metavar="FILE.xml", help="write a JUnit XML report")
    parser.add_argument(
        "--failures", type=Path, default=Path("conformance-failures"), metavar="DIR",
        help="where each disagreeing case is saved as JSON with a curl line (default: ./conformance-failures)",
    )  # fmt: skip
    parser.add_argument(
        "--budget", type=_positive, metavar="N",
        help=f"most requests sent per provider (live default: {LIVE_BUDGET}; others: unlimited)",
    )  # fmt: skip
    parser.add_argument("--record", type=Path, metavar="FILE", help="record the traffic (credentials redacted)")
    parser.add_argument(
        "--unenforced", action="append", default=[], metavar="PROVIDER:RULE",
        help="make the in-process mock let a rule slide, like a lax provider (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--strict", action="store_true",
        help="the strict profile: valid cases are valid by every reading of the docs, and values only a disputed "
        "reading rejects are invalid cases (the in-process mock is made strict; start a served one with --strict)",
    )  # fmt: skip
    parser.add_argument("--workers", type=_positive, metavar="N", help="worker processes (default: one per core)")
    parser.add_argument(
        "--no-progress", action="store_true",
        help="no progress on stderr (a line rewritten in place on a terminal, else a line every 10 s)",
    )  # fmt: skip
    parser.set_defaults(run=main)
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


class UsageError(Exception):
    """Arguments that cannot work together: exit 2."""


def main(args: argparse.Namespace, out: TextIO) -> int:
    try:
        require("hypothesis", "sdcontracts conformance (it generates the cases)")
        spec, providers, examples, seed = _plan(args)
        _check_outputs(args)
    except (UsageError, ValueError, MissingExtra) as error:
        print(f"sdcontracts conformance: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    from ._report import plans_text
    from ._run import run

    progress = None if args.no_progress else _Progress(sys.stderr, providers, examples)

    def announce(plans: dict[str, Plan]) -> None:
        out.write(plans_text(plans))
        out.flush()

    try:
        result = run(providers, spec, examples=examples, seed=seed, progress=progress, record=args.record is not None,
                     workers=args.workers, announce=announce)  # fmt: skip
    except (TargetUnreachable, MissingExtra) as error:
        print(f"sdcontracts conformance: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if progress:
            progress.finish()
    if all(o.skipped for o in result.providers.values()):
        reasons = "; ".join(f"{p}: {o.skipped}" for p, o in result.providers.items())
        print(f"sdcontracts conformance: error: no provider could be run ({reasons})", file=sys.stderr)
        return EXIT_USAGE
    return _finish(result, args, out)


def _plan(args: argparse.Namespace) -> tuple[TargetSpec, list[str], int, int]:
    from ..strategies import rule_ids
    from ._run import TargetSpec

    unenforced: dict[str, list[str]] = {}
    for item in args.unenforced:
        provider, _, rule = item.partition(":")
        if provider not in all_providers() or not rule:
            raise UsageError(f"--unenforced takes PROVIDER:RULE, e.g. novita:maximum, not {item!r}")
        if rule not in rule_ids(provider):
            raise UsageError(f"{provider} has no rule {rule!r}; its rules: {', '.join(rule_ids(provider))}")
        unenforced.setdefault(provider, []).append(rule)
    providers = list(dict.fromkeys(args.providers or all_providers()))
    examples, seed, budget = args.examples, args.seed, args.budget
    if args.target.startswith("replay:"):
        cassette = Cassette.load(args.target.removeprefix("replay:"))
        recorded = (("--seed", seed, cassette.seed), ("--examples", examples, cassette.examples),
                    ("--budget", budget, cassette.budget))  # fmt: skip
        for name, given, value in recorded:
            if given is not None and given != value:
                was = f"{name} {value}" if value is not None else f"no {name}"
                raise UsageError(f"the cassette was recorded with {was}; a replay must use the same")
        examples, seed = cassette.examples, cassette.seed
        providers = [p for p in providers if p in cassette.providers] if args.providers else cassette.providers
    spec = TargetSpec(args.target, budget, unenforced, args.strict)
    spec.build()  # fail here, not in a worker, on a bad target, an unreadable cassette or a missing extra
    return spec, providers, examples or 100, random.randrange(2**31) if seed is None else seed


def _check_outputs(args: argparse.Namespace) -> None:
    """Every file the run will write can be written, and the failures directory made: a paid live
    run must not end in a traceback after its last request."""
    for option, path in (("--report", args.report), ("--junit", args.junit), ("--record", args.record)):
        if path is not None:
            _check_file(option, path)
    _check_directory("--failures", args.failures)


def _check_file(option: str, path: Path) -> None:
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a directory, not a file")
    existed = path.exists()
    try:
        with open(path, "ab"):
            pass
    except OSError as error:
        raise UsageError(f"{option} {path}: cannot write there ({error.strerror or error})") from None
    if not existed:
        path.unlink()


def _check_directory(option: str, path: Path) -> None:
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"{option} {path}: {existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {path}: cannot write in {existing} (choose another directory with {option} DIR)")


def _finish(result: RunResult, args: argparse.Namespace, out: TextIO) -> int:
    from ._report import junit, markdown, save_failures, table
    from ._run import CONFORMING, NOT_CONFORMING

    problems: list[str] = []  # writes that failed although the paths were checked (a full disk)
    failures: dict[tuple[str, int], Path] = {}
    if result.disagreements():
        try:
            failures = save_failures(result, args.failures)
        except OSError as error:
            problems.append(f"--failures {args.failures}: cannot write ({error.strerror or error})")
    out.write(table(result, failures))
    outputs: list[tuple[str, Path | None, str, Callable[[Path], object]]] = [
        ("--report", args.report, "Markdown report: {}",
         lambda path: path.write_text(markdown(result, failures), encoding="utf-8")),
        ("--junit", args.junit, "JUnit report: {}", lambda path: path.write_text(junit(result), encoding="utf-8")),
        ("--record", args.record, "cassette: {0} (replay with --target replay:{0})", result.cassette().save),
    ]  # fmt: skip
    written = []
    for option, path, note, write in outputs:
        if path is None:
            continue
        try:
            write(path)
        except OSError as error:
            problems.append(f"{option} {path}: cannot write ({error.strerror or error})")
        else:
            written.append(note.format(path))
    if failures:
        written.append(f"{len(failures)} failing case(s) saved in {args.failures}/")
    for line in written:
        out.write(f"{line}\n")
    for problem in problems:
        print(f"sdcontracts conformance: error: {problem}", file=sys.stderr)
    if problems:
        return EXIT_USAGE
    return {CONFORMING: EXIT_OK, NOT_CONFORMING: EXIT_DISAGREE}.get(result.verdict, EXIT_INCONCLUSIVE)


class _Progress:
    """One status line on a terminal, rewritten in place. Piped (a CI log), a line per milestone
    and, while sending, one per provider every ``every`` seconds: a long run shows it is alive."""

    def __init__(self, stream: TextIO, providers: list[str], examples: int, *,
                 clock: Callable[[], float] = time.monotonic, every: float = 10.0) -> None:  # fmt: skip
        self.stream = stream
        self.tty = stream.isatty()
        self.state = dict.fromkeys(providers, "waiting")
        self.examples = examples
        self.clock = clock
        self.every = every
        self.shown = clock()
        self.logged: dict[str, float] = {}  # provider -> when its last line was written (piped)

    def __call__(self, provider: str, phase: str, done: int, total: int, requests: int) -> None:
        before = self.state.get(provider)
        sending = f"{done}/{total} cases, {requests} requests"
        self.state[provider] = {"generating": "generating", "sending": sending, "done": "done"}[phase]
        now = self.clock()
        if self.tty:
            if phase != "sending" or now - self.shown > 0.1:
                self.shown = now
                line = "  ".join(f"{p} {s}" for p, s in self.state.items())
                self.stream.write(f"\r\x1b[K{line}")
                self.stream.flush()
            return
        if phase != "sending" or before == "generating":
            self.stream.write(f"{provider}: {self.state[provider] if phase != 'sending' else 'sending'}\n")
        elif now - self.logged.get(provider, now) >= self.every:
            self.stream.write(f"{provider}: {sending} sent\n")
        else:
            return
        self.logged[provider] = now
        self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
