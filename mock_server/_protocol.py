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

And one thing it does for speed, **the direct path**. A request whose head and body arrive in one
read (almost every request a client sends) is answered at once, by the application's
``answer_now(scope, body)`` (`MockApp.answer_now`), with no request cycle, no ASGI task and no ASGI
messages: the bytes written are those uvicorn writes for the same answer (its status line, its Date
and Server headers, then the mock's). With the mock's work stubbed out, the ASGI path served a
Novita submit at the bare Starlette endpoint's rate and the direct path at twice it (bench/'s
load); callgrind counts 86,000 instructions for the connection's share without the request cycle,
111,000 with it, beside the mock's own 164,500. A request takes uvicorn's path, unchanged, when
its body is still coming at the end of the read (it becomes a request cycle there, with what
arrived), when it queues behind a request still running, when the application declines it (a body
over its limit, a fault that needs the event loop, forwarded headers uvicorn's proxy-headers
middleware would apply), and with an access log, a concurrency limit or an upgrade.
tests/test_mock_direct.py holds the two paths to the same answers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.parse
from typing import Any

import httptools
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT
from uvicorn.protocols.http.httptools_impl import HEADER_VALUE_RE, STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

__all__ = ["HEAD_LIMIT", "MockHttpProtocol"]

logger = logging.getLogger("sdcontracts.mock")

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
        self._answer_now, self._proxied = _answerer(self.app)
        # A request read without uvicorn's request cycle (see on_headers_complete): whether its connection
        # stays open after it, and its body so far; None when no such request is being read
        self._direct: bool | None = None
        self._direct_body = bytearray()
        self._defaults: list[tuple[bytes, bytes]] | None = None  # see _default_head
        self._defaults_head = b""

    def data_received(self, data: bytes) -> None:
        self._feed(data)
        if self._direct is not None:  # its body is still coming: the ASGI application reads the rest
            self._start_cycle(complete=False)

    def _feed(self, data: bytes) -> None:
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
        if (
            self._answer_now is not None
            and (before is None or before.response_complete)  # not behind a request still running
            and self.limit_concurrency is None
            and not self.access_log
            and not self.transport.is_closing()
            and not self.parser.should_upgrade()
        ):
            # The direct path: no request cycle, no ASGI task, unless the body is still coming at the
            # end of this feed. The scope is filled in as uvicorn's on_headers_complete fills it.
            parser, scope = self.parser, self.scope
            version = parser.get_http_version()
            scope["method"] = parser.get_method().decode("ascii")
            if version != "1.1":
                scope["http_version"] = version
            url = httptools.parse_url(self.url)
            path = url.path.decode("ascii")
            scope["path"] = self.root_path + (urllib.parse.unquote(path) if "%" in path else path)
            scope["raw_path"] = self.root_path.encode("ascii") + url.path
            scope["query_string"] = url.query or b""
            self._direct = version != "1.0" and parser.should_keep_alive()
            self._direct_body = bytearray()
            self._unanswered += 1
            return
        super().on_headers_complete()
        if self.cycle is not before:  # a request to answer (started, or queued behind others)
            self._unanswered += 1

    def on_body(self, body: bytes) -> None:
        if self._direct is None:
            super().on_body(body)
        else:
            self._direct_body += body

    def on_message_complete(self) -> None:
        self._in_head, self._head = True, 0
        keep_alive = self._direct
        if keep_alive is None:
            super().on_message_complete()
        elif not self._answer_directly(keep_alive):
            self._start_cycle(complete=True)

    # -- the direct path -----------------------------------------------------------------------------

    def _answer_directly(self, keep_alive: bool) -> bool:
        """Answer the request read with the application's `answer_now`, as uvicorn would write its
        ASGI answer; False when it must take the ASGI path instead."""
        if self.flow.write_paused or self.transport.is_closing():
            return False
        assert self._answer_now is not None
        try:
            answer = self._answer_now(self.scope, bytes(self._direct_body), forwarded=not self._proxied)
        except Exception:  # a bug before the mock ran: the ASGI path answers (uvicorn's 500 at worst), never silence
            logger.exception("the mock's direct path failed; the request takes the ASGI path")
            return False
        if answer is None:
            return False
        self._direct = None
        head = [STATUS_LINE[answer.status], self._default_head()]
        headers = answer.headers
        for text, value_text in headers.items():
            value = value_text.encode("latin-1")
            if HEADER_VALUE_RE.search(value):  # as uvicorn: no answer rather than a split header
                self.transport.close()
                return True
            head += (text.encode("latin-1"), b": ", value, b"\r\n")
        if "content-length" not in headers:  # it is there for HEAD: the length of the GET answer
            head.append(b"content-length: %d\r\n" % len(answer.body))
        if not keep_alive:
            head.append(b"connection: close\r\n")
        head += (b"\r\n", answer.body)
        self.transport.write(b"".join(head))
        if not keep_alive:
            self.transport.close()
        self.on_response_complete()
        return True

    def _start_cycle(self, *, complete: bool) -> None:
        """Hand the request read so far to uvicorn's request cycle and the ASGI application, as uvicorn's
        on_headers_complete and on_body would have."""
        keep_alive, self._direct = self._direct, None
        cycle = RequestResponseCycle(
            scope=self.scope, transport=self.transport, flow=self.flow, logger=self.logger,
            access_logger=self.access_logger, access_log=self.access_log,
            default_headers=self.server_state.default_headers, message_event=asyncio.Event(),
            expect_100_continue=self.expect_100_continue, keep_alive=bool(keep_alive),
            on_response=self.on_response_complete,
        )  # fmt: skip
        cycle.body, cycle.more_body = self._direct_body, not complete
        if cycle.body or complete:
            cycle.message_event.set()
        if len(cycle.body) > HIGH_WATER_LIMIT:
            self.flow.pause_reading()
        self.cycle = cycle
        self._start_asgi_task(cycle, self.app)

    def _default_head(self) -> bytes:
        """uvicorn's default headers (Date, Server) as bytes, made again when uvicorn renews them
        (a new list each second)."""
        defaults = self.server_state.default_headers
        if defaults is not self._defaults:
            self._defaults = defaults
            self._defaults_head = b"".join(name + b": " + value + b"\r\n" for name, value in defaults)
        return self._defaults_head

    def on_response_complete(self) -> None:
        self._unanswered -= 1
        super().on_response_complete()
        self._refuse_when_answered()

    # -- refusals --------------------------------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        # uvicorn calls this when the bytes are not HTTP. A request whose body they cut off is never
        # executed: dropped from the queue, or (when it is running) told its client is gone.
        cycle = self.cycle
        if self._direct is not None:  # read without a cycle, and not started: nothing runs it
            self._direct = None
            self._unanswered -= 1
        elif cycle is not None and cycle.more_body and not cycle.response_complete and not cycle.disconnected:
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
        self._direct = None
        if self._linger is not None:
            self._linger.cancel()
        super().connection_lost(exc)


def _answerer(app: Any) -> tuple[Any, bool]:
    """The application's ``answer_now`` (None when it has none) and whether uvicorn's proxy-headers
    middleware wraps it (the only wrapper the direct path sees through)."""
    proxied = isinstance(app, ProxyHeadersMiddleware)
    if proxied:
        app = app.app
    return getattr(app, "answer_now", None), proxied
