"""The HTTP/1.1 connection the mock is served over: uvicorn's httptools protocol, bounded and
answering every request it executed.

Two things uvicorn's protocol does not do, and a mock facing any client must:

- **A bounded head.** A request line and headers longer than `HEAD_LIMIT` (16 KiB, as Prism and
  h11 draw the line) are answered ``431`` at once, and the rest is never parsed: unbounded, a
  64 MB header cost the event loop seconds (httptools joins header pieces by copying) while every
  other client waited.
- **No lost answer.** When bytes that are not HTTP follow complete requests on a connection
  (pipelined garbage, or a body longer than its Content-Length), the requests already read are
  answered first, in order, and only then the garbage (``400``), and the connection ends. uvicorn
  answered the garbage at once and closed the connection, losing the answers of requests it still
  executed. A request cut off by the garbage in its body is never executed.

Refusals carry the mock's own JSON (``{"message"}``, as its 404 and 405): no provider has read the
request yet. The connection then closes gently: the answer is sent, the write side shut, and what
the client still sends is read and dropped for a moment, so that closing with unread bytes does not
reset the connection and destroy the answer on its way.

uvicorn's own h11 protocol gets both right too (it parses one request at a time, and refuses a head
over ``h11_max_incomplete_event_size``) but costs about a third of the mock's throughput
(``bench/``); this keeps httptools' speed and changes only the error paths and the head count.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["HEAD_LIMIT", "MockHttpProtocol"]

HEAD_LIMIT = 16 * 1024  # bytes of request line and headers
_LINGER = 2.0  # seconds a refused connection is read (and dropped) before it closes
_REASONS = {400: b"Bad Request", 431: b"Request Header Fields Too Large"}


class MockHttpProtocol(HttpToolsProtocol):
    """``uvicorn.Config(app, http=MockHttpProtocol)``: see the module docstring."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head = 0  # bytes of the current head fed so far
        self._in_head = True  # between requests, or reading one's head
        self._unanswered = 0  # requests read whose answers are not sent yet
        self._refusal: bytes | None = None  # the refusal waiting for those answers
        self._refused = False  # nothing more is parsed or answered
        self._linger: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        # Fed in pieces no longer than the head limit, so that a head that begins inside a piece (after
        # the request before it) is refused within twice the limit at worst, and at the limit otherwise.
        while data and not self._refused and self.parser is not None and self.transport.get_protocol() is self:
            if self._in_head:
                room = HEAD_LIMIT - self._head
                if room <= 0:
                    self._refuse(431, f"the request line and headers are longer than {HEAD_LIMIT:,} bytes")
                    return
                piece, data = (data, b"") if len(data) <= room else (data[:room], data[room:])
                self._head += len(piece)
            else:
                piece, data = (data, b"") if len(data) <= HEAD_LIMIT else (data[:HEAD_LIMIT], data[HEAD_LIMIT:])
            super().data_received(piece)

    # -- where requests begin and end ----------------------------------------------------------------

    def on_headers_complete(self) -> None:
        self._in_head = False
        before = self.cycle
        super().on_headers_complete()
        if self.cycle is not before:  # a request to answer (started, or queued behind others)
            self._unanswered += 1

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head = True, 0

    def on_response_complete(self) -> None:
        self._unanswered -= 1
        super().on_response_complete()
        self._refuse_when_answered()

    # -- refusals --------------------------------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        # uvicorn calls this when the bytes are not HTTP. A request whose body they cut off is never
        # executed: dropped from the queue, or (when it is running) told its client is gone.
        cycle = self.cycle
        if cycle is not None and cycle.more_body and not cycle.response_complete and not cycle.disconnected:
            queued = [entry for entry in self.pipeline if entry[0] is cycle]
            for entry in queued:
                self.pipeline.remove(entry)
            if not queued:
                cycle.disconnected = True
                cycle.message_event.set()
            self._unanswered -= 1
        self._refuse(400, "the request is not valid HTTP/1.1")

    def _refuse(self, status: int, message: str) -> None:
        body = json.dumps({"message": message}).encode("utf-8")
        lines = [b"HTTP/1.1 %d %s" % (status, _REASONS[status])]
        lines += [name + b": " + value for name, value in self.server_state.default_headers]  # date, server
        lines += [b"content-type: application/json; charset=utf-8", b"content-length: %d" % len(body)]
        self._refusal, self._refused = b"\r\n".join([*lines, b"connection: close", b"", body]), True
        self._refuse_when_answered()

    def _refuse_when_answered(self) -> None:
        if self._refusal is None or self._unanswered > 0 or self.transport.is_closing():
            return
        self._unset_keepalive_if_required()
        self.transport.write(self._refusal)
        self._refusal = None
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.flow.resume_reading()
        self._linger = self.loop.call_later(_LINGER, self.transport.close)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._linger is not None:
            self._linger.cancel()
        super().connection_lost(exc)
