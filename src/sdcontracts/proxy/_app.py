"""The proxy as an ASGI application: ``ProxyApp("novita", upstream="https://api.novita.ai")``.

Per call: the body is read (bounded in size and time, as the mock reads it), the operation found
(`_routes`), the request validated as the provider receives it; then, by mode, the call is answered
in the provider's own words (`_envelopes`) or forwarded byte for byte over pooled connections
(`_upstream`); the answer is checked for drift (`_answers`) and passed back unchanged. Every
call is counted (`_metrics`), logged as one JSON line (`_log`) and, with a recorder, recorded.

Forwarding follows RFC 9110 §7.6: the hop-by-hop fields (``Connection`` and the fields it names,
``Keep-Alive``, ``Proxy-Connection``, ``TE``, ``Trailer``, ``Transfer-Encoding``, ``Upgrade``,
``Proxy-Authenticate``, ``Proxy-Authorization``) are not forwarded either way, nor ``Expect`` (the
proxy holds the whole body before it forwards); ``Host`` is the upstream's; ``Via: 1.1 sdcontracts``
is added to each forwarded request. Everything else (method, path and query as sent, every other
header in order, the body's bytes) reaches the upstream as the caller sent it, so signatures made
over them still verify there; the answer's status, headers and bytes come back the same way, its
``Content-Length`` recomputed from the same bytes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from .._catalogue import check_provider
from .._extras import require
from .._redact import scrub, sent_credentials
from .._report import Report, Violation
from .._validation import validate
from ..mock._wire import url_path
from ..mock.asgi import BodyReader, Receive, Scope, Send, lifespan
from ._answers import Answer, AnswerChecker, decoded, schema_path
from ._envelopes import WARNINGS_HEADER, Envelopes, MockRequest, MockResponse
from ._log import enabled, event
from ._recorder import Recorder
from ._routes import Operation, Routes
from ._upstream import Exchange, HttpxUpstream, Upstream, UpstreamFailure

__all__ = ["MODES", "ProxyApp"]

MODES = ("enforce", "report")
MIB = 1024 * 1024

_HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade",
     b"proxy-authenticate", b"proxy-authorization"}
)  # fmt: skip
_NOT_FORWARDED = _HOP_BY_HOP | {b"host", b"content-length", b"expect"}
_NOT_RETURNED = _HOP_BY_HOP | {b"content-length", WARNINGS_HEADER.encode()}
_VIA = (b"via", b"1.1 sdcontracts")
_PROXY_HEADER = "x-sdcontracts-proxy"  # on every answer the proxy gave itself: why (its outcome)
_JSON = [(b"content-type", b"application/json; charset=utf-8")]


class ProxyApp:
    """The contract in front of one provider: see the package docstring (`sdcontracts.proxy`)."""

    def __init__(
        self,
        provider: str,
        *,
        upstream: str,
        mode: str = "enforce",
        strict: bool = False,
        budget: int | None = None,
        record: str | None = None,
        timeout: float = 30.0,
        max_body_bytes: int = 64 * MIB,
        body_timeout: float = 30.0,
        max_answer_bytes: int = 64 * MIB,
        connections: int = 100,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.provider = check_provider(provider)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if budget is not None and budget < 0:
            raise ValueError(f"the budget must be 0 or more upstream calls, not {budget}")
        self.upstream = _upstream(upstream)
        self.mode = mode
        self.enforce = mode == "enforce"
        self.strict = strict
        self.budget = budget
        self.used = 0  # upstream calls made
        self.timeout = timeout
        self.max_answer_bytes = max_answer_bytes
        self.connections = connections
        self.routes = Routes(provider)
        self.envelopes = Envelopes(provider, max_body_bytes=max_body_bytes, body_timeout=body_timeout)
        self.answers = AnswerChecker(provider)
        require("prometheus_client", "the proxy (its metrics)")
        require("httptools", "the proxy (its upstream connections)")
        from ._metrics import Metrics  # here: `sdcontracts proxy --help` needs no extra

        self.metrics = Metrics(provider, budget)
        self.recorder = Recorder(record, provider, self.upstream) if record is not None else None
        self._bodies = BodyReader(max_body_bytes, body_timeout)
        self._base = httpx.URL(self.upstream)
        self._prefix = self._base.raw_path.rstrip(b"/")
        self._transport = transport
        # one pool per event loop (connections belong to the loop that opened them)
        self._pools: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[Upstream | HttpxUpstream, asyncio.Semaphore]
        ] = weakref.WeakKeyDictionary()

    # -- ASGI ------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await lifespan(receive, send, shutdown=self.aclose)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    async def aclose(self) -> None:
        """Close this event loop's upstream connections and write the recording."""
        found = self._pools.pop(asyncio.get_running_loop(), None)
        if found is not None:
            await found[0].aclose()
        if self.recorder is not None:
            await self.recorder.close()

    def _pool(self) -> tuple[Upstream | HttpxUpstream, asyncio.Semaphore]:
        loop = asyncio.get_running_loop()
        found = self._pools.get(loop)
        if found is None:
            pool: Upstream | HttpxUpstream
            if self._transport is not None:
                pool = HttpxUpstream(self.upstream, self._transport, max_answer_bytes=self.max_answer_bytes,
                                     timeout=self.timeout)  # fmt: skip
            else:
                pool = Upstream(self.upstream, max_answer_bytes=self.max_answer_bytes)
            # calls wait for a connection here: at most `connections` in flight, and as many open
            found = self._pools[loop] = (pool, asyncio.Semaphore(self.connections))
        return found

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        path = url_path(scope["path"], raw_path)
        if path.startswith("/_proxy/"):
            await self._internal(scope["method"], path, send)
            return
        read = await self._bodies.read(receive)
        if read is None:
            return  # the caller left before its body arrived: nobody to answer
        body, oversized, incomplete = read
        call = _Call(scope["method"], path, scope.get("query_string", b""), raw_path, scope["headers"], body)
        call.request = MockRequest(
            method=call.method, path=path, query=call.query.decode("latin-1"),
            headers={name.decode("latin-1").lower(): value.decode("latin-1") for name, value in call.headers},
            body=body, oversized=oversized, incomplete=incomplete,
        )  # fmt: skip
        status, headers, content = await self._handle(call)
        if oversized or incomplete:  # the rest of the body may still be coming: end the connection
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})
        self._account(call, status)

    # -- one call --------------------------------------------------------------------------------

    async def _handle(self, call: _Call) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        request = call.request
        operations, _ = self.routes.match(call.method, call.path)
        if request.oversized or request.incomplete:
            call.operation = operations[0].name if len(operations) == 1 else None
            _, problem = self.envelopes.read_json(request)
            assert problem is not None
            call.refuse("body-too-large" if request.oversized else "body-timeout", problem)
            return self._answer(call, self.envelopes.invalid(problem, request))
        parsed: Any = None
        problem = None
        if operations and (len(operations) > 1 or operations[0].request is not None):
            parsed, problem = self.envelopes.read_json(request)
        operation = self.routes.pick(operations, parsed) if operations else None
        call.operation = operation.name if operation is not None else None
        if problem is not None:
            call.refuse("not-json", problem)
            if self.enforce:
                return self._answer(call, self.envelopes.invalid(problem, request))
            call.outcome = "invalid"
        elif operation is None:
            call.outcome = "unmatched"
        else:
            report = call.report = self._check(operation, parsed, request)
            if not report.ok:
                if self.enforce:
                    call.outcome = "rejected"
                    return self._answer(call, self.envelopes.rejected(report, request))
                call.outcome = "invalid"
            else:
                call.outcome = "warnings" if report.warnings else "ok"
        if self.budget is not None and self.used >= self.budget:
            call.outcome = "budget"
            call.error = (
                f"sdcontracts proxy: the budget of {self.budget} upstream calls is spent; nothing more is "
                "forwarded until the proxy restarts (--budget)"
            )
            return self._answer(call, self.envelopes.rate_limited(call.error, request))
        self.used += 1
        forwarded = await self._forward(call)
        if isinstance(forwarded, MockResponse):
            return self._answer(call, forwarded)
        status, headers, content = forwarded
        if operation is not None:
            self._drift(call, operation, status, content)
        if call.report is not None and call.report.warnings:
            disputes = sorted({w.dispute.id for w in call.report.warnings if w.dispute is not None})
            headers.append((WARNINGS_HEADER.encode(), ", ".join(disputes).encode("latin-1")))
        return status, headers, content

    def _check(self, operation: Operation, body: Any, request: MockRequest) -> Report:
        """The request against its operation's contract: required query parameters, then the body."""
        params = request.params if operation.query else {}
        missing = tuple(
            Violation("", "required", f"the {name} query parameter is required", expected=name)
            for name in operation.query if not params.get(name)
        )  # fmt: skip
        report = Report(self.provider, operation.name, missing)
        if operation.request is not None:
            checked = validate(self.provider, body, operation.request, self.strict)
            report = Report(self.provider, operation.request, missing + checked.violations, checked.warnings)
        return report

    async def _forward(self, call: _Call) -> tuple[int, list[tuple[bytes, bytes]], bytes] | MockResponse:
        """Send the call upstream: its answer (status, headers to return, bytes), or the provider's
        5xx when the upstream failed."""
        dropped = _NOT_FORWARDED | _named_by_connection(call.headers)
        headers = [(name, value) for name, value in call.headers if name not in dropped]
        headers.append(_VIA)
        target = self._prefix + call.raw_path + (b"?" + call.query if call.query else b"")
        call.forwarded = headers
        started = time.perf_counter()
        pool, slots = self._pool()
        holding = False  # a connection slot
        try:
            # one deadline for the whole exchange, waiting for a connection included: an upstream
            # trickling a byte now and then would otherwise hold the call (and its caller) for ever
            async with asyncio.timeout(self.timeout), slots:
                holding = True
                exchange = await pool.send(call.method, target, headers, call.body)
        except TimeoutError:
            if not holding:
                return self._failed(call, 504, f"no upstream connection was free within {self.timeout:g} s")
            return self._failed(call, 504, f"the upstream did not answer within {self.timeout:g} s ({self.upstream})")
        except UpstreamFailure as failure:
            reason = f"{failure.reason} ({self.upstream})" if failure.named else failure.reason
            return self._failed(call, failure.status, reason)
        finally:
            call.upstream_seconds = time.perf_counter() - started
        call.exchange = exchange
        content = exchange.content
        dropped = _NOT_RETURNED | _named_by_connection(exchange.headers)
        headers = [(name.lower(), value) for name, value in exchange.headers if name.lower() not in dropped]
        if call.method == "HEAD":  # the GET answer's length, which HEAD announces without sending it
            length = next((value for name, value in exchange.headers if name.lower() == b"content-length"), None)
            if length is not None:
                headers.append((b"content-length", length))
        else:
            headers.append((b"content-length", str(len(content)).encode("latin-1")))
        return exchange.status, headers, content

    def _failed(self, call: _Call, status: int, message: str) -> MockResponse:
        call.outcome = "upstream-error"
        call.error = f"sdcontracts proxy: {message}"
        return self.envelopes.failure(status, call.error, call.request)

    def _drift(self, call: _Call, operation: Operation, status: int, content: bytes) -> None:
        exchange = call.exchange
        assert exchange is not None
        # the answer's head, as the provider's client reads it (its body is read here, not by httpx:
        # a stream httpx does not read on construction, which costs more than the rest of the check)
        response = call.response = httpx.Response(
            exchange.status, headers=exchange.headers, stream=_UNREAD, extensions={"reason_phrase": exchange.reason}
        )
        encoding = next((v for n, v in exchange.headers if n.lower() == b"content-encoding"), b"")
        body = decoded(content, encoding.decode("latin-1"), self.max_answer_bytes)
        call.plain = body
        if body is None:
            call.answer = Answer(None, checked=False)
            return
        call.answer = self.answers.check(operation, call.method, response, body)

    def _answer(self, call: _Call, answer: MockResponse) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """An answer the proxy gives itself, in the provider's shape."""
        call.given = answer
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers.items()]
        headers.append((_PROXY_HEADER.encode(), (call.outcome or "").encode()))
        headers.append((b"content-length", str(len(answer.body)).encode("latin-1")))
        return answer.status, headers, answer.body

    # -- counting, logging, recording ------------------------------------------------------------

    def _account(self, call: _Call, status: int) -> None:
        operation = call.operation or "unmatched"
        outcome = call.outcome or "ok"
        metrics = self.metrics
        metrics.request(operation, outcome)
        report = call.report
        rules = [call.refused] if call.refused else []
        if report is not None:
            rules += sorted(report.rules)
            for warning in report.warnings:
                metrics.warning(operation, warning.dispute.id if warning.dispute is not None else warning.rule)
        for rule in rules:
            metrics.rejection(operation, rule)
        drift = call.answer.drift if call.answer is not None else ()
        # messages may quote what the caller sent, and a new field's name is the upstream's choice (it
        # may echo one): never a credential in a log line or a metric's label
        secrets = sent_credentials(call.request.headers, call.body) if rules or drift else frozenset()
        for found in drift:
            metrics.drift(operation, schema_path(scrub(found.path, secrets)), found.rule)
        if call.forwarded is not None and call.upstream_seconds is not None:
            remaining = None if self.budget is None else max(0, self.budget - self.used)
            metrics.upstream(operation, call.upstream_seconds, remaining)
        troubled = bool(rules or drift or outcome in ("budget", "upstream-error") or (
            call.answer is not None and not call.answer.checked))  # fmt: skip
        level = logging.WARNING if troubled else logging.INFO
        record = self.recorder
        if record is None and not enabled(level):
            return
        verdict = self._verdict(call, status, operation, outcome, rules, drift)
        if secrets:
            verdict = scrub(verdict, secrets)
        event(level, **verdict)
        if record is not None:
            self._record(record, call, verdict)

    def _verdict(self, call: _Call, status: int, operation: str, outcome: str, rules: list[str],
                 drift: tuple[Any, ...]) -> dict[str, Any]:  # fmt: skip
        verdict: dict[str, Any] = {
            "provider": self.provider, "operation": call.operation, "method": call.method, "path": call.path,
            "status": status, "outcome": outcome, "mode": self.mode,
        }  # fmt: skip
        if call.upstream_seconds is not None:
            verdict["upstream_ms"] = round(call.upstream_seconds * 1000, 3)
        report = call.report
        if report is not None and report.violations:
            verdict["violations"] = [{"path": v.path, "rule": v.rule, "message": v.message} for v in report.violations]
        elif call.refused:
            verdict["violations"] = [{"path": "", "rule": call.refused, "message": call.refused_message}]
        if report is not None and report.warnings:
            verdict["warnings"] = [
                {"path": w.path, "rule": w.rule, "dispute": w.dispute.id if w.dispute else None}
                for w in report.warnings
            ]
        if drift:
            verdict["drift"] = [found.to_dict() for found in drift]
        if call.answer is not None and not call.answer.checked:
            encoding = call.response.headers.get("content-encoding") if call.response is not None else None
            verdict["unchecked"] = f"the answer's Content-Encoding {encoding!r} cannot be read here"
        if call.error:
            verdict["error"] = call.error
        return verdict

    def _record(self, recorder: Recorder, call: _Call, verdict: dict[str, Any]) -> None:
        url = self._base.copy_with(raw_path=self._prefix + call.raw_path + (b"?" + call.query if call.query else b""))
        # as forwarded, or (answered here) as received
        sent = call.forwarded if call.forwarded is not None else [h for h in call.headers if h[0] != b"content-length"]
        request = httpx.Request(call.method, url, headers=sent, content=call.body)
        if call.given is not None:
            response = httpx.Response(call.given.status, headers=call.given.headers, content=call.given.body)
        else:
            exchange = call.exchange
            assert exchange is not None
            headers = [(n, v) for n, v in exchange.headers if n.lower() not in (b"content-encoding", b"content-length")]
            content = call.plain if call.plain is not None else exchange.content
            response = httpx.Response(exchange.status, headers=headers, content=content)
        recorder.record(request, response, verdict)

    # -- /_proxy/ ----------------------------------------------------------------------------------

    async def _internal(self, method: str, path: str, send: Send) -> None:
        status, content_type, body = 404, _JSON, json.dumps({"message": f"no such proxy endpoint: {path}"}).encode()
        if method not in ("GET", "HEAD"):
            status, body = (
                405,
                json.dumps({"message": f"{method} is not allowed on {path}; allowed: GET, HEAD"}).encode(),
            )
        elif path == "/_proxy/metrics":
            status, content_type, body = (
                200,
                [(b"content-type", self.metrics.content_type.encode())],
                self.metrics.text(),
            )
        elif path == "/_proxy/health":
            status, body = 200, json.dumps(self.health()).encode()
        headers = [*content_type, (b"content-length", str(len(body)).encode())]
        if status == 405:
            headers.append((b"allow", b"GET, HEAD"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})

    def health(self) -> dict[str, Any]:
        """What ``GET /_proxy/health`` says: the proxy answers, and how it is set up."""
        return {
            "ok": True, "provider": self.provider, "upstream": self.upstream, "mode": self.mode, "strict": self.strict,
            "upstream_calls": self.used, "budget": self.budget,
            "recording": str(self.recorder.path) if self.recorder is not None else None,
        }  # fmt: skip


class _Unread(httpx.AsyncByteStream):
    """The body of an answer whose bytes are held elsewhere (`Exchange.content`)."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        return
        yield b""  # an async generator with nothing to give


_UNREAD = _Unread()


class _Call:
    """One call as it goes through the proxy (a slotted object: one is made per request)."""

    __slots__ = (
        "answer", "body", "error", "exchange", "forwarded", "given", "headers", "method", "operation", "outcome",
        "path", "plain", "query", "raw_path", "refused", "refused_message", "report", "request", "response",
        "upstream_seconds",
    )  # fmt: skip

    def __init__(self, method: str, path: str, query: bytes, raw_path: bytes, headers: list[tuple[bytes, bytes]],
                 body: bytes) -> None:  # fmt: skip
        self.method = method
        self.path = path
        self.query = query
        self.raw_path = raw_path
        self.headers = headers
        self.body = body
        self.request: MockRequest = MockRequest(method, path)
        self.operation: str | None = None
        self.outcome: str | None = None
        self.report: Report | None = None
        self.refused: str | None = None  # a rule of the proxy's own: the body could not be read
        self.refused_message = ""
        self.error: str | None = None
        self.forwarded: list[tuple[bytes, bytes]] | None = None  # the headers sent upstream, when forwarded
        self.exchange: Exchange | None = None  # the upstream's answer
        self.response: httpx.Response | None = None  # its head, as the provider's client reads it
        self.plain: bytes | None = None  # the answer without its Content-Encoding
        self.answer: Answer | None = None
        self.given: MockResponse | None = None  # the answer the proxy gave itself
        self.upstream_seconds: float | None = None

    def refuse(self, rule: str, message: str) -> None:
        self.refused, self.refused_message = rule, message
        self.outcome = "rejected"


def _named_by_connection(headers: list[tuple[bytes, bytes]]) -> frozenset[bytes]:
    """The fields a ``Connection`` header names: hop-by-hop too (RFC 9110 §7.6.1)."""
    named = [value for name, value in headers if name.lower() == b"connection"]
    if not named:
        return frozenset()
    return frozenset(token.strip().lower() for value in named for token in value.split(b",") if token.strip())


def _upstream(url: str) -> str:
    """The upstream's base URL, checked: http(s), a host, no query or fragment; no trailing slash."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the upstream must be an http(s) URL with a host, e.g. https://api.novita.ai, not {url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"the upstream URL {url!r} must have no query or fragment")
    try:
        parts.port  # noqa: B018 - a bad port raises here
    except ValueError:
        raise ValueError(f"the upstream URL {url!r} has an invalid port") from None
    return url.rstrip("/")
