"""The schema keywords sdcontracts enforces, one object each, and every rule id validation reports.

A `Keyword` holds what one keyword means everywhere: how it compiles onto a `Node` (``compile``),
whether a compiled node carries it (``present``: then the engine can report its rules), what a
violation of it means to a person (``explain``, the README's table and ``sdcontracts rules``), the
strategy that draws values honouring it (``generate``) and the function that makes a valid value
break it (``mutate``), and the rule ids it reports (``rules``). Generation and mutation live in
`sdcontracts.strategies` (they need Hypothesis, an extra), so they are named here and imported on
first use. `RULE_IDS` is every rule id the engine can emit: the keywords' and `OTHER_RULES`.

The interpreter's checks stay written out in `_engine` (the request path of the mock and the
proxy runs them; a call per keyword per value costs what the benchmarks measure), each reporting
the rule id its keyword states here; ``tests/test_keywords.py`` holds the two to each other.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._compiler import JSON_TYPES, Node, SchemaError, ecma_pattern, enum_key
from ._images import ImageLimits

__all__ = ["KEYWORDS", "OTHER_RULES", "RULE_IDS", "TEXT_RULES", "Keyword", "keyword"]

_STRATEGIES = "sdcontracts.strategies._schema"


@dataclass(frozen=True, slots=True)
class Keyword:
    """One schema keyword: ``keyword("maxItems").rules == ("max-items",)``."""

    name: str
    rules: tuple[str, ...]
    explain: str
    compile: Callable[[Node, Mapping[str, Any], str], None]  # called when the keyword is in the schema
    present: Callable[[Node], bool]
    generate: str  # "module:function": the strategy that draws values honouring it
    mutate: str  # "module:function": (node, value, path, strict) -> the Mutations breaking it

    def generator(self) -> Callable[..., Any]:
        """The ``generate`` function, imported."""
        found: Callable[..., Any] = _attribute(self.generate)
        return found

    def mutator(self) -> Callable[..., Iterator[Any]]:
        """The ``mutate`` function, imported."""
        found: Callable[..., Iterator[Any]] = _attribute(self.mutate)
        return found


def _attribute(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


# -- compiling --------------------------------------------------------------------------------------


def _type(node: Node, schema: Mapping[str, Any], location: str) -> None:
    types = schema["type"]
    names = frozenset([types] if isinstance(types, str) else types)
    if not names <= JSON_TYPES:
        raise SchemaError(f"{location}: unknown types {sorted(names - JSON_TYPES)}")
    node.types = names


def _enum(node: Node, schema: Mapping[str, Any], location: str) -> None:
    values = tuple(schema["enum"])
    if any(isinstance(v, dict | list) for v in values):
        raise SchemaError(f"{location}: enum values must be scalars")
    node.enum = values
    node.enum_keys = frozenset(enum_key(v) for v in values)


def _const(node: Node, schema: Mapping[str, Any], location: str) -> None:
    node.const = (schema["const"],)


def _slot(slot: str) -> Callable[[Node, Mapping[str, Any], str], None]:
    """A keyword whose value is copied onto the node as it is (a bound)."""

    def compile_(node: Node, schema: Mapping[str, Any], location: str) -> None:
        setattr(node, slot, schema[_NAMES[slot]])

    return compile_


def _multiple_of(node: Node, schema: Mapping[str, Any], location: str) -> None:
    step = schema["multipleOf"]
    if not isinstance(step, int) or isinstance(step, bool) or step <= 0:
        raise SchemaError(f"{location}: multipleOf must be a positive integer")
    node.multiple_of = step


def _pattern(node: Node, schema: Mapping[str, Any], location: str) -> None:
    node.pattern_text = schema["pattern"]
    node.pattern = re.compile(ecma_pattern(node.pattern_text, location))
    node.pattern_hint = schema.get("x-pattern", f"the pattern {schema['pattern']}")


def _format(node: Node, schema: Mapping[str, Any], location: str) -> None:
    if schema["format"] != "int64" or node.types != frozenset({"string", "integer"}):
        raise SchemaError(f"{location}: the only format supported is int64 on type [string, integer]")
    node.int64 = True
    if "exclusiveMinimum" in schema or "exclusiveMaximum" in schema:
        raise SchemaError(f"{location}: int64 fields take minimum/maximum, not exclusive bounds")


def _image(node: Node, schema: Mapping[str, Any], location: str) -> None:
    node.image = ImageLimits.from_schema(schema["x-image"])


def _unique(node: Node, schema: Mapping[str, Any], location: str) -> None:
    node.unique_items = bool(schema["uniqueItems"])


def _required(node: Node, schema: Mapping[str, Any], location: str) -> None:
    node.required = tuple(schema["required"])


def _closed(node: Node, schema: Mapping[str, Any], location: str) -> None:
    node.closed = schema["additionalProperties"] is False  # a subschema is compiled with the properties


_NAMES = {
    "minimum": "minimum", "maximum": "maximum", "exclusive_minimum": "exclusiveMinimum",
    "exclusive_maximum": "exclusiveMaximum", "min_length": "minLength", "max_length": "maxLength",
    "min_items": "minItems", "max_items": "maxItems",
}  # fmt: skip  # node slot -> keyword


def _bound(name: str, rule: str, slot: str, explain: str, generate: str) -> Keyword:
    if slot in ("min_length", "min_items"):  # a lower bound of 0 is no constraint: nothing breaks it

        def present(node: Node) -> bool:
            return bool(getattr(node, slot))
    else:

        def present(node: Node) -> bool:
            return getattr(node, slot) is not None

    return Keyword(
        name, (rule,), explain, _slot(slot), present, f"{_STRATEGIES}:{generate}", f"{_STRATEGIES}:break_{slot}"
    )


_RANGES = "documented ranges and steps (Zhiqite's multiples of 8, Tensor.Art's 64)"
_SIZES = "text lengths and list sizes (Novita ≤ 5 LoRAs, PICPIK ≤ 3 ControlNet units)"

# In the order a mutation tries them on one value (the strategies' order, kept: seeds replay).
KEYWORDS: tuple[Keyword, ...] = (
    Keyword("type", ("type",), "a value of the wrong JSON type", _type,
            lambda node: node.types is not None and node.enum is None and node.const is None,
            f"{_STRATEGIES}:value_strategy", f"{_STRATEGIES}:break_type"),
    Keyword("const", ("const",), "a value other than the one the field must hold", _const,
            lambda node: node.const is not None, f"{_STRATEGIES}:value_strategy", f"{_STRATEGIES}:break_const"),
    Keyword("enum", ("enum",), "a value outside the documented list (with a did-you-mean for case slips)", _enum,
            lambda node: node.enum is not None, f"{_STRATEGIES}:value_strategy", f"{_STRATEGIES}:break_enum"),
    _bound("minimum", "minimum", "minimum", _RANGES, "integers"),
    _bound("maximum", "maximum", "maximum", _RANGES, "integers"),
    _bound("exclusiveMinimum", "exclusive-minimum", "exclusive_minimum", _RANGES, "numbers"),
    _bound("exclusiveMaximum", "exclusive-maximum", "exclusive_maximum", _RANGES, "numbers"),
    Keyword("multipleOf", ("multiple-of",), _RANGES, _multiple_of, lambda node: node.multiple_of is not None,
            f"{_STRATEGIES}:integers", f"{_STRATEGIES}:break_multiple_of"),
    Keyword("format", ("format",), "an int64 string that is not a decimal integer", _format,
            lambda node: node.int64, f"{_STRATEGIES}:integers", f"{_STRATEGIES}:break_format"),
    _bound("minLength", "min-length", "min_length", _SIZES, "strings"),
    _bound("maxLength", "max-length", "max_length", _SIZES, "strings"),
    Keyword("pattern", ("pattern",), "text that does not have the documented form", _pattern,
            lambda node: node.pattern is not None, f"{_STRATEGIES}:strings", f"{_STRATEGIES}:break_pattern"),
    Keyword("x-image", ("image-encoding", "image-format", "image-dimensions", "image-size"),
            "base64 images: the alphabet and padding (data: URIs, line wrapping and the URL-safe alphabet are "
            "named), a PNG/JPEG/WebP/GIF/BMP header, and the documented pixel and byte limits, read from the "
            "header without decoding the image", _image, lambda node: node.image is not None,
            "sdcontracts.strategies._images:image_strings", f"{_STRATEGIES}:break_image"),
    _bound("maxItems", "max-items", "max_items", _SIZES, "value_strategy"),
    _bound("minItems", "min-items", "min_items", _SIZES, "value_strategy"),
    Keyword("uniqueItems", ("unique-items",), "a list repeating an item it must not repeat", _unique,
            lambda node: node.unique_items, f"{_STRATEGIES}:value_strategy", f"{_STRATEGIES}:break_unique_items"),
    Keyword("required", ("required",), "a required field is missing (the pointer names the object)", _required,
            lambda node: bool(node.required), f"{_STRATEGIES}:objects", f"{_STRATEGIES}:break_required"),
    Keyword("additionalProperties", ("unknown-field",),
            "a field the provider does not document, with a suggestion from the same name in another case or "
            "style, another provider's vocabulary, or spelling", _closed, lambda node: node.closed,
            f"{_STRATEGIES}:objects", f"{_STRATEGIES}:break_additional_properties"),
)  # fmt: skip

_BY_NAME = {k.name: k for k in KEYWORDS}

# Rules no single keyword states: rule id -> what it means.
OTHER_RULES: dict[str, str] = {
    "duplicate-field": "one field given in both spellings (x-protojson: Tensor.Art's cfgScale and cfg_scale)",
    "not-json": "NaN, infinities, bytes, sets, non-string keys: values no JSON encoder sends",
    "too-many-violations": "the last entry of a report that reached 100 violations: validation stopped there",
    "internal-error": "a rule failed on the payload: a bug in sdcontracts, reported instead of raised",
    "schema": "jsonschema-rs and the interpreter disagreed (the differential tests exist to prevent it)",
    "duplicate-key": "one key twice in an object of JSON text (`sdcontracts validate FILE` only)",
}
TEXT_RULES = ("duplicate-key",)  # found in JSON text before it is validated: `validate FILE` reports them

RULE_IDS: tuple[str, ...] = (*dict.fromkeys(r for k in KEYWORDS for r in k.rules), *OTHER_RULES)


def keyword(name: str) -> Keyword:
    """The keyword object of ``name`` (``"uniqueItems"``); a KeyError for a keyword sdcontracts does not enforce."""
    return _BY_NAME[name]
