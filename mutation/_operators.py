"""The mutation operator cosmic-ray lacks: deleting a statement.

Cosmic-ray flips operators, numbers, booleans and loop keywords, but never removes a statement,
and a missing ``return``, ``del``, ``raise`` or call is the wrong answer a test suite most often
lets through ("one defect, one violation" survives a deleted ``return``). `DeleteStatement`
replaces one simple statement inside a function with ``pass``.

Cosmic-ray finds operators through entry points of installed distributions; this harness is not
one, so `register` adds the provider to cosmic-ray's table in this process, which is the only
process that enumerates and applies mutations (the tests run in a child that never sees it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cosmic_ray.plugins
from cosmic_ray.operators.operator import Example, Operator
from parso.python.tree import Keyword

__all__ = ["PROVIDER", "DeleteStatement", "register"]

PROVIDER = "sdcontracts"

# parso node types of a statement whose removal changes what the function does: assignments and
# augmented assignments (expr_stmt), calls and other expressions (atom_expr), del, return, raise,
# yield, and a bare ``return``. Not imports, global/nonlocal, assert, pass, or a bare string (a docstring).
_DELETABLE = frozenset({"expr_stmt", "atom_expr", "del_stmt", "return_stmt", "raise_stmt", "yield_expr"})


def _deletable(node: Any) -> bool:
    return node.type in _DELETABLE or (node.type == "keyword" and node.value == "return")


def _in_function(node: Any) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.type in ("funcdef", "lambdef"):
            return True
        if parent.type == "classdef":
            return False
        parent = parent.parent
    return False


class DeleteStatement(Operator):  # type: ignore[misc]  # cosmic-ray is untyped
    """Replace one simple statement in a function body with ``pass``."""

    def mutation_positions(self, node: Any) -> Iterator[tuple[tuple[int, int], tuple[int, int]]]:
        parent = node.parent
        if _deletable(node) and parent is not None and parent.type == "simple_stmt" and _in_function(node):
            yield (node.start_pos, node.end_pos)

    def mutate(self, node: Any, index: int) -> Any:
        assert index == 0
        return Keyword("pass", node.start_pos, prefix=node.get_first_leaf().prefix)

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        return (
            Example("def f(x):\n    del x[0]\n    return x\n", "def f(x):\n    pass\n    return x\n"),
            Example("def f(x):\n    x += 1\n    return x\n", "def f(x):\n    x += 1\n    pass\n", occurrence=1),
        )


_OPERATORS: dict[str, type[Operator]] = {"DeleteStatement": DeleteStatement}


class _Provider:
    """What cosmic-ray asks of an operator provider: the operators' names, and each by name."""

    def __iter__(self) -> Iterator[str]:
        return iter(_OPERATORS)

    def __getitem__(self, name: str) -> type[Operator]:
        return _OPERATORS[name]


def register() -> None:
    """Make ``sdcontracts/DeleteStatement`` one of cosmic-ray's operators in this process."""
    cosmic_ray.plugins.OPERATOR_PROVIDERS.setdefault(PROVIDER, _Provider())
