"""The quick form: one schema whose acceptance by jsonschema-rs leaves Python nothing to check.

Validation (`_validation.CompiledSchema`) asks jsonschema-rs about a payload once, against this
form. It is a sufficient condition, never looser than the contract and sometimes stricter: a
payload it accepts is valid, with nothing for Python to find but what a rule without a condition
here finds (PICPIK's two); a payload it rejects takes the exact route (the exact engine form, the
Python-only checks and the rules, then the interpreter's explanations), which decides. To the
exact form it adds:

- the rules' ``holds_if`` fragments (`rules.Rule.holds_if`): conditions under which a rule JSON
  Schema cannot state (one depending on the order of a list) holds;
- free-form values (``{}``, the extra fields of an open object, the items of an array without
  ``items``) read as JSON to `JSON_DEPTH` levels, so jsonschema-rs rejects what is not JSON
  (NaN, bytes, keys that are not strings), which it never reads under ``{}``. Deeper values take
  the exact route: a recursive schema would let a hostile payload nest jsonschema-rs's native
  stack into a crash;
- image fields (``x-image``) up to `IMAGE_CHARS` characters checked by a format calling
  `_images.check_base64_image`, so a small image (a mask, a thumbnail, a test's) needs no walk in
  Python; a longer one takes the exact route, where decoding it costs far more than the route
  (jsonschema-rs hands a format a copy of the string: 80 µs a MiB);
- for a protobuf-JSON schema (``x-protojson``), one spelling per object, every field lowerCamel
  or every field snake_case, instead of "either spelling, never both" per field, whose
  ``dependentSchemas`` cost a lookup per aliased field of every object (async-tensorart spells the
  job's ``request_id`` snake_case and everything in it lowerCamel: that is two objects). An object
  mixing the spellings takes the exact route.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._compiler import SchemaError, add_fragments, compile_engine_schema
from ._images import ImageLimits, check_base64_image
from ._protojson import snake_name

__all__ = ["IMAGE_CHARS", "JSON_DEPTH", "quick_form"]

JSON_DEPTH = 8  # levels of a free-form value the quick form reads; deeper ones take the exact route
IMAGE_CHARS = 16_384  # base64 images the quick form checks; a longer one's copy costs what the route saves
Formats = dict[str, Callable[[str], bool]]
_JSON = "#/$defs/"  # local references
_DEPTH_NAME = "sdcontracts-json-{}"  # the $defs entry reading a value as JSON to that depth
_JSON_TYPES = ["null", "boolean", "number", "string", "array", "object"]
_SCALARS = ["null", "boolean", "number", "string"]


def quick_form(
    schema: Mapping[str, Any], fragments: Iterable[Mapping[str, Mapping[str, Any]]]
) -> tuple[dict[str, Any], Formats]:
    """The quick form of a (raw) schema, with the rules' fragments, exact and ``holds_if`` alike,
    and the format checkers it names."""
    form, formats = compile_engine_schema(schema, aliases=False, keep=frozenset({"x-image"}))
    quick: dict[str, Any] = _quicken(form, bool(schema.get("x-protojson", False)), formats)
    for fragment in fragments:
        add_fragments(quick, fragment)
    depths = {_DEPTH_NAME.format(depth): _json_to(depth) for depth in range(JSON_DEPTH + 1)}
    clash = set(depths) & set(quick.get("$defs", {}))
    if clash:
        raise SchemaError(f"$defs entries named like the quick form's own: {sorted(clash)}")
    quick["$defs"] = quick.get("$defs", {}) | depths
    return quick, formats


def _json_to(depth: int) -> dict[str, Any]:
    """Any JSON value nested at most ``depth`` levels."""
    if depth == 0:
        return {"type": _SCALARS}
    inner = {"$ref": _JSON + _DEPTH_NAME.format(depth - 1)}
    return {"type": _JSON_TYPES, "items": inner, "additionalProperties": inner}


def _quicken(schema: Any, protojson: bool, formats: Formats) -> Any:
    """``schema`` with every free-form value read as JSON (to `JSON_DEPTH` levels), small images
    checked and, when ``protojson``, every object spelt one way: nothing it accepts is outside the
    contract."""
    if schema is True or schema == {}:
        return {"$ref": _JSON + _DEPTH_NAME.format(JSON_DEPTH)}
    if not isinstance(schema, dict) or "$ref" in schema:
        return schema
    for key in ("properties", "$defs"):
        if key in schema:
            schema[key] = {name: _quicken(sub, protojson, formats) for name, sub in schema[key].items()}
    if "anyOf" in schema:
        schema["anyOf"] = [_quicken(branch, protojson, formats) for branch in schema["anyOf"]]
    if "x-image" in schema:
        name = _image_format(ImageLimits.from_schema(schema.pop("x-image")), formats)
        # the length first: a format is handed a copy of the string
        schema.setdefault("allOf", []).append(
            {"if": {"maxLength": IMAGE_CHARS}, "then": {"format": name}, "else": False}
        )
    kinds = schema.get("type", _JSON_TYPES)
    kinds = [kinds] if isinstance(kinds, str) else kinds
    closed = schema.get("additionalProperties", True) is False
    if "object" in kinds and not closed:
        schema["additionalProperties"] = _quicken(schema.get("additionalProperties", True), protojson, formats)
    if "array" in kinds:
        schema["items"] = _quicken(schema.get("items", True), protojson, formats)
    return _one_spelling(schema, closed) if protojson else schema


def _image_format(limits: ImageLimits, formats: Formats) -> str:
    """The name of a format accepting exactly the base64 images within ``limits``, added to ``formats``."""
    name = f"sdcontracts-image[{limits.max_width},{limits.max_height},{limits.max_bytes},{limits.allow_empty}]"
    formats[name] = lambda text: check_base64_image(text, limits) is None
    return name


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
