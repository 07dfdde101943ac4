"""Shared helpers for the unit tests."""

from __future__ import annotations

import base64
import importlib
import os
import struct
import zlib

import pytest
from hypothesis import settings

import sdcontracts

# Hypothesis draws from a fixed seed unless HYPOTHESIS_PROFILE=explore: a test that asserts a
# coverage property (every workflow shape appears in 300 draws) must not pass or fail by luck in
# CI. `HYPOTHESIS_PROFILE=explore make unit` searches with fresh randomness.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Every module a test may first import from a thread (clients, models, rules, mock handlers),
# imported now, in the main thread: pytest rewrites sdcontracts' modules as it imports them, and
# CPython 3.11 can fail to compile two at once ("SystemError: AST constructor recursion depth
# mismatch"), which made the threaded load and abuse tests flaky.
for _provider in sdcontracts.providers():
    for _package in ("sdcontracts.clients", "sdcontracts.models", "sdcontracts.rules", "sdcontracts.mock.providers"):
        importlib.import_module(f"{_package}.{_provider}")


def png(width: int, height: int) -> bytes:
    """A real (tiny, all-black) PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (width + 1) * min(height, 4))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture
def small_png_b64() -> str:
    return b64(png(64, 64))
