"""The mock: one object holding the state, routing every request to its provider's handler.

``Mock.handle(MockRequest) -> MockResponse`` is the whole server, with no I/O; the adapters
(`Mock.transport` for httpx in-process, `Mock.router` for respx, `asgi.app` for uvicorn) only
translate requests and carry out the delay and drop faults.

Every provider of the registry is served from one origin, on the paths its provider.json states
(the five built in: Tensor.Art ``/v1/…``, Novita ``/v3/…``, Alibaba ``/scc/…``, Zhiqite
``/AIGCImgOpenServ/…``, PICPIK ``POST /`` by ``Action``). The mock's own endpoints live under
``/_mock/``: generated images, the endpoints a handler asks for (upload targets), the journal and
(with a manual clock) clock control. A path no provider serves is 404; a provider's path with a
method it does not serve is 405 with ``Allow``, as an HTTP server answers before any provider code.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sdcontracts._extras import require
from sdcontracts._registry import get as registered
from sdcontracts.clients import client_class

from ._clients import ClientMaker
from ._config import FaultRule, MockConfig
from ._faults import NO_FAULT, Fault, FaultError, drift, parse_faults
from ._handler import Context, Handler, Route
from ._render import render
from ._state import JOURNAL_BODY_LIMIT, Clock, Journal, JournalEntry, ManualClock, Store
from ._wire import MockRequest, MockResponse, json_response

__all__ = ["WARNINGS_HEADER", "Mock", "handler"]

# names the disputes behind an accepted request's warnings (ids: ASCII, no commas); the journal has each
WARNINGS_HEADER = "x-sdcontracts-warnings"

_CONTENT_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg", "webp": "image/webp"}


class Mock(ClientMaker):
    """The providers, emulated; see the package docstring for what is configurable.

    ``mock.client("novita")`` is a real `NovitaClient` answered in-process (see `ClientMaker`).
    """

    def __init__(self, config: MockConfig | None = None, *, clock: Clock | None = None) -> None:
        # Checked here, not at the first download: without Pillow every generated image would be a
        # 500, and a conformance run would blame each valid case on the provider
        require("PIL", "the mock (it renders the result images)")
        self.config = config or MockConfig()
        self.clock = clock or Clock()
        self.store = _store(self.config, self.clock)
        self.journal = Journal(max_bytes=self.config.journal_bytes)
        self.handlers: dict[str, Handler] = {}
        self._static: dict[tuple[str, str], tuple[Handler, Route]] = {}
        self._prefixed: list[tuple[str, str, str, Handler, Route]] = []  # method, prefix, parameter, …
        self._endpoints: dict[tuple[str, str], tuple[Handler, str]] = {}  # (method, /_mock/<name>) -> its answer
        context = Context(self.config, self.store, self.clock)
        for provider in self.config.providers:
            handler = _handler(provider, context)
            self.handlers[provider] = handler
            for key, method in handler.endpoints.items():
                self._endpoints.setdefault(key, (handler, method))
            for route in handler.routes:
                prefix, _, last = route.path.rpartition("/")
                if last.startswith("{") and last.endswith("}"):
                    self._prefixed.append((route.method, f"{prefix}/", last[1:-1], handler, route))
                else:
                    self._static[(route.method, route.path)] = (handler, route)
        self._static_paths = frozenset(path for _, path in self._static)
        self._rules = [_Budget(rule, rule.times) for rule in self.config.faults]
        self._rules_lock = threading.Lock()

    def may_fault(self, headers: Mapping[str, str]) -> bool:
        """Whether a request with these (lower-case) headers may be given a fault: it names one in
        ``X-Mock-Fault``, or the configuration injects faults."""
        return bool(self._rules) or "x-mock-fault" in headers

    # -- the server ------------------------------------------------------------------------------

    def handle(self, request: MockRequest) -> MockResponse:
        """Answer one request; never raises for anything a client sends."""
        response = self._answer(request)
        if request.method == "HEAD":  # RFC 9110: the GET answer's status and headers, without its body
            response.headers["content-length"] = str(len(response.body))
            response.body = b""
        return response

    def _answer(self, request: MockRequest) -> MockResponse:
        if request.path.startswith("/_mock/"):
            try:
                response = self._internal(request)
            except Exception as error:  # a mock bug: answered, never raised into the adapter
                response = json_response(500, {"message": f"mock internal error: {type(error).__name__}: {error}"})
            self._record(request, response, None)
            return response
        found = self._route(request)
        if found is None:
            response = self._unrouted(request)
            self._record(request, response, None)
            return response
        handler, route, params = found
        fault: Fault | None = None
        try:
            fault = self._fault(request, handler, route.operation)
            response = handler.dispatch(route.operation, request, params, fault)
            if fault is not NO_FAULT:  # almost every request has none: nothing to apply
                response = _apply(fault, response)
        except FaultError as error:
            response = handler.error("invalid", f"X-Mock-Fault: {error}", request)
        except Exception as error:  # a bug in the mock: say so in the provider's words, never a bare 500
            response = handler.error("server", f"mock internal error: {type(error).__name__}: {error}", request)
        response.provider = response.provider or handler.provider
        response.operation = response.operation or handler.operation_of(request, route.operation)
        if request.warnings:
            disputes = sorted({w.rsplit("(", 1)[-1].rstrip(")") for w in request.warnings})
            response.headers[WARNINGS_HEADER] = ", ".join(disputes)
        self._record(request, response, fault)
        return response

    def _route(
        self, request: MockRequest, methods: tuple[str, ...] | None = None
    ) -> tuple[Handler, Route, dict[str, str]] | None:
        """The route serving the request's path with its method (or with one of ``methods``); HEAD is
        served wherever GET is."""
        if methods is None:  # the request's own method, as every request asks: no generator for one item
            methods = ("GET",) if request.method == "HEAD" else (request.method,)
        else:
            methods = tuple("GET" if method == "HEAD" else method for method in methods)
        for method in methods:
            hit = self._static.get((method, request.path))
            if hit is not None:
                return hit[0], hit[1], {}
        if request.path in self._static_paths:
            return None  # as OpenAPI matches: a concrete path (/v1/jobs/credits) before a template (/v1/jobs/{jobId})
        for method, prefix, name, handler, route in self._prefixed:
            if method in methods and request.path.startswith(prefix):
                rest = request.path[len(prefix) :]
                if rest and "/" not in rest:
                    return handler, route, {name: rest}
        return None

    def _unrouted(self, request: MockRequest) -> MockResponse:
        """The HTTP server's answer, before any provider's: 404 for a path no provider serves, 405
        with ``Allow`` (RFC 9110) for a path served with other methods."""
        hits = {method: self._route(request, (method,)) for method in _METHODS}
        allowed = [method for method, hit in hits.items() if hit is not None]
        if not allowed:
            return json_response(404, {"message": f"no such endpoint: {request.method} {request.path}"})
        message = f"{request.method} is not allowed on {request.path}; allowed: {', '.join(allowed)}"
        response = json_response(405, {"message": message}, {"allow": ", ".join(allowed)})
        response.provider = next(hit[0].provider for hit in hits.values() if hit is not None)
        return response

    def _fault(self, request: MockRequest, handler: Handler, operation: str) -> Fault:
        header = request.headers.get("x-mock-fault")  # names are lower-case
        if header:
            return parse_faults(header)
        if not self._rules:
            return NO_FAULT
        provider, operation = handler.provider, handler.operation_of(request, operation)
        with self._rules_lock:
            for budget in self._rules:
                rule = budget.rule
                if rule.provider not in (None, provider) or rule.operation not in (None, operation):
                    continue
                if rule.times and budget.left <= 0:
                    continue
                budget.left -= 1
                return parse_faults(rule.fault)
        return NO_FAULT

    # -- internal endpoints ----------------------------------------------------------------------

    def _internal(self, request: MockRequest) -> MockResponse:
        parts = request.path.split("/")[2:]
        reading = request.method in ("GET", "HEAD")
        if reading and parts[:1] == ["images"] and len(parts) >= 4:  # a task id may hold "/" (Zhiqite's id_task)
            return self._image(parts[1], "/".join(parts[2:-1]), parts[-1])
        endpoint = self._endpoints.get((request.method, parts[0])) if len(parts) == 2 else None
        if endpoint is not None:
            owner, method = endpoint
            answer: MockResponse = getattr(owner, method)(request, parts[1])
            return answer
        if reading and parts == ["journal"]:
            return self._journal(request.params)
        if request.method == "POST" and parts == ["clock", "advance"]:
            if not isinstance(self.clock, ManualClock):
                return json_response(409, {"message": "the mock runs on the real clock; start it with a manual clock"})
            try:
                self.clock.advance(float(request.params.get("seconds", "0")))
            except ValueError:
                return json_response(400, {"message": "seconds must be a number"})
            return json_response(200, {"now": self.clock.now()})
        if reading and parts == ["health"]:
            config = self.config  # the lifecycle lets a client (a conformance run) plan its status queries
            health = {"ok": True, "providers": sorted(self.handlers), "lifecycle": config.lifecycle}
            return json_response(
                200, {**health, "queue_seconds": config.queue_seconds, "run_seconds": config.run_seconds}
            )
        return json_response(404, {"message": f"no such mock endpoint: {request.method} {request.path}"})

    def _image(self, provider: str, task_id: str, name: str) -> MockResponse:
        task = self.store.get(provider, task_id)
        index, _, ext = name.partition(".")
        whole = index.isascii() and index.isdigit() and len(index) <= 3  # at most 64 images ("²" is a digit too)
        if task is None or not whole or int(index) >= task.images or ext != task.format:
            return json_response(404, {"message": "no such image (unknown task, or expired)"})
        data = render(task.width, task.height, task.format, f"{provider}/{task_id}/{index}")
        return MockResponse(
            200, data, {"content-type": _CONTENT_TYPES[task.format]}, operation="download", provider=provider
        )

    # -- journal ---------------------------------------------------------------------------------

    def _record(self, request: MockRequest, response: MockResponse, fault: Fault | None) -> None:
        # the raw body is kept, not its parsed form (`JournalEntry.body` parses and redacts it when read)
        headers, body = request.headers, request.body
        size = len(body)
        kept = (
            body
            if size <= JOURNAL_BODY_LIMIT and headers.get("content-type", "").startswith("application/json")
            else b""
        )
        faulted = headers.get("x-mock-fault") or (repr(fault) if fault else None)  # as asked for, else as configured
        # positional, in the order of JournalEntry's fields: one is made per request
        self.journal.record(
            JournalEntry(
                self.clock.now(), response.provider or "mock", response.operation or "internal", request.method,
                request.path, response.status, response.task_id, kept, faulted, size,
                tuple(request.warnings) if request.warnings else (),
            )
        )  # fmt: skip

    def _journal(self, params: dict[str, str]) -> MockResponse:
        """``GET /_mock/journal[?provider=…&operation=…&limit=N]``: the totals (`summary`) and the
        newest ``limit`` requests received (default 100), each with its redacted JSON body."""
        try:
            limit = int(params.get("limit", "100"))
            if limit < 0:
                raise ValueError
        except ValueError:
            return json_response(400, {"message": "limit must be a whole number, 0 or more"})
        entries = self.journal.entries(params.get("provider") or None, params.get("operation") or None)
        shown = entries[len(entries) - limit :] if limit else []
        return json_response(200, {**self.summary(), "entries": [_entry(e) for e in shown]})

    def summary(self) -> dict[str, Any]:
        """Totals a test (or a person) can check: requests by provider and operation, tasks."""
        counts: dict[str, dict[str, int]] = {}
        for entry in self.journal.entries():
            counts.setdefault(entry.provider, {}).setdefault(entry.operation, 0)
            counts[entry.provider][entry.operation] += 1
        return {
            "requests": self.journal.count(),
            "by_provider": counts,
            "tasks_finished": dict(self.store.finished),
            "tasks_succeeded": dict(self.store.succeeded),
        }

    # -- credentials and adapters ------------------------------------------------------------------

    def credentials(self, provider: str, credential_set: str = "default") -> dict[str, str]:
        """Keyword arguments that build a client the mock accepts: ``NovitaClient(**mock.credentials("novita"))``.

        ``credential_set`` names another way of authenticating the provider's profile lists, e.g.
        ``mock.credentials("tensorart", "rsa")``: ``app_id`` and the ``private_key`` of the key pair
        the mock made (for TAMS-SHA256-RSA clients).
        """
        sets = registered(provider).profile.credential_sets
        if credential_set not in sets:
            raise ValueError(f"{provider} has no credential set {credential_set!r} (it has {', '.join(sets)})")
        given = self.config.credentials[provider]
        return {name: given[name] if name in given else self.handlers[provider].credential(name)
                for name in sets[credential_set]}  # fmt: skip

    def _client(self, provider: str, asynchronous: bool, rsa: bool, options: dict[str, Any]) -> Any:
        """`ClientMaker.client`: a client on this mock's transport (unless ``options`` name another).

        On a `ManualClock` the client waits in mock time: each of its sleeps (poll intervals,
        retry backoff, ``Retry-After``) advances the clock instead of sleeping, and its ``wait``
        deadline is read from the same clock. So ``lifecycle="clock"`` tasks finish and rate limits
        reset as the client waits, at once and deterministically.
        """
        cls = client_class(provider, asynchronous=asynchronous)
        credentials = self.credentials(provider, "rsa" if rsa else "default")
        options.setdefault("transport", self.transport())
        if isinstance(self.clock, ManualClock):
            options.setdefault("clock", self.clock)
            options.setdefault("sleep", self.clock.advance)
        return cls(**credentials, **options)

    def transport(self, base_url: str = "http://mock.sdcontracts.test") -> Any:
        """An httpx transport (sync and async) answering from this mock: the client seam."""
        from ._adapters import MockTransport

        return MockTransport(self.handle)

    def router(self, base_urls: tuple[str, ...] | None = None) -> Any:
        """A respx router answering for the providers' real hosts (and the mock's own)."""
        require("respx", "Mock.router()")
        from ._adapters import default_hosts, router

        return router(self.handle, base_urls or default_hosts(self.handlers))


_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")  # what a provider.json operation may use, and HEAD


def _handler(provider: str, context: Context) -> Handler:
    """The handler its profile names, or the generic one, on ``context``."""
    cls: type[Handler] | None = registered(provider).hook("handler")
    return cls(context) if cls is not None else Handler(context, provider)


def handler(provider: str, config: MockConfig | None = None) -> Handler:
    """The mock's handler of one provider, on state of its own (``config``: the mock's settings).

    What renders the provider's answers without a mock around it: ``handler("novita").error("invalid",
    "…", request)`` is Novita's error envelope for a rejected request, ``.rejected(report, request)``
    the one naming each violation of a `Report` (`describe` gives that text alone).
    """
    config = config or MockConfig(providers=(provider,))
    clock = Clock()
    return _handler(provider, Context(config, _store(config, clock), clock))


def _store(config: MockConfig, clock: Clock) -> Store:
    return Store(
        clock, mode=config.lifecycle, queue_seconds=config.queue_seconds, run_seconds=config.run_seconds,
        task_ttl=config.task_ttl, max_tasks=config.max_tasks, max_task_bytes=config.max_task_bytes,
    )  # fmt: skip


def _entry(entry: JournalEntry) -> dict[str, Any]:
    """A journal entry as JSON (`JournalEntry.body` is already redacted and shortened)."""
    return {
        "time": entry.time,
        "provider": entry.provider,
        "operation": entry.operation,
        "method": entry.method,
        "path": entry.path,
        "status": entry.status,
        "task_id": entry.task_id,
        "body_size": entry.body_size,
        "body": entry.body,
        "fault": entry.fault,
        "warnings": list(entry.warnings),
    }


@dataclass
class _Budget:
    rule: FaultRule
    left: int  # applications left when rule.times > 0


def _apply(fault: Fault, response: MockResponse) -> MockResponse:
    """Carry out ``fault`` (never NO_FAULT: the caller skips it) on ``response``."""
    if fault.latency:
        response.delay = fault.latency
    if fault.drop:
        response.drop = True
    if fault.rename or fault.retype:
        response.body = drift(response.body, fault)
    if fault.truncate and response.body:
        response.body = response.body[: max(1, len(response.body) // 2)]
    if fault.malformed:
        response.body = b"<html><body>502 Bad Gateway</body></html>"
        response.headers["content-type"] = "text/html"
    if fault.status == 429 and fault.retry_after is not None:
        response.headers["retry-after"] = f"{fault.retry_after:g}"
    return response
