"""Policies every provider schema keeps (schemas/README.md), checked on the shipped files."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

import sdcontracts
from sdcontracts import _catalogue
from sdcontracts._validation import compiled

ALL = [(p, s) for p in sdcontracts.providers() for s in sdcontracts.schemas(p)]
REQUESTS = [(p, s) for p, s in ALL if s.endswith(".request")]
CONSTRAINTS = {
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
    "maxLength", "pattern", "minItems", "maxItems", "enum", "const", "x-image",
}  # fmt: skip


def subschemas(schema: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every subschema with its location."""
    if not isinstance(schema, dict):
        return
    yield where, schema
    for name, sub in schema.get("properties", {}).items():
        yield from subschemas(sub, f"{where}/properties/{name}")
    for name, sub in schema.get("$defs", {}).items():
        yield from subschemas(sub, f"#/$defs/{name}")
    for key in ("items", "additionalProperties"):
        yield from subschemas(schema.get(key), f"{where}/{key}")


@pytest.mark.parametrize(("provider", "schema"), ALL)
def test_every_schema_is_valid_json_schema_2020_12(provider: str, schema: str) -> None:
    """The hand-written file passes the 2020-12 meta-schema."""
    document = _catalogue.raw_schema(provider, schema)
    assert "https://json-schema.org/draft/2020-12/schema" == document["$schema"]
    jsonschema.Draft202012Validator.check_schema(document)


@pytest.mark.parametrize(("provider", "schema"), ALL)
def test_every_schema_compiles_for_both_engines(provider: str, schema: str) -> None:
    """The compiler accepts it (only supported keywords) and jsonschema-rs builds it."""
    assert compiled(provider, schema).root is not None


@pytest.mark.parametrize(("provider", "schema"), ALL)
def test_every_constraint_quotes_its_doc_sentence(provider: str, schema: str) -> None:
    """A subschema stating a range, enum, length, count, pattern or image limit has x-doc."""
    missing = [
        where
        for where, sub in subschemas(_catalogue.raw_schema(provider, schema))
        if CONSTRAINTS & set(sub) and "x-doc" not in sub
    ]
    assert [] == missing


@pytest.mark.parametrize(("provider", "schema"), ALL)
def test_every_source_named_is_declared_in_provider_json(provider: str, schema: str) -> None:
    """x-source values are keys of provider.json's sources, so doc references resolve."""
    sources = set(_catalogue.provider_info(provider)["sources"])
    used = {sub["x-source"] for _, sub in subschemas(_catalogue.raw_schema(provider, schema)) if "x-source" in sub}
    assert set() == used - sources


@pytest.mark.parametrize(("provider", "schema"), REQUESTS)
def test_request_objects_are_closed(provider: str, schema: str) -> None:
    """Every request object with listed properties forbids others (unknown-field)."""
    open_objects = [
        where
        for where, sub in subschemas(_catalogue.raw_schema(provider, schema))
        if "properties" in sub and sub.get("additionalProperties", True) is not False
    ]
    assert [] == open_objects


@pytest.mark.parametrize(("provider", "schema"), [(p, s) for p, s in ALL if not s.endswith(".request")])
def test_response_objects_are_open(provider: str, schema: str) -> None:
    """Responses and errors never forbid extra fields: providers add them, clients must cope."""
    closed = [
        where
        for where, sub in subschemas(_catalogue.raw_schema(provider, schema))
        if sub.get("additionalProperties") is False
    ]
    assert [] == closed


@pytest.mark.parametrize("provider", sdcontracts.providers())
def test_provider_json_names_its_operations_schemas(provider: str) -> None:
    """Every schema an operation names exists, and the seed doc is a declared source."""
    info = _catalogue.provider_info(provider)
    assert provider == info["id"]
    assert "doc" in info["sources"]
    named = {op[key] for op in info["operations"].values() for key in ("request", "response") if key in op} | {
        info["error"]
    }
    assert set() == named - set(sdcontracts.schemas(provider))
    assert {"img2img", "task"} <= set(info["operations"])
    lifecycle = info["lifecycle"]
    assert set(lifecycle["succeeded"]) | set(lifecycle["failed"]) <= set(lifecycle["statuses"])


def test_tensorart_stage_members_match_the_stage_schema() -> None:
    """x-members maps stage types of the type enum to members the Stage schema has."""
    stage = _catalogue.raw_schema("tensorart", "img2img.request")["$defs"]["Stage"]
    members = stage["x-members"]
    assert set(members) < set(stage["properties"]["type"]["enum"])
    assert set(members.values()) < set(stage["properties"])
