"""The shape every provider handler shares: parse, authenticate, rate-limit, validate, answer.

A provider handler (``providers/<id>.py``) says how its provider authenticates, how its errors
look on the wire, and what each operation answers; the pipeline below, the validator, the task
store and the error codes in ``provider.json`` are shared, so all five behave the same way where
their docs agree and differently only where the providers do.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote

from sdcontracts import Report, validate
from sdcontracts._catalogue import provider_info
from sdcontracts._roles import output_of

from ._faults import Fault
from ._state import MockTask, RateLimiter
from ._wire import MockRequest, MockResponse, new_uuid

if TYPE_CHECKING:
    from ._app import Mock

__all__ = ["Handler", "Route", "describe", "read_json"]

_MAX_IMAGES = 64  # per task; only a request breaking an unenforced count rule asks for more


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str  # exact, or with one trailing "{name}" segment, passed to the operation as params[name]
    operation: str


class Handler:
    """Base of the provider handlers; subclasses fill in the hooks marked below."""

    provider: ClassVar[str]
    # phase -> the provider's status value while in it
    statuses: ClassVar[Mapping[str, Any]]
    # the format of the images when the request names none (a documented default, else PNG)
    default_format: ClassVar[str] = "png"

    def __init__(self, mock: Mock) -> None:
        self.mock = mock
        self.info = provider_info(self.provider)
        self.credentials = mock.config.credentials[self.provider]
        self.codes: dict[str, dict[str, Any]] = self.info.get("errors", {}).get("codes", {})
        self.limiter: RateLimiter | None = self.rate_limiter() if mock.config.rate_limits else None
        self.unenforced = frozenset(mock.config.unenforced.get(self.provider, ()))
        # The operations of provider.json, which the OpenAPI export documents too: the mock serves
        # exactly what the export describes, no more (each answered by ``op_<operation>``).
        self.routes: tuple[Route, ...] = self.routes_for(self.info["operations"])
        # operation -> its method, looked up once: the pipeline runs per request
        self._operations: dict[str, Callable[..., MockResponse]] = {
            route.operation: getattr(self, f"op_{route.operation.replace('-', '_')}") for route in self.routes
        }

    def routes_for(self, operations: Mapping[str, Any]) -> tuple[Route, ...]:
        """One route per operation; a provider dispatching several on one path overrides this."""
        return tuple(Route(op["method"], op["path"], name) for name, op in operations.items())

    # -- hooks -----------------------------------------------------------------------------------

    def authenticate(self, request: MockRequest, body: Any) -> MockResponse | None:
        """None when the credentials are right, else the provider's auth error."""
        raise NotImplementedError

    def error(self, kind: str, message: str, request: MockRequest, *, code: str | None = None,
              retry_after: float | None = None) -> MockResponse:  # fmt: skip
        """The provider's error envelope for ``kind`` (auth, rate, not-found, invalid, server)."""
        raise NotImplementedError

    def operation_of(self, request: MockRequest, routed: str) -> str:
        """The operation a request is, as the journal names it, before (or without) its dispatch:
        for configured faults, and for answers given before the operation ran (a fault, bad
        credentials). The route's, unless one route serves several (PICPIK's ``Action``)."""
        return routed

    def rate_limiter(self) -> RateLimiter | None:
        """The documented rate limit, or None when the provider documents none."""
        return None

    def rate_units(self, operation: str, body: Any) -> float:
        return 1.0

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
        return self._operations[operation](request, body, params, fault)

    def limit_key(self, request: MockRequest, body: Any) -> str:
        return "all"

    def parse(self, request: MockRequest, operation: str) -> tuple[Any, MockResponse | None]:
        """The JSON body of a POST/PUT, or the provider's error for a malformed one."""
        config = self.mock.config
        body, problem = read_json(request, config.max_body_bytes, config.body_timeout)
        return (None, self.error("invalid", problem, request)) if problem is not None else (body, None)

    def check(self, payload: Any, schema: str, request: MockRequest) -> MockResponse | None:
        """Validate with sdcontracts.validate; violations become the provider's error, unless
        every one breaks a rule the configuration leaves unenforced. Warnings (what the sources
        dispute) are accepted, as by the provider, and noted on the request, unless the mock is strict."""
        report = validate(self.provider, payload, schema=schema, strict=self.mock.config.strict)
        request.warnings.extend(
            f"[{w.rule}] {w.path or '/'} ({w.dispute.id if w.dispute else ''})" for w in report.warnings
        )
        if report.ok or report.rules <= self.unenforced:
            return None
        return self.rejected(report, request)

    def rejected(self, report: Report, request: MockRequest) -> MockResponse:
        """The error for a request breaking its contract; the message names each rule and field."""
        return self.error("invalid", describe(report), request)

    # -- tasks -----------------------------------------------------------------------------------

    def new_task(self, payload: Any, *, request: MockRequest, fault: Fault, key: str | None = None,
                 task_id: str | None = None, size: tuple[int, int] | None = None,
                 extra: dict[str, Any] | None = None) -> MockTask:  # fmt: skip
        """A task making what ``payload`` (the body of ``request``) asks for, read through the schema's
        ``x-role`` fields.

        ``size`` overrides the width and height the fields give (Tensor.Art derives it from its
        stages); a size the request leaves open is 512 x 512, the mock's choice. The task keeps only
        what `kept` takes from the request, and counts the bytes of what a client chose (its id and
        key, what is kept, ``extra``) against ``max_task_bytes``.
        """
        wanted = output_of(self.provider, payload)
        width, height = size or (wanted.width or 512, wanted.height or 512)
        task_id = new_uuid() if task_id is None else task_id
        kept = self.kept(payload, request)
        task = MockTask(
            provider=self.provider,
            id=task_id,
            created=self.mock.clock.now(),
            kept=kept,
            images=min(max(1, wanted.count), _MAX_IMAGES),
            width=width,
            height=height,
            format=wanted.format or self.default_format,
            fail_reason="the generation failed (fault injected)" if fault.fail else None,
            key=key,
            held_bytes=_client_bytes((task_id, key, kept, extra)),
            extra=extra or {},
        )
        return self.mock.store.add(task)

    def kept(self, payload: Any, request: MockRequest) -> Any:
        """What a task keeps of the request that made it: only what its later answers read. Never the
        parsed payload: parsed JSON takes up to 16 times its bytes (a Tensor.Art job of 400,000 one-letter
        prompts, 6 MB sent, is 82 MiB parsed)."""
        return None

    def status_of(self, task: MockTask, request: MockRequest, *, poll: bool = True) -> tuple[Any, str, float]:
        """The provider's status value, the phase, and the progress (0 to 1). A status query counts as
        a poll (moving a task on in the steps lifecycle), unless it is a HEAD: HEAD changes nothing."""
        phase, progress = self.mock.store.phase(task, poll=poll and request.method != "HEAD")
        return self.statuses[phase], phase, progress

    def image_urls(self, task: MockTask, request: MockRequest) -> list[str]:
        # a task id a client chose (Zhiqite's id_task) may hold "/", "?", spaces or a lone surrogate
        where = f"{request.base_url}/_mock/images/{self.provider}/{quote(task.id, safe='', errors='surrogatepass')}"
        return [f"{where}/{i}.{task.format}" for i in range(task.images)]

    def code_for(self, kind: str) -> str:
        """The first provider code documented (or chosen) for an error kind."""
        return next((code for code, entry in self.codes.items() if entry["kind"] == kind), kind)


def _client_bytes(value: Any) -> int:
    """Memory taken by the strings and bytes in ``value`` (and in the lists, tuples and dict values
    it holds): what a client chose, and a task holds."""
    if isinstance(value, str | bytes):
        return sys.getsizeof(value)
    if isinstance(value, list | tuple):
        return sum(_client_bytes(item) for item in value)
    if isinstance(value, dict):
        return sum(_client_bytes(item) for item in value.values())
    return 0


def read_json(request: MockRequest, max_body_bytes: int, body_timeout: float) -> tuple[Any, str | None]:
    """The JSON body of a POST/PUT (None for GET, DELETE and HEAD), or why it cannot be read: the
    message of the provider's invalid-request error (the mock's, and the proxy's in front of a provider)."""
    if request.method in ("GET", "DELETE", "HEAD"):
        return None, None
    if request.oversized:
        return None, f"the body is larger than {max_body_bytes:,} bytes"
    if request.incomplete:
        return None, f"the body did not arrive within {body_timeout:g} s"
    kind = request.header("content-type").split(";")[0].strip().lower()
    if kind != "application/json":
        return None, f"Content-Type must be application/json, not {kind or 'missing'}"
    try:
        return json.loads(request.body.decode("utf-8")), None
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
