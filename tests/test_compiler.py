"""The schema compiler: every keyword it accepts means the same to the interpreter, to jsonschema-rs
(the engine form) and to the pure-Python reference, and everything it cannot enforce exactly is a
SchemaError. test_engine.py holds the interpreter's messages; this file, the compiler's readings."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import jsonschema
import jsonschema_rs
import pytest
from conftest import b64, png

from sdcontracts._compiler import (
    FREE,
    SchemaError,
    add_fragments,
    caller_document,
    compile_engine_schema,
    compile_nodes,
    ecma_pattern,
    int64_pattern,
)
from sdcontracts._engine import Interpreter


def interpreter(schema: dict[str, Any]) -> Interpreter:
    return Interpreter(compile_nodes(schema, lambda s: s.get("x-doc", "")))


def rules(schema: dict[str, Any], payload: Any) -> list[tuple[str, str]]:
    return [(v.rule, v.path) for v in interpreter(schema).violations(payload)]


def verdicts(schema: dict[str, Any], payload: Any) -> tuple[bool, bool, bool]:
    """(interpreter, jsonschema-rs, pure-Python jsonschema) on the engine form: is it valid?"""
    engine, formats = compile_engine_schema(schema)
    fast = jsonschema_rs.validator_for(engine, formats=formats, validate_formats=True).is_valid(payload)
    checker = jsonschema.FormatChecker()
    for name, check in formats.items():  # jsonschema-rs calls a format on strings only; so must the reference
        checker.checks(name)(lambda value, check=check: not isinstance(value, str) or check(value))
    reference = jsonschema.Draft202012Validator(engine, format_checker=checker).is_valid(payload)
    return (rules(schema, payload) == [], fast, reference)


def agree(schema: dict[str, Any], payload: Any, valid: bool) -> bool:
    return (valid, valid, valid) == verdicts(schema, payload)


# -- int64 ----------------------------------------------------------------------------------------

STEPPED = {"type": "object", "properties": {"n": {"type": ["string", "integer"], "format": "int64",
                                                  "minimum": -10, "maximum": 100, "multipleOf": 5}}}  # fmt: skip


@pytest.mark.parametrize(
    ("value", "expected"),
    [("15", []), (15, []), ("-10", []), ("100", []), ("+0", []), ("16", [("multiple-of", "/n")]),
     (16, [("multiple-of", "/n")]), ("105", [("maximum", "/n")]), ("-15", [("minimum", "/n")]),
     (-15, [("minimum", "/n")]), ("1.5", [("format", "/n")]), ("9" * 22, [("format", "/n")])],
)  # fmt: skip
def test_an_int64_with_multiple_of_checks_strings_and_numbers_alike(value: Any, expected: list[Any]) -> None:
    """int64 with multipleOf (a format checker, not a pattern): bounds and step apply to "15" as to 15, in every engine."""
    assert expected == rules(STEPPED, {"n": value})
    assert agree(STEPPED, {"n": value}, expected == [])


def test_an_int64_with_multiple_of_and_no_bounds_keeps_to_the_64_bit_range() -> None:
    """Without minimum or maximum, a stepped int64 string or number still ends at ±2^63."""
    schema = {
        "type": "object",
        "properties": {"n": {"type": ["string", "integer"], "format": "int64", "multipleOf": 2}},
    }
    assert [agree(schema, {"n": v}, ok) for v, ok in
            [(str(2**63 - 1), False), (str(2**63 - 2), True), (str(-(2**63)), True), (2**63, False),
             (-(2**63) - 2, False), ("3", False)]] == [True] * 6  # fmt: skip


@pytest.mark.parametrize(("low", "high"), [(-(2**70), 2**70), (-(2**70), None), (None, 2**70)])
def test_int64_bounds_beyond_64_bits_are_the_64_bit_range(low: int | None, high: int | None) -> None:
    """A schema bound past ±2^63 cannot widen an int64: the limits stay those of a signed 64-bit integer."""
    field: dict[str, Any] = {"type": ["string", "integer"], "format": "int64"}
    field |= {} if low is None else {"minimum": low}
    field |= {} if high is None else {"maximum": high}
    schema = {"type": "object", "properties": {"n": field}}
    engine, _ = compile_engine_schema(schema)
    fast = jsonschema_rs.validator_for(engine)
    assert [True, True, False, False, False] == [
        fast.is_valid({"n": v}) for v in (2**63 - 1, str(-(2**63)), 2**63, -(2**63) - 1, str(2**63))
    ]


def test_the_engine_form_of_an_int64_is_a_pattern_with_its_length_bound() -> None:
    """Without multipleOf, an int64 string is checked by a pattern and a maxLength of 21, with no format left for Python."""
    engine, formats = compile_engine_schema({"type": ["string", "integer"], "format": "int64", "minimum": 0})
    assert ({}, 21, "format" in engine) == (formats, engine["maxLength"], False)
    assert re.fullmatch(engine["pattern"][1:-1], "0" * 21) and not jsonschema_rs.validator_for(engine).is_valid(
        "0" * 22
    )


@pytest.mark.parametrize(
    ("low", "high", "inside", "outside"),
    [(123, 999, ["123", "124", "199", "200", "998", "999", "0999"], ["122", "100", "120", "1000", "99"]),
     (19, 1234, ["19", "20", "99", "100", "1099", "1199", "1230", "1234"], ["18", "10", "1235", "1240", "1300"]),
     (-987, -123, ["-987", "-900", "-124", "-123", "-0123"], ["-988", "-122", "-100", "-999", "123", "0"]),
     (5, 5, ["5", "+5", "005"], ["4", "6", "-5", "50"]),
     (123, 129, ["123", "125", "129"], ["100", "119", "122", "130", "199"]),
     (1001, 1009, ["1001", "1009", "01005"], ["1000", "1010", "1100", "101"]),
     (19, 25, ["19", "20", "25"], ["18", "26", "29", "10"]),
     (7, 3, [], ["3", "5", "7", "0", "-0"]),
     (-3, -5, [], ["-3", "-4", "-5", "-", "-0", "0"]),
     (-3, 3, ["-3", "-0", "0", "3", "-00"], ["-4", "4", "--1"])],
)  # fmt: skip
def test_int64_patterns_hold_exactly_their_bounds(low: int, high: int, inside: list[str], outside: list[str]) -> None:
    """Bounds whose digits do not end in zeros or nines, negative ranges and empty ranges: the pattern matches exactly the range."""
    pattern = re.compile(int64_pattern(low, high))
    assert ([True] * len(inside), [False] * len(outside)) == (
        [bool(pattern.search(t)) for t in inside], [bool(pattern.search(t)) for t in outside]
    )  # fmt: skip


# -- containers and free values -------------------------------------------------------------------

UNIQUE = {"type": "array", "uniqueItems": True}


@pytest.mark.parametrize(
    ("items", "repeated"),
    [([1, 2, 3], []), ([1, 2, 1, 1], ["/2", "/3"]), (["a", {"b": [1]}, {"b": [1]}], ["/2"]), ([1, 1.0], ["/1"]),
     ([{"a": 2}, {"a": 2.0}], ["/1"]), ([True, 1], []), ([0, False, None], [])],
)  # fmt: skip
def test_unique_items_reports_each_repeat_as_every_engine_does(items: list[Any], repeated: list[str]) -> None:
    """uniqueItems: each later copy of an item is one violation at its index; 1 and 1.0 are the same JSON value, true and 1 are not."""
    assert [("unique-items", p) for p in repeated] == rules(UNIQUE, items)
    assert agree(UNIQUE, items, not repeated)


def test_a_repeat_names_the_item_it_repeats() -> None:
    """The message gives the index of the first copy."""
    schema = {"type": "object", "properties": {"tags": UNIQUE}}
    (violation,) = interpreter(schema).violations({"tags": ["x", "y", "x"]})
    assert "tags[2] repeats item 0; items must be unique" == violation.message


@pytest.mark.parametrize("free", [{}, True, {"description": "anything", "x-note": "free"}])
def test_an_empty_true_or_annotation_only_subschema_accepts_any_json_value(free: Any) -> None:
    """{} , true and a schema of annotations alone accept every JSON value, and report what is not JSON."""
    schema = {"type": "object", "properties": {"v": free}, "additionalProperties": free}
    for value in (None, 1, "s", [1, {"a": None}], {"k": [True]}):
        assert agree(schema, {"v": value, "other": value}, True)
    assert [("not-json", "/v/0"), ("not-json", "/w/k")] == rules(schema, {"v": [b"x"], "w": {"k": {1, 2}}})


def test_an_array_without_items_takes_any_json_items_and_only_json() -> None:
    """type array with no items schema: any JSON item is fine, a non-JSON one is reported at its index."""
    schema = {"type": "object", "properties": {"a": {"type": "array"}}}
    assert agree(schema, {"a": [1, "x", None, [2]]}, True)
    assert [("not-json", "/a/1")] == rules(schema, {"a": [1, float("nan")]})


def test_additional_properties_with_a_schema_checks_every_unlisted_field() -> None:
    """additionalProperties {type: integer}: listed fields follow their own schema, every other field that one."""
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "additionalProperties": {"type": "integer"}}
    assert [("type", "/x"), ("type", "/z")] == rules(schema, {"name": "n", "x": "1", "y": 2, "z": None})
    assert agree(schema, {"name": "n", "y": 2}, True) and agree(schema, {"name": "n", "x": "1"}, False)


def test_an_image_field_is_never_empty_unless_the_schema_allows_it() -> None:
    """x-image without allowEmpty refuses ""; with allowEmpty true, "" means no image."""
    strict = {"type": "object", "properties": {"i": {"type": "string", "x-image": {}}}}
    lax = {"type": "object", "properties": {"i": {"type": "string", "x-image": {"allowEmpty": True}}}}
    assert (1, []) == (len(rules(strict, {"i": ""})), rules(lax, {"i": ""}))


def test_arrays_take_repeated_items_unless_unique_items_is_set() -> None:
    """Without uniqueItems, [1, 1] is a fine array, in every engine."""
    assert agree({"type": "array", "items": {"type": "integer"}}, [1, 1], True)


@pytest.mark.parametrize(("schema", "hint"), [({"pattern": "^a+$"}, "the pattern ^a+$"),
                                              ({"pattern": "^a+$", "x-pattern": "one or more a"}, "one or more a")])  # fmt: skip
def test_a_pattern_violation_says_what_the_value_should_look_like(schema: dict[str, Any], hint: str) -> None:
    """The message gives x-pattern's description of the pattern, or the pattern itself."""
    (violation,) = interpreter({"type": "object", "properties": {"p": {"type": "string", **schema}}}).violations(
        {"p": "b"}
    )
    assert f'p is "b", which is not {hint}' == violation.message


def test_a_scalar_type_takes_no_object_keywords() -> None:
    """A string schema with properties still judges a string as a string (an object there is a type violation)."""
    schema = {"type": "object", "properties": {"s": {"type": "string", "properties": {"a": {"type": "integer"}}}}}
    assert [("type", "/s")] == rules(schema, {"s": {"a": "x"}})


# -- references -----------------------------------------------------------------------------------


def test_a_definition_referenced_twice_is_compiled_once() -> None:
    """Two $refs to one definition share one compiled node (and its checks)."""
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/D"}, "b": {"$ref": "#/$defs/D", "description": "b"}},
              "$defs": {"D": {"type": "integer", "maximum": 3}}}  # fmt: skip
    root = compile_nodes(schema, lambda s: "")
    assert root.properties["a"] is root.properties["b"]
    assert [("maximum", "/a"), ("maximum", "/b")] == rules(schema, {"a": 4, "b": 5})


@pytest.mark.parametrize(
    ("schema", "fragment"),
    [({"$ref": "#/$defs/A", "type": "object", "$defs": {"A": {}}}, "keywords beside $ref are not supported: ['type']"),
     ({"$ref": "#/$defs/missing", "$defs": {}}, "unresolvable reference '#/$defs/missing'"),
     ({"$ref": "#/$defs/A", "$defs": {"A": 3}}, "unresolvable reference"),
     ({"type": "object", "properties": {"a": 3}}, "#/properties/a: a subschema must be an object or true, not 3"),
     ({"type": "array", "items": False}, "#/items: a subschema must be an object or true, not False"),
     ({"type": ["string", "text"]}, "unknown types ['text']"),
     ({"type": "integer", "multipleOf": 0}, "multipleOf must be a positive integer"),
     ({"type": "integer", "multipleOf": True}, "multipleOf must be a positive integer"),
     ({"type": "integer", "multipleOf": -2}, "multipleOf must be a positive integer"),
     ({"type": "string", "format": "int64"}, "the only format supported is int64 on type [string, integer]"),
     ({"type": ["string", "integer"], "format": "uri"}, "the only format supported is int64"),
     ({"type": ["string", "integer"], "format": "date"}, "the only format supported is int64"),
     ({"type": ["string", "integer"], "format": "int64", "exclusiveMinimum": 0}, "not exclusive bounds"),
     ({"type": ["string", "integer"], "format": "int64", "exclusiveMaximum": 9}, "not exclusive bounds"),
     ({"x-protojson": True, "type": "object", "properties": {"fooBar": {}, "foo_bar": {}}},
      "#: the spelling 'foo_bar' names two fields"),
     ({"type": "object", "properties": {"a": {"pattern": "a$b"}}}, "#/properties/a: pattern 'a$b'")],
)  # fmt: skip
def test_what_the_compiler_cannot_enforce_exactly_is_refused_with_where_and_why(schema: Any, fragment: str) -> None:
    """Keywords beside $ref, dangling references, non-schemas, unknown types, bad steps, formats and clashing spellings."""
    with pytest.raises(SchemaError) as caught:
        compile_nodes(schema, lambda s: "")
    assert fragment in str(caught.value)


def test_a_reference_to_a_finished_definition_is_no_recursion() -> None:
    """A definition used inside another, and again beside it, compiles (only a definition inside itself is recursive)."""
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}, "b": {"$ref": "#/$defs/B"}},
              "$defs": {"A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}}, "B": {"type": "integer"}}}  # fmt: skip
    assert [("type", "/a/b"), ("type", "/b")] == rules(schema, {"a": {"b": "x"}, "b": "y"})


# -- spellings, enums, annotations ----------------------------------------------------------------

PROTO = {
    "x-protojson": True, "type": "object", "additionalProperties": False, "required": ["imageId", "count"],
    "properties": {"imageId": {"type": "string"}, "count": {"type": "integer"}, "maskBlur": {"type": "integer"}},
}  # fmt: skip


@pytest.mark.parametrize(
    ("payload", "valid"),
    [({"imageId": "a", "count": 1}, True), ({"image_id": "a", "count": 1}, True),
     ({"image_id": "a", "count": 1, "mask_blur": 2}, True), ({"count": 1}, False), ({"imageId": "a"}, False),
     ({"imageId": "a", "image_id": "a", "count": 1}, False), ({"imageId": "a", "count": 1, "maskBlur": 1, "mask_blur": 1}, False),
     ({"image_id": "a", "count": 1, "image_Id": "b"}, False)],
)  # fmt: skip
def test_protojson_fields_take_either_spelling_never_both_in_every_engine(payload: Any, valid: bool) -> None:
    """Required by either spelling, optional in either, never both; a third spelling is unknown."""
    assert agree(PROTO, payload, valid)


def test_the_engine_form_drops_annotations_and_keeps_assertions() -> None:
    """x- keys, descriptions, titles, examples and comments are not in what jsonschema-rs runs; assertions are."""
    schema = {"type": "object", "title": "t", "description": "d", "$comment": "c", "examples": [{}], "x-doc": "q",
              "properties": {"a": {"type": "string", "maxLength": 2, "x-secret": True, "description": "a"}}}  # fmt: skip
    engine, _ = compile_engine_schema(schema)
    assert {"type": "object", "properties": {"a": {"type": "string", "maxLength": 2}}} == engine


@pytest.mark.parametrize(
    ("value", "valid"),
    [(1, True), (1.0, True), (True, False), ("1", False), (None, True), (0, False), (False, True), ([1], False),
     ({"a": 1}, False)],
)  # fmt: skip
def test_enum_members_match_as_json_values(value: Any, valid: bool) -> None:
    """enum [1, null, false]: 1.0 is 1, but true is not 1 and "1" is not 1; 0 is not false; an array or object is none of them."""
    assert agree({"enum": [1, None, False]}, value, valid)


def test_const_matches_as_a_json_value() -> None:
    """const 2 takes 2.0 but not true or "2"; const null takes only null."""
    assert [agree({"const": 2}, 2.0, True), agree({"const": 2}, "2", False), agree({"const": None}, None, True),
            agree({"const": None}, 0, False), agree({"const": 1}, True, False)] == [True] * 5  # fmt: skip


@pytest.mark.parametrize(
    ("const", "value", "valid"),
    [({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2.0}]}, True), ({"a": 1}, {"a": 2}, False), ([1, 2], [2, 1], False),
     ([1], [1.0], True), ([True], [1], False), ({"a": 1}, {"a": 1, "b": 1}, False), ([{"x": None}], [{"x": None}], True),
     ({"a": 1, "b": [2]}, {"b": [2], "a": 1}, True)],
)  # fmt: skip
def test_const_objects_and_arrays_match_as_json_values(const: Any, value: Any, valid: bool) -> None:
    """A const object or array takes exactly the JSON-equal value: key order aside, 1.0 for 1, never true for 1."""
    assert agree({"type": "object", "properties": {"c": {"const": const}}}, {"c": value}, valid)


def test_unique_items_and_const_answer_for_values_json_cannot_hold() -> None:
    """Items with non-string keys, or nested past the recursion limit, are compared without raising: equal ones are
    repeats, different ones are not (a value too deep to spell out equals only itself)."""

    def deep() -> list[Any]:
        value: list[Any] = []
        for _ in range(5_000):
            value = [value]
        return value

    shared = deep()
    schema = {"type": "object", "properties": {"u": UNIQUE, "c": {"const": {"a": 1}}}}
    items = [{1: "a", "b": 2}, {1: "a", "b": 2}, {2: "a"}, shared, deep(), shared]
    found = [f for f in rules(schema, {"u": items, "c": {1: 1}}) if f[0] != "not-json"]
    assert [("unique-items", "/u/1"), ("unique-items", "/u/5"), ("const", "/c")] == found


@pytest.mark.parametrize(
    ("schema", "value", "valid"),
    [({"enum": [2]}, Decimal("2"), True), ({"const": 1.5}, Decimal("1.5"), True), ({"const": [1]}, [Decimal("1")], True),
     ({"const": [1.5]}, [Decimal("1.5")], True), ({"const": [1.5]}, [Decimal("1.25")], False),
     ({"const": [1]}, [Decimal("1.25")], False),
     (UNIQUE, [Decimal("1"), 1], False), (UNIQUE, [[Decimal("1.5")], [1.5]], False), (UNIQUE, [Decimal("1.5"), 2], True)],
)  # fmt: skip
def test_decimals_are_numbers_to_enum_const_and_unique_items(schema: dict[str, Any], value: Any, valid: bool) -> None:
    """A Decimal is the number it holds, alone or inside an array, as jsonschema-rs reads it."""
    assert (valid, valid) == verdicts(schema, value)[:2]


def test_without_x_protojson_a_snake_case_spelling_is_an_unknown_field() -> None:
    """Only a protojson schema takes snake_case aliases: elsewhere image_id is not imageId, in every engine."""
    schema = {"type": "object", "additionalProperties": False, "properties": {"imageId": {"type": "string"}}}
    assert [("unknown-field", "/image_id")] == rules(schema, {"image_id": "a"})
    assert agree(schema, {"image_id": "a"}, False)


def test_x_image_limits_and_x_role_are_read_from_the_schema() -> None:
    """x-image's maxWidth/maxHeight/maxBytes/allowEmpty and x-role are what the compiled node carries."""
    schema = {"type": "object", "properties": {
        "img": {"type": "string", "x-image": {"maxWidth": 64, "maxHeight": 32, "maxBytes": 9000, "allowEmpty": True}},
        "n": {"type": "integer", "x-role": "count"}}}  # fmt: skip
    node = compile_nodes(schema, lambda s: "")
    assert ({"maxWidth": 64, "maxHeight": 32, "maxBytes": 9000, "allowEmpty": True}, "count", None) == (
        node.properties["img"].image.to_dict(), node.properties["n"].role, node.properties["img"].role  # type: ignore[union-attr]
    )  # fmt: skip
    assert [] == rules(schema, {"img": ""})
    assert [("image-dimensions", "/img")] == rules(schema, {"img": b64(png(64, 64))})


def test_image_checks_run_on_the_fast_path_inside_arrays_and_open_objects() -> None:
    """An image inside array items or an additionalProperties value is still checked when jsonschema-rs says valid."""
    image = {"type": "string", "x-image": {"maxWidth": 16}}
    schema = {"type": "object", "properties": {"list": {"type": "array", "items": image}},
              "additionalProperties": image}  # fmt: skip
    big = b64(png(32, 32))
    assert ["/list/1", "/extra"] == [v.path for v in interpreter(schema).python_checks(
        {"list": [b64(png(8, 8)), big], "extra": big, "ok": b64(png(8, 8))})]  # fmt: skip


def test_a_schema_without_python_only_checks_skips_the_python_pass() -> None:
    """With no image and no free-form value anywhere, python_checks has nothing to do, whatever the payload."""
    schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {"a": {"type": "array", "items": {"type": "integer"}}},
    }
    assert [] == interpreter(schema).python_checks({"a": [b"x", {1: 2}], 1: 2})


def test_the_free_node_is_shared_and_marked_for_python_checks() -> None:
    """Every free-form subschema compiles to the one FREE node, which python_checks walks."""
    node = compile_nodes({"type": "object", "properties": {"a": {}, "b": True}}, lambda s: "")
    assert (FREE, FREE, FREE, True) == (node.properties["a"], node.properties["b"], node.additional, node.python)


# -- patterns -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "text", "matches"),
    [("b", "abc", True), ("b$", "abc", False), ("^a\\$", "a$", True), ("^a\\$", "a", False), ("^a\\\\$", "a\\", True), ("^a\\\\$", "a\\\n", False),
     ("^a$", "a\n", False), ("^[0-9]+$", "12", True), ("^a\\\\d$", "a\\d", True)],
)  # fmt: skip
def test_patterns_mean_in_python_what_they_mean_in_ecma_262(pattern: str, text: str, matches: bool) -> None:
    """An escaped "\\$" is a dollar sign, an escaped backslash before "$" leaves it an anchor, and the anchor ends the string."""
    assert (matches, matches) == (
        bool(re.search(ecma_pattern(pattern), text)),
        jsonschema_rs.validator_for({"type": "string", "pattern": pattern}).is_valid(text),
    )


@pytest.mark.parametrize("pattern", ["^\\d+$", "\\w", "a\\sb", "\\bword", "x\\Z", "^a$|^b$", "a\\\\\\d"])
def test_patterns_python_and_ecma_262_read_differently_are_refused(pattern: str) -> None:
    """\\d, \\w, \\s, \\b, \\Z and a "$" before the end mean other things in Python: the schema must spell them out."""
    with pytest.raises(SchemaError, match="Python and ECMA-262 read differently"):
        ecma_pattern(pattern)


# -- the caller's document and rule fragments -------------------------------------------------------

FILLED = {
    "type": "object",
    "required": ["id", "key", "prompt", "absent"],
    "properties": {
        "id": {"type": "string", "x-filled-by": "client"},
        "key": {"$ref": "#/$defs/Key"},
        "prompt": {"type": "string"},
        "jobs": {"type": "array", "items": {"type": "object", "required": ["sig", "n"],
                 "properties": {"sig": {"$ref": "#/$defs/Key"}, "n": {"type": "integer"}}}},
    },
    "$defs": {"Key": {"type": "string", "x-filled-by": "credentials"}},
}  # fmt: skip


def test_the_caller_document_no_longer_requires_fields_a_client_fills_in_wherever_they_are() -> None:
    """A field marked x-filled-by, directly or through a $ref, and in objects nested in arrays, is not required
    of the caller; every other required name (one without a subschema too) still is."""
    document = caller_document(FILLED)
    assert (["prompt", "absent"], ["n"], ["id", "key", "prompt", "absent"]) == (
        document["required"],
        document["properties"]["jobs"]["items"]["required"],
        FILLED["required"],  # the schema given is left as it was
    )


def test_rule_fragments_join_the_subschema_their_pointer_names() -> None:
    """Each fragment is added by allOf to the subschema at its pointer (the root, a $defs entry), after any already there."""
    schema: dict[str, Any] = {"allOf": [{"type": "object"}], "$defs": {"Stage": {"type": "object"}}}
    add_fragments(schema, {"": {"minProperties": 1}, "/$defs/Stage": {"required": ["type"]}})
    assert ([{"type": "object"}, {"minProperties": 1}], [{"required": ["type"]}]) == (
        schema["allOf"],
        schema["$defs"]["Stage"]["allOf"],
    )
