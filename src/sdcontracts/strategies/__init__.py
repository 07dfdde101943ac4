"""Hypothesis strategies for provider requests, public for other teams' tests.

    from hypothesis import given
    from sdcontracts.strategies import valid_requests, invalid_requests

    @given(valid_requests("tensorart"))
    def test_my_service_accepts(job): ...

    @given(invalid_requests("novita"))
    def test_my_service_rejects(case):
        payload, rule = case          # the payload breaks exactly `rule` (e.g. "maximum")

Both are built from the schemas and rules, not by filtering random JSON. Valid requests cover
every documented range including both ends, every enum value, both protobuf-JSON spellings for
Tensor.Art, every workflow and ControlNet preset the rules distinguish, and real images at the
documented pixel limits. Invalid requests break one thing: a bound by one step, a type, an enum,
a required or unknown field, a spelling given twice, an image, or one of the provider's prose
rules; each is re-validated and carries exactly its labelled rule.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError:
    from .._extras import MissingExtra

    raise MissingExtra("hypothesis", "sdcontracts.strategies") from None

from .._compiler import Node
from .._keywords import KEYWORDS, Keyword
from .._registry import get as registered
from .._validation import compiled, validate
from ._schema import Mutation, choice, integers_between, mutations, value_strategy

__all__ = ["InvalidCase", "canonical_requests", "invalid_requests", "rule_ids", "valid_requests"]

DEFAULT = "img2img.request"


@dataclass(frozen=True, slots=True)
class InvalidCase:
    """A payload breaking exactly ``rule`` (at ``path``); unpacks as ``payload, rule = case``."""

    payload: Any
    rule: str
    path: str

    def __iter__(self) -> Iterator[Any]:
        return iter((self.payload, self.rule))


def _shapes(provider: str) -> tuple[Callable[..., st.SearchStrategy[Any]] | None, dict[str, Any]]:
    """The provider's strategy hooks, where its profile names a module (``strategies``): ``requests``
    (root, lenient) draws the valid requests its prose rules allow, ``BREAKERS`` (rule id -> a strategy
    of root) one request breaking each prose rule. Without them, requests come from the schema alone."""
    hooks = registered(provider).hook("strategies")
    return getattr(hooks, "requests", None), dict(getattr(hooks, "BREAKERS", {}))


@cache
def valid_requests(provider: str, schema: str = DEFAULT, *, strict: bool = False) -> st.SearchStrategy[Any]:
    """Payloads that satisfy every documented constraint of ``provider``'s ``schema``.

    Where the sources dispute a constraint, some payloads take the form only the lenient reading
    accepts (valid with a warning), as real senders do: an SDK's nulls, a doc example's omissions.
    ``strict=True`` gives only payloads valid by every reading.
    """
    root = compiled(provider, schema).root
    shaped, _ = _shapes(provider)
    if schema == DEFAULT and shaped is not None:
        return shaped(root, lenient=not strict)
    return value_strategy(root, lenient=not strict)


def invalid_requests(
    provider: str, schema: str = DEFAULT, *, rules: Collection[str] | None = None, strict: bool = False
) -> st.SearchStrategy[InvalidCase]:
    """`InvalidCase` values: a payload breaking exactly one rule, and that rule's id.

    ``rules`` narrows the choice to those rule ids wherever the drawn payload allows it (a
    ``max-items`` case needs a list in the payload); `rule_ids` lists what a schema can produce.
    Each case breaks the rule as an error: what the default reading rejects, or with
    ``strict=True`` what the strict reading rejects (a disputed value too).
    """
    return _invalid_requests(provider, schema, None if rules is None else frozenset(rules), strict)


@cache
def _invalid_requests(
    provider: str, schema: str, wanted: frozenset[str] | None, strict: bool
) -> st.SearchStrategy[InvalidCase]:
    root = compiled(provider, schema).root
    _, breakers = _shapes(provider)
    if schema != DEFAULT:
        breakers = {}
    valid = valid_requests(provider, schema, strict=True)  # broken in one place: one rule, no warnings
    only_prose = tuple(sorted(wanted)) if wanted and wanted <= set(breakers) else ()

    @st.composite
    def cases(draw: st.DrawFn) -> InvalidCase:
        if only_prose:  # a prose rule's breaker builds its own job: no valid payload to mutate
            rule = draw(choice(only_prose))
            candidate = draw(breakers[rule](root))
            report = validate(provider, candidate, schema=schema, strict=strict)
            if report.rules == {rule}:
                return InvalidCase(candidate, rule, report.violations[0].path)
        payload = draw(valid)
        by_rule: dict[str, list[Mutation]] = {}
        for mutation in mutations(root, payload, strict=strict):
            by_rule.setdefault(mutation.rule, []).append(mutation)
        available = sorted(set(by_rule) | set(breakers))
        preferred = [r for r in available if wanted is None or r in wanted] or available
        start = draw(integers_between(0, len(preferred) - 1))
        order = preferred[start:] + preferred[:start] + [r for r in available if r not in preferred]
        for rule in order:
            if rule in breakers:
                candidate = draw(breakers[rule](root))
                report = validate(provider, candidate, schema=schema, strict=strict)
                if report.rules == {rule}:
                    return InvalidCase(candidate, rule, report.violations[0].path)
                continue
            options = by_rule[rule]
            offset = draw(integers_between(0, len(options) - 1))
            for mutation in options[offset:] + options[:offset]:
                broken = mutation.apply(payload)
                if validate(provider, broken, schema=schema, strict=strict).rules == {rule}:
                    return InvalidCase(broken, rule, mutation.path)
        raise AssertionError(f"no single-rule mutation of a valid {provider} {schema}")  # pragma: no cover

    return cases()


def canonical_requests(*providers: str) -> st.SearchStrategy[Any]:
    """`sdcontracts.canonical.CanonicalRequest` values every one of ``providers`` can express (all
    five when none is given): each translates to each of them (`sdcontracts.canonical.translate`)."""
    from ._canonical import canonical_requests as within

    return within(*providers)


def rule_ids(provider: str, schema: str = DEFAULT) -> list[str]:
    """Every rule id `invalid_requests` can produce for a schema, read off the schema and rules."""
    _, breakers = _shapes(provider)
    found: set[str] = set(breakers) if schema == DEFAULT else set()
    seen: set[int] = set()

    def walk(node: Node) -> None:
        if id(node) in seen or node.free:
            return
        seen.add(id(node))
        for keyword in KEYWORDS:
            if keyword.present(node) and (node.enum is None or keyword.name in ("type", "const", "enum")):
                found.update(_reachable(keyword, node))
        if any(len(s) > 1 for s in node.spellings.values()):
            found.add("duplicate-field")
        for child in [*node.properties.values(), node.items, node.additional]:
            if child is not None:
                walk(child)

    walk(compiled(provider, schema).root)
    return sorted(found)


def _reachable(keyword: Keyword, node: Node) -> tuple[str, ...]:
    """The rules of ``keyword`` a mutation of ``node`` can break: an image's dimensions and size
    only where the schema bounds them."""
    if keyword.name != "x-image" or node.image is None:
        return keyword.rules
    bounded = {"image-dimensions": node.image.max_width is not None, "image-size": node.image.max_bytes is not None}
    return tuple(rule for rule in keyword.rules if bounded.get(rule, True))
