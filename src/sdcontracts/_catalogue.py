"""The provider catalogue: which providers and schemas exist, read through the registry.

These are the few questions most of sdcontracts asks of a provider (its id is known, its schema
files, its doc sources); the whole description is the `Provider` that `_registry.get` returns.
Nothing is read until it is asked for, so ``import sdcontracts`` stays cheap.
"""

from __future__ import annotations

from typing import Any

from . import _registry

__all__ = [
    "check_provider", "check_schema", "doc_reference", "provider_info", "providers", "raw_schema", "schema_names",
]  # fmt: skip


def providers() -> tuple[str, ...]:
    """The ids of every provider, sorted: ``('aliyun', 'novita', 'picpik', 'tensorart', 'zhiqite')``
    and any an installed plugin declares."""
    return _registry.ids()


def check_provider(provider: object) -> str:
    """Return ``provider`` if it names a known provider, else raise a ValueError listing them."""
    return _registry.get(provider).id


def provider_info(provider: str) -> dict[str, Any]:
    """The parsed ``provider.json`` of a provider (shared: do not mutate)."""
    return _registry.get(provider).info


def schema_names(provider: str) -> tuple[str, ...]:
    """The schema names a provider has, such as ``img2img.request`` and ``task.response``."""
    return _registry.get(provider).schema_names()


def check_schema(provider: str, schema: object) -> str:
    """Return ``schema`` if the provider has it, else raise a ValueError listing what it has."""
    return _registry.get(provider).check_schema(schema)


def raw_schema(provider: str, schema: str) -> dict[str, Any]:
    """The hand-written JSON Schema document, parsed (shared: do not mutate)."""
    return _registry.get(provider).raw_schema(schema)


def doc_reference(provider: str, quote: str | None, source: str | None) -> str:
    """Render a doc reference: the source's title and the quoted sentence."""
    return _registry.get(provider).doc_reference(quote, source)
