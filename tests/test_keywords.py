"""The schema keyword objects: each provides every part, and the parts agree with each other and
with the engine; the documented rule ids are exactly the ones the engine can emit."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import b64, png
from hypothesis import HealthCheck, given, settings

import sdcontracts
from sdcontracts._compiler import compile_nodes
from sdcontracts._engine import Interpreter
from sdcontracts._keywords import KEYWORDS, OTHER_RULES, RULE_IDS, Keyword, keyword
from sdcontracts._validation import compiled
from sdcontracts.strategies._schema import mutations, value_strategy

README = Path(__file__).resolve().parent.parent / "README.md"
STRING_LIST = {"type": "array", "items": {"type": "string"}}

# keyword -> a schema using it, and a value valid for it
EXAMPLES: dict[str, tuple[dict[str, Any], Any]] = {
    "type": ({"type": "integer"}, 5),
    "const": ({"const": "a"}, "a"),
    "enum": ({"enum": ["a", "b"]}, "a"),
    "minimum": ({"type": "integer", "minimum": 1}, 3),
    "maximum": ({"type": "integer", "maximum": 9}, 3),
    "exclusiveMinimum": ({"type": "number", "exclusiveMinimum": 1}, 3),
    "exclusiveMaximum": ({"type": "number", "exclusiveMaximum": 9}, 3),
    "multipleOf": ({"type": "integer", "multipleOf": 8}, 16),
    "format": ({"type": ["string", "integer"], "format": "int64"}, "12"),
    "minLength": ({"type": "string", "minLength": 2}, "abc"),
    "maxLength": ({"type": "string", "maxLength": 5}, "abc"),
    "pattern": ({"type": "string", "pattern": "^[a-z]+$"}, "abc"),
    "x-image": (
        {"type": "string", "x-image": {"maxWidth": 2048, "maxHeight": 2048, "maxBytes": 65536}},
        b64(png(8, 8)),
    ),
    "maxItems": ({**STRING_LIST, "maxItems": 2}, ["a"]),
    "minItems": ({**STRING_LIST, "minItems": 1}, ["a"]),
    "uniqueItems": ({**STRING_LIST, "uniqueItems": True, "maxItems": 3}, ["a", "b"]),
    "required": ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}, {"a": "x"}),
    "additionalProperties": (
        {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False},
        {"a": "x"},
    ),
}


# compiled once and kept: the strategies cache what they build by node, as compiled schemas live for the process
NODES = {name: compile_nodes(schema, lambda s: "") for name, (schema, _) in EXAMPLES.items()}


def rules_of(schema: dict[str, Any], value: Any) -> list[str]:
    return [v.rule for v in Interpreter(compile_nodes(schema, lambda s: "")).violations(value)]


def test_every_keyword_has_an_example_here() -> None:
    """This file exercises every keyword object, no more."""
    assert sorted(k.name for k in KEYWORDS) == sorted(EXAMPLES)


@pytest.mark.parametrize("kw", KEYWORDS, ids=lambda k: k.name)
def test_each_keyword_object_provides_every_part(kw: Keyword) -> None:
    """Name, rule ids, explanation, compile, present, and importable generate and mutate functions."""
    parts = (kw.name, kw.rules, kw.explain, kw.compile, kw.present, kw.generator(), kw.mutator())
    assert [True] * 7 == [bool(part) for part in parts]
    assert [True, True, True] == [callable(kw.compile), callable(kw.generator()), callable(kw.mutator())]


@pytest.mark.parametrize("kw", KEYWORDS, ids=lambda k: k.name)
def test_a_keyword_compiles_onto_a_node_that_then_carries_it(kw: Keyword) -> None:
    """`compile` puts the keyword on the node; `present` sees it there, and not on a node without it."""
    assert (True, False) == (kw.present(NODES[kw.name]), kw.present(compile_nodes({}, lambda s: "")))


@pytest.mark.parametrize("kw", KEYWORDS, ids=lambda k: k.name)
def test_a_keyword_mutation_is_the_one_violation_of_its_rule_the_engine_reports(kw: Keyword) -> None:
    """Each mutation `mutate` makes of a valid value is reported by the engine as exactly that
    mutation's rule, one of the keyword's; together they cover every rule of the keyword."""
    schema, value = EXAMPLES[kw.name]
    node = NODES[kw.name]
    made = list(kw.mutator()(node, value, [], False))
    reported = [(m.rule, rules_of(schema, m.apply(value))) for m in made]
    assert ([], sorted(kw.rules)) == (rules_of(schema, value), sorted(m.rule for m in made))
    assert [(m.rule, [m.rule]) for m in made] == reported


@pytest.mark.parametrize("kw", KEYWORDS, ids=lambda k: k.name)
def test_values_generated_for_a_keyword_satisfy_it(kw: Keyword) -> None:
    """The strategies draw only values the engine accepts (unique items included)."""
    schema, _ = EXAMPLES[kw.name]
    drawn: list[list[str]] = []

    @settings(max_examples=20, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(value_strategy(NODES[kw.name]))
    def draw(value: Any) -> None:
        drawn.append(rules_of(schema, value))

    draw()
    assert [[]] * len(drawn) == drawn


def test_unique_lists_are_drawn_unique_and_broken_by_a_repeat() -> None:
    """uniqueItems is generated (no list repeats an item) and mutated (a repeat at its end)."""
    _, value = EXAMPLES["uniqueItems"]
    node = NODES["uniqueItems"]
    broken = [(m.rule, m.path, m.apply(value)) for m in mutations(node, value) if m.rule == "unique-items"]
    assert [("unique-items", "/2", ["a", "b", "a"])] == broken


def documented() -> list[str]:
    """The rule ids of the README's "What is checked" table (the provider rules' pattern aside)."""
    text = README.read_text("utf-8")
    table = text[text.index("## What is checked") :].split("\n## ")[0]
    rows = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return [rule for row in rows for rule in re.findall(r"`([a-z-]+)`", row)]


def test_the_documented_rule_ids_are_the_ones_the_engine_can_emit() -> None:
    """The README's table lists every rule id of the keyword objects and the engine, each once, and no other."""
    assert sorted(RULE_IDS) == sorted(documented())
    assert len(RULE_IDS) == len(set(RULE_IDS))


def test_the_engine_emits_each_rule_no_keyword_states() -> None:
    """duplicate-field, not-json, too-many-violations, internal-error, schema and duplicate-key
    each come out of validation (or `validate FILE`) for the input that causes them."""
    seen = {
        "duplicate-field": sdcontracts.validate("tensorart", {"requestId": "a", "request_id": "a"}),
        "not-json": sdcontracts.validate("novita", {"extra": float("nan")}),
        "too-many-violations": sdcontracts.validate("novita", {f"x{i}": 1 for i in range(150)}),
    }
    found = {rule: [v.rule for v in report.violations] for rule, report in seen.items()}

    def broken(job: Any) -> Any:
        raise RuntimeError("a bug in a rule")

    ruled = compiled("tensorart")  # a schema with prose rules: they run on every payload
    checks, ruled._checks = ruled._checks, (("broken", broken, ""),)
    try:
        found["internal-error"] = [v.rule for v in ruled.validate({"stages": []}).violations]
    finally:
        ruled._checks = checks
    target = compiled("novita")
    walk, target.interpreter.violations = target.interpreter.violations, lambda payload, out: out  # type: ignore[method-assign]
    try:
        found["schema"] = [v.rule for v in target.validate({}).violations]
    finally:
        target.interpreter.violations = walk  # type: ignore[method-assign]
    assert [True] * 5 == [rule in rules for rule, rules in found.items()]


def test_validate_file_reports_duplicate_keys(tmp_path: Path) -> None:
    """The one text rule: a key twice in an object of a JSON file."""
    path = tmp_path / "twice.json"
    path.write_text('{"prompt": "a", "prompt": "b"}', "utf-8")
    done = subprocess.run([sys.executable, "-m", "sdcontracts", "validate", "novita", str(path), "--json"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert "duplicate-key" in {v["rule"] for v in json.loads(done.stdout)["results"][0]["violations"]}


def test_every_rule_id_has_an_explanation() -> None:
    """A keyword's explanation, or the engine's own rules' table."""
    explained = {rule: kw.explain for kw in KEYWORDS for rule in kw.rules} | OTHER_RULES
    assert sorted(RULE_IDS) == sorted(rule for rule, text in explained.items() if text)


def test_keyword_lookup_names_the_unknown() -> None:
    """`keyword` finds a keyword object by its schema name; any other is a KeyError."""
    assert ("unique-items",) == keyword("uniqueItems").rules
    with pytest.raises(KeyError):
        keyword("anyOf")


def test_every_keyword_object_names_a_distinct_schema_keyword() -> None:
    """One object per keyword."""
    assert len(KEYWORDS) == len({k.name for k in KEYWORDS})
