"""``sdcontracts conformance``: the suite outside pytest, with a progress line and reports."""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import TextIO

from .._catalogue import providers as all_providers
from ..strategies import rule_ids
from ._cassette import Cassette
from ._report import junit, markdown, save_failures, table
from ._run import RunResult, TargetSpec, run
from ._targets import LIVE_BUDGET, LIVE_CREDENTIALS

__all__ = ["add_parser", "main"]

EXIT_OK, EXIT_DISAGREE, EXIT_USAGE = 0, 1, 2

_ENV_HELP = "\n".join(f"  {provider:<10} " + "  ".join(names.values()) for provider, names in LIVE_CREDENTIALS.items())


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
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
        f"{_ENV_HELP}\n"
        "                (plus SDCONTRACTS_<PROVIDER>_BASE_URL, and SDCONTRACTS_<PROVIDER>_PAYLOAD: JSON merged\n"
        "                into every request, e.g. real model names); at most --budget requests per provider\n"
        "  replay:FILE   a cassette written by --record: the recorded answers, offline\n\n"
        "exit status: 0 every case agrees, 1 some case disagrees, 2 usage error",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--provider", dest="providers", metavar="PROVIDER", action="extend", nargs="+", choices=all_providers(),
        help="providers to run (repeatable; default: all five)",
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
    parser.add_argument("--workers", type=_positive, metavar="N", help="worker processes (default: one per core)")
    parser.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
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
        spec, providers, examples, seed = _plan(args)
    except (UsageError, ValueError) as error:
        print(f"sdcontracts conformance: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    progress = None if args.no_progress else _Progress(sys.stderr, providers, examples)
    result = run(providers, spec, examples=examples, seed=seed, progress=progress, record=args.record is not None,
                 workers=args.workers)  # fmt: skip
    if progress:
        progress.finish()
    if all(o.skipped for o in result.providers.values()):
        reasons = "; ".join(f"{p}: {o.skipped}" for p, o in result.providers.items())
        print(f"sdcontracts conformance: error: no provider could be run ({reasons})", file=sys.stderr)
        return EXIT_USAGE
    return _finish(result, args, out)


def _plan(args: argparse.Namespace) -> tuple[TargetSpec, list[str], int, int]:
    unenforced: dict[str, list[str]] = {}
    for item in args.unenforced:
        provider, _, rule = item.partition(":")
        if provider not in all_providers() or not rule:
            raise UsageError(f"--unenforced takes PROVIDER:RULE, e.g. novita:maximum, not {item!r}")
        if rule not in rule_ids(provider):
            raise UsageError(f"{provider} has no rule {rule!r}; its rules: {', '.join(rule_ids(provider))}")
        unenforced.setdefault(provider, []).append(rule)
    providers = list(dict.fromkeys(args.providers or all_providers()))
    examples, seed = args.examples, args.seed
    if args.target.startswith("replay:"):
        cassette = Cassette.load(args.target.removeprefix("replay:"))
        for name, given, recorded in (("--seed", seed, cassette.seed), ("--examples", examples, cassette.examples)):
            if given is not None and given != recorded:
                raise UsageError(f"the cassette was recorded with {name} {recorded}; a replay must use the same")
        examples, seed = cassette.examples, cassette.seed
        providers = [p for p in providers if p in cassette.providers] if args.providers else cassette.providers
    spec = TargetSpec(args.target, args.budget, unenforced)
    spec.build()  # fail here, not in a worker, on a bad target or unreadable cassette
    return spec, providers, examples or 100, random.randrange(2**31) if seed is None else seed


def _finish(result: RunResult, args: argparse.Namespace, out: TextIO) -> int:
    failures = save_failures(result, args.failures) if result.disagreements() else {}
    out.write(table(result, failures))
    written = []
    if args.report:
        args.report.write_text(markdown(result, failures), encoding="utf-8")
        written.append(f"Markdown report: {args.report}")
    if args.junit:
        args.junit.write_text(junit(result), encoding="utf-8")
        written.append(f"JUnit report: {args.junit}")
    if args.record:
        result.cassette().save(args.record)
        written.append(f"cassette: {args.record} (replay with --target replay:{args.record})")
    if failures:
        written.append(f"{len(failures)} failing case(s) saved in {args.failures}/")
    for line in written:
        out.write(f"{line}\n")
    return EXIT_OK if result.ok else EXIT_DISAGREE


class _Progress:
    """One status line on a terminal, rewritten in place; milestones only when piped."""

    def __init__(self, stream: TextIO, providers: list[str], examples: int) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.state = dict.fromkeys(providers, "waiting")
        self.examples = examples
        self.shown = 0.0

    def __call__(self, provider: str, phase: str, done: int, total: int) -> None:
        before = self.state.get(provider)
        self.state[provider] = {"generating": "generating", "sending": f"{done}/{total}", "done": "done"}[phase]
        if self.tty:
            now = time.monotonic()
            if phase != "sending" or now - self.shown > 0.1:
                self.shown = now
                line = "  ".join(f"{p} {s}" for p, s in self.state.items())
                self.stream.write(f"\r\x1b[K{line}")
                self.stream.flush()
        elif phase != "sending" or before == "generating":
            self.stream.write(f"{provider}: {self.state[provider] if phase != 'sending' else 'sending'}\n")
            self.stream.flush()

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
