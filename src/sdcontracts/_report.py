"""Validation results: a `Report` holding structured `Violation`s, graded as errors or warnings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # imported with the first dispute: `import sdcontracts` stays cheap
    from ._disputes import Dispute

__all__ = ["Report", "Severity", "Violation"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule at one place in a payload.

    ``path`` is a JSON Pointer to the offending value (or to the object missing a key),
    ``rule`` a stable id (``"maximum"``, ``"unknown-field"``, ``"tensorart.count-without-diffusion"``),
    ``message`` says what is wrong and what is allowed, and ``doc`` quotes the documentation
    the rule comes from. ``expected`` carries the constraint (a bound, the allowed values, the
    missing key) for programs that act on violations.

    ``severity`` is ``"error"`` (the provider's text states the constraint; it will reject the
    request) or ``"warning"`` (the sources dispute it, and the value is one the other reading
    accepts). ``dispute``, when the constraint is disputed, holds both readings and their sources.
    """

    path: str
    rule: str
    message: str
    doc: str = ""
    expected: Any = field(default=None, compare=False)
    severity: Severity = "error"
    dispute: Dispute | None = field(default=None, compare=False)

    @property
    def sources(self) -> tuple[str, ...]:
        """The sources that dispute the constraint (keys of provider.json ``sources``); empty when undisputed."""
        return self.dispute.sources if self.dispute is not None else ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping of this violation."""
        out = {
            "path": self.path,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "doc": self.doc,
            "expected": self.expected,
        }
        if self.dispute is not None:
            out["dispute"] = self.dispute.to_dict()
        return out


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of validating one payload against one provider schema.

    ``violations`` are the errors, ``warnings`` what only a disputed reading of the contract
    rejects. ``ok`` follows the errors: a request with warnings only is one the provider accepts
    by the default reading. Validating with ``strict=True`` makes every warning an error.
    """

    provider: str
    schema: str
    violations: tuple[Violation, ...] = ()
    warnings: tuple[Violation, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the payload breaks no undisputed documented rule (warnings may remain)."""
        return not self.violations

    @property
    def clean(self) -> bool:
        """True when there are neither errors nor warnings: valid by every reading."""
        return not self.violations and not self.warnings

    @property
    def rules(self) -> frozenset[str]:
        """The ids of every rule this payload breaks (the errors)."""
        return frozenset(v.rule for v in self.violations)

    @property
    def disputes(self) -> frozenset[str]:
        """The ids of the disputes the warnings (and disputed errors) come from."""
        return frozenset(v.dispute.id for v in (*self.violations, *self.warnings) if v.dispute is not None)

    def strict(self) -> Report:
        """This report with every warning an error: the strictest reading of every source."""
        if not self.warnings:
            return self
        raised = tuple(replace(w, severity="error") for w in self.warnings)
        return Report(self.provider, self.schema, self.violations + raised)

    def __iter__(self) -> Iterator[Violation]:
        return iter(self.violations)

    def __len__(self) -> int:
        return len(self.violations)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping of this report."""
        return {
            "provider": self.provider,
            "schema": self.schema,
            "ok": self.ok,
            "violations": [v.to_dict() for v in self.violations],
            "warnings": [w.to_dict() for w in self.warnings],
        }

    def __str__(self) -> str:
        head = f"{self.provider} {self.schema}: "
        if self.clean:
            return head + "valid"
        parts = []
        if self.violations:
            parts.append(f"{len(self.violations)} violation(s)")
        if self.warnings:
            parts.append(f"{len(self.warnings)} warning(s)")
        lines = [head + ("valid, with " if self.ok else "") + ", ".join(parts)]
        lines += [f"  {v.path or '/'}  [{v.rule}]  {v.message}" for v in self.violations]
        lines += [f"  {w.path or '/'}  [{w.rule}] (warning)  {w.message}" for w in self.warnings]
        return "\n".join(lines)
