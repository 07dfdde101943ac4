"""Three engines, one verdict: jsonschema-rs (the fast path), the interpreter (the explanations)
and the pure-Python jsonschema reference agree on schema validity, for doc examples and for
Hypothesis mutations of them and of generated requests (`mutations.json_mutations`)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from hypothesis import given, settings
from mutations import SEEDS, Seed, json_mutations

from sdcontracts import _catalogue
from sdcontracts._compiler import compile_engine_schema
from sdcontracts._corpus import examples
from sdcontracts._disputes import lenient_document
from sdcontracts._validation import CompiledSchema, compiled

# Checks that only Python runs, by design: jsonschema-rs never looks inside a base64 image.
# (Non-JSON values such as NaN are not generated here: this test is about schema semantics on JSON;
# test_validation's and test_fuzz's never-raises properties cover everything else.)
PYTHON_ONLY = {"image-encoding", "image-format", "image-dimensions", "image-size"}

CORPUS = examples()  # in the order of SEEDS


def ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[jsonschema.ValidationError]:
    """jsonschema's ``pattern``, with ``$`` read as JSON Schema reads it (ECMA-262): at the very end.

    jsonschema runs patterns through Python's re, where a final ``$`` also matches before a final
    newline; the schemas use no other construct the two dialects read differently (the compiler
    refuses them), so this one change makes the reference follow the specification."""
    anchored = pattern[:-1] + "\\Z" if pattern.endswith("$") else pattern
    if isinstance(instance, str) and not re.search(anchored, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


REFERENCE = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": ecma_pattern})


def reference(schema: CompiledSchema) -> Any:
    checker = jsonschema.FormatChecker(formats=())
    for name, check in schema.formats.items():
        checker.checks(name)(lambda value, check=check: not isinstance(value, str) or check(value))
    return REFERENCE(schema.engine_schema, format_checker=checker)


@functools.cache
def schema_only(provider: str, name: str) -> CompiledSchema:
    """The schema compiled without the rules jsonschema-rs also checks (Tensor.Art's), which the
    interpreter leaves to the rule modules: these tests are about the schema's semantics
    (test_tensorart_engine holds the rules' fragments to the rules)."""
    return CompiledSchema(provider, name, rules_in_engine=False)


def verdicts(provider: str, name: str, payload: Any) -> tuple[bool, bool, bool]:
    """(jsonschema-rs, interpreter, reference). jsonschema-rs cannot read a lone surrogate in a
    string it must compare (an enum, a pattern, the whole payload); validate() then takes the
    interpreter's verdict, so that stands in for it: the other two must still agree."""
    schema = schema_only(provider, name)
    explained = not [v for v in schema.interpreter.violations(payload) if v.rule not in PYTHON_ONLY]
    try:
        fast = bool(schema._exact.is_valid(payload))
    except UnicodeEncodeError:
        fast = explained
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


@functools.cache
def lenient_engines(provider: str, name: str) -> tuple[Any, Any]:
    """jsonschema-rs and the reference on the lenient reading (every warning-decided dispute applied)."""
    engine, formats = compile_engine_schema(lenient_document(_catalogue.raw_schema(provider, name)))
    checker = jsonschema.FormatChecker(formats=())
    for format_name, check in formats.items():
        checker.checks(format_name)(lambda value, check=check: not isinstance(value, str) or check(value))
    fast = jsonschema_rs.validator_for(engine, formats=formats, validate_formats=True)
    return fast, REFERENCE(engine, format_checker=checker)


def lenient_verdicts(provider: str, name: str, payload: Any) -> tuple[bool, bool, bool]:
    """(jsonschema-rs, interpreter, reference) on "accepted by default": the engines on the lenient
    form, the interpreter by its errors (its warnings are what the lenient reading accepts)."""
    fast, ref = lenient_engines(provider, name)
    found = compiled(provider, name).interpreter.violations(payload)
    explained = not [v for v in found if v.severity == "error" and v.rule not in PYTHON_ONLY]
    try:
        quick = bool(fast.is_valid(payload))
    except UnicodeEncodeError:
        quick = explained
    return quick, explained, ref.is_valid(payload)


@pytest.mark.parametrize(("provider", "schema", "payload"), SEEDS, ids=[f"{e.provider}/{e.name}" for e in CORPUS])
def test_engines_agree_on_what_is_accepted_by_default_for_every_doc_example(
    provider: str, schema: str, payload: Any
) -> None:
    """On the lenient reading too (warnings accepted), the three engines agree on each example."""
    fast, explained, ref = lenient_verdicts(provider, schema, payload)
    assert fast == explained == ref


@settings(max_examples=300, deadline=None)
@given(case=json_mutations())
def test_engines_agree_on_what_is_accepted_by_default_for_mutated_requests(case: Seed) -> None:
    """The interpreter's errors (not its warnings) match the lenient form in both engines, under mutation."""
    provider, schema, payload = case
    fast, explained, ref = lenient_verdicts(provider, schema, payload)
    assert fast == explained == ref, (provider, schema, payload)


def test_a_stage_without_its_member_is_the_same_verdict_from_the_three_schema_engines() -> None:
    """Found by a randomized run: an IMAGE_TO_ADETAILER stage with no member. The schema alone lets
    it be (the stage-member rule refuses it, in Python and in jsonschema-rs's fragments): the three
    schema engines agree, and validate() reports the rule."""
    job = {"request_id": "unique_key", "stages": [
        {"type": "INPUT_INITIALIZE", "inputInitialize": {"imageResourceId": "r", "count": 1}},
        {"type": "IMAGE_TO_ADETAILER"}]}  # fmt: skip
    fast, explained, ref = verdicts("tensorart", "img2img.request", job)
    assert fast == explained == ref
    import sdcontracts

    assert "tensorart.stage-member" in sdcontracts.validate("tensorart", job).rules
