"""The provider catalogue: which providers and schemas exist, read from the shipped schema files.

A provider is a directory ``schemas/<id>/`` holding ``provider.json`` (base URLs, auth,
operations, lifecycle, doc sources) and one ``<name>.schema.json`` per message. Adding a
provider is adding that directory and its rule module ``sdcontracts/rules/<id>.py``.
Nothing is read until it is asked for, so ``import sdcontracts`` stays cheap.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from ._suggest import suggest

__all__ = ["doc_reference", "provider_info", "providers", "raw_schema", "schema_names"]

_SUFFIX = ".schema.json"


def _root() -> Traversable:
    return resources.files("sdcontracts").joinpath("schemas")


@lru_cache(maxsize=1)
def providers() -> tuple[str, ...]:
    """The ids of every provider, sorted: ``('aliyun', 'novita', 'picpik', 'tensorart', 'zhiqite')``."""
    return tuple(sorted(d.name for d in _root().iterdir() if d.is_dir() and d.joinpath("provider.json").is_file()))


def _unknown(kind: str, name: object, known: tuple[str, ...]) -> ValueError:
    close = suggest(name, known) if isinstance(name, str) else None
    hint = f"; did you mean {close!r}?" if close else ""
    return ValueError(f"unknown {kind} {name!r}{hint} (known: {', '.join(known)})")


def check_provider(provider: object) -> str:
    """Return ``provider`` if it names a known provider, else raise a ValueError listing them."""
    if not isinstance(provider, str) or provider not in providers():
        raise _unknown("provider", provider, providers())
    return provider


@cache
def provider_info(provider: str) -> dict[str, Any]:
    """The parsed ``provider.json`` of a provider."""
    check_provider(provider)
    data: dict[str, Any] = json.loads(_root().joinpath(provider, "provider.json").read_text("utf-8"))
    return data


@cache
def schema_names(provider: str) -> tuple[str, ...]:
    """The schema names a provider has, such as ``img2img.request`` and ``task.response``."""
    check_provider(provider)
    return tuple(
        sorted(f.name[: -len(_SUFFIX)] for f in _root().joinpath(provider).iterdir() if f.name.endswith(_SUFFIX))
    )


def check_schema(provider: str, schema: object) -> str:
    """Return ``schema`` if the provider has it, else raise a ValueError listing what it has."""
    known = schema_names(provider)
    if not isinstance(schema, str) or schema not in known:
        raise _unknown(f"schema for {provider}:", schema, known)
    return schema


@cache
def raw_schema(provider: str, schema: str) -> dict[str, Any]:
    """The hand-written JSON Schema document, parsed (shared: do not mutate)."""
    check_schema(provider, schema)
    text = _root().joinpath(provider, schema + _SUFFIX).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def doc_reference(provider: str, quote: str | None, source: str | None) -> str:
    """Render a doc reference: the source's title and the quoted sentence."""
    sources: dict[str, str] = provider_info(provider).get("sources", {})
    key = source or "doc"
    if key not in sources:
        raise KeyError(f"{provider}: unknown doc source {key!r} (known: {', '.join(sources)})")
    title = sources[key]
    return f'{title}: "{quote}"' if quote else title
