"""Scalars read off random bytes: one Hypothesis choice for a value, or for an object's scalar fields."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

__all__ = ["Packed", "byte_strings", "edge_or_interior", "unsigned"]


@dataclass(frozen=True, slots=True)
class Packed:
    """A scalar read off ``width`` random bytes: a field's whole value is one Hypothesis choice, and
    an object's scalar fields share one (`objects`). A choice costs the engine tens of microseconds,
    and a bound drawn by ``one_of(sampled_from(ends), interior)`` cost two, plus a layer each."""

    width: int
    decode: Callable[[bytes], Any]

    def strategy(self) -> st.SearchStrategy[Any]:
        return byte_strings(self.width).map(self.decode)


@functools.cache
def byte_strings(width: int) -> st.SearchStrategy[bytes]:
    return st.binary(min_size=width, max_size=width)


def unsigned(data: bytes) -> int:
    return int.from_bytes(data, "big")


def edge_or_interior(data: bytes, count: int) -> int:
    """An index in ``range(count)``: 0 and ``count - 1`` a quarter of the time each, the rest even
    (all zero bytes, what Hypothesis shrinks towards, give 0: the lower bound)."""
    spread = unsigned(data) % (2 * count)
    return min(max(spread - count // 2, 0), count - 1)
