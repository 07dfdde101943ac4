"""Credentials out of everything written down: journals, cassettes, reports, failing-case files.

The headers are the ones the auth schemes in `sdcontracts.auth` set; the body fields are the
ones the schemas mark ``x-secret`` (PICPIK's ``PublicKey`` and ``Signature``). Redacted values
become ``REDACTED``, so a file still shows that the credential was sent. A response may echo a
request's credentials (Alibaba's gateway quotes its string to sign, AppKey included):
`sent_credentials` lists the values a request carried and `scrub` takes them out of anything.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache
from typing import Any

from ._catalogue import providers, raw_schema, schema_names
from .auth import ZhiqiteKeyAuth

__all__ = ["REDACTED", "SECRET_HEADERS", "redact_body", "redact_headers", "scrub", "secret_fields", "sent_credentials"]

REDACTED = "REDACTED"

# What the auth schemes send: Bearer tokens and TAMS signatures (Authorization), the Aliyun
# gateway's key and signature, and Zhiqite's key pair (its secret travels in the clear).
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "x-ca-key",
        "x-ca-signature",
        ZhiqiteKeyAuth.ID_HEADER.lower(),
        ZhiqiteKeyAuth.SECRET_HEADER.lower(),
    }
)


@lru_cache(maxsize=1)
def secret_fields() -> frozenset[str]:
    """Names of the body fields any provider schema marks ``x-secret``."""
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

    for provider in providers():
        for schema in schema_names(provider):
            walk(raw_schema(provider, schema))
    return frozenset(found)


def redact_headers(headers: Iterable[tuple[str, str]] | Mapping[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with credential values replaced."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return {name: (REDACTED if name.lower() in SECRET_HEADERS else value) for name, value in pairs}


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
    for name, value in pairs:
        if name.lower() not in SECRET_HEADERS:
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
