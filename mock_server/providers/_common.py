"""Small helpers the provider handlers share."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

__all__ = ["clock_skew", "equal", "number", "seed_for"]


def equal(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a credential (any string: one holding a lone surrogate, parsed
    from a JSON escape, is compared by its surrogate bytes, and is equal only to itself)."""
    return given is not None and hmac.compare_digest(_bytes(given), _bytes(expected))


def clock_skew(stamp: str, now: float, per_second: int) -> float | None:
    """Seconds from a signed timestamp to ``now`` (positive: the stamp is in the past), or None when
    the stamp is not a count of ``1 / per_second`` seconds: 1 to 20 ASCII digits, nothing else.

    The one parser of the timestamps the providers' signatures carry. Bounded because a longer
    string is no time at all, and reading it is not free: ``int()`` takes time quadratic in the
    digits (and refuses 4,300 or more), and 400 digits overflow a float.
    """
    if not 0 < len(stamp) <= _STAMP_DIGITS or not (stamp.isascii() and stamp.isdigit()):
        return None
    return now - int(stamp) / per_second


_STAMP_DIGITS = 20  # a uint64 has 20 digits


def number(value: Any, default: int) -> int:
    """An int from a JSON value that should be one, else the default."""
    if type(value) is int and -_EXACT <= value <= _EXACT:  # the usual value: int(float(value)) is itself
        return value
    if isinstance(value, bool) or not isinstance(value, _NUMERIC):
        return default
    try:
        return int(float(value))
    except (ValueError, OverflowError):  # "abc"; 1e999 and integers beyond a float's range
        return default


_EXACT = 2**53  # integers a float holds exactly
_NUMERIC = (int, float, str)


def seed_for(task_id: str, given: Any) -> int:
    """The seed a task reports: the requested one, or a stable pseudo-random one for -1/0/absent."""
    seed = number(given, -1)
    if seed > 0:
        return seed
    return int.from_bytes(hashlib.sha256(_bytes(task_id)).digest()[:4], "big")


def _bytes(text: str) -> bytes:
    # a lone surrogate (from a "\ud800" JSON escape) has no UTF-8: its surrogate bytes stand for it
    return text.encode("utf-8", "surrogatepass")
