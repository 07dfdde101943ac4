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


# -- one defect, one violation, at the exact limits -----------------------------------------------

BOUNDED_INT64 = {"type": "object", "properties": {
    "seed": {"type": ["string", "integer"], "format": "int64", "minimum": -1, "maximum": 4294967295}}}  # fmt: skip


@pytest.mark.parametrize("seed", [2**70, -(2**70), 2**63])
def test_an_int64_number_beyond_64_bits_is_one_format_violation_not_also_a_bound(seed: int) -> None:
    """seed 2^70 is outside int64 (format); it is not reported again as above the maximum."""
    (violation,) = run(BOUNDED_INT64, {"seed": seed})
    assert ("format", "/seed", "int64") == (violation.rule, violation.path, violation.expected)
    assert violation.message.endswith(", outside the int64 range")


def test_an_int64_string_beyond_its_bounds_says_its_value_and_the_bounds() -> None:
    """ "-2" as a seed is below the minimum -1, and the message says so with the allowed range."""
    (violation,) = run(BOUNDED_INT64, {"seed": "-2"})
    assert "seed is -2, below the minimum -1 (allowed: -1 to 4294967295)" == violation.message


@pytest.mark.parametrize(("prompt", "ok"), [("a", True), ("abcde", True), ("", False), ("abcdef", False)])
def test_string_lengths_are_inclusive_at_both_ends(prompt: str, ok: bool) -> None:
    """minLength 1 and maxLength 5: one and five characters pass, none and six do not."""
    assert ok == (run(CLOSED, {"width": 512, "prompt": prompt}) == [])


@pytest.mark.parametrize(
    ("prompt", "message"),
    [("", "prompt has 0 characters; at least 1 required"), ("abcdefg", "prompt has 7 characters; at most 5 allowed")],
)
def test_length_messages_count_characters(prompt: str, message: str) -> None:
    """The message gives the length and the bound."""
    (violation,) = run(CLOSED, {"width": 512, "prompt": prompt})
    assert message == violation.message


@pytest.mark.parametrize(("loras", "ok"), [([], True), (["a", "b"], True), (["a", "b", "c"], False)])
def test_array_lengths_are_inclusive(loras: list[str], ok: bool) -> None:
    """maxItems 2: two items pass, three do not."""
    assert ok == (run(CLOSED, {"width": 512, "loras": loras}) == [])


def test_min_items_is_inclusive_and_says_how_many() -> None:
    """minItems 2: two items pass; one is "has 1 item; at least 2 required"."""
    schema = {"type": "object", "properties": {"a": {"type": "array", "minItems": 2}}}
    (violation,) = run(schema, {"a": [1]})
    assert ([], "a has 1 item; at least 2 required") == (run(schema, {"a": [1, 2]}), violation.message)


@pytest.mark.parametrize(
    ("strength", "message"),
    [(0, "strength is 0; it must be greater than 0 (allowed: greater than 0 and at most 1)"),
     (1.5, "strength is 1.5, above the maximum 1 (allowed: greater than 0 and at most 1)")],
)  # fmt: skip
def test_bound_messages_state_the_whole_allowed_range(strength: float, message: str) -> None:
    """An exclusive minimum with a maximum is described as both."""
    (violation,) = run(CLOSED, {"width": 512, "strength": strength})
    assert message == violation.message


def test_an_exclusive_maximum_excludes_its_bound_and_says_so() -> None:
    """exclusiveMaximum 10: 9.99 passes; 10 is "less than 10"."""
    schema = {"type": "object", "properties": {"x": {"type": "number", "minimum": 0, "exclusiveMaximum": 10}}}
    (violation,) = run(schema, {"x": 10})
    assert [] == run(schema, {"x": 9.99})
    assert [("exclusive-maximum", "/x")] == rules(schema, {"x": 10.5}) == rules(schema, {"x": 10**20})
    assert ("exclusive-maximum", "x is 10; it must be less than 10 (allowed: at least 0 and less than 10)") == (
        violation.rule, violation.message
    )  # fmt: skip


def test_a_fractional_number_is_not_a_multiple_of_an_integer_step() -> None:
    """multipleOf 8: 512.5 is not a multiple; 512.0 is."""
    schema = {"type": "object", "properties": {"x": {"type": "number", "multipleOf": 8}}}
    assert ([("multiple-of", "/x")], []) == (rules(schema, {"x": 512.5}), rules(schema, {"x": 512.0}))


def test_an_integer_is_a_number() -> None:
    """A field typed number takes integers; one typed integer refuses 1.5."""
    schema = {"type": "object", "properties": {"n": {"type": "number"}, "i": {"type": "integer"}}}
    assert ([], [("type", "/i")]) == (rules(schema, {"n": 3, "i": 3}), rules(schema, {"n": 1.5, "i": 1.5}))


@pytest.mark.parametrize(
    ("schema", "value", "message"),
    [({"type": ["null", "string", "integer"]}, 1.5, "v must be an integer or a string or null, not a number (1.5)"),
     ({"type": ["string", "integer"], "format": "int64"}, [1], "v must be an integer or a decimal string, not an array ([1])"),
     ({"type": "boolean"}, {"a": 1}, 'v must be a boolean, not an object ({"a": 1})')],
)  # fmt: skip
def test_type_messages_list_the_allowed_types_in_a_fixed_order(
    schema: dict[str, Any], value: Any, message: str
) -> None:
    """Types are listed integer, number, string, boolean, array, object, null; an int64 asks for an integer or a decimal string."""
    (violation,) = run({"type": "object", "properties": {"v": schema}}, {"v": value})
    assert message == violation.message


def test_a_wrong_const_or_enum_value_is_reported_once() -> None:
    """A value failing const (or enum) is not also checked against the field's other keywords."""
    schema = {
        "type": "object",
        "properties": {"c": {"const": "ab", "maxLength": 1}, "e": {"enum": [1, 2], "minimum": 5}},
    }
    assert [("const", "/c"), ("enum", "/e")] == rules(schema, {"c": "xyz", "e": 3})


def test_enum_messages_list_at_most_24_values_and_say_how_many_there_are() -> None:
    """An enum of 30 shows the first 24 and "(30 in all)"."""
    schema = {"type": "object", "properties": {"e": {"enum": list(range(30))}}}
    (violation,) = run(schema, {"e": 99})
    shown = ", ".join(str(i) for i in range(24))
    assert f"e is 99, not one of the allowed values: {shown}, … (30 in all)" == violation.message


def test_enum_messages_list_short_enums_whole() -> None:
    """An enum of two is listed in full, with no count."""
    (violation,) = run(CLOSED, {"width": 512, "sampler": "PLMS"})
    assert 'sampler is "PLMS", not one of the allowed values: "Euler a", "DDIM"' == violation.message


# -- keys and free-form values --------------------------------------------------------------------


def test_a_non_string_key_inside_a_free_form_value_is_reported_with_its_path() -> None:
    """A free-form object holding the key 1 (a Python int) is not JSON: reported where the object is, on both walks."""
    payload = {"params": {"x": {"ok": [1], 1: "a"}}}
    expected = [("not-json", "/params/x", "params.x has the key 1 of type int; JSON object keys are strings")]
    interpreter = Interpreter(compile_nodes(FREE, lambda s: ""))
    assert expected == [(v.rule, v.path, v.message) for v in interpreter.violations(payload)]
    assert expected == [(v.rule, v.path, v.message) for v in interpreter.python_checks(payload)]


def test_a_non_string_key_in_an_open_object_is_found_on_the_fast_path() -> None:
    """Under additionalProperties with Python-only checks, an object with an int key is reported by python_checks."""
    schema = {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": {}}}
    found = Interpreter(compile_nodes(schema, lambda s: "")).python_checks({"a": {"b": 1, 2: 3}})
    assert [("not-json", "/a")] == [(v.rule, v.path) for v in found]


def test_a_non_string_key_in_a_closed_object_is_reported_once_and_the_rest_still_checked() -> None:
    """An int key is one not-json violation; the string keys beside it are checked as usual."""
    assert [("not-json", ""), ("maximum", "/width")] == rules(CLOSED, {3: 1, "width": 4096})


def test_findings_stop_the_walk_at_their_limit() -> None:
    """A Findings of 3 holds exactly 3 violations of a payload with ten, on either walk."""
    from sdcontracts._engine import Findings

    interpreter = Interpreter(compile_nodes(CLOSED, lambda s: ""))
    payload = {"width": 512, **{f"extra{i}": i for i in range(10)}}
    full = interpreter.violations(payload, Findings.up_to(3))
    free = Interpreter(compile_nodes(FREE, lambda s: "")).python_checks(
        {"params": {f"k{i}": b"x" for i in range(10)}}, Findings.up_to(3)
    )
    assert (3, 3, 10) == (len(full), len(free), len(interpreter.violations(payload)))


def test_a_field_given_twice_is_reported_with_both_spellings() -> None:
    """request_id beside requestId is duplicate-field at the second, naming both."""
    (violation,) = run(PROTOJSON, {"requestId": "a", "request_id": "b"})
    assert ("the payload gives 'requestId' twice, as 'requestId' and 'request_id'; give each field once, in either "
            "spelling", "requestId") == (violation.message, violation.expected)  # fmt: skip


def test_a_missing_field_carries_its_own_doc_quote() -> None:
    """The required violation quotes the missing field's doc, not its parent's."""
    (violation,) = run(CLOSED, {})
    assert ("the payload is missing the required field 'width'", "width quote", "width") == (
        violation.message, violation.doc, violation.expected
    )  # fmt: skip


def test_unknown_field_lists_the_allowed_fields_when_nothing_is_close() -> None:
    """A key like no field gets the list of fields instead of a guess."""
    (violation,) = run(CLOSED, {"width": 512, "zzzzzz": 1})
    assert ("the payload has no field 'zzzzzz'; allowed fields: width, strength, sampler, prompt, loras, key", None) == (
        violation.message, violation.expected
    )  # fmt: skip


def test_unknown_field_does_not_list_hundreds_of_fields() -> None:
    """An object with fields too many to list (400 characters of names) gets no list."""
    schema = {"type": "object", "additionalProperties": False,
              "properties": {f"field_number_{i:03d}": {} for i in range(40)}}  # fmt: skip
    (violation,) = run(schema, {"qqqqqqqqqqqqqqqqqqqqqqqq": 1})
    assert "the payload has no field 'qqqqqqqqqqqqqqqqqqqqqqqq'" == violation.message


def test_a_nested_field_three_levels_down_is_found_but_not_four() -> None:
    """A key that belongs three objects down is placed; one four levels down is not searched for."""

    def nest(*names: str) -> dict[str, Any]:
        node: dict[str, Any] = {"type": "object", "properties": {"deep_key": {"type": "string"}}}
        for name in reversed(names):
            node = {"type": "object", "properties": {name: node}}
        return {**node, "additionalProperties": False}

    three = run(nest("a", "b", "c"), {"deep_key": "x"})[0]
    four = run(nest("a", "b", "c", "d"), {"deep_key": "x"})[0]
    assert ("a.b.c.deep_key", None) == (three.expected, four.expected)


# -- show -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [("x" * 60, '"' + "x" * 60 + '"'), ("y" * 61, '"' + "y" * 60 + '…" (61 characters)'), (True, "true"),
     (False, "false"), (None, "null"), (10**59, str(10**59)), (10**60, "an integer of 61 digits"),
     (-(10**70), "an integer of 71 digits"), ({"a": 1}, '{"a": 1}'), ([1, 2], "[1, 2]"),
     ({"k": "v" * 60}, "1 field"), (["v" * 70], "1 item"), ([b"x", 2], "2 items"), (1.5, "1.5"),
     (b"z" * 70, repr(b"z" * 70)[:60] + "…"), ("é🙂", '"é🙂"'), ({"k": "é"}, '{"k": "é"}'), ([math.nan], "1 item"),
     ([math.inf, 1], "2 items"), (10**61, "an integer of 62 digits"), (-(10**64) + 1, "an integer of 64 digits"),
     (["x" * 56], '["' + "x" * 56 + '"]'), (["x" * 57], "1 item"),
     (10**512, "an integer of 513 digits"), (10**2048, "an integer of 2,049 digits")],  # the float log reads 511.99…
)  # fmt: skip
def test_values_are_shown_short_and_safe(value: Any, shown: str) -> None:
    """Strings over 60 characters are cut with their length; huge integers by their digits; containers by their size when long."""
    from sdcontracts._engine import show

    assert shown == show(value)


def test_an_enum_of_exactly_24_values_is_listed_whole() -> None:
    """24 allowed values fit the message: no "(… in all)" count."""
    (violation,) = run({"type": "object", "properties": {"e": {"enum": list(range(24))}}}, {"e": 99})
    assert violation.message.endswith(", 23") and violation.expected == list(range(24))


def test_more_items_than_the_minimum_are_fine() -> None:
    """minItems 2 takes three items."""
    assert [] == run({"type": "object", "properties": {"a": {"type": "array", "minItems": 2}}}, {"a": [1, 2, 3]})


def test_a_unique_items_violation_expects_unique_items_and_sees_reordered_objects_as_equal() -> None:
    """{"a": 1, "b": 2} and {"b": 2, "a": 1} are one value: the second is a repeat, and the violation's expected is true."""
    schema = {"type": "object", "properties": {"u": {"type": "array", "uniqueItems": True}}}
    (violation,) = run(schema, {"u": [{"a": 1, "b": 2}, {"b": 2, "a": 1}]})
    assert ("unique-items", "/u/1", True) == (violation.rule, violation.path, violation.expected)


def test_fields_after_a_duplicated_one_are_still_checked() -> None:
    """A field given twice is reported, and a bad field after it is reported too."""
    schema = {**PROTOJSON, "properties": {**PROTOJSON["properties"], "n": {"type": "integer"}}}
    assert [("duplicate-field", "/request_id"), ("type", "/n")] == rules(
        schema, {"requestId": "a", "request_id": "b", "n": "x"}
    )


def test_an_unknown_nested_field_names_its_own_parent() -> None:
    """A misspelt key inside scripts says "scripts has no field", not the payload's."""
    (violation,) = run(NESTED, {"scripts": {"checkpointt": "x"}})
    assert violation.message.startswith("scripts has no field 'checkpointt'")


@pytest.mark.parametrize(("extra", "listed"), [(9, True), (10, False)])
def test_allowed_fields_are_listed_up_to_399_characters(extra: int, listed: bool) -> None:
    """The list of allowed fields is given while it is under 400 characters long."""
    names = [f"f{i:07d}" for i in range(39)] + ["g" * extra]  # 39 x 8 + 39 x 2 (", ") + extra = 390 + extra
    schema = {"type": "object", "additionalProperties": False, "properties": {n: {} for n in names}}
    (violation,) = run(schema, {"qqqqqqqqqqqqqqqqqqqqqqqq": 1})
    assert listed == ("; allowed fields: " in violation.message)


def test_python_checks_leave_a_null_image_field_alone() -> None:
    """An image field that may be null holds null: nothing to check on the fast path."""
    schema = {"type": "object", "properties": {"img": {"type": ["string", "null"], "x-image": {}}}}
    assert [] == Interpreter(compile_nodes(schema, lambda s: "")).python_checks({"img": None})


def test_python_checks_walk_an_array_or_string_field_only_when_it_is_an_array() -> None:
    """A field that is an array of images or a string holds a string: its characters are not images."""
    schema = {
        "type": "object",
        "properties": {"a": {"type": ["array", "string"], "items": {"type": "string", "x-image": {}}}},
    }
    assert [] == Interpreter(compile_nodes(schema, lambda s: "")).python_checks({"a": "abc"})


@pytest.mark.parametrize(
    ("value", "message"),
    [(math.nan, "prompt is nan, which JSON cannot represent"), (Decimal("Infinity"), "prompt is Decimal('Infinity'), which JSON cannot represent"),
     (b"x", "prompt is a Python bytes, which is not a JSON value"), ({1, 2}, "prompt is a Python set, which is not a JSON value")],
)  # fmt: skip
def test_not_json_messages_say_why_the_value_is_not_json(value: Any, message: str) -> None:
    """A number JSON cannot hold is quoted; a value of another Python type is named by its type."""
    (violation,) = run(CLOSED, {"width": 512, "prompt": value})
    assert ("not-json", message) == (violation.rule, violation.message)
