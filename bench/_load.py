"""A small HTTP/1.1 load generator: keep-alive connections, pre-built requests, bounded in time.

Python cannot afford a client library per request at thousands of requests a second, so each
connection writes ready-made request bytes and reads the response by its Content-Length (the
servers measured here always send one). Latency is per request, from write to last byte.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["LoadResult", "build_request", "load"]


@dataclass
class LoadResult:
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, one per completed request
    statuses: Counter[int] = field(default_factory=Counter)
    errors: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def build_request(method: str, path: str, host: str, body: bytes, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _connection(host: str, port: int, requests: list[bytes], start: int, stride: int, until: float,
                      result: LoadResult) -> None:  # fmt: skip
    reader, writer = await asyncio.open_connection(host, port)
    index = start
    try:
        while time.perf_counter() < until:
            request = requests[index % len(requests)]
            index += stride
            began = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
                    break
            if length:
                await reader.readexactly(length)
            result.latencies.append(time.perf_counter() - began)
            result.statuses[status] += 1
    except (OSError, asyncio.IncompleteReadError, ValueError):
        result.errors += 1
    finally:
        writer.close()


def load(host: str, port: int, requests: list[bytes], *, seconds: float, connections: int = 32,
         warmup: float = 0.5) -> LoadResult:  # fmt: skip
    """Send ``requests`` (cycled; each connection takes every n-th) for ``seconds`` after a warm-up."""
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover - uvloop is in the mock extra
        runner = asyncio.run

    async def phase(duration: float, into: LoadResult, offset: int) -> None:
        until = time.perf_counter() + duration
        await asyncio.gather(
            *(_connection(host, port, requests, offset + i, connections, until, into) for i in range(connections))
        )

    async def main() -> LoadResult:
        await phase(warmup, LoadResult(warmup), 0)
        result = LoadResult(seconds)
        started = time.perf_counter()
        await phase(seconds, result, len(requests) // 2)
        result.seconds = time.perf_counter() - started
        return result

    return runner(main())
