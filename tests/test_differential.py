"""Three engines, one verdict: jsonschema-rs (the fast path), the interpreter (the explanations)
and the pure-Python jsonschema reference agree on schema validity, for doc examples and for
Hypothesis mutations of them."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdcontracts._corpus import examples
from sdcontracts._protojson import snake_name
from sdcontracts._validation import CompiledSchema, compiled

# Checks that only Python runs, by design: jsonschema-rs never looks inside a base64 image.
# (Non-JSON values such as NaN are not generated here: this test is about schema semantics on JSON,
# and test_validation's never-raises property covers everything else.)
PYTHON_ONLY = {"image-encoding", "image-format", "image-dimensions", "image-size"}

CORPUS = examples()
SEEDS = [(e.provider, e.schema, e.payload) for e in CORPUS]


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


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
INTERESTING = st.sampled_from(
    [0, -1, 1, 7, 8, 63, 64, 127, 128, 512, 1024, 1536, 2048, 2049, 4294967296, 1.5, 0.0, "", "0", "-1", "512",
     "4294967296", "Euler a", "DIFFUSION", "INPUT_INITIALIZE", "None", True, None, [], {}]
)  # fmt: skip


def paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON document."""
    found = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*here, index))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str, Any]:
    provider, schema, payload = draw(st.sampled_from(SEEDS))
    payload = copy.deepcopy(payload)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(payload)))
        parent: Any = payload
        for key in path[:-1]:
            parent = parent[key]
        if not path:
            payload = draw(VALUES)
            continue
        key = path[-1]
        action = draw(st.sampled_from(["replace", "interesting", "delete", "add", "alias"]))
        if action == "replace":
            parent[key] = draw(VALUES)
        elif action == "interesting":
            parent[key] = draw(INTERESTING)
        elif action == "delete":
            del parent[key]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "cfg_scale", "type", "count", "seed"]))] = draw(INTERESTING)
        elif action == "alias" and isinstance(parent, dict) and isinstance(key, str):
            parent[snake_name(key)] = parent[key]
    return provider, schema, payload


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated())
def test_engines_agree_on_mutated_examples(case: tuple[str, str, Any]) -> None:
    """Dropped, retyped, boundary-valued, added and re-spelt fields: one verdict from all three."""
    provider, schema, payload = case
    fast, explained, ref = verdicts(provider, schema, payload)
    assert fast == explained == ref, (provider, schema, payload)
