"""The quick form: one schema whose acceptance by jsonschema-rs leaves nothing to check but image headers.

Validation (`_validation.CompiledSchema`) asks jsonschema-rs about a payload once, against this
form. It is a sufficient condition, never looser than the contract and sometimes stricter: a
payload it accepts is valid, with nothing for Python to find but a bad image header; a payload
it rejects takes the exact route (the exact engine form, the Python-only checks and the rules,
then the interpreter's explanations), which decides. To the exact form it adds:

- the rules' ``holds_if`` fragments (`rules.Rule.holds_if`): conditions under which a rule JSON
  Schema cannot state (one depending on the order of a list) holds;
- free-form values (``{}``, the extra fields of an open object, the items of an array without
  ``items``) read as JSON to `JSON_DEPTH` levels, so jsonschema-rs rejects what is not JSON
  (NaN, bytes, keys that are not strings), which it never reads under ``{}``. Deeper values take
  the exact route: a recursive schema would let a hostile payload nest jsonschema-rs's native
  stack into a crash;
- for a protobuf-JSON schema (``x-protojson``), one spelling per object, every field lowerCamel
  or every field snake_case, instead of "either spelling, never both" per field, whose
  ``dependentSchemas`` cost a lookup per aliased field of every object (async-tensorart spells the
  job's ``request_id`` snake_case and everything in it lowerCamel: that is two objects). An object
  mixing the spellings takes the exact route.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from ._compiler import SchemaError, add_fragments
from ._protojson import snake_name

__all__ = ["JSON_DEPTH", "quick_form"]

JSON_DEPTH = 8  # levels of a free-form value the quick form reads; deeper ones take the exact route
_JSON = "#/$defs/"  # local references
_DEPTH_NAME = "sdcontracts-json-{}"  # the $defs entry reading a value as JSON to that depth
_JSON_TYPES = ["null", "boolean", "number", "string", "array", "object"]
_SCALARS = ["null", "boolean", "number", "string"]


def quick_form(
    form: Mapping[str, Any], fragments: Iterable[Mapping[str, Mapping[str, Any]]], *, protojson: bool
) -> dict[str, Any]:
    """The quick form of an engine form without aliases (`compile_engine_schema` with
    ``aliases=False``), with the rules' fragments, exact and ``holds_if`` alike; ``protojson``:
    the schema is protobuf JSON (its ``x-protojson``)."""
    quick: dict[str, Any] = _quicken(copy.deepcopy(dict(form)), protojson)
    for fragment in fragments:
        add_fragments(quick, fragment)
    depths = {_DEPTH_NAME.format(depth): _json_to(depth) for depth in range(JSON_DEPTH + 1)}
    clash = set(depths) & set(quick.get("$defs", {}))
    if clash:
        raise SchemaError(f"$defs entries named like the quick form's own: {sorted(clash)}")
    quick["$defs"] = quick.get("$defs", {}) | depths
    return quick


def _json_to(depth: int) -> dict[str, Any]:
    """Any JSON value nested at most ``depth`` levels."""
    if depth == 0:
        return {"type": _SCALARS}
    inner = {"$ref": _JSON + _DEPTH_NAME.format(depth - 1)}
    return {"type": _JSON_TYPES, "items": inner, "additionalProperties": inner}


def _quicken(schema: Any, protojson: bool) -> Any:
    """``schema`` with every free-form value read as JSON (to `JSON_DEPTH` levels) and, when
    ``protojson``, every object spelt one way: nothing it accepts is outside the contract."""
    if schema is True or schema == {}:
        return {"$ref": _JSON + _DEPTH_NAME.format(JSON_DEPTH)}
    if not isinstance(schema, dict) or "$ref" in schema:
        return schema
    for key in ("properties", "$defs"):
        if key in schema:
            schema[key] = {name: _quicken(subschema, protojson) for name, subschema in schema[key].items()}
    if "anyOf" in schema:
        schema["anyOf"] = [_quicken(branch, protojson) for branch in schema["anyOf"]]
    kinds = schema.get("type", _JSON_TYPES)
    kinds = [kinds] if isinstance(kinds, str) else kinds
    closed = schema.get("additionalProperties", True) is False
    if "object" in kinds and not closed:
        schema["additionalProperties"] = _quicken(schema.get("additionalProperties", True), protojson)
    if "array" in kinds:
        schema["items"] = _quicken(schema.get("items", True), protojson)
    return _one_spelling(schema, closed) if protojson else schema


def _one_spelling(schema: dict[str, Any], closed: bool) -> dict[str, Any]:
    """An object spelt lowerCamel (the schema's names) or snake_case throughout, not field by field."""
    names = schema.get("properties", {})
    if all(snake_name(name) == name for name in names):
        return schema
    if not closed:  # its other spellings would be extra fields, read as free-form values
        raise SchemaError(f"an open object with fields in a protobuf-JSON schema: {sorted(names)}")
    definitions = schema.pop("$defs", None)
    dialect = {"$schema": schema.pop("$schema")} if "$schema" in schema else {}
    snake = dict(schema)
    snake["properties"] = {snake_name(name): subschema for name, subschema in names.items()}
    if "required" in schema:
        snake["required"] = [snake_name(name) for name in schema["required"]]
    spelt = {**dialect, "anyOf": [schema, snake]}
    return spelt if definitions is None else {**spelt, "$defs": definitions}
