"""Validation results: a `Report` holding structured `Violation`s."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Report", "Violation"]


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule at one place in a payload.

    ``path`` is a JSON Pointer to the offending value (or to the object missing a key),
    ``rule`` a stable id (``"maximum"``, ``"unknown-field"``, ``"tensorart.count-without-diffusion"``),
    ``message`` says what is wrong and what is allowed, and ``doc`` quotes the documentation
    the rule comes from. ``expected`` carries the constraint (a bound, the allowed values, the
    missing key) for programs that act on violations.
    """

    path: str
    rule: str
    message: str
    doc: str = ""
    expected: Any = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping of this violation."""
        return {
            "path": self.path,
            "rule": self.rule,
            "message": self.message,
            "doc": self.doc,
            "expected": self.expected,
        }


@dataclass(frozen=True, slots=True)
class Report:
    """The outcome of validating one payload against one provider schema."""

    provider: str
    schema: str
    violations: tuple[Violation, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the payload breaks no documented rule."""
        return not self.violations

    @property
    def rules(self) -> frozenset[str]:
        """The ids of every rule this payload breaks."""
        return frozenset(v.rule for v in self.violations)

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
        }

    def __str__(self) -> str:
        head = f"{self.provider} {self.schema}: "
        if self.ok:
            return head + "valid"
        lines = [head + f"{len(self.violations)} violation(s)"]
        lines += [f"  {v.path or '/'}  [{v.rule}]  {v.message}" for v in self.violations]
        return "\n".join(lines)
