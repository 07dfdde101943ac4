"""Cross-field and prose rules, one module per provider (``sdcontracts.rules.<provider>``).

Each module defines ``RULES``, a `RuleSet`; importing it registers its rules.

>>> from sdcontracts.rules import rules_for
>>> [r.id for r in rules_for("picpik")][:1]
['picpik.submodels-need-custom-model']
"""

from __future__ import annotations

import importlib

from .._catalogue import check_provider
from ._registry import Finding, Rule, RuleConflict, RuleSet

__all__ = ["Finding", "Rule", "RuleConflict", "RuleSet", "rules_for", "ruleset"]


def ruleset(provider: str) -> RuleSet:
    """The rule set of a provider (importing its module registers the rules)."""
    check_provider(provider)
    module = importlib.import_module(f"{__name__}.{provider}")
    rules: RuleSet = module.RULES
    return rules


def rules_for(provider: str, schema: str | None = None) -> tuple[Rule, ...]:
    """The rules of a provider, for one schema or for all of them, in declaration order."""
    rules = ruleset(provider)
    return tuple(rules.rules) if schema is None else rules.for_schema(schema)
