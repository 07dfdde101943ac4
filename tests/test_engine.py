"""The schema compiler and the interpreter, on small schemas written for each behaviour."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import jsonschema
import jsonschema_rs
import pytest

from sdcontracts._compiler import SchemaError, compile_engine_schema, compile_nodes
from sdcontracts._engine import Interpreter, json_kind
from sdcontracts._report import Violation


def run(schema: dict[str, Any], payload: Any) -> list[Violation]:
    return Interpreter(compile_nodes(schema, lambda s: s.get("x-doc", ""))).violations(payload)


def rules(schema: dict[str, Any], payload: Any) -> list[tuple[str, str]]:
    return [(v.rule, v.path) for v in run(schema, payload)]


def fast(schema: dict[str, Any]) -> Any:
    engine, formats = compile_engine_schema(schema)
    return jsonschema_rs.validator_for(engine, formats=formats, validate_formats=True)


CLOSED = {
    "type": "object",
    "additionalProperties": False,
    "required": ["width"],
    "properties": {
        "width": {"type": "integer", "minimum": 128, "maximum": 2048, "multipleOf": 8, "x-doc": "width quote"},
        "strength": {"type": ["number", "null"], "exclusiveMinimum": 0, "maximum": 1},
        "sampler": {"type": "string", "enum": ["Euler a", "DDIM"]},
        "prompt": {"type": "string", "minLength": 1, "maxLength": 5},
        "loras": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
        "key": {"type": "string", "pattern": "^[0-9a-f]{4}$", "x-pattern": "4 hex digits", "x-secret": True},
    },
}


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, "null"), (True, "boolean"), (3, "integer"), (3.0, "integer"), (3.5, "number"),
        (Decimal("2"), "integer"), ("x", "string"), ([], "array"), ((1,), "array"), ({}, "object"),
        (math.nan, None), (math.inf, None), (b"x", None), ({1}, None), (object(), None),
    ],
)  # fmt: skip
def test_json_kind_follows_json_schema_and_jsonschema_rs(value: Any, kind: str | None) -> None:
    """Integral floats are integers, NaN/inf and non-JSON types have no kind."""
    assert kind == json_kind(value)


def test_valid_payload_has_no_violations() -> None:
    """A payload inside every bound gives an empty list."""
    assert [] == run(CLOSED, {"width": 512, "strength": None, "sampler": "DDIM", "prompt": "cat", "loras": ["a"]})


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"width": 120}, [("minimum", "/width")]),
        ({"width": 2056}, [("maximum", "/width")]),
        ({"width": 516}, [("multiple-of", "/width")]),
        ({"width": 512, "strength": 0}, [("exclusive-minimum", "/strength")]),
        ({"width": 512, "strength": 1.01}, [("maximum", "/strength")]),
        ({"width": 512, "prompt": ""}, [("min-length", "/prompt")]),
        ({"width": 512, "prompt": "abcdef"}, [("max-length", "/prompt")]),
        ({"width": 512, "loras": ["a", "b", "c"]}, [("max-items", "/loras")]),
        ({"width": 512, "key": "xyz!"}, [("pattern", "/key")]),
        ({"width": "512"}, [("type", "/width")]),
        ({"width": True}, [("type", "/width")]),
        ({}, [("required", "")]),
        ({"width": 512, "Width": 512}, [("unknown-field", "/Width")]),
    ],
)
def test_each_keyword_reports_its_rule_at_the_offending_value(payload: Any, expected: list[tuple[str, str]]) -> None:
    """One broken keyword gives one violation with its rule id and JSON Pointer."""
    assert expected == rules(CLOSED, payload)


def test_boundaries_themselves_pass() -> None:
    """Minimum, maximum and the inclusive end of an exclusive range are allowed."""
    assert [] == run(CLOSED, {"width": 128, "strength": 1})
    assert [] == run(CLOSED, {"width": 2048, "strength": 1e-9})


def test_wrong_type_is_reported_once_and_not_descended() -> None:
    """A list where an object is expected gives one type violation, not one per item."""
    assert [("type", "/loras")] == rules(CLOSED, {"width": 512, "loras": {"a": [1, 2, 3]}})


def test_messages_name_the_field_the_value_and_what_is_allowed() -> None:
    """The message says which field, what it was and the allowed range; doc is the quote."""
    (violation,) = run(CLOSED, {"width": 4096})
    assert "width is 4096, above the maximum 2048 (allowed: 128 to 2048)" == violation.message
    assert "width quote" == violation.doc
    assert 2048 == violation.expected


def test_enum_suggests_the_value_in_another_case() -> None:
    """ "euler a" is not allowed, and the message suggests "Euler a"."""
    (violation,) = run(CLOSED, {"width": 512, "sampler": "euler a"})
    assert violation.message.endswith('did you mean "Euler a"?')


def test_unknown_field_suggests_a_close_field() -> None:
    """A misspelt key is unknown-field with a did-you-mean naming the real field."""
    (violation,) = run(CLOSED, {"width": 512, "promt": "x"})
    assert ("unknown-field", "/promt", "prompt") == (violation.rule, violation.path, violation.expected)
    assert "did you mean 'prompt'?" in violation.message


def test_secret_values_are_never_echoed() -> None:
    """An x-secret field's value does not appear in its violation message."""
    (violation,) = run(CLOSED, {"width": 512, "key": "sk-super-secret"})
    assert "sk-super-secret" not in violation.message
    assert "(value withheld)" in violation.message


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"width": 512, "strength": math.nan}, [("not-json", "/strength")]),
        ({"width": 512, "prompt": b"cat"}, [("not-json", "/prompt")]),
        ({"width": 512, 7: 1}, [("not-json", "")]),
    ],
)
def test_non_json_values_are_violations_not_exceptions(payload: Any, expected: list[tuple[str, str]]) -> None:
    """NaN, bytes and non-string keys are reported as not-json."""
    assert expected == rules(CLOSED, payload)


def test_tuples_and_decimals_count_as_arrays_and_numbers() -> None:
    """Like jsonschema-rs, the interpreter accepts tuples as arrays and Decimals as numbers."""
    assert [] == run(CLOSED, {"width": Decimal(512), "loras": ("a",)})


FREE = {"type": "object", "properties": {"params": {"type": "object"}}, "additionalProperties": False}


def test_free_form_values_are_checked_for_json_ness_at_any_depth() -> None:
    """Inside a free-form object, a NaN ten thousand levels down is found, with its pointer."""
    deep: list[Any] = []
    leaf = deep
    for _ in range(10_000):
        leaf.append([])
        leaf = leaf[0]
    leaf.append(math.nan)
    found = run(FREE, {"params": {"x": deep}})
    assert ["not-json"] == [v.rule for v in found]
    assert found[0].path.startswith("/params/x/0/0/") and found[0].path.endswith("/0")


def test_python_checks_find_free_form_problems_on_the_fast_path() -> None:
    """python_checks (run when jsonschema-rs says valid) still catches bytes in free-form values."""
    interpreter = Interpreter(compile_nodes(FREE, lambda s: ""))
    assert fast(FREE).is_valid({"params": {"x": b"raw"}})
    assert ["not-json"] == [v.rule for v in interpreter.python_checks({"params": {"x": b"raw"}})]


INT64 = {
    "type": "object",
    "properties": {"seed": {"type": ["string", "integer"], "format": "int64", "maximum": 4294967295}},
}


@pytest.mark.parametrize(
    ("seed", "expected"),
    [
        ("933011881", []), (-1, []), ("-1", []), (4294967295, []), ("4294967295", []),
        ("4294967296", [("maximum", "/seed")]), (4294967296, [("maximum", "/seed")]),
        ("12a", [("format", "/seed")]), ("99999999999999999999", [("format", "/seed")]),
        (1.5, [("type", "/seed")]),
    ],
)  # fmt: skip
def test_int64_accepts_numbers_and_decimal_strings_with_the_same_bounds(seed: Any, expected: list[Any]) -> None:
    """Protobuf int64: "123" and 123 are both fine; bounds apply to the string's value too."""
    assert expected == rules(INT64, {"seed": seed})
    assert fast(INT64).is_valid({"seed": seed}) == (expected == [])


UNBOUNDED_INT64 = {"type": "object", "properties": {"id": {"type": ["string", "integer"], "format": "int64"}}}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2**63 - 1, []), (-(2**63), []), (str(2**63 - 1), []),
        (2**63, [("format", "/id")]), (-(2**63) - 1, [("format", "/id")]), (str(2**63), [("format", "/id")]),
        (1e30, [("format", "/id")]), (float(2**63), [("format", "/id")]),
    ],
)  # fmt: skip
def test_int64_numbers_keep_to_the_64_bit_range_as_strings_do(value: Any, expected: list[Any]) -> None:
    """An int64 without bounds still ends at ±2^63 as a number, as it does as a string (found by
    Schemathesis: expireSec 9223372036854775808 was accepted)."""
    assert expected == rules(UNBOUNDED_INT64, {"id": value})
    assert fast(UNBOUNDED_INT64).is_valid({"id": value}) == (expected == [])


PROTOJSON = {
    "x-protojson": True,
    "type": "object",
    "additionalProperties": False,
    "required": ["requestId"],
    "properties": {"requestId": {"type": "string"}, "imageToUpscaler": {"type": "object", "properties": {}}},
}


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"requestId": "a"}, []),
        ({"request_id": "a"}, []),
        ({"request_id": "a", "image_to_upscaler": {}}, []),
        ({"requestId": "a", "request_id": "b"}, [("duplicate-field", "/request_id")]),
        ({}, [("required", "")]),
        ({"requestid": "a"}, [("unknown-field", "/requestid"), ("required", "")]),
    ],
)
def test_protojson_accepts_either_spelling_but_not_both(payload: Any, expected: list[Any]) -> None:
    """lowerCamel and snake_case both validate; one field in both spellings is duplicate-field."""
    assert expected == rules(PROTOJSON, payload)
    assert fast(PROTOJSON).is_valid(payload) == (expected == [])


def test_protojson_required_message_names_both_spellings() -> None:
    """The missing-field message says either spelling will do."""
    (violation,) = run(PROTOJSON, {})
    assert "'requestId' or 'request_id'" in violation.message


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [
        ({"type": "object", "oneOf": [{}]}, "unsupported keywords ['oneOf']"),
        ({"$defs": {"A": {"type": "array", "items": {"$ref": "#/$defs/A"}}}, "$ref": "#/$defs/A"}, "recursive"),
        ({"$ref": "other.json#/x"}, "only local"),
        ({"type": "string", "format": "uri"}, "int64"),
        ({"type": "integer", "multipleOf": 0.5}, "positive integer"),
        ({"type": "object", "required": ["a"], "properties": {}}, "required fields without a schema"),
        ({"type": "strange"}, "unknown types"),
        ({"enum": [[1]]}, "scalars"),
        ({"type": "string", "pattern": "^\\d+$"}, "ECMA-262"),
        ({"type": "string", "pattern": "^a$|^b$"}, "ECMA-262"),
    ],
)
def test_compiler_refuses_what_it_cannot_enforce_exactly(schema: dict[str, Any], fragment: str) -> None:
    """Unsupported keywords, formats and recursive references fail at compile time, loudly."""
    with pytest.raises(SchemaError, match=None) as caught:
        compile_nodes(schema, lambda s: "")
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    "payload",
    [
        {"width": 512},
        {"width": 100, "strength": 0, "sampler": "x", "prompt": "", "loras": [1, 2, 3], "key": "zz"},
        {"width": "a", "extra": 1},
        [],
        None,
    ],
)
def test_engine_schema_agrees_with_the_reference_implementation(payload: Any) -> None:
    """jsonschema-rs and pure-Python jsonschema give the same verdict on the engine schema,
    and so does the interpreter."""
    engine, _ = compile_engine_schema(CLOSED)
    reference = jsonschema.Draft202012Validator(engine).is_valid(payload)
    assert reference == fast(CLOSED).is_valid(payload) == (run(CLOSED, payload) == [])


NESTED = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "prompt": {"type": "string"},
        "scripts": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "checkpoint": {"type": "string"},
                "units": {"type": "array", "items": {"$ref": "#/$defs/U"}},
            },
        },
    },
    "$defs": {"U": {"type": "object", "additionalProperties": False, "properties": {"weight": {"type": "number"}}}},
}


@pytest.mark.parametrize(
    ("key", "expected", "ending"),
    [
        ("checkpoint", "scripts.checkpoint", "it belongs in scripts.checkpoint"),
        ("Weight", "scripts.units[].weight", "it belongs in scripts.units[].weight"),
        ("Prompt", "prompt", "did you mean 'prompt'?"),
    ],
)
def test_unknown_field_points_to_the_level_where_it_belongs(key: str, expected: str, ending: str) -> None:
    """A nested field given one or two levels too high says where it goes; a same-name field wins."""
    (violation,) = run(NESTED, {key: 1})
    assert (expected, True) == (violation.expected, violation.message.endswith(ending))


@pytest.mark.parametrize(("value", "valid"), [("0123", True), ("0123\n", False), ("", False), ("12a", False)])
def test_a_final_dollar_anchors_at_the_very_end_as_in_ecma_262(value: str, valid: bool) -> None:
    """ "^[0-9]{1,20}$" refuses "0123\\n" like jsonschema-rs does (Python's re alone would accept it)."""
    schema = {"type": "string", "pattern": "^[0-9]{1,20}$"}
    assert (valid, valid) == (run(schema, value) == [], fast(schema).is_valid(value))
