"""The doc-example corpus: every JSON example in the provider docs, with its expected verdict.

Each ``schemas/<provider>/examples/<name>.json`` holds one example exactly as the doc shows
it (edits such as stripping a JavaScript comment are listed in ``edits``), the schema it is
an example of, and the verdict: ``valid``, or ``invalid`` with every violation it produces
and why (a known doc defect, where the normative text and the example disagree). A valid
example may carry ``warnings``: each names the dispute behind it, and ``strict=True`` turns
them into errors.

Besides the doc's examples, the corpus holds bodies recorded from real client libraries (their
``source`` is the library's key in provider.json ``sources``, and ``provenance`` says package,
version and call) and a few constructed where a doc has no example (``source: "constructed"``).
An invalid example that is not a request anyone would send says so: ``kind`` is
``placeholder`` (a template's ``"<string>"``, an image left ``""``) or ``fragment``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import _registry
from ._catalogue import check_provider, providers
from ._report import Report
from ._validation import validate

__all__ = ["Example", "Outcome", "check", "examples"]


@dataclass(frozen=True, slots=True)
class Example:
    provider: str
    name: str
    title: str
    schema: str
    verdict: str  # "valid" or "invalid"
    expected: tuple[tuple[str, str], ...]  # sorted (rule, path) of every violation, repeats kept
    warnings: tuple[tuple[str, str, str], ...]  # sorted (rule, path, dispute id) of every warning
    record: dict[str, Any]  # the whole file: source, section, edits, notes, defects

    @property
    def payload(self) -> Any:
        return self.record["payload"]


@dataclass(frozen=True, slots=True)
class Outcome:
    example: Example
    report: Report

    @property
    def found(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted((v.rule, v.path) for v in self.report.violations))

    @property
    def warned(self) -> tuple[tuple[str, str, str], ...]:
        return tuple(sorted((w.rule, w.path, w.dispute.id if w.dispute else "") for w in self.report.warnings))

    @property
    def holds(self) -> bool:
        """The validator's verdict is the recorded one, violation for violation, warning for warning."""
        verdict = "valid" if self.report.ok else "invalid"
        return (
            verdict == self.example.verdict
            and self.found == self.example.expected
            and (self.warned == self.example.warnings)
        )


def examples(provider: str | None = None) -> list[Example]:
    """The corpus of one provider, or of all, sorted by provider and name."""
    chosen = [check_provider(provider)] if provider else list(providers())
    out: list[Example] = []
    for pid in chosen:
        folder = _registry.get(pid).folder.joinpath("examples")
        if not folder.is_dir():
            continue
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".json"):
                record = json.loads(entry.read_text("utf-8"))
                out.append(
                    Example(
                        provider=pid,
                        name=entry.name[: -len(".json")],
                        title=record["title"],
                        schema=record["schema"],
                        verdict=record["verdict"],
                        expected=tuple(sorted((v["rule"], v["path"]) for v in record["violations"])),
                        warnings=tuple(
                            sorted((w["rule"], w["path"], w["dispute"]) for w in record.get("warnings", ()))
                        ),
                        record=record,
                    )
                )
    return out


def check(example: Example, *, strict: bool = False) -> Outcome:
    """Validate an example and compare with its recorded verdict (``strict``: validate strictly,
    which only the examples without warnings survive)."""
    return Outcome(example, validate(example.provider, example.payload, schema=example.schema, strict=strict))
