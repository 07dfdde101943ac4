"""Small helpers the provider handlers share."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

__all__ = ["equal", "number", "seed_for"]


def equal(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a credential."""
    return given is not None and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def number(value: Any, default: int) -> int:
    """An int from a JSON value that should be one, else the default."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return default
    try:
        return int(float(value))
    except (ValueError, OverflowError):  # "abc"; 1e999 and integers beyond a float's range
        return default


def seed_for(task_id: str, given: Any) -> int:
    """The seed a task reports: the requested one, or a stable pseudo-random one for -1/0/absent."""
    seed = number(given, -1)
    if seed > 0:
        return seed
    return int.from_bytes(hashlib.sha256(task_id.encode()).digest()[:4], "big")
