"""Mutants judged equivalent: they change the code but no caller can see a difference.

Each is named by its target, the function or class it is in, and the lines it changes
(``before`` as written, ``after`` as mutated, stripped), so an entry still matches when code moves,
and stops matching when the code it judges changes. A listed mutant is still run: if the tests
kill it, the report says so (it was not equivalent). An entry whose ``before`` lines are no longer
in the module is reported as stale.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EQUIVALENTS", "Equivalent"]


@dataclass(frozen=True)
class Equivalent:
    target: str
    definition: str
    before: str
    after: str
    reason: str


EQUIVALENTS: tuple[Equivalent, ...] = ()
