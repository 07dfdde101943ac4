"""The examples in docstrings and the README stay true."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

import sdcontracts

MODULES = ["sdcontracts", "sdcontracts._validation", "sdcontracts.rules", "sdcontracts.rules._registry"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    """Every >>> example in the public modules' docstrings gives the output it shows."""
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert 0 == result.failed
    assert result.attempted > 0


def test_readme_starts_with_the_two_commands() -> None:
    """The README opens with exactly `make demo` and `make test` in one code block."""
    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```\n(.*?)```", text, re.S)
    assert first_block is not None and text.index("```") < 40
    assert ["make demo", "make test"] == first_block.group(1).split("\n")[:-1]


def test_readme_rule_table_names_every_schema_rule() -> None:
    """Every rule id the engine can report is explained in the README's table."""
    from sdcontracts._cli import SCHEMA_RULES

    text = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert [] == [rule for rule in SCHEMA_RULES if f"`{rule}`" not in text]
    assert sdcontracts.__version__ in (Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8")
