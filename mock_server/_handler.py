"""The shape every provider handler shares: parse, authenticate, rate-limit, validate, answer.

A provider handler (``providers/<id>.py``, or the module a plugin's profile names) says how its
provider authenticates, how its errors look on the wire, and what each operation answers; the
pipeline below, the validator, the task store and the provider's registry entry (its operations,
their request schemas, its lifecycle and error codes) are shared, so all providers behave the same
way where their docs agree and differently only where the providers do.

A handler sees the mock through a `Context`: the settings, the task store and the clock, nothing
else (not the other providers, not the journal, not the routes).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from sdcontracts import ProviderInvalid, Report, validate
from sdcontracts._jsontext import parse_json
from sdcontracts._pointer import parts
from sdcontracts._registry import get as registered
from sdcontracts._roles import idempotency_key, output_values
from sdcontracts._validation import compiled

from ._faults import Fault
from ._state import CANCELED, FAILED, SUCCEEDED, Clock, MockTask, RateLimiter, Store
from ._wire import MockRequest, MockResponse, json_response, new_uuid
from .providers._common import equal

if TYPE_CHECKING:
    from sdcontracts import Provider

    from ._config import MockConfig

__all__ = ["Context", "Handler", "Route", "describe", "put", "read_json"]


@dataclass(frozen=True, slots=True)
class Context:
    """What a handler may use of the mock it serves in: its settings, its task store, its clock."""

    config: MockConfig
    store: Store
    clock: Clock


_MAX_IMAGES = 64  # per task; only a request breaking an unenforced count rule asks for more
_FAILED_BY_FAULT = "the generation failed (fault injected)"  # the reason a task given the fail fault ends with


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str  # exact, or with one trailing "{name}" segment, passed to the operation as params[name]
    operation: str


class Handler:
    """Base of the provider handlers; subclasses fill in the hooks marked below."""

    provider: str  # the id; a subclass sets it, the generic handler is given it
    # the format of the images when the request names none (a documented default, else PNG)
    default_format: ClassVar[str] = "png"
    # the mock's own endpoints this provider needs, ``/_mock/<name>/<id>``: (method, name) -> the
    # method answering them, given the request and the id (Tensor.Art's upload targets)
    endpoints: ClassVar[Mapping[tuple[str, str], str]] = {}

    def __init__(self, context: Context, provider: str | None = None) -> None:
        if provider is not None:
            self.provider = provider
        self.context = context
        self.config = context.config
        self.store = context.store
        self.clock = context.clock
        self.spec: Provider = registered(self.provider)
        self.info = self.spec.info
        self.credentials = self.config.credentials[self.provider]
        self.codes: Mapping[str, Mapping[str, Any]] = self.spec.error_codes
        self.limiter: RateLimiter | None = self.rate_limiter() if self.config.rate_limits else None
        self.unenforced = frozenset(self.config.unenforced.get(self.provider, ()))
        # The operations of provider.json, which the OpenAPI export documents too: the mock serves
        # exactly what the export describes, no more (each answered by ``op_<operation>``).
        self.routes: tuple[Route, ...] = self.routes_for(self.info["operations"])
        # operation -> its method, looked up once: the pipeline runs per request
        generic = {"img2img": self.submitted, "task": self.queried, "cancel": self.canceled}
        self._operations: dict[str, Callable[..., MockResponse]] = {}
        for route in self.routes:
            answer = getattr(self, f"op_{route.operation.replace('-', '_')}", None) or generic.get(route.operation)
            if answer is None:
                raise ProviderInvalid(f"{self.provider}: nothing answers its {route.operation!r} operation; "
                                      "the generic handler answers img2img, task and cancel: name a handler in its "
                                      "profile.json")  # fmt: skip
            self._operations[route.operation] = answer
        # operation -> the schema its request body must satisfy, checked before ``op_<operation>`` runs
        self._requests = {name: op.request for name, op in self.spec.operations.items() if op.request is not None}

    def warm(self) -> None:
        """Compile the schemas requests are validated against now, not on the first request."""
        for schema in dict.fromkeys(self._requests.values()):
            compiled(self.provider, schema)

    def status(self, phase: str) -> Any:
        """The provider's status value for a task in ``phase`` (provider.json's lifecycle)."""
        return self.spec.lifecycle.reported(phase)

    def routes_for(self, operations: Mapping[str, Any]) -> tuple[Route, ...]:
        """One route per operation; a provider dispatching several on one path overrides this."""
        return tuple(Route(op["method"], op["path"], name) for name, op in operations.items())

    # -- hooks -----------------------------------------------------------------------------------

    def authenticate(self, request: MockRequest, body: Any) -> MockResponse | None:
        """None when the credentials are right, else the provider's auth error. By default
        provider.json's auth scheme: ``bearer`` (``Authorization: Bearer`` and the one credential)
        or ``key-headers`` (each credential in its header, in profile order)."""
        scheme = self.spec.auth.get("scheme")
        names = self.spec.profile.credential_sets["default"]
        if scheme == "bearer" and len(names) == 1:
            header = request.header("authorization")
            if not header:
                return self.error("auth", "the Authorization header is missing", request)
            kind, _, token = header.partition(" ")
            good = kind == "Bearer" and equal(token.strip(), self.credentials[names[0]])
            return None if good else self.error("auth", "the credentials are not valid", request)
        headers = self.spec.auth.get("headers", ())
        if scheme == "key-headers" and len(headers) == len(names):
            given = [request.header(header) for header in headers]
            if not all(given):
                return self.error("auth", f"the headers {', '.join(headers)} are required", request)
            matched = [equal(value, self.credentials[name]) for value, name in zip(given, names, strict=True)]
            return None if all(matched) else self.error("auth", "the credentials are not valid", request)
        raise NotImplementedError(
            f"{self.provider}: no generic check of {scheme!r} auth; name a handler in its profile"
        )

    def error(self, kind: str, message: str, request: MockRequest, *, code: str | None = None,
              retry_after: float | None = None) -> MockResponse:  # fmt: skip
        """The provider's error envelope for ``kind`` (auth, rate, not-found, invalid, server). By
        default a JSON object holding the code (as provider.json's ``errors.codes`` spells it) and
        the message where provider.json's ``errors`` points (``code`` and ``message`` when it points
        nowhere), with the code's HTTP status."""
        name = code or self.code_for(kind)
        status = int(self.codes.get(name, {}).get("status", _STATUSES[kind]))
        errors = self.info.get("errors", {})
        body: dict[str, Any] = {}
        put(body, errors.get("code", "/code"), name)
        put(body, errors.get("message", "/message"), message)
        headers = {"retry-after": f"{max(1, round(retry_after))}"} if retry_after is not None else {}
        return json_response(status, body, headers)

    def operation_of(self, request: MockRequest, routed: str) -> str:
        """The operation a request is, as the journal names it, before (or without) its dispatch:
        for configured faults, and for answers given before the operation ran (a fault, bad
        credentials). The route's, unless one route serves several (PICPIK's ``Action``)."""
        return routed

    def operation_for(self, routed: str, body: Any) -> str:
        """The operation a parsed request body is (its request schema is checked before it runs):
        the route's, unless one route serves several (PICPIK's ``Action``)."""
        return routed

    def rate_limiter(self) -> RateLimiter | None:
        """The documented rate limit, or None when the provider documents none."""
        return None

    def rate_units(self, operation: str, body: Any) -> float:
        return 1.0

    def credential(self, name: str) -> str:
        """A credential a client needs that the settings do not hold (a private key the handler
        made): `Mock.credentials` asks for each such name of a credential set."""
        raise KeyError(f"{self.provider} makes no credential {name!r}")

    def secret_files(self) -> dict[str, str]:
        """What ``mock serve`` writes to a private file for its user, by label (a private key)."""
        return {}

    # -- shared pipeline -------------------------------------------------------------------------

    def dispatch(self, operation: str, request: MockRequest, params: dict[str, str], fault: Fault) -> MockResponse:
        if fault.status is not None:
            kind = "rate" if fault.status == 429 else "server" if fault.status >= 500 else "invalid"
            response = self.error(
                kind, f"fault injected: status {fault.status}", request, retry_after=fault.retry_after
            )
            response.status = fault.status  # a gateway's answer: the status wins, whatever the provider's envelope
            return response
        body, problem = self.parse(request, operation)
        if problem is not None:
            return problem
        denied = self.authenticate(request, body)
        if denied is not None:
            return denied
        if self.limiter is not None:
            wait = self.limiter.take(self.limit_key(request, body), self.rate_units(operation, body))
            if wait is not None:
                return self.error("rate", "rate limit exceeded", request, retry_after=round(wait, 3))
        schema = self._requests.get(self.operation_for(operation, body))
        if schema is not None:
            problem = self.check(body, schema, request)
            if problem is not None:
                return problem
        return self._operations[operation](request, body, params, fault)

    def limit_key(self, request: MockRequest, body: Any) -> str:
        return "all"

    def parse(self, request: MockRequest, operation: str) -> tuple[Any, MockResponse | None]:
        """The JSON body of a POST/PUT, or the provider's error for a malformed one."""
        body, problem = read_json(request, self.config.max_body_bytes, self.config.body_timeout)
        return (None, self.error("invalid", problem, request)) if problem is not None else (body, None)

    def check(self, payload: Any, schema: str, request: MockRequest) -> MockResponse | None:
        """Validate with sdcontracts.validate; violations become the provider's error, unless
        every one breaks a rule the configuration leaves unenforced. Warnings (what the sources
        dispute) are accepted, as by the provider, and noted on the request, unless the mock is strict."""
        report = validate(self.provider, payload, schema, self.config.strict)
        if report.warnings:
            request.warnings.extend(
                f"[{w.rule}] {w.path or '/'} ({w.dispute.id if w.dispute else ''})" for w in report.warnings
            )
        if not report.violations or report.rules <= self.unenforced:  # report.ok, read without a property call
            return None
        return self.rejected(report, request)

    def rejected(self, report: Report, request: MockRequest) -> MockResponse:
        """The error for a request breaking its contract; the message names each rule and field."""
        return self.error("invalid", describe(report), request)

    # -- the generic operations: what a provider without a handler of its own answers -------------

    def submitted(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        """A submit: a new task, its id where the submit response holds it (the task query's parameter)."""
        task = self.new_task(body, request=request, fault=fault)
        answer: dict[str, Any] = {}
        put(answer, self.spec.task_parameter.pointer, task.id)
        response = json_response(200, answer)
        response.task_id = task.id
        return response

    def queried(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        """A status query: the task as its lifecycle's pointers place it."""
        return self._about(request, body, params, poll=True)

    def canceled(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        """A cancel: the task ends canceled (unless it had ended), and is answered as a query would be."""
        return self._about(request, body, params, poll=False, cancel=True)

    def _about(self, request: MockRequest, body: Any, params: dict[str, str], *, poll: bool,
               cancel: bool = False) -> MockResponse:  # fmt: skip
        name = self.spec.task_parameter.name
        where = self.spec.task_parameter.location
        given = params.get(name) if where == "path" else request.params.get(name) if where == "query" else None
        if where == "body":
            given = body.get(name) if isinstance(body, dict) else None
        if not isinstance(given, str) or not given:
            return self.error("invalid", f"the {name} {where} parameter is required", request)
        task = self.store.get(self.provider, given)
        if task is None:
            return self.error("not-found", f"task {given} not found", request)
        if cancel:
            self.store.cancel(task)
        status, phase, progress = self.status_of(task, request, poll=poll)
        lifecycle = self.spec.lifecycle
        answer: dict[str, Any] = {}
        put(answer, lifecycle.status, status)
        if lifecycle.task_id:
            put(answer, lifecycle.task_id, task.id)
        if lifecycle.progress:
            put(answer, lifecycle.progress, round(progress * 100))
        if lifecycle.reason and phase in (FAILED, CANCELED):
            put(answer, lifecycle.reason, task.fail_reason or "canceled")
        images = lifecycle.images
        urls = self.image_urls(task, request) if phase == SUCCEEDED else []
        items: list[Any] = []
        for url in urls:
            if not images["url"]:
                items.append(url)
                continue
            item: dict[str, Any] = {}
            put(item, images["url"], url)
            if "format" in images:
                put(item, images["format"], task.format)
            items.append(item)
        put(answer, images["each"], items)
        response = json_response(200, answer)
        response.task_id = task.id
        return response

    # -- tasks -----------------------------------------------------------------------------------

    def new_task(self, payload: Any, *, request: MockRequest, fault: Fault, task_id: str | None = None,
                 size: tuple[int, int] | None = None, extra: dict[str, Any] | None = None) -> MockTask:  # fmt: skip
        """A task making what ``payload`` (the body of ``request``) asks for, read through the schema's
        ``x-role`` fields; its idempotency key is the request's (Tensor.Art's ``requestId``, Zhiqite's
        ``id_task``), so a request resent with its key returns the task it made.

        ``size`` overrides the width and height the fields give (Tensor.Art derives it from its
        stages); a size the request leaves open is 512 x 512, the mock's choice. The task keeps only
        what `kept` takes from the request, and counts the bytes of what a client chose (its id and
        key, what is kept, ``extra``) against ``max_task_bytes``.
        """
        provider = self.provider
        key = idempotency_key(provider, payload)
        count, wanted_width, wanted_height, wanted_format = output_values(provider, payload)
        width, height = size or (wanted_width or 512, wanted_height or 512)
        task_id = new_uuid() if task_id is None else task_id
        kept = self.kept(payload, request)
        # what a client chose that the task holds: its id, its key (a str or None), what is kept, extra
        held = _client_bytes(task_id) + _client_bytes(key) + _client_bytes(kept)
        if extra:
            held += _client_bytes(extra)
        # positional: a submit makes one on every request, and keywords cost more to match
        task = MockTask(
            provider, task_id, self.clock.now(), kept, min(max(1, count), _MAX_IMAGES), width, height,
            wanted_format or self.default_format, _FAILED_BY_FAULT if fault.fail else None, key, held,
            extra=extra or {},
        )  # fmt: skip
        return self.store.add(task)

    def kept(self, payload: Any, request: MockRequest) -> Any:
        """What a task keeps of the request that made it: only what its later answers read. Never the
        parsed payload: parsed JSON takes up to 16 times its bytes (a Tensor.Art job of 400,000 one-letter
        prompts, 6 MB sent, is 82 MiB parsed)."""
        return None

    def status_of(self, task: MockTask, request: MockRequest, *, poll: bool = True) -> tuple[Any, str, float]:
        """The provider's status value, the phase, and the progress (0 to 1). A status query counts as
        a poll (moving a task on in the steps lifecycle), unless it is a HEAD: HEAD changes nothing."""
        phase, progress = self.store.phase(task, poll=poll and request.method != "HEAD")
        return self.status(phase), phase, progress

    def image_urls(self, task: MockTask, request: MockRequest) -> list[str]:
        # a task id a client chose (Zhiqite's id_task) may hold "/", "?", spaces or a lone surrogate
        where = f"{request.base_url}/_mock/images/{self.provider}/{quote(task.id, safe='', errors='surrogatepass')}"
        return [f"{where}/{i}.{task.format}" for i in range(task.images)]

    def code_for(self, kind: str) -> str:
        """The first provider code documented (or chosen) for an error kind."""
        return next((code for code, entry in self.codes.items() if entry["kind"] == kind), kind)


_STATUSES = {"invalid": 400, "auth": 401, "not-found": 404, "rate": 429, "server": 500}  # an undocumented code's


def put(document: dict[str, Any], pointer: str, value: Any) -> None:
    """Set the value at a JSON Pointer of object keys, making the objects on the way."""
    *way, last = parts(pointer)
    for token in way:
        document = document.setdefault(token, {})
    document[last] = value


def _client_bytes(value: Any) -> int:
    """Memory taken by the strings and bytes in ``value`` (and in the lists, tuples and dict values
    it holds): what a client chose, and a task holds. A loop, not recursion: what a handler keeps may
    nest as deep as JSON allows."""
    kind = type(value)  # the usual values first, answered at once: an id, no key, a number kept
    if kind is str:
        return sys.getsizeof(value)
    if value is None or kind is int:
        return 0
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += sys.getsizeof(item)
        elif isinstance(item, list | tuple):
            stack += item
        elif isinstance(item, dict):
            stack += item.values()
    return total


def read_json(request: MockRequest, max_body_bytes: int, body_timeout: float) -> tuple[Any, str | None]:
    """The JSON body of a POST/PUT (None for GET, DELETE and HEAD), or why it cannot be read: the
    message of the provider's invalid-request error (the mock's, and the proxy's in front of a provider)."""
    if request.method in ("GET", "DELETE", "HEAD"):
        return None, None
    if request.oversized:
        return None, f"the body is larger than {max_body_bytes:,} bytes"
    if request.incomplete:
        return None, f"the body did not arrive within {body_timeout:g} s"
    kind = request.headers.get("content-type", "")
    if kind != "application/json":  # the usual header, read as it is; any other is read as media type
        kind = kind.split(";")[0].strip().lower()
    if kind != "application/json":
        return None, f"Content-Type must be application/json, not {kind or 'missing'}"
    try:
        return parse_json(request.body), None
    except UnicodeDecodeError:
        return None, "the body is not UTF-8"
    except ValueError as error:  # not JSON, or (a plain ValueError) a number too long to read
        return None, f"the body is not JSON: {error}"
    except RecursionError:
        return None, "the body nests too deeply"


def describe(report: Report, limit: int = 5) -> str:
    """Violations as one line each, rule and JSON Pointer first: what a user greps for."""
    parts = [f"[{v.rule}] {v.path or '/'}: {v.message}" for v in report.violations[:limit]]
    more = f" (and {len(report.violations) - limit} more)" if len(report.violations) > limit else ""
    return "; ".join(parts) + more
