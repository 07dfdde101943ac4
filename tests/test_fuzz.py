"""The validator under fuzzing: mutated requests with hostile values always get a Report.

Arbitrary values at the root are `test_validation`'s never-raises property; the engines' agreement
on JSON mutations is `test_differential`'s. Here the mutations reach every schema and go where only
a non-strict parser or a careless caller goes: NaN and infinities, Decimals (signalling NaN too),
integers too long to print, bytes, sets, non-string keys, strings of 200,000 characters and arrays
nested 2,000 deep, anywhere in an otherwise valid request.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from mutations import Seed, hostile_mutations

import sdcontracts
from sdcontracts import Report
from sdcontracts._validation import VIOLATION_LIMIT


def is_json(value: Any) -> bool:
    """True when a strict JSON encoder would send ``value`` (string keys, finite numbers, JSON types)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if not all(isinstance(key, str) for key in item):
                return False
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, float):
            try:
                json.dumps(item, allow_nan=False)
            except ValueError:
                return False
        elif not (item is None or isinstance(item, str | int)):
            return False
    return True


@settings(max_examples=300, deadline=None)  # deadline: one example may validate a 200,000-character string
@given(case=hostile_mutations())
def test_validate_answers_every_mutated_request_with_a_report(case: Seed) -> None:
    """Dropped, duplicated, retyped, nested, huge and non-JSON values: a bounded Report, never an exception."""
    provider, schema, payload = case
    report = sdcontracts.validate(provider, payload, schema=schema)
    assert isinstance(report, Report)
    assert [] == [v for v in report.violations if v.rule == "internal-error"]
    assert len(report.violations) <= VIOLATION_LIMIT + 1
    assert all(isinstance(v.path, str) and v.message for v in report.violations)
    if not is_json(payload):
        assert not report.ok, "a value no JSON encoder sends must not validate"
    json.dumps(report.to_dict(), allow_nan=False)  # "JSON-ready", whatever the payload held
