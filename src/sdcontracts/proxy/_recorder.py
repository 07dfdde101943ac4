"""``--record FILE``: the proxy's exchanges as a cassette, credentials redacted as in every cassette.

The file is a complete cassette from the start (``"target": "proxy"``, no exchanges yet) and is
rewritten, whole and atomically, at most once per `INTERVAL` while exchanges come in, and when the
proxy stops: a reader never finds half a file. Each entry is the request as forwarded (or, when the
proxy answered, as received) and the answer the caller got, with the proxy's verdict beside them.
At most ``limit`` exchanges are kept; past that, recording stops and says so once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import Any

import httpx

from ..conformance._cassette import Cassette
from ._log import event

__all__ = ["INTERVAL", "PROXY_TARGET", "Recorder"]

PROXY_TARGET = "proxy"
INTERVAL = 1.0  # seconds between rewrites of the file while exchanges come in


class Recorder:
    """Exchanges kept in a `Cassette`, written to ``path``."""

    def __init__(self, path: str | Path, provider: str, upstream: str, *, limit: int = 10_000) -> None:
        self.path = Path(path)
        self.provider = provider
        self.limit = limit
        self.cassette = Cassette(PROXY_TARGET, False, 0, 0, [provider], base_urls={provider: upstream})
        self.count = 0
        self._dirty = False
        self._pending: asyncio.TimerHandle | None = None
        self._writing: asyncio.Task[None] | None = None
        self._save(self.cassette)  # an unwritable path fails here, when the proxy starts (OSError)

    def record(self, request: httpx.Request, response: httpx.Response, verdict: dict[str, Any]) -> None:
        if self.count >= self.limit:
            if self.count == self.limit:
                event(
                    logging.WARNING,
                    recording="stopped: the limit of exchanges is reached",
                    file=str(self.path),
                    exchanges=self.limit,
                )
                self.count += 1
            return
        self.cassette.record(self.provider, request, response, verdict)
        self.count += 1
        self._dirty = True
        if self._pending is None:
            self._pending = asyncio.get_running_loop().call_later(INTERVAL, self._flush_later)

    def _flush_later(self) -> None:
        self._pending = None
        if self._writing is None or self._writing.done():
            self._writing = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        if self._dirty:
            self._dirty = False
            await asyncio.to_thread(self._save, self._snapshot())

    async def close(self) -> None:
        """Write what is recorded (the proxy is stopping)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        if self._writing is not None:
            with contextlib.suppress(Exception):
                await self._writing
        if self._dirty:
            self._dirty = False
            self._save(self._snapshot())

    def _snapshot(self) -> Cassette:
        # taken on the event loop: the thread writing it never sees an exchange being added
        kept = {provider: list(entries) for provider, entries in self.cassette.interactions.items()}
        return Cassette(PROXY_TARGET, False, 0, 0, [self.provider], base_urls=dict(self.cassette.base_urls),
                        interactions=kept)  # fmt: skip

    def _save(self, cassette: Cassette) -> None:
        scratch = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            cassette.save(scratch)
            os.replace(scratch, self.path)
        finally:
            with contextlib.suppress(OSError):
                scratch.unlink()
