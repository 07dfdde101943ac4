"""The ``sdcontracts`` command line.

Exit codes: 0 success (valid, possibly with warnings; or every example as recorded), 1
violations found (or an example whose verdict changed), 2 usage error or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from . import __version__, _catalogue
from ._keywords import RULE_IDS, TEXT_RULES
from ._pointer import join
from ._report import Report, Violation

__all__ = ["main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2

# what the schema checks and the engine report, as the keyword objects state them
SCHEMA_RULES = tuple(rule for rule in RULE_IDS if rule not in TEXT_RULES)


class _UsageError(Exception):
    """Bad arguments or unreadable input: exit 2 with this message."""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["generate"]:  # its own parser; pulls in the generator only when asked
        from ._codegen import main as generate

        return generate(argv[1:])
    if argv[:2] == ["mock", "serve"]:
        return _mock_serve(argv[2:])
    parser, commands = _parser()
    if argv and argv[0] in commands:
        # Options may follow FILE arguments (`validate novita a.json --json`), which plain
        # parse_args cannot do for a `*` positional inside a subcommand.
        args = commands[argv[0]].parse_intermixed_args(argv[1:])
    else:
        args = parser.parse_args(argv)  # prints help or the usage error and exits
    try:
        code: int = args.run(args, sys.stdout)
        return code
    except _UsageError as error:
        print(f"sdcontracts: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # `sdcontracts … | head`
        return EXIT_OK


def _parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    parser = argparse.ArgumentParser(
        prog="sdcontracts",
        description="Validate requests against Stable Diffusion img2img provider contracts.",
    )
    parser.add_argument("--version", action="version", version=f"sdcontracts {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    catalogue = "\n".join(f"  {pid:<10} {', '.join(_catalogue.schema_names(pid))}" for pid in _catalogue.providers())
    validate = commands.add_parser(
        "validate",
        help="check JSON payloads against a provider's documented contract",
        description="Check JSON payloads against a provider's documented contract. "
        "Prints each violation with its JSON Pointer, rule id and message. Errors are what the provider's "
        "text states; warnings are what the sources dispute (each names the dispute: `sdcontracts rules` "
        "lists them), which the provider is expected to accept.",
        epilog=f"providers and their schemas:\n{catalogue}\n\n"
        "exit status: 0 all valid (warnings allowed, unless --strict), 1 violations found, "
        "2 usage error or unreadable input",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validate.add_argument("provider", metavar="PROVIDER", help="provider id, e.g. novita")
    validate.add_argument(
        "files",
        metavar="FILE",
        nargs="*",
        default=["-"],
        help="JSON files to check; - (the default) reads standard input",
    )
    validate.add_argument(
        "--schema",
        default="img2img.request",
        metavar="NAME",
        help="message to check against (default: img2img.request)",
    )
    validate.add_argument(
        "--strict", action="store_true", help="treat warnings as errors: the strictest reading of every source"
    )
    validate.add_argument(
        "--view",
        choices=("wire", "caller"),
        default="wire",
        help="wire (default): the body as the provider receives it; caller: as a caller hands it to a client, "
        "which fills in ids, credentials and signatures",
    )
    validate.add_argument("--json", action="store_true", help="print the reports as one JSON document")
    validate.set_defaults(run=_validate)

    corpus = commands.add_parser(
        "examples",
        help="check every doc example against its recorded verdict",
        description="Validate every JSON example from the provider docs and compare the result "
        "with the verdict recorded in schemas/<provider>/examples/ (valid, or the known doc "
        "defects it shows).",
        epilog="exit status: 0 every example as recorded, 1 some verdict differs, 2 usage error",
    )
    corpus.add_argument("providers", metavar="PROVIDER", nargs="*", help="providers to show (default: all)")
    corpus.add_argument("-v", "--verbose", action="store_true", help="show each violation and why it is expected")
    corpus.add_argument("--json", action="store_true", help="print the results as one JSON document")
    corpus.set_defaults(run=_examples)

    listing = commands.add_parser(
        "rules",
        help="list the cross-field rules and the disputed constraints, with their sources",
        description="List every provider rule (the constraints JSON Schema cannot state) with its id, "
        "the message it applies to and the doc sentence it comes from; then every disputed constraint: "
        "where it is, what each source says, the decision (warning: accepted by default, an error with "
        "--strict; error: the stricter reading stands) and why. Schema constraints report the "
        "keyword rule ids: "
        + ", ".join(SCHEMA_RULES)
        + "; JSON files checked by `validate` also: "
        + ", ".join(TEXT_RULES)
        + ".",
    )
    listing.add_argument("providers", metavar="PROVIDER", nargs="*", help="providers to list (default: all)")
    listing.add_argument("--json", action="store_true", help="print the rules and disputes as one JSON document")
    listing.set_defaults(run=_rules)

    export = commands.add_parser(
        "openapi",
        help="write a provider's contract as an OpenAPI 3.1 document",
        description="Write the OpenAPI 3.1 document of a provider's contract: its servers, every operation "
        "the mock serves, request and response bodies (the schemas from schemas/, embedded), error "
        "envelopes and auth. Feed it to Schemathesis, Prism or openapi-generator.",
        epilog="examples:\n"
        "  sdcontracts openapi novita -o novita.openapi.json\n"
        "  sdcontracts openapi tensorart --server http://127.0.0.1:8000   # the mock first\n\n"
        "exit status: 0 written, 2 usage error or unwritable FILE",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("provider", metavar="PROVIDER", help=f"provider id: {', '.join(_catalogue.providers())}")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    export.add_argument(
        "--server",
        metavar="URL",
        action="append",
        default=[],
        help="list URL before the documented base URLs (repeatable), e.g. the mock's",
    )
    export.set_defaults(run=_openapi)

    grid = commands.add_parser(
        "matrix",
        help="print what each provider can express of the canonical request, side by side",
        description="The capability matrix: every field of the canonical img2img request "
        "(sdcontracts.canonical) against every provider: its range and step, its values, list limits and "
        "image transport, read off the provider's schemas; a dash where the provider cannot express it.",
        epilog="exit status: 0 printed, 2 usage error",
    )
    grid.add_argument("providers", metavar="PROVIDER", nargs="*", help="providers to show (default: all)")
    grid.add_argument("--format", choices=("markdown", "json", "html"), default="markdown",
                      help="markdown (default), json or html")  # fmt: skip
    grid.set_defaults(run=_matrix)

    mock = commands.add_parser(
        "mock",
        help="run the provider mock: `sdcontracts mock serve --help`",
        description="The provider mock. `sdcontracts mock serve` serves every provider (plugins included) over HTTP.",
    )
    mock.add_subparsers(title="commands", metavar="COMMAND", required=True).add_parser(
        "serve", help="serve the mock over HTTP until Ctrl-C", add_help=False
    )
    commands.add_parser(
        "generate",
        help="regenerate the pydantic models in generated/ from schemas/ (in a checkout)",
        add_help=False,
    )
    from .conformance._command import add_parser as conformance_parser  # its parser needs no extra

    conformance = conformance_parser(commands)
    return parser, {
        "validate": validate,
        "examples": corpus,
        "rules": listing,
        "openapi": export,
        "matrix": grid,
        "conformance": conformance,
    }


# -- validate ----------------------------------------------------------------------------------


def _validate(args: argparse.Namespace, out: TextIO) -> int:
    from ._validation import validate

    provider = _known(args.provider)
    try:
        _catalogue.check_schema(provider, args.schema)
    except ValueError as error:
        raise _UsageError(str(error)) from None
    if args.files == ["-"] and sys.stdin.isatty():
        raise _UsageError("no input: give FILE arguments, or pipe JSON to standard input")
    # A file that cannot be read stops only itself: the others are still reported, in the order given
    results: list[tuple[str, Report | str]] = []  # (file, its report or why it could not be read)
    for name in args.files:
        try:
            payload, duplicates = _load(name)
        except _UsageError as error:
            results.append((name, str(error)))
            continue
        report = validate(provider, payload, schema=args.schema, strict=args.strict, view=args.view)
        if duplicates:
            extra = tuple(
                Violation(
                    path,
                    "duplicate-key",
                    f"the key {key!r} appears twice in one object; JSON parsers keep only the last",
                )
                for path, key in duplicates
            )
            report = Report(report.provider, report.schema, extra + report.violations, report.warnings)
        results.append((name, report))
    reports = [r for _, r in results if isinstance(r, Report)]
    unreadable = [problem for _, problem in results if isinstance(problem, str)]
    if args.json:
        document = {
            "ok": not unreadable and all(r.ok for r in reports),
            "results": [
                {"file": name, **r.to_dict()} if isinstance(r, Report) else {"file": name, "ok": False, "error": r}
                for name, r in results
            ],
        }
        json.dump(document, out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        for name, result in results:
            if isinstance(result, Report):
                _print_report(name, result, out)
    for problem in unreadable:
        print(f"sdcontracts: error: {problem}", file=sys.stderr)
    if unreadable:
        return EXIT_USAGE
    return EXIT_OK if all(r.ok for r in reports) else EXIT_INVALID


def _known(provider: str) -> str:
    try:
        return _catalogue.check_provider(provider)
    except ValueError as error:
        raise _UsageError(str(error)) from None


def _load(name: str) -> tuple[Any, list[tuple[str, str]]]:
    """The JSON in ``name`` and its duplicate keys, each as (pointer to the value kept, key)."""
    # id of an object -> the object (kept alive, so no id is reused) and its keys given more than once
    repeated: dict[int, tuple[dict[str, Any], list[str]]] = {}

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj: dict[str, Any] = {}
        for key, value in items:
            if key in obj:
                repeated.setdefault(id(obj), (obj, []))[1].append(key)
            obj[key] = value
        return obj

    label = "standard input" if name == "-" else name
    try:
        if name == "-":
            text = sys.stdin.read()
        else:
            with open(name, encoding="utf-8") as handle:
                text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise _UsageError(f"cannot read {label}: {error}") from None
    if not text.strip():
        raise _UsageError(f"{label} is empty: there is no JSON to check")
    try:
        document = json.loads(text, object_pairs_hook=pairs)
        return document, _pointers(document, repeated)
    except json.JSONDecodeError as error:
        raise _UsageError(f"{label} is not JSON: {error}") from None
    except RecursionError:
        raise _UsageError(f"{label} nests too deeply to parse") from None


def _pointers(document: Any, repeated: dict[int, tuple[dict[str, Any], list[str]]]) -> list[tuple[str, str]]:
    """(pointer, key) for each repeated key, in document order (objects found by identity)."""
    if not repeated:
        return []
    found: list[tuple[str, str]] = []
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:  # iterative: a document nested as deep as the parser allows must not overflow here
        pointer, value = stack.pop()
        if isinstance(value, dict):
            found += [(join(pointer, key), key) for key in repeated.get(id(value), (value, []))[1]]
            stack += [(join(pointer, key), item) for key, item in reversed(value.items())]
        elif isinstance(value, list):
            stack += [(join(pointer, index), item) for index, item in reversed(list(enumerate(value)))]
    return found


def _print_report(name: str, report: Report, out: TextIO) -> None:
    label = "<stdin>" if name == "-" else name
    counts = []
    if report.violations:
        counts.append(_plural(len(report.violations), "violation"))
    if report.warnings:
        counts.append(_plural(len(report.warnings), "warning"))
    verdict = ("valid" + (", with " if counts else "")) if report.ok else ""
    out.write(f"{label}: {verdict}{', '.join(counts)} ({report.provider} {report.schema})\n")
    for v in report.violations:
        out.write(f"  {v.path or '/'}  [{v.rule}]\n      {v.message}\n")
    for w in report.warnings:
        assert w.dispute is not None  # a warning is always about a dispute
        out.write(f"  {w.path or '/'}  [{w.rule}] warning, disputed: {w.dispute.id}\n      {w.message}\n")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# -- examples ----------------------------------------------------------------------------------


def _examples(args: argparse.Namespace, out: TextIO) -> int:
    from ._corpus import check, examples

    chosen = [_known(p) for p in args.providers] or list(_catalogue.providers())
    outcomes = [check(example) for pid in chosen for example in examples(pid)]
    if args.json:
        document = [
            {
                "provider": o.example.provider,
                "example": o.example.name,
                "recorded": o.example.verdict,
                "holds": o.holds,
                "report": o.report.to_dict(),
            }
            for o in outcomes
        ]
        json.dump(document, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return EXIT_OK if all(o.holds for o in outcomes) else EXIT_INVALID
    width = max((len(o.example.name) for o in outcomes), default=10)
    for pid in chosen:
        mine = [o for o in outcomes if o.example.provider == pid]
        valid = sum(o.example.verdict == "valid" for o in mine)
        warned = sum(o.example.verdict == "valid" and bool(o.example.warnings) for o in mine)
        recorded = sum("provenance" in o.example.record for o in mine)
        constructed = sum(o.example.record["source"] == "constructed" for o in mine)
        origin = f"{len(mine) - recorded - constructed} from the docs"
        origin += f", {recorded} recorded from client libraries" if recorded else ""
        origin += f", {constructed} constructed" if constructed else ""
        with_warnings = f" ({warned} with warnings)" if warned else ""
        out.write(
            f"\n{pid}: {len(mine)} examples ({origin}), {valid} valid{with_warnings}, "
            f"{len(mine) - valid} invalid as recorded\n"
        )
        for o in mine:
            status = "as recorded" if o.holds else "DIFFERS FROM RECORD"
            verdict = o.example.verdict
            if verdict == "invalid":
                verdict += f" ({len(o.example.expected)})"
            elif o.example.warnings:
                verdict += f", {_plural(len(o.example.warnings), 'warning')}"
            out.write(f"  {o.example.name:<{width}}  {verdict:<19} {status}\n")
            if args.verbose or not o.holds:
                _print_defects(o.example.record, o.report, out)
    held = sum(o.holds for o in outcomes)
    out.write(f"\n{held} of {len(outcomes)} examples hold their recorded verdict.\n")
    return EXIT_OK if held == len(outcomes) else EXIT_INVALID


def _print_defects(record: dict[str, Any], report: Report, out: TextIO) -> None:
    label = "why" if record["source"] == "constructed" else "doc defect"
    for kind, recorded, found in (
        ("", record["violations"], report.violations),
        ("warning ", record.get("warnings", ()), report.warnings),
    ):
        defects = [((d["rule"], d["path"], d.get("dispute")), d.get("defect", "")) for d in recorded]
        for v in found:
            key = (v.rule, v.path, v.dispute.id if kind and v.dispute else None)
            match = next((i for i, (k, _) in enumerate(defects) if k == key), None)
            why = defects.pop(match)[1] if match is not None else None
            mark = "expected" if match is not None else "UNEXPECTED"
            out.write(f"      {mark} {kind}{v.path or '/'} [{v.rule}] {v.message}\n")
            if why:
                out.write(f"        {label}: {why}\n")
        for (rule, path, _), why in defects:
            out.write(f"      MISSING {kind}{path or '/'} [{rule}] {why}\n")


def _mock_serve(argv: list[str]) -> int:
    from ._extras import MissingExtra

    try:
        from .mock._serve import main as serve

        return serve(argv)
    except MissingExtra as error:  # Pillow, which `Mock()` checks for
        print(f"sdcontracts mock serve: error: {error}", file=sys.stderr)
    except ImportError as error:
        print(
            f"sdcontracts: error: the mock needs its extras ({error}): pip install 'sdcontracts[mock]'", file=sys.stderr
        )
    return EXIT_USAGE


# -- openapi -----------------------------------------------------------------------------------


def _openapi(args: argparse.Namespace, out: TextIO) -> int:
    from .openapi import document

    spec = document(_known(args.provider), servers=args.server)
    text = json.dumps(spec, indent=2, ensure_ascii=False) + "\n"
    if args.output is None or args.output == "-":
        out.write(text)
        return EXIT_OK
    try:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise _UsageError(f"cannot write {args.output}: {error.strerror or error}") from None
    return EXIT_OK


# -- rules -------------------------------------------------------------------------------------


def _matrix(args: argparse.Namespace, out: TextIO) -> int:
    from .canonical import render

    out.write(render(args.format, [_known(p) for p in args.providers] or None))
    return EXIT_OK


def _rules(args: argparse.Namespace, out: TextIO) -> int:
    from ._disputes import disputes
    from .rules import rules_for

    chosen = [_known(p) for p in args.providers] or list(_catalogue.providers())
    if args.json:
        document = {
            "schema_rules": list(SCHEMA_RULES),
            "providers": {
                pid: {
                    "rules": [
                        {
                            "id": rule.id,
                            "schema": rule.schema,
                            "doc": _catalogue.doc_reference(pid, rule.doc, rule.source),
                            "note": rule.note,
                        }
                        for rule in rules_for(pid)
                    ],
                    "disputes": [
                        {**d.to_dict(), "sources": {s: _catalogue.doc_reference(pid, None, s) for s in d.sources}}
                        for d in disputes(pid)
                    ],
                }
                for pid in chosen
            },
        }
        json.dump(document, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return EXIT_OK
    for pid in chosen:
        rules = rules_for(pid)
        out.write(f"\n{pid}: {_plural(len(rules), 'rule')}\n")
        for rule in rules:
            out.write(f"  {rule.id}  ({rule.schema})\n      {_catalogue.doc_reference(pid, rule.doc, rule.source)}\n")
            if rule.note:
                out.write(f"      note: {rule.note}\n")
        found = disputes(pid)
        if found:
            out.write(f"\n{pid}: {_plural(len(found), 'disputed constraint')}\n")
        for d in found:
            verdict = "warning (an error with --strict)" if d.decision == "warning" else "error (the stricter reading)"
            out.write(f"  {d.id}  [{d.keyword}] at {d.location}: {verdict}\n      {d.summary}\n")
            for reading in d.readings:
                out.write(f"      - {_catalogue.doc_reference(pid, None, reading.source)}: {reading.says}\n")
            out.write(f"      why: {d.why}\n")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
