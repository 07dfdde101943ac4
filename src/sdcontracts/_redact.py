"""Credentials out of everything written down: journals, cassettes, reports, failing-case files.

The headers are the ones the providers' profiles name (``secret_headers``: what their auth schemes
set); the body fields are the ones the schemas mark ``x-secret`` (PICPIK's ``PublicKey`` and
``Signature``). Redacted values
become ``REDACTED``, so a file still shows that the credential was sent. A response may echo a
request's credentials (Alibaba's gateway quotes its string to sign, AppKey included):
`sent_credentials` lists the values a request carried and `scrub` takes them out of anything.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache
from typing import Any

from . import _registry
from ._catalogue import providers, raw_schema, schema_names

__all__ = ["REDACTED", "redact_body", "redact_headers", "scrub", "secret_fields", "secret_headers", "sent_credentials"]

REDACTED = "REDACTED"


def secret_headers() -> frozenset[str]:
    """The headers (lower case) any provider's credentials travel in, as their profiles say: Bearer
    tokens and TAMS signatures (Authorization), the Aliyun gateway's key and signature, Zhiqite's
    key pair (its secret in the clear), a plugin's."""
    return _headers(providers())


@lru_cache(maxsize=4)
def _headers(ids: tuple[str, ...]) -> frozenset[str]:
    return frozenset(header for p in ids for header in _registry.get(p).profile.secret_headers)


def secret_fields() -> frozenset[str]:
    """Names of the body fields any provider schema marks ``x-secret``."""
    return _fields(providers())


@lru_cache(maxsize=4)
def _fields(ids: tuple[str, ...]) -> frozenset[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name, child in node.get("properties", {}).items():
                if isinstance(child, dict) and child.get("x-secret"):
                    found.add(name)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for provider in ids:
        for schema in schema_names(provider):
            walk(raw_schema(provider, schema))
    return frozenset(found)


def redact_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with credential values replaced."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    secret = secret_headers()
    return {name: (REDACTED if name.lower() in secret else value) for name, value in pairs}


def redact_body(value: Any, *, shorten: int | None = None) -> Any:
    """A copy of a JSON value with ``x-secret`` fields replaced, at any depth.

    ``shorten`` cuts strings longer than that many characters (base64 images in a journal).
    """
    secret = secret_fields()

    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: (REDACTED if k in secret else walk(v)) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        if shorten is not None and isinstance(item, str) and len(item) > shorten:
            return item[:32] + f"…({len(item):,} characters)"
        return item

    return walk(value)


def sent_credentials(headers: Iterable[tuple[str, str]] | Mapping[str, str], body: bytes) -> frozenset[str]:
    """The credential values one request carried: its auth headers' values (a Bearer token without
    its scheme, a TAMS header's app id and signature) and its ``x-secret`` body fields."""
    found: set[str] = set()
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    secret = secret_headers()
    for name, value in pairs:
        if name.lower() not in secret:
            continue
        found.add(value)
        scheme, _, rest = value.partition(" ")
        if scheme == "Bearer":
            found.add(rest.strip())
        elif scheme.startswith("TAMS-"):
            fields = dict(part.strip().partition("=")[::2] for part in rest.split(","))
            found.update(v for k, v in fields.items() if k in ("app_id", "signature"))
    try:
        parsed = json.loads(body) if body else None
    except (ValueError, RecursionError):
        parsed = None
    secret = secret_fields()
    stack = [parsed]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.update(v for k, v in item.items() if k in secret and isinstance(v, str))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return frozenset(v for v in found if len(v) >= 4)  # a one-letter value would scrub every word


def scrub(value: Any, credentials: Collection[str]) -> Any:
    """A copy of a JSON value (or a string) with every occurrence of ``credentials`` replaced."""
    if not credentials:
        return value
    if isinstance(value, str):
        for credential in credentials:
            value = value.replace(credential, REDACTED)
        return value
    if isinstance(value, dict):
        return {scrub(k, credentials): scrub(v, credentials) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, credentials) for v in value]
    return value
