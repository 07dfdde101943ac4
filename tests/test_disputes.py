"""Disputes: recorded once beside their constraint, graded by the engine, listed for people."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import sdcontracts
from sdcontracts._compiler import SchemaError, compile_nodes
from sdcontracts._corpus import examples
from sdcontracts._disputes import Dispute, DisputeError, disputes, lenient_document, parse_disputes
from sdcontracts._engine import Interpreter
from sdcontracts._report import Report, Violation
from sdcontracts.rules import RuleSet

READINGS = [{"source": "doc", "says": "the table"}, {"source": "spec", "says": "the example"}]


def dispute(keyword: str, lenient: Any, **extra: Any) -> dict[str, Any]:
    return {"id": f"{keyword}-dispute", "keyword": keyword, "lenient": lenient, "summary": "they disagree",
            "readings": READINGS, "why": "because", **extra}  # fmt: skip


def graded(schema: dict[str, Any], payload: Any) -> list[tuple[str, str, str, str | None]]:
    """(severity, rule, pointer, dispute id) of every finding of the interpreter."""
    found = Interpreter(compile_nodes(schema, lambda s: "", provider="p", name="s")).violations(payload)
    return [(v.severity, v.rule, v.path, v.dispute.id if v.dispute else None) for v in found]


def obj(
    properties: dict[str, Any], *, required: tuple[str, ...] = (), disputes: list[Any] | None = None
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    if required:
        schema["required"] = list(required)
    if disputes:
        schema["x-disputes"] = disputes
    return schema


# -- the interpreter grades each disputable keyword -------------------------------------------------

TYPE = obj({"seed": {"type": "integer", "x-disputes": [dispute("type", ["integer", "string"])]}})


@pytest.mark.parametrize(
    ("value", "expected"),
    [(7, []), ("7", [("warning", "type", "/seed", "p.type-dispute")]), (True, [("error", "type", "/seed", None)])],
)
def test_a_type_only_the_lenient_reading_accepts_is_a_warning(value: Any, expected: list[Any]) -> None:
    """Within the lenient types a warning naming the dispute; outside both readings an error."""
    assert expected == graded(TYPE, {"seed": value})


def test_a_warned_type_is_still_checked_as_what_it_is() -> None:
    """A string accepted with a warning still meets the string constraints the schema states."""
    schema = obj({"seed": {"type": "integer", "maxLength": 3, "x-disputes": [dispute("type", ["integer", "string"])]}})
    assert [("warning", "type", "/seed", "p.type-dispute"), ("error", "max-length", "/seed", None)] == graded(
        schema, {"seed": "12345"}
    )


ENUM = obj({"s": {"type": "string", "enum": ["a", "b"], "x-disputes": [dispute("enum", ["c"])]}})


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a", []), ("c", [("warning", "enum", "/s", "p.enum-dispute")]), ("d", [("error", "enum", "/s", None)])],
)
def test_an_enum_value_only_the_lenient_reading_adds_is_a_warning(value: str, expected: list[Any]) -> None:
    """An added value warns; any other value is an error listing every value accepted by default."""
    assert expected == graded(ENUM, {"s": value})


def test_an_enum_error_lists_the_values_both_readings_accept() -> None:
    """The error for a value neither reading has names the lenient additions too."""
    (violation,) = Interpreter(compile_nodes(ENUM, lambda s: "")).violations({"s": "d"})
    assert '"a", "b", "c"' in violation.message
    assert ["a", "b", "c"] == violation.expected


REQUIRED = obj(
    {"a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}},
    required=("a", "b", "c"),
    disputes=[dispute("required", ["b"]), {**dispute("required", ["c"], decision="error"), "id": "c-required"}],
)


def test_a_required_field_the_lenient_reading_lets_be_absent_is_a_warning() -> None:
    """b's absence warns, a's is a plain error, c's an error carrying its error-decided dispute."""
    assert [
        ("error", "required", "", None),
        ("warning", "required", "", "p.required-dispute"),
        ("error", "required", "", "p.c-required"),
    ] == graded(REQUIRED, {})


PROPERTIES = obj({"a": {"type": "string"}}, disputes=[dispute("properties", {"extra": {"type": "object"}})])


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"extra": {}}, [("warning", "unknown-field", "/extra", "p.properties-dispute")]),
        (
            {"extra": 5},
            [("warning", "unknown-field", "/extra", "p.properties-dispute"), ("error", "type", "/extra", None)],
        ),
        ({"other": 1}, [("error", "unknown-field", "/other", None)]),
    ],
)
def test_a_field_only_an_sdk_sends_is_a_warning_and_its_value_is_checked(payload: Any, expected: list[Any]) -> None:
    """A field the lenient reading adds warns; its value must still be what that reading says."""
    assert expected == graded(PROPERTIES, payload)


NULL = obj(
    {"a": {"type": "string"}, "b": {"type": ["integer", "null"]}, "r": {"type": "string"}},
    required=("r",),
    disputes=[dispute("null", True)],
)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"r": "x", "a": None}, [("warning", "type", "/a", "p.null-dispute")]),
        ({"r": "x", "b": None}, []),  # the schema itself allows null there
        ({"r": None}, [("error", "type", "/r", None)]),  # a required field is not optional
    ],
)
def test_a_null_on_an_optional_field_is_a_warning(payload: Any, expected: list[Any]) -> None:
    """Null on an optional field is read as absent, with a warning; on a required one it is an error."""
    assert expected == graded(NULL, payload)


BOUNDS = obj(
    {
        "n": {"type": "integer", "maximum": 10, "x-disputes": [dispute("maximum", 20)]},
        "s": {"type": "string", "minLength": 1, "x-disputes": [dispute("minLength", None)]},
        "l": {"type": "array", "maxItems": 2, "x-disputes": [dispute("maxItems", 3)]},
    }
)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"n": 10}, []),
        ({"n": 11}, [("warning", "maximum", "/n", "p.maximum-dispute")]),
        ({"n": 20}, [("warning", "maximum", "/n", "p.maximum-dispute")]),
        ({"n": 21}, [("error", "maximum", "/n", None)]),
        ({"s": ""}, [("warning", "min-length", "/s", "p.minLength-dispute")]),
        ({"l": [1, 2, 3]}, [("warning", "max-items", "/l", "p.maxItems-dispute")]),
        ({"l": [1, 2, 3, 4]}, [("error", "max-items", "/l", None)]),
    ],
)
def test_a_value_within_the_lenient_bound_is_a_warning(payload: Any, expected: list[Any]) -> None:
    """Between the strict and the lenient bound a warning; beyond the lenient one (or none) an error."""
    assert expected == graded(BOUNDS, payload)


def test_an_error_beyond_the_lenient_bound_states_that_bound() -> None:
    """The error says what is accepted by default: the lenient bound, not the strict one."""
    (violation,) = Interpreter(compile_nodes(BOUNDS, lambda s: "")).violations({"n": 21})
    assert (20, "n is 21, above the maximum 20 (allowed: at most 20)") == (violation.expected, violation.message)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"l": [1, 2, 3]}, (2, "l has 3 items; at most 2 allowed; the sources disagree: they disagree")),
        ({"l": [1, 2, 3, 4]}, (3, "l has 4 items; at most 3 allowed")),
    ],
)
def test_a_length_warning_states_the_strict_limit_and_its_error_the_lenient_one(payload: Any, expected: Any) -> None:
    """Within the lenient count the warning cites the documented limit; beyond it the error cites the lenient one."""
    (violation,) = Interpreter(compile_nodes(BOUNDS, lambda s: "")).violations(payload)
    assert expected == (violation.expected, violation.message)


# -- the record itself --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subschema", "message"),
    [
        ({"type": "integer", "x-disputes": [dispute("type", ["integer"])]}, "must list more types"),
        ({"type": "integer", "x-disputes": [dispute("pattern", "x")]}, "cannot dispute 'pattern'"),
        ({"enum": ["a"], "x-disputes": [dispute("enum", ["a"])]}, "must add values"),
        ({"type": "integer", "maximum": 5, "x-disputes": [dispute("maximum", 4)]}, "must be looser than 5"),
        ({"type": "integer", "minimum": 5, "x-disputes": [dispute("minimum", 6)]}, "must be looser than 5"),
        ({"type": "integer", "x-disputes": [dispute("maximum", 4)]}, "states no maximum"),
        ({"type": "integer", "x-disputes": [{**dispute("type", ["integer", "string"]), "readings": READINGS[:1]}]},
         "at least two readings"),
        ({"type": "integer", "x-disputes": [{**dispute("type", ["integer", "string"]), "extra": 1}]}, "unknown keys"),
        ({"type": "integer", "x-disputes": [{**dispute("type", ["integer", "string"]), "decision": "maybe"}]},
         "decision must be"),
        ({"type": "integer", "x-disputes": [dispute("type", ["integer", "string"])] * 2}, "two disputes over 'type'"),
        ({"type": "integer", "x-disputes": {"keyword": "type"}}, "must be a list"),
    ],
)  # fmt: skip
def test_a_malformed_or_non_relaxing_dispute_is_a_schema_error(subschema: dict[str, Any], message: str) -> None:
    """A dispute that does not relax its constraint, or is incomplete, fails at compile time."""
    with pytest.raises(SchemaError, match=message):
        compile_nodes(obj({"f": subschema}), lambda s: "", provider="p", name="s")


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (obj({"f": {"type": "integer", "x-disputes": [dispute("type", {"integer": 1, "string": 2})]}}),
         "must list more types"),  # a mapping's keys are no list of types
        (obj({"f": {"type": "integer",
                    "x-disputes": [{**dispute("type", ["integer", "string"]),
                                    "readings": [{"source": "doc"}, READINGS[1]]}]}}),
         "a reading is"),
        (obj({"a": {"type": "string"}}, required=("a",), disputes=[dispute("required", ["b"])]),
         "must name required fields"),
        ({**obj({"a": {"type": "string"}}), "additionalProperties": True,
          "x-disputes": [dispute("properties", {"b": {"type": "string"}})]}, "applies to a closed object only"),
        (obj({"a": {"type": "string"}}, disputes=[dispute("properties", {})]), "must add fields"),
        (obj({"a": {"type": "string"}}, disputes=[dispute("null", False)]), "is `true`, on an object"),
        (obj({}, disputes=[dispute("null", True)]), "is `true`, on an object with properties"),
        (obj({"f": {"type": "integer", "minimum": 5, "x-disputes": [dispute("minimum", 5)]}}),
         "must be looser than 5"),
    ],
)  # fmt: skip
def test_a_dispute_that_does_not_relax_its_object_is_a_schema_error(schema: dict[str, Any], message: str) -> None:
    """Each keyword's dispute is checked against what it relaxes: a bound equal to the strict one,
    null on an object without properties, fields on an open object, readings without their words."""
    with pytest.raises(SchemaError, match=message):
        compile_nodes(schema, lambda s: "", provider="p", name="s")


def test_a_dispute_records_the_strict_value_it_relaxes() -> None:
    """Dispute.strict is the schema's own value of the keyword (the bound, the type, the enum)."""
    subschema = {"type": "integer", "maximum": 5, "x-disputes": [dispute("maximum", 9)]}
    [found] = parse_disputes("p", "/f", subschema)
    assert (5, 9) == (found.strict, found.lenient)
    [typed] = parse_disputes("p", "/f", {"type": "integer", "x-disputes": [dispute("type", ["integer", "string"])]})
    assert "integer" == typed.strict


def test_a_reading_is_a_value() -> None:
    """A reading is frozen: hashable, equal by value, never changed in place."""
    import dataclasses

    reading = sdcontracts.Reading("doc", "the table")
    assert hash(reading) == hash(sdcontracts.Reading("doc", "the table"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        reading.says = "changed"  # type: ignore[misc]


def test_the_lenient_document_reads_an_integer_or_number_as_number_and_nulls_untyped_fields() -> None:
    """A type dispute adding "number" to "integer" is one type, number; an optional field with no
    type (a const, a $ref) becomes null or itself."""
    schema = obj(
        {"a": {"type": "integer", "x-disputes": [dispute("type", ["integer", "number"])]},
         "b": {"const": 1}, "c": {"$ref": "#/$defs/C"}},
        disputes=[dispute("null", True)],
    )  # fmt: skip
    relaxed = lenient_document(schema)
    assert ["number", "null"] == relaxed["properties"]["a"]["type"]
    assert {"anyOf": [{"type": "null"}, {"const": 1}]} == relaxed["properties"]["b"]
    assert {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/C"}]} == relaxed["properties"]["c"]


def test_the_lenient_document_applies_warning_decisions_only() -> None:
    """lenient_document relaxes each keyword as its dispute says; an error decision changes nothing."""
    schema = {
        **obj(
            {"a": {"type": "integer", "x-disputes": [dispute("type", ["integer", "string"])]},
             "b": {"type": "string", "enum": ["x"], "x-disputes": [dispute("enum", ["y"])]},
             "c": {"type": "integer", "maximum": 1, "x-disputes": [dispute("maximum", None)]},
             "d": {"type": "string"}},
            required=("a", "b", "d"),
            disputes=[dispute("required", ["b"]), {**dispute("required", ["d"], decision="error"), "id": "d"},
                      dispute("properties", {"e": {"type": "object"}}), dispute("null", True)],
        )
    }  # fmt: skip
    relaxed = lenient_document(schema)
    assert ["a", "d"] == relaxed["required"]
    assert ["integer", "string"] == relaxed["properties"]["a"]["type"]  # required: never null
    assert ["x", "y", None] == relaxed["properties"]["b"]["enum"]  # optional once relaxed: null allowed
    assert {"type": ["integer", "null"]} == relaxed["properties"]["c"]
    assert {"type": "object"} == relaxed["properties"]["e"]
    assert "x-disputes" not in str(relaxed)
    assert "x-disputes" in str(schema)  # the input is not changed


# -- the providers' disputes --------------------------------------------------------------------------


@pytest.mark.parametrize("provider", sdcontracts.providers())
def test_every_dispute_has_two_readings_from_known_sources_and_a_unique_id(provider: str) -> None:
    """disputes() lists each provider's disputes; each reading cites a source provider.json names."""
    found = disputes(provider)
    assert len({d.id for d in found}) == len(found)
    for d in found:
        assert d.id.startswith(f"{provider}.") and len(d.readings) >= 2 and d.summary and d.why
        assert d.decision in ("warning", "error")


def test_the_recorded_disputes_are_the_ones_the_docs_contradict() -> None:
    """The disputes that grade real traffic: SDK nulls and request.extra, doc examples vs tables."""
    ids = {d.id for p in sdcontracts.providers() for d in disputes(p)}
    assert {
        "novita.null-optional-fields", "novita.sdk-request-extra", "novita.empty-negative-prompt",
        "tensorart.negative-prompts-required", "tensorart.sampler-vae-required", "tensorart.sampler-dpmpp-3m-sde-karras",
        "tensorart.upscaler-area-limit", "zhiqite.seed-as-string", "zhiqite.batch-size-resize-mode-required",
        "zhiqite.cfg-scale-fraction", "picpik.control-preset-id-as-number",
    } == ids  # fmt: skip


def test_a_rule_dispute_needs_two_readings() -> None:
    """RuleSet.dispute refuses a dispute with a single reading."""
    with pytest.raises(ValueError, match="two readings"):
        RuleSet("p").dispute("x", rule="r", strict=1, lenient=2, summary="s", readings=[("doc", "d")], why="w")


def test_dispute_errors_are_value_errors() -> None:
    """A malformed dispute raises DisputeError, a ValueError."""
    assert issubclass(DisputeError, ValueError)


# -- reports ------------------------------------------------------------------------------------------


def test_ok_follows_errors_and_strict_makes_warnings_errors() -> None:
    """A report with warnings only is ok; strict() moves the warnings into the errors."""
    record = Dispute("p.d", "p", "type", "s#", "integer", ["integer", "string"], "warning", "s", (), "w")
    warning = Violation("/a", "type", "m", severity="warning", dispute=record)
    report = Report("p", "s", (), (warning,))
    assert report.ok and not report.clean and {"p.d"} == report.disputes
    strict = report.strict()
    assert not strict.ok and () == strict.warnings
    assert [("/a", "type", "error")] == [(v.path, v.rule, v.severity) for v in strict.violations]
    assert "valid, with 1 warning(s)" in str(report)


def test_a_warning_in_json_carries_its_dispute_and_sources() -> None:
    """to_dict() gives each warning its severity and the dispute with both readings."""
    body = copy.deepcopy(next(e for e in examples("zhiqite") if e.name == "controlnet-request").payload)
    document = sdcontracts.validate("zhiqite", body).to_dict()
    assert document["ok"] is True and [] == document["violations"]
    seed = next(w for w in document["warnings"] if w["path"] == "/seed")
    assert "warning" == seed["severity"]
    assert "zhiqite.seed-as-string" == seed["dispute"]["id"]
    assert ["doc", "doc", "img2img-ref"] == [r["source"] for r in seed["dispute"]["readings"]]
