"""zhiqite rules beyond what its JSON Schemas state."""

from __future__ import annotations

from ._registry import RuleSet

__all__ = ["RULES"]

RULES = RuleSet("zhiqite")
