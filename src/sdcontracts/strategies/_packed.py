"""Values read off random bytes: one Hypothesis choice for a scalar, a few for a whole request."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import strategies as st

__all__ = ["CHUNK", "Packed", "Reader", "byte_strings", "edge_or_interior", "read_with", "unsigned"]

T = TypeVar("T")
# Bytes a `Reader` draws at a time (more when one decision needs more): a choice costs the engine
# tens of microseconds and a byte a tenth of one, but every byte counts towards Hypothesis' 8 KiB
# per example, and a reader's last chunk is partly unread.
CHUNK = 96


@dataclass(frozen=True, slots=True)
class Packed:
    """A scalar read off ``width`` random bytes: a field's whole value is one Hypothesis choice, or
    a few bytes of a `Reader`'s. A choice costs the engine tens of microseconds, and a bound drawn
    by ``one_of(sampled_from(ends), interior)`` cost two, plus a layer each."""

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


_FIRST, _SECOND, _MIXED = range(3)  # a `Reader`'s spelling style


class Reader:
    """Random bytes for a whole nested value, drawn a `CHUNK` at a time: every decision inside a
    request (which fields, which spelling, how many items, each scalar) is read off them in
    order, so a request costs a few Hypothesis choices instead of one or more per object and list.

    All zero bytes (what Hypothesis shrinks towards) read as the simplest decisions: no optional
    field, the first spelling, the fewest items, each lower bound. ``draw`` stays available for
    what bytes cannot express (a regular expression, a strategy given as an override)."""

    __slots__ = ("_at", "_buffer", "_spelling", "draw")

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self._buffer = b""
        self._at = 0
        self._spelling: int | None = None  # _FIRST, _SECOND or _MIXED, once a field has two spellings

    def take(self, width: int) -> bytes:
        end = self._at + width
        if end > len(self._buffer):
            rest = self._buffer[self._at :]
            self._buffer = rest + self.draw(byte_strings(max(CHUNK, width - len(rest))))
            self._at, end = 0, width
        data = self._buffer[self._at : end]
        self._at = end
        return data

    def bit(self) -> bool:
        return bool(self.take(1)[0] & 1)

    def pick(self, options: tuple[T, ...] | list[T]) -> T:
        """One of ``options``, evenly (the first for zero bytes)."""
        return options[unsigned(self.take(2)) % len(options)]

    def mask(self, size: int) -> int:
        """``size`` bits: none one time in 32 (and for zero bytes), all one time in 32, otherwise
        each bit even: each bit is set half the time, and both extremes are drawn (more often
        would repeat whole requests: an object without required fields is then ``{}``)."""
        if not size:
            return 0
        data = self.take(1 + (size + 7) // 8)
        mode = data[0] & 31
        if mode < 2:
            return 0 if mode == 0 else (1 << size) - 1
        return unsigned(data[1:]) & ((1 << size) - 1)

    def spellings(self, size: int) -> int:
        """Which of ``size`` fields take their second spelling (a bit each). The first field with
        two spellings decides for the whole value: half the values spell every field the first
        way (camelCase, as the documents and most clients send them; zero bytes too), an eighth
        the second way throughout, the rest field by field (`mask`)."""
        if not size:
            return 0
        if self._spelling is None:
            mode = self.take(1)[0] & 7
            self._spelling = _FIRST if mode < 4 else _SECOND if mode == 4 else _MIXED
        if self._spelling == _MIXED:
            return self.mask(size)
        return 0 if self._spelling == _FIRST else (1 << size) - 1

    def maybe_mask(self, size: int) -> int:
        """``size`` bits, every mask even a quarter of the time, otherwise none."""
        if not size:
            return 0
        data = self.take(1 + (size + 7) // 8)
        return unsigned(data[1:]) & ((1 << size) - 1) if data[0] & 3 == 3 else 0


def read_with(read: Callable[[Reader], T]) -> st.SearchStrategy[T]:
    """A strategy drawing one value read by ``read`` off a fresh `Reader`."""

    @st.composite
    def build(draw: st.DrawFn) -> T:
        return read(Reader(draw))

    return build()
