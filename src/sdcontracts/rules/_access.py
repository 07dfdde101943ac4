"""Small, defensive accessors for rule checks, which see payloads of any shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .._protojson import snake_name

__all__ = ["field", "items", "number", "proto_value"]


def field(obj: Any, name: str, *, protojson: bool = False) -> tuple[str, Any] | None:
    """``(key, value)`` of a field in a dict, trying its snake_case spelling when ``protojson``;
    None when ``obj`` is not a dict or lacks the field."""
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return name, obj[name]
    if protojson:
        alias = snake_name(name)
        if alias in obj:
            return alias, obj[alias]
    return None


def proto_value(obj: Any, name: str) -> Any:
    """The value of a field in a dict in either protobuf JSON spelling (as named, else snake_case);
    None when ``obj`` is not a dict, lacks the field or holds null there: ``field(obj, name,
    protojson=True)`` for a reader that wants only the value (the mock reads several a request)."""
    if not isinstance(obj, dict):
        return None
    if name in obj:
        return obj[name]
    return obj.get(snake_name(name))  # the other spelling (the same name when it has only one)


def items(value: Any) -> Iterator[tuple[int, Any]]:
    """``enumerate(value)`` for a list, nothing for anything else."""
    if isinstance(value, list | tuple):
        yield from enumerate(value)


def number(value: Any) -> int | float | None:
    """The value when it is a JSON number (not a bool), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None
