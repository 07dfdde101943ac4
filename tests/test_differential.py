"""Three engines, one verdict: jsonschema-rs (the fast path), the interpreter (the explanations)
and the pure-Python jsonschema reference agree on schema validity, for doc examples and for
Hypothesis mutations of them and of generated requests (`mutations.json_mutations`)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from mutations import SEEDS, Seed, json_mutations

from sdcontracts._corpus import examples
from sdcontracts._validation import CompiledSchema, compiled

# Checks that only Python runs, by design: jsonschema-rs never looks inside a base64 image.
# (Non-JSON values such as NaN are not generated here: this test is about schema semantics on JSON;
# test_validation's and test_fuzz's never-raises properties cover everything else.)
PYTHON_ONLY = {"image-encoding", "image-format", "image-dimensions", "image-size"}

CORPUS = examples()  # in the order of SEEDS


def reference(schema: CompiledSchema) -> jsonschema.Draft202012Validator:
    checker = jsonschema.FormatChecker(formats=())
    for name, check in schema.formats.items():
        checker.checks(name)(lambda value, check=check: not isinstance(value, str) or check(value))
    return jsonschema.Draft202012Validator(schema.engine_schema, format_checker=checker)


def verdicts(provider: str, name: str, payload: Any) -> tuple[bool, bool, bool]:
    schema = compiled(provider, name)
    fast = bool(schema._fast.is_valid(payload))
    explained = not [v for v in schema.interpreter.violations(payload) if v.rule not in PYTHON_ONLY]
    return fast, explained, reference(schema).is_valid(payload)


@pytest.mark.parametrize(("provider", "schema", "payload"), SEEDS, ids=[f"{e.provider}/{e.name}" for e in CORPUS])
def test_engines_agree_on_every_doc_example(provider: str, schema: str, payload: Any) -> None:
    """For each corpus example the three engines give the same schema verdict."""
    fast, explained, ref = verdicts(provider, schema, payload)
    assert fast == explained == ref


# deadline: a few examples carry a 200,000-character string through the pure-Python reference
@settings(max_examples=400, deadline=None)
@given(case=json_mutations())
def test_engines_agree_on_mutated_requests(case: Seed) -> None:
    """Dropped, duplicated, retyped, nested, boundary-valued, huge, deeply nested, added and re-spelt
    fields, in doc examples and generated requests: one verdict from all three."""
    provider, schema, payload = case
    fast, explained, ref = verdicts(provider, schema, payload)
    assert fast == explained == ref, (provider, schema, payload)
