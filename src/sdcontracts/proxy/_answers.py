"""Drift: where an upstream answer departs from the contract. The answer itself is never changed.

An answer is read as the provider's own client reads it (the client's sans-IO half, never sending):
a success, or an error with the provider's code. Then it is checked, each departure a `Drift` with
a JSON Pointer into the answer and a rule id:

- a success against its operation's response schema, an error against the provider's error schema,
  by `sdcontracts.validate` (``type``, ``required``, ``enum``…);
- **a new field**: the response schemas are open (providers add fields, and clients must not break),
  so `validate` accepts one; drift reads them closed, and a field an object's schema does not list is
  ``unknown-field`` (an object whose schema lists no fields, or maps any key to one schema, is free);
- an HTTP status that provider.json ``errors.codes`` does not list (nor 200): ``undocumented-status``;
- an error code it does not list: ``undocumented-code``;
- a body that is not JSON: ``not-json``.
"""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx

from .._catalogue import provider_info, raw_schema
from .._exceptions import ProviderError
from .._pointer import join, shown_key
from .._validation import validate
from ..clients import client_class
from ..clients._base import ProviderBase, Spec
from ..conformance._targets import placeholder_credentials
from ._routes import Operation

__all__ = ["Answer", "AnswerChecker", "Drift", "decoded", "schema_path", "unlisted"]

DRIFT_LIMIT = 50  # departures reported per answer: a garbled answer need not list ten thousand


@dataclass(frozen=True, slots=True)
class Drift:
    """One departure of an answer from the contract."""

    path: str  # JSON Pointer into the answer ("" for its status, or the whole body)
    rule: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "rule": self.rule, "message": self.message}


@dataclass(frozen=True, slots=True)
class Answer:
    """How the provider's client reads an answer, and where it departs from the contract."""

    error: ProviderError | None  # None: a success
    drift: tuple[Drift, ...] = ()
    checked: bool = True  # False when the body could not be read (an encoding the proxy cannot decode)


class AnswerChecker:
    """One provider's answers, checked against its contract."""

    def __init__(self, provider: str) -> None:
        self.provider = provider
        info = provider_info(provider)
        self.codes = frozenset(info.get("errors", {}).get("codes", {}))
        self.statuses = frozenset({200, *(int(c["status"]) for c in info.get("errors", {}).get("codes", {}).values())})
        self.error_schema: str = info.get("error", "error")
        # only its reading of answers is used: `_error` (success, or the error and its code)
        self._reader: ProviderBase = client_class(provider)(**placeholder_credentials(provider))

    def check(self, operation: Operation, method: str, response: httpx.Response, body: bytes) -> Answer:
        """Read ``response``, the answer to ``operation`` (its ``body`` decoded, see `decoded`), and find
        its drift."""
        status = response.status_code
        drift: list[Drift] = []
        if status not in self.statuses:
            documented = ", ".join(map(str, sorted(self.statuses)))
            drift.append(Drift("", "undocumented-status", f"HTTP {status} is not a documented status ({documented})"))
        spec = Spec(operation.name, method, operation.path)
        if method == "HEAD" and not body:
            error = self._reader._error(response, None, spec) if status >= 400 else None
            return Answer(error, tuple(drift))
        try:
            document: Any = json.loads(body)
        except (ValueError, RecursionError):
            kind = response.headers.get("content-type", "no content type")
            drift.append(Drift("", "not-json", f"the answer is not JSON ({kind}, {len(body):,} bytes)"))
            return Answer(self._reader._error(response, None, spec), tuple(drift))
        error = self._reader._error(response, document, spec)
        schema = operation.response if error is None else self.error_schema
        if schema is not None:
            found = {
                (v.path, v.rule): Drift(v.path, v.rule, v.message) for v in validate(self.provider, document, schema)
            }
            for extra in unlisted(self.provider, schema, document):
                found.setdefault((extra.path, extra.rule), extra)
            drift.extend(found.values())
        if error is not None and error.code is not None and error.code not in self.codes:
            where = ""
            if isinstance(document, dict):
                where = next((join("", key) for key, value in document.items() if str(value) == error.code), "")
            drift.append(Drift(where, "undocumented-code", f"error code {error.code!r} is not in provider.json"))
        return Answer(error, tuple(drift[:DRIFT_LIMIT]))


def decoded(body: bytes, encoding: str, limit: int) -> bytes | None:
    """``body`` without its Content-Encoding (identity, gzip or deflate), at most ``limit`` bytes of
    it; None when the encoding is one the proxy cannot undo, or the data is not that encoding."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return None
    wbits = 16 + zlib.MAX_WBITS if encoding != "deflate" else zlib.MAX_WBITS
    try:
        inflater = zlib.decompressobj(wbits)
        data = inflater.decompress(body, limit)  # bounded: a small bomb cannot fill the memory
        return None if inflater.unconsumed_tail else data
    except zlib.error:
        return None


def schema_path(pointer: str) -> str:
    """A pointer with its array indices as ``*``: one label for every item (metrics by schema path)."""
    return _INDEX.sub("/*", pointer)


_INDEX = re.compile(r"/\d+(?=/|$)")


# -- the closed reading ------------------------------------------------------------------------------


@dataclass(eq=False)
class _Shape:
    """What a schema node says of an object's fields and an array's items (for the closed reading)."""

    listed: set[str] | None = None  # the fields an object's schema lists; None: no list (free)
    patterns: list[re.Pattern[str]] = field(default_factory=list)
    fields: dict[str, _Shape] = field(default_factory=dict)
    extra: _Shape | None = None  # additionalProperties as a schema: any other key, values of that shape
    items: _Shape | None = None


@cache
def _shape(provider: str, schema: str) -> _Shape:
    document = raw_schema(provider, schema)
    made: dict[int, _Shape] = {}  # by node: a recursive $ref ends in the shape being built

    def build(node: Any) -> _Shape:
        if not isinstance(node, dict):
            return _Shape()
        if id(node) in made:
            return made[id(node)]
        shape = made[id(node)] = _Shape()
        merge(shape, node)
        return shape

    def merge(shape: _Shape, node: Any) -> None:
        if not isinstance(node, dict):
            return
        if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
            target: Any = document
            for step in node["$ref"][2:].split("/"):
                target = target.get(step) if isinstance(target, dict) else None
            merge(shape, target)
        for keyword in ("allOf", "anyOf", "oneOf"):
            for branch in node.get(keyword, ()):
                merge(shape, branch)
        if isinstance(node.get("properties"), dict):
            shape.listed = (shape.listed or set()) | set(node["properties"])
            for name, child in node["properties"].items():
                shape.fields[name] = build(child)
        for pattern in node.get("patternProperties", {}):
            shape.patterns.append(re.compile(pattern))
        if isinstance(node.get("additionalProperties"), dict):
            shape.extra = build(node["additionalProperties"])
        if isinstance(node.get("items"), dict):
            shape.items = build(node["items"])

    return build(document)


def unlisted(provider: str, schema: str, document: Any) -> list[Drift]:
    """The fields of ``document`` its schema does not list, read closed (see the module docstring)."""
    found: list[Drift] = []

    def walk(shape: _Shape, value: Any, pointer: str, depth: int) -> None:
        if depth > 64 or len(found) >= DRIFT_LIMIT:
            return
        if isinstance(value, dict):
            for key, child in value.items():
                known = shape.fields.get(key)
                if known is not None:
                    walk(known, child, join(pointer, key), depth + 1)
                elif shape.extra is not None:
                    walk(shape.extra, child, join(pointer, key), depth + 1)
                elif shape.listed is not None and not any(p.search(key) for p in shape.patterns):
                    message = f"{shown_key(key)} is not a field the schema lists (a new field)"
                    found.append(Drift(join(pointer, key), "unknown-field", message))
        elif isinstance(value, list) and shape.items is not None:
            for index, item in enumerate(value):
                walk(shape.items, item, join(pointer, index), depth + 1)

    walk(_shape(provider, schema), document, "", 0)
    return found
