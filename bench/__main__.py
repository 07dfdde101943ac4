"""``python -m bench [--quick] [--only SECTION ...] [--out FILE]``: run the benchmarks, write RESULTS.md.

Every figure is a median over repeated rounds with its spread, beside a baseline measured in the
same run, and each target the issue sets is checked and reported as met or missed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import _results

SECTIONS = tuple(_results.TITLES)  # in the report's order


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short rounds: a smoke run, not figures to publish")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SECTIONS,
        default=list(SECTIONS),
        metavar="SECTION",
        help=f"run only these sections ({', '.join(SECTIONS)})",
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("RESULTS.md"), help="the report file")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    results = _results.Results(quick=args.quick)
    started = time.perf_counter()
    for section in SECTIONS:
        if section not in args.only:
            continue
        log(f"bench: {section}…")
        if section == "validation":
            from . import validation

            results.validation = validation.run(quick=args.quick)
        elif section == "translation":
            from . import translation

            results.translation = translation.run(quick=args.quick)
        elif section == "mock":
            from . import mock

            results.mock = mock.run(quick=args.quick, log=log)
        elif section == "proxy":
            from . import proxy

            results.proxy = proxy.run(quick=args.quick, log=log)
        elif section == "generation":
            from . import generation

            results.generation = generation.run(quick=args.quick, log=log)
        elif section == "startup":
            from . import startup

            results.startup = startup.run(quick=args.quick)
        elif section == "codegen":
            from . import codegen

            results.codegen = codegen.run(quick=args.quick)
    results.seconds = time.perf_counter() - started
    ran = tuple(section for section in SECTIONS if section in args.only)
    previous = args.out.read_text(encoding="utf-8") if args.out.exists() else None
    text = _results.merge(results.markdown(ran), previous, ran)  # the sections not run keep their figures
    args.out.write_text(text, encoding="utf-8")
    print(text)
    missed = [t for t in results.targets() if not t.met]
    log(
        f"bench: wrote {args.out}; {len(missed)} target(s) missed"
        if missed
        else f"bench: wrote {args.out}; all targets met"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
