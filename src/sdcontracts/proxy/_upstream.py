"""Sending a call upstream: one exchange (a request's bytes out, the answer's status, headers and
bytes back), or an `UpstreamFailure` saying why there is no answer.

`Upstream` is the proxy's own HTTP/1.1 client: pooled keep-alive connections on the event loop's
own transports, answers parsed by httptools (the C parser uvicorn serves with). `make bench` found
httpx's pooled client (httpcore over anyio) to be most of the proxy's time under load: its pool
re-scans every connection and every waiting request on each call and each release, and each read
and write goes through anyio's stream layers. What the proxy needs is narrower than a general
client: one origin, bytes forwarded as they came (no URL, header or body rebuilt), the whole answer
held (its size bounded) before it is checked, and one deadline for the exchange, kept by the
caller (`ProxyApp`). `HttpxUpstream` sends through an ``httpx.AsyncBaseTransport`` instead, for an
upstream in the same process (``transport=``: an ASGI app, respx).

Connections: at most as many open as calls in flight, since one is made only when none is idle (the
caller's semaphore bounds the calls); an idle one is reused for `KEEPALIVE` seconds, unless its
upstream closed it or said ``Connection: close``. A connection is never reused after a HEAD (whose
answer announces a body it does not send), after an answer whose end was not found, or after a call
that was cancelled mid-way (the deadline): it is closed instead. Environment proxies
(``HTTP_PROXY``) are not used: the upstream is the one given.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httpx

__all__ = ["KEEPALIVE", "Exchange", "HttpxUpstream", "Upstream", "UpstreamFailure"]

KEEPALIVE = 2.0  # seconds an idle connection is kept (below the 5 s of uvicorn, nginx's 75 s…)

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class Exchange:
    """The upstream's answer: status, header fields as sent (names as spelled), the body's bytes
    (de-chunked, its Content-Encoding kept)."""

    status: int
    headers: Headers
    content: bytes
    reason: bytes = b""


class UpstreamFailure(Exception):
    """No answer: ``status`` (502, or 504 for time) and the words for it; ``named``: the words are
    about the upstream's connection, and the log names which upstream."""

    def __init__(self, status: int, reason: str, *, named: bool = True) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.named = named


def _too_large(limit: int) -> UpstreamFailure:
    return UpstreamFailure(502, f"the upstream's answer is larger than {limit:,} bytes", named=False)


class _Closed(Exception):
    """The connection ended before any byte of the answer."""


class Upstream:
    """Pooled HTTP/1.1 connections to one origin, on the running event loop."""

    def __init__(self, url: str, *, max_answer_bytes: int, ssl_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port or (443 if self.https else 80)
        default = 443 if self.https else 80
        # the Host field as httpx sends it: the port only when it is not the scheme's
        name = f"[{self.host}]" if ":" in self.host else self.host
        self.authority = (name if self.port == default else f"{name}:{self.port}").encode("ascii")
        self.max_answer_bytes = max_answer_bytes
        self._ssl = (ssl_context or httpx.create_ssl_context()) if self.https else None
        self._idle: list[_Connection] = []  # the last released is reused first: its socket is warmest

    async def send(self, method: str, target: bytes, headers: Headers, body: bytes) -> Exchange:
        """One exchange: ``method target`` with ``headers`` (no Host or Content-Length: they are set
        here, Host first and Content-Length last) and ``body``."""
        lines = [method.encode("ascii"), b" ", target, b" HTTP/1.1\r\nhost: ", self.authority, b"\r\n"]
        for name, value in headers:
            lines += (name, b": ", value, b"\r\n")
        if body or method not in _NO_BODY:
            lines += (b"content-length: ", str(len(body)).encode("ascii"), b"\r\n")
        lines.append(b"\r\n")
        head = b"".join(lines)
        connection = await self._connection()
        done = False
        try:
            answer = await connection.exchange(head, body, head_only=method == "HEAD")
            done = True
        except _Closed as error:
            raise UpstreamFailure(502, f"the upstream closed the connection: {error}") from None
        finally:
            if done and connection.reusable:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            else:
                connection.close()
        return answer

    async def _connection(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if connection.reusable and now - connection.idle_since < KEEPALIVE:
                return connection
            connection.close()
        loop = asyncio.get_running_loop()
        try:
            _, connection = await loop.create_connection(
                lambda: _Connection(self.max_answer_bytes), self.host, self.port, ssl=self._ssl,
                server_hostname=self.host if self._ssl is not None else None,
            )  # fmt: skip
        except (OSError, ssl.SSLError) as error:  # refused, unreachable, no such host, a certificate
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
            raise UpstreamFailure(502, f"cannot connect to the upstream: {reason or type(error).__name__}") from None
        return connection

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()


_NO_BODY = frozenset({"GET", "HEAD", "DELETE", "OPTIONS", "TRACE"})


class _Connection(asyncio.Protocol):
    """One connection, one exchange at a time; the answer parsed as it arrives."""

    def __init__(self, limit: int) -> None:
        import httptools  # the proxy extra's (`ProxyApp` requires it): imported here, not with the module

        self.limit = limit
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self._parse_error: type[Exception] = httptools.HttpParserError
        self.reusable = True
        self.idle_since = 0.0
        self._waiter: asyncio.Future[Exchange] | None = None
        self._reset(False)

    def _reset(self, head_only: bool) -> None:
        self._head_only = head_only
        self._headers: Headers = []
        self._chunks: list[bytes] = []
        self._size = 0
        self._seen = False  # a byte of the answer has arrived
        self._framed = False  # the answer says where its body ends (Content-Length, chunked)
        self._headers_done = False
        self._reason = b""

    async def exchange(self, head: bytes, body: bytes, *, head_only: bool) -> Exchange:
        transport = self.transport
        if transport is None or transport.is_closing():
            raise _Closed("before the request was sent")
        self._reset(head_only)
        self._waiter = asyncio.get_running_loop().create_future()
        transport.writelines((head, body)) if body else transport.write(head)
        try:
            return await self._waiter
        finally:
            self._waiter = None

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.close()

    # -- asyncio.Protocol --------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast("asyncio.Transport", transport)  # uvloop's is one without the subclass

    def data_received(self, data: bytes) -> None:
        if self._waiter is None or self._waiter.done():  # bytes nobody asked for: the stream is out of step
            self.close()
            return
        self._seen = True
        try:
            self.parser.feed_data(data)
        except self._parse_error as error:
            self._fail(UpstreamFailure(502, f"the upstream's answer is not valid HTTP: {error}"))

    def eof_received(self) -> bool | None:
        return None  # close the transport: connection_lost says what that means

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        self.transport = None
        if self._waiter is None or self._waiter.done():
            return
        if self._headers_done and not self._framed and not self._head_only:  # a body that ends with the connection
            self._finish()
        elif not self._seen:
            self._fail(_Closed(str(exc) if exc is not None and str(exc) else "it closed without answering"))
        else:
            self._fail(UpstreamFailure(502, "the upstream's answer is not valid HTTP: it ended before it was complete"))

    # -- httptools callbacks -----------------------------------------------------------------------

    def on_status(self, status: bytes) -> None:
        self._reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == b"content-length" or (lowered == b"transfer-encoding" and b"chunked" in value.lower()):
            self._framed = True
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._headers_done = True
        if self._head_only:  # no body follows, whatever the fields announce: the parser cannot be told
            self.reusable = False
            self._finish()

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self.limit:
            self._fail(_too_large(self.limit))
            return
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200 and status != 101:  # an interim answer (100 Continue): the real one follows
            self._reset(self._head_only)
            return
        if not self.parser.should_keep_alive():
            self.reusable = False
        self._finish()

    def _finish(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            chunks = self._chunks
            content = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            waiter.set_result(Exchange(self.parser.get_status_code(), self._headers, content, self._reason))

    def _fail(self, error: Exception) -> None:
        waiter = self._waiter
        self.close()
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)


class HttpxUpstream:
    """Exchanges through an httpx transport (``ProxyApp(transport=…)``), behind `Upstream`'s interface."""

    def __init__(self, url: str, transport: httpx.AsyncBaseTransport, *, max_answer_bytes: int, timeout: float) -> None:
        self.base = httpx.URL(url)
        self.max_answer_bytes = max_answer_bytes
        self.timeout = timeout
        self._client = httpx.AsyncClient(timeout=timeout, transport=transport, follow_redirects=False, trust_env=False)

    async def send(self, method: str, target: bytes, headers: Headers, body: bytes) -> Exchange:
        request = httpx.Request(method, self.base.copy_with(raw_path=target), headers=headers, content=body)
        try:
            response = await self._client.send(request, stream=True)
            try:
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_raw():
                    size += len(chunk)
                    if size > self.max_answer_bytes:
                        raise _too_large(self.max_answer_bytes)
                    chunks.append(chunk)
            finally:
                await response.aclose()
        except httpx.HTTPError as error:
            raise UpstreamFailure(*_failure(error, self.timeout)) from None
        return Exchange(response.status_code, list(response.headers.raw), b"".join(chunks))

    async def aclose(self) -> None:
        await self._client.aclose()


def _failure(error: httpx.HTTPError, timeout: float) -> tuple[int, str]:
    """The status and words for an httpx transport that failed: 504 when it did not answer in time, else 502."""
    if isinstance(error, httpx.TimeoutException):
        what = "accept a connection" if isinstance(error, httpx.ConnectTimeout) else "answer"
        return 504, f"the upstream did not {what} within {timeout:g} s"
    if isinstance(error, httpx.ConnectError):
        return 502, f"cannot connect to the upstream: {error or 'connection refused'}"
    if isinstance(error, httpx.RemoteProtocolError):
        return 502, f"the upstream's answer is not valid HTTP: {error}"
    if isinstance(error, httpx.ReadError | httpx.WriteError):
        return 502, f"the upstream closed the connection: {error or 'reset'}"
    return 502, f"the upstream failed: {type(error).__name__}: {error}"
