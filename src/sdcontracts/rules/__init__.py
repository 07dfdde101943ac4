"""Cross-field and prose rules, one module per provider (``sdcontracts.rules.<provider>``).

Each module defines ``RULES``, a `RuleSet`; importing it registers its rules. A provider's profile
names its module (``"rules"``); a provider without one has no prose rules.

>>> from sdcontracts.rules import rules_for
>>> [r.id for r in rules_for("picpik")][:1]
['picpik.submodels-need-custom-model']
"""

from __future__ import annotations

import threading

from .. import _registry as _providers
from ._registry import Finding, Rule, RuleConflict, RuleSet

__all__ = ["Finding", "Rule", "RuleConflict", "RuleSet", "rules_for", "ruleset"]


_EMPTY: dict[str, RuleSet] = {}  # providers whose profile names no rules module
_LOCK = threading.Lock()


def ruleset(provider: str) -> RuleSet:
    """The rule set of a provider (importing its module registers the rules)."""
    module = _providers.get(provider).hook("rules")
    if module is not None:
        rules: RuleSet = module.RULES
        return rules
    with _LOCK:
        return _EMPTY.setdefault(provider, RuleSet(provider))


def rules_for(provider: str, schema: str | None = None) -> tuple[Rule, ...]:
    """The rules of a provider, for one schema or for all of them, in declaration order."""
    rules = ruleset(provider)
    return tuple(rules.rules) if schema is None else rules.for_schema(schema)
