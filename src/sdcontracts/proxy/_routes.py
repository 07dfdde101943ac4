"""Which operation a request is, from the provider's ``provider.json`` ``operations`` (what the mock
serves and the OpenAPI export documents): its method and path, and, where one path serves several
operations (PICPIK's ``POST /``), the body field whose constant value tells them apart.

Paths match as the mock matches them: exactly, or with one trailing ``{name}`` segment; a concrete
path (``/v1/jobs/credits``) before a template (``/v1/jobs/{jobId}``). HEAD is served wherever GET is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .._catalogue import provider_info, raw_schema

__all__ = ["Operation", "Routes"]


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of provider.json, as the proxy checks it."""

    name: str
    method: str
    path: str
    request: str | None  # the request body's schema; None for a GET or DELETE
    response: str | None  # the success answer's schema
    query: tuple[str, ...]  # the query parameters it requires
    discriminator: tuple[str, Any] | None = None  # (body field, value) when its path serves several


class Routes:
    """One provider's operations, looked up by method and path."""

    def __init__(self, provider: str) -> None:
        info = provider_info(provider)
        by_route: dict[tuple[str, str], list[tuple[str, dict[str, Any]]]] = {}
        for name, operation in info["operations"].items():
            by_route.setdefault((operation["method"], operation["path"]), []).append((name, operation))
        self._static: dict[tuple[str, str], tuple[Operation, ...]] = {}
        self._templates: list[tuple[str, str, str, tuple[Operation, ...]]] = []  # method, prefix, parameter, ops
        for (method, path), named in by_route.items():
            operations = tuple(_operation(provider, name, operation, named) for name, operation in named)
            prefix, _, last = path.rpartition("/")
            if last.startswith("{") and last.endswith("}"):
                self._templates.append((method, f"{prefix}/", last[1:-1], operations))
            else:
                self._static[(method, path)] = operations
        self._static_paths = frozenset(path for _, path in self._static)
        self.operations = {
            op.name: op for ops in (*self._static.values(), *(t[3] for t in self._templates)) for op in ops
        }

    def match(self, method: str, path: str) -> tuple[tuple[Operation, ...], dict[str, str]]:
        """The operations served at ``method path`` (several when a body field picks one: `pick`),
        with the path's parameters; none when the contract has no such operation."""
        method = "GET" if method == "HEAD" else method
        found = self._static.get((method, path))
        if found is not None:
            return found, {}
        if path not in self._static_paths:
            for verb, prefix, name, operations in self._templates:
                if verb == method and path.startswith(prefix):
                    rest = path[len(prefix) :]
                    if rest and "/" not in rest:
                        return operations, {name: rest}
        return (), {}

    @staticmethod
    def pick(operations: tuple[Operation, ...], body: Any) -> Operation | None:
        """The operation a body names among those sharing its path (None when it names none)."""
        if len(operations) == 1:
            return operations[0]
        if not isinstance(body, dict):
            return None
        for operation in operations:
            field, value = operation.discriminator or ("", None)
            if field in body and body[field] == value and type(body[field]) is type(value):
                return operation
        return None


def _operation(
    provider: str, name: str, operation: dict[str, Any], sharing: list[tuple[str, dict[str, Any]]]
) -> Operation:
    query = tuple(
        key for key, parameter in operation.get("parameters", {}).items()
        if parameter.get("in") == "query" and parameter.get("required")
    )  # fmt: skip
    request = operation.get("request")
    discriminator = None
    if len(sharing) > 1:
        discriminator = _discriminator(provider, name, request, [other.get("request") for _, other in sharing])
    return Operation(name, operation["method"], operation["path"], request, operation.get("response"), query,
                     discriminator)  # fmt: skip


def _discriminator(provider: str, name: str, request: str | None, schemas: list[str | None]) -> tuple[str, Any]:
    """The top-level body field holding a constant in this operation's request schema that differs
    from the other operations' on the same path (PICPIK's ``Action``)."""
    mine = _constants(provider, request)
    theirs = [_constants(provider, other) for other in schemas if other != request]
    for field, value in mine.items():
        if all(field in other and other[field] != value for other in theirs):
            return field, value
    raise ValueError(f"{provider}: operation {name!r} shares its path, and no body constant tells it apart")


def _constants(provider: str, schema: str | None) -> dict[str, Any]:
    if schema is None:
        return {}
    properties = raw_schema(provider, schema).get("properties", {})
    return {field: node["const"] for field, node in properties.items() if isinstance(node, dict) and "const" in node}
