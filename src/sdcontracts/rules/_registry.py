"""Rules: the documented constraints JSON Schema cannot state, one small object each.

A rule has a stable id (``<provider>.<name>``), the doc sentence it comes from, the schema it
applies to and one check. The check receives the payload (or what the rule set's ``prepare``
made of it, parsed once for all its rules) and yields `Finding`s; it must not assume the
payload is schema-valid, and it skips what it cannot interpret, because the schema already
reports that (one defect, one violation).

A rule JSON Schema can state exactly may also carry it as schema fragments (``engine``), which
validation adds to the schema jsonschema-rs runs: a payload it then finds valid skips the rule's
check, which would have found nothing; any other payload runs every check, as before, so the
verdicts (ids, pointers, messages, severities) are the check's own. A rule JSON Schema cannot
state exactly (one that depends on the order of a list) may still give a condition under which it
holds (``holds_if``), for the quick form (`_quick`): a payload meeting it skips the check.

Rules register themselves by id when their provider module is imported; registering an id
twice is an error at import time, never a silent override.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # imported by the first rule that records a dispute: `import sdcontracts` stays cheap
    from .._disputes import Decision, Dispute

__all__ = ["Engine", "Finding", "Rule", "RuleConflict", "RuleSet", "registered"]


class Finding(NamedTuple):
    """Where a rule is broken (a JSON Pointer) and a message saying what is wrong and allowed.

    ``dispute``: the rule's constraint is disputed there, and the value is within what the
    dispute's lenient reading accepts (a warning, when the dispute is decided so).
    """

    path: str
    message: str
    dispute: Dispute | None = None


Check = Callable[[Any], Iterable[Finding]]
# The schema fragments stating a rule, from the provider's raw schema: {a JSON Pointer into the
# schema ("" the root, "/$defs/Stage"): the subschema the value there must also meet}. On every
# payload the schema accepts, the fragments accept it exactly when the check finds nothing.
Engine = Callable[[Mapping[str, Any]], Mapping[str, Mapping[str, Any]]]
# ``holds_if`` has the same shape, with a weaker promise: on every payload the schema and the other
# rules' fragments accept, the fragments accept it only when the check finds nothing.


@dataclass(frozen=True, slots=True)
class Rule:
    """One documented constraint: ``Rule('tensorart.count-without-diffusion', ...)``."""

    id: str
    provider: str
    schema: str
    doc: str  # the doc's own words, verbatim
    source: str
    check: Check
    note: str = ""  # our reading, where the doc implies rather than states the rule
    engine: Engine | None = None  # the rule as schema fragments, when JSON Schema states it exactly
    holds_if: Engine | None = None  # else a condition under which it holds, as schema fragments

    def __repr__(self) -> str:
        return f"<Rule {self.id} on {self.schema}>"

    def findings(self, subject: Any) -> Iterator[Finding]:
        """Run the check on a (prepared) payload."""
        yield from self.check(subject)


class RuleConflict(Exception):
    """Two rules were registered under one id."""


_REGISTRY: dict[str, Rule] = {}


def registered() -> dict[str, Rule]:
    """Every rule registered so far, by id (read-only view semantics: do not mutate)."""
    return _REGISTRY


class RuleSet:
    """The rules of one provider; use `rule` as a decorator to add one.

    >>> rules = RuleSet("novita")
    >>> @rules.rule("example", doc="a sentence from the doc")
    ... def _example(payload):
    ...     return ()
    """

    def __init__(self, provider: str, *, prepare: Mapping[str, Callable[[Any], Any]] | None = None) -> None:
        self.provider = provider
        self.rules: list[Rule] = []
        self.disputes: list[Dispute] = []
        # schema name -> function turning a payload into what that schema's checks receive;
        # it returns None when there is nothing for them to check.
        self.prepare: dict[str, Callable[[Any], Any]] = dict(prepare or {})

    def rule(
        self,
        name: str,
        *,
        doc: str,
        source: str = "doc",
        schema: str = "img2img.request",
        note: str = "",
        engine: Engine | None = None,
        holds_if: Engine | None = None,
    ) -> Callable[[Check], Check]:
        if engine is not None and holds_if is not None:
            raise ValueError(f"{self.provider}.{name}: a rule stated exactly (engine) needs no holds_if")

        def register(check: Check) -> Check:
            rule = Rule(f"{self.provider}.{name}", self.provider, schema, doc, source, check, note, engine, holds_if)
            if rule.id in _REGISTRY:
                raise RuleConflict(f"rule {rule.id!r} is registered twice")
            _REGISTRY[rule.id] = rule
            self.rules.append(rule)
            return check

        return register

    def dispute(
        self,
        name: str,
        *,
        rule: str,
        strict: Any,
        lenient: Any,
        summary: str,
        readings: Sequence[tuple[str, str]],
        why: str,
        decision: Decision = "warning",
    ) -> Dispute:
        """Record a dispute over a rule's constraint (a bound the sources state differently), beside
        the rule: ``readings`` are ``(source, what it says)`` pairs. The rule's check yields a
        `Finding` carrying the dispute where a value breaks ``strict`` but not ``lenient``."""
        from .._disputes import Dispute, Reading

        if len(readings) < 2:
            raise ValueError(f"{self.provider}.{name}: a dispute needs at least two readings")
        where = f"{self.provider}.{rule}"
        dispute = Dispute(
            id=f"{self.provider}.{name}",
            provider=self.provider,
            keyword=where,
            location=where,
            strict=strict,
            lenient=lenient,
            decision=decision,
            summary=summary,
            readings=tuple(Reading(source, says) for source, says in readings),
            why=why,
        )
        self.disputes.append(dispute)
        return dispute

    def for_schema(self, schema: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.schema == schema)
