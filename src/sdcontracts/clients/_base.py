"""The machinery every provider client shares.

A client reads its provider's registry entry (`sdcontracts.provider(id)`): each request is built
from provider.json's ``operations`` (method, path, where the task id goes), a task is read through
its ``lifecycle`` pointers (status, images, id, progress, reason), errors through its codes, and the
idempotency key is the request field the schema marks ``x-role: request-id`` and ``x-filled-by``.
A provider module adds only what its wire format does beyond that, in a *sans-IO* base class
(`ProviderBase` subclass): its auth, a body signature, an error envelope answered inside HTTP 200,
a progress or reason it reports in its own way. Every operation
(submit, poll until done, Tensor.Art's two-step upload), with its retries, is a generator of
`Steps`: it yields "send this request" or "sleep this long" and returns the result. The only
I/O is in the two drivers, `SyncClient._run` and `AsyncClient._run`, fifteen lines each; a
provider's `NovitaClient` and `AsyncNovitaClient` are its base class mixed with one of the two,
so sync and async cannot drift apart.

Retries (`Retry`) cover 429, 502/503/504, dropped connections, timeouts and unreadable bodies,
with exponential backoff, full jitter and ``Retry-After``; but only for requests that are safe
to repeat: reads, cancels, uploads, and submits carrying an idempotency key the client set
(Tensor.Art ``requestId``, Zhiqite ``id_task``). Any other submit is sent exactly once, so no
job is ever paid for twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import functools
import inspect
import logging
import random
import sys
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypedDict, TypeVar, Unpack

import httpx

from .._exceptions import (
    AuthError,
    ProviderError,
    RateLimited,
    RequestInvalid,
    RequestRejected,
    ServerError,
    TaskFailed,
    TaskNotFound,
    TaskTimeout,
    TransportError,
)
from .._jsontext import json_bytes
from .._pointer import resolve
from .._registry import get as registered
from .._report import Violation
from .._roles import keyed, with_key
from .._validation import validate as _validate

if TYPE_CHECKING:
    from .._provider import Operation
    from ..canonical import CanonicalRequest, Translation

__all__ = [
    "AsyncClient", "ClientOptions", "Clock", "Image", "ProviderBase", "Retry", "Send", "Spec", "Steps", "Submitted",
    "SyncClient", "Task", "TaskState", "WaitOptions",
]  # fmt: skip

logger = logging.getLogger("sdcontracts.clients")

R = TypeVar("R")
T = TypeVar("T")
Progress = Callable[["Task[Any]"], object]

_ROOT = __name__.split(".")[0]
# a canonical request or a translation exists only once its module is loaded: looked up there,
# plain payloads never import the canonical package (nor pydantic)
_CANONICAL_MODELS = f"{_ROOT}.models.canonical"
_TRANSLATIONS = f"{_ROOT}.canonical._translate"


def _instance(value: Any, module: str, name: str) -> bool:
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(value, getattr(loaded, name))


class TaskState(StrEnum):
    """A task's state in words common to all providers (each provider's own status is kept too)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    UNKNOWN = "unknown"

    @property
    def terminal(self) -> bool:
        return self in (TaskState.SUCCEEDED, TaskState.FAILED, TaskState.CANCELED)


@dataclass(frozen=True, slots=True)
class Image:
    """One generated image: where to download it, and what the provider says about it."""

    url: str
    format: str | None = None
    expires_in: int | None = None  # seconds (Novita image_url_ttl; Tensor.Art expiredIn)
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Submitted:
    """What a submit returned: the task id, the idempotency key the client set (if the provider
    has one), the provider's response body, and what validating the request warned about (values
    the sources dispute, accepted by default: `sdcontracts.Violation` with their ``dispute``)."""

    provider: str
    id: str
    idempotency_key: str | None = None
    raw: Any = field(default=None, repr=False)
    warnings: tuple[Violation, ...] = field(default=(), repr=False)

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True)
class Task(Generic[R]):
    """A task as last seen: common fields for every provider, and the provider's typed response.

    ``status`` is the provider's own status value; ``progress`` is 0 to 1 where the provider
    reports it; ``response`` parses the raw body into the generated model on first access.
    """

    provider: str
    id: str
    state: TaskState
    status: Any
    progress: float | None = None
    images: tuple[Image, ...] = ()
    reason: str | None = None
    raw: Any = field(default=None, repr=False)
    _parse: Callable[[Any], R] | None = field(default=None, repr=False, compare=False)

    @functools.cached_property
    def response(self) -> R:
        """The provider's response as its generated pydantic model."""
        if self._parse is None:
            raise AttributeError("this task has no typed response")
        return self._parse(self.raw)


@dataclass(frozen=True, slots=True)
class Retry:
    """How often, and how patiently, to repeat requests that are safe to repeat.

    ``attempts`` counts retries after the first try; delays grow as ``backoff * 2**n`` (with
    full jitter) up to ``max_backoff``; a server's ``Retry-After`` is honoured up to
    ``max_retry_after`` seconds, beyond which the error is raised at once.
    """

    attempts: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    jitter: bool = True

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(self.max_backoff, self.backoff * 2**attempt)
        return random.uniform(0, ceiling) if self.jitter else ceiling


NO_RETRY = Retry(attempts=0)


POLL_INTERVAL, WAIT_TIMEOUT = 2.0, 600.0  # `wait`'s defaults, in seconds


class Clock(Protocol):
    """What a client measures its ``wait`` deadline by: seconds, monotonic (`sdcontracts.mock.Clock`
    and `sdcontracts.mock.ManualClock` are two)."""

    def now(self) -> float: ...


class _Monotonic:
    def now(self) -> float:
        return time.monotonic()


MONOTONIC: Clock = _Monotonic()


class WaitOptions(TypedDict, total=False):
    """`SyncClient.wait`'s options, which `generate` takes too (defaults: 2 s, 600 s, None, None)."""

    poll_interval: float
    timeout: float
    on_progress: Progress | None
    max_poll_interval: float | None


class ClientOptions(TypedDict, total=False):
    """The options every client takes after its credentials, e.g. ``NovitaClient(api_key, retry=…)``.

    ``base_url``: the provider's endpoint (default: its documented one); ``timeout``: seconds per
    request, or an ``httpx.Timeout``; ``retry``: a `Retry` (default ``Retry()``); ``validate``:
    check each submit before sending (default True); ``strict``: refuse, in that check, what only a
    disputed reading of the docs rejects too (default False: such values are sent, with warnings);
    ``headers``: sent with every request;
    ``transport``: an httpx transport (sync clients take an ``httpx.BaseTransport``, async ones an
    ``httpx.AsyncBaseTransport``; the mock's works for both);
    ``clock``: what ``wait`` measures its deadline by (a `Clock`: ``now()`` in seconds; default the
    monotonic clock); ``sleep``: how the client waits between polls and retries (default
    ``time.sleep``, or ``asyncio.sleep`` for async clients, which also take a plain function). A
    mock's ``ManualClock`` is both: ``clock=clock, sleep=clock.advance`` waits in mock time.
    """

    base_url: str | None
    timeout: float | httpx.Timeout
    retry: Retry | None
    validate: bool
    strict: bool
    headers: Mapping[str, str] | None
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None
    clock: Clock | None
    sleep: Callable[[float], Any] | None


@dataclass(frozen=True, slots=True)
class Spec:
    """One HTTP request a provider operation needs, before auth and transport."""

    operation: str  # "img2img", "task", "cancel", "resource", "upload", "download"
    method: str
    url: str  # a path under base_url, or an absolute URL
    json: Any = None
    content: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)
    retryable: bool = True  # safe to send again
    authenticated: bool = True  # presigned upload URLs and image downloads carry no credentials
    expect: str = "json"  # "json": the provider's envelope; "bytes": the raw body; "empty": any 2xx


@dataclass(frozen=True, slots=True)
class Send:
    """An operation's request to its driver: send this, with this auth, and give me the response."""

    request: httpx.Request
    auth: httpx.Auth | None


# An operation, written once for sync and async: a generator yielding `Send` (answered with
# the httpx.Response, or an httpx.HTTPError thrown in) or a delay in seconds (answered with
# None after sleeping), returning the operation's result.
Steps = Generator[Send | float, Any, T]


class _Keyed:
    """``idempotent_submit``: whether the provider's requests carry an idempotency key the client
    sets (then a submit may be resent), read from its schema, on the class as on an instance."""

    def __get__(self, instance: object, owner: type[ProviderBase]) -> bool:
        return keyed(owner.provider)


class ProviderBase:
    """The sans-IO half of a client: requests to build and responses to read, no I/O.

    Subclasses set ``provider`` and may override the ``_…`` hooks; the rest is read from the
    provider's registry entry.
    """

    provider: ClassVar[str]
    idempotent_submit: ClassVar[bool] = _Keyed()  # type: ignore[assignment]
    uploads_images: ClassVar[bool] = False  # `_upload_steps` uploads image bytes, returning a resource id

    def __init__(
        self,
        *,
        base_url: str | None = None,
        auth: httpx.Auth | None,
        timeout: float | httpx.Timeout = 30.0,
        retry: Retry | None = None,
        validate: bool = True,
        strict: bool = False,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        clock: Clock | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        spec = self.spec = registered(self.provider)
        self._transport = transport
        self.base_url = (base_url or spec.base_url).rstrip("/")
        self.auth = auth
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        self.retry = retry if retry is not None else Retry()
        self.clock = clock or MONOTONIC  # what `wait` measures its deadline by
        self._given_sleep = sleep
        self.validate = validate
        self.strict = strict  # validate strictly: a value the sources dispute is refused too
        self.headers = dict(headers or {})
        # provider error code -> kind, where provider.json documents (or sdcontracts chose) them
        self._error_kinds: dict[str, str] = {code: entry["kind"] for code, entry in spec.error_codes.items()}
        self._states: dict[Any, TaskState] = {
            status: TaskState(phase) for phase, values in spec.lifecycle.phases.items() for status in values
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, auth={self.auth!r})"

    # -- hooks a provider may override ------------------------------------------------------------

    def _prepare(self, payload: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """Complete a submit payload after validation: its idempotency key (set when it has none),
        its ``Action`` where one path serves several operations, and what `_complete` adds; return
        it and the key."""
        payload, key = with_key(self.provider, payload)
        return self._complete(self.spec.submit, self._acted(self.spec.submit, payload)), key

    def _complete(self, operation: Operation, body: dict[str, Any]) -> dict[str, Any]:
        """A request body with what the provider needs in every body it receives (PICPIK's request
        UUID and signature); unchanged by default."""
        return body

    def seal(self, body: Any) -> Any:
        """``body`` with the credentials a provider carries in the body itself (PICPIK's
        ``PublicKey`` and ``Signature``); header-authenticated providers, and bodies that are not
        JSON objects, come back unchanged. `submit` seals every body; ``submit(raw=True)`` sends
        a body exactly as given, so seal it first unless the point is to send it unsigned."""
        return body

    def _submit_spec(self, payload: dict[str, Any]) -> Spec:
        operation = self.spec.submit
        # only a submit carrying the idempotency key the client set is safe to repeat: same key, same task
        return Spec(operation.name, operation.method, operation.path, json=payload, retryable=self.idempotent_submit)

    def _submitted(self, body: Any, key: str | None) -> Submitted:
        pointer = self.spec.task_parameter.pointer
        task_id = resolve(body, pointer)
        if task_id is None:
            raise TransportError(
                f"img2img: the response has no task id at {pointer}", provider=self.provider, body=body
            )
        return Submitted(self.provider, str(task_id), key, body)

    def _task_spec(self, task_id: str) -> Spec:
        return self._about(self.spec.query, task_id)

    def _task(self, task_id: str, body: Any) -> Task[Any]:
        lifecycle = self.spec.lifecycle
        status = resolve(body, lifecycle.status)
        state = self.state_of(status)
        reported = resolve(body, lifecycle.task_id) if lifecycle.task_id else None
        return Task(
            provider=self.provider,
            id=str(reported or task_id),
            state=state,
            status=status,
            progress=self._progress(body),
            images=self._images(body),
            reason=self._reason(body, state),
            raw=body,
            _parse=self._model("task.response"),
        )

    def _progress(self, body: Any) -> float | None:
        """A task's progress, 0 to 1, where the provider reports one (lifecycle ``progress``, in percent)."""
        pointer = self.spec.lifecycle.progress
        percent = resolve(body, pointer) if pointer else None
        return percent / 100 if isinstance(percent, int | float) else None

    def _reason(self, body: Any, state: TaskState) -> str | None:
        """Why a task failed, where the provider says (lifecycle ``reason``)."""
        pointer = self.spec.lifecycle.reason
        return (resolve(body, pointer) or None) if pointer else None

    def _images(self, body: Any) -> tuple[Image, ...]:
        """The images a task response lists (lifecycle ``images``)."""
        where = self.spec.lifecycle.images
        items = resolve(body, where["each"])
        if not isinstance(items, list):
            return ()
        found = []
        for item in items:
            if not where["url"]:  # the item is the URL
                if isinstance(item, str) and item:
                    found.append(Image(url=item))
                continue
            url = resolve(item, where["url"]) if isinstance(item, dict) else None
            if url:
                found.append(
                    Image(
                        url=url,
                        format=resolve(item, where["format"]) if "format" in where else None,
                        expires_in=_int(resolve(item, where["expires_in"])) if "expires_in" in where else None,
                        id=resolve(item, where["id"]) if "id" in where else None,
                    )
                )
        return tuple(found)

    def _cancel_spec(self, task_id: str) -> Spec:
        operation = self.spec.operations.get("cancel")
        if operation is None:
            raise NotImplementedError(f"{self.provider} has no cancel operation")
        return self._about(operation, task_id)

    def _about(self, operation: Operation, task_id: str) -> Spec:
        """The request of an operation about one task: its id where the operation takes it."""
        path, params, body = operation.path, {}, {}
        for parameter in operation.parameters:
            if parameter.location == "path":
                path = path.replace(f"{{{parameter.name}}}", task_id)
            elif parameter.location == "query":
                params[parameter.name] = task_id
            else:
                body[parameter.name] = task_id
        json = self._complete(operation, self._acted(operation, body)) if operation.request is not None else None
        return Spec(operation.name, operation.method, path, json=json, params=params)

    @staticmethod
    def _acted(operation: Operation, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` naming its operation by ``Action``, where one path serves several (PICPIK)."""
        return body if operation.action is None or "Action" in body else {"Action": operation.action, **body}

    def _error_message(self, fields: dict[str, Any]) -> Any:
        """An error envelope's message, where provider.json's ``errors.message`` points."""
        pointer = self.spec.info.get("errors", {}).get("message")
        return resolve(fields, pointer) if pointer else None

    def _error(self, response: httpx.Response, body: Any, spec: Spec) -> ProviderError | None:
        """The error a response means, or None when it is a success: by default an HTTP error
        status, its code and message read where provider.json's ``errors`` points."""
        if response.is_success:
            return None
        errors = self.spec.info.get("errors", {})
        fields = body if isinstance(body, dict) else {}
        code = resolve(fields, errors["code"]) if "code" in errors else None
        message = self._error_message(fields) or response.reason_phrase
        missing = spec.operation in ("task", "cancel") and response.status_code == 404
        return self._http_error(
            response, str(message or "request failed"), code=None if code in (None, "") else str(code), body=body,
            kind="not-found" if missing else None,
        )  # fmt: skip

    def _upload_steps(self, data: bytes, expire_sec: int | None, term: int | None) -> Steps[str]:
        """Upload image bytes; return the resource id (providers with ``uploads_images``)."""
        raise NotImplementedError(f"{self.provider} takes no image uploads")

    # -- shared helpers ------------------------------------------------------------------------

    def state_of(self, status: Any) -> TaskState:
        """The common state for a provider status value (UNKNOWN for undocumented ones)."""
        try:
            return self._states.get(status, TaskState.UNKNOWN)
        except TypeError:  # unhashable status in a garbled body
            return TaskState.UNKNOWN

    def _model(self, schema: str) -> Callable[[Any], Any] | None:
        """A parser for one of this provider's schemas, using its generated model (None when its
        profile names no models); the model is imported on first use, so reading a task's common
        fields never loads pydantic."""
        return functools.partial(_parse_model, self.provider, schema) if self.spec.profile.models else None

    def _payload(self, payload: Any) -> dict[str, Any]:
        if hasattr(payload, "model_dump"):
            dumped: dict[str, Any] = payload.model_dump(by_alias=True, exclude_unset=True, mode="json")
            return dumped
        if not isinstance(payload, Mapping):
            raise TypeError(f"payload must be a mapping or a generated model, not {type(payload).__name__}")
        return dict(payload)

    def _checked(self, payload: Any, validate: bool | None, raw: bool) -> tuple[Any, str | None, tuple[Violation, ...]]:
        """The body to send, its idempotency key, and the warnings about it. The payload is
        validated as the caller wrote it (``view="caller"``: the ids, credentials and signatures
        this client fills in may be absent), so every violation points at the caller's own value."""
        if raw:  # any JSON value, as given: a payload that is not even an object is a test case too
            return (self._payload(payload) if hasattr(payload, "model_dump") else payload), None, ()
        body = self._payload(payload)
        warnings: tuple[Violation, ...] = ()
        if self.validate if validate is None else validate:
            report = _validate(self.provider, body, strict=self.strict, view="caller")
            if not report.ok:
                raise RequestInvalid(report)
            warnings = report.warnings
            self._log_warnings(warnings)
        body, key = self._prepare(body)
        return body, key, warnings

    def _log_warnings(self, warnings: tuple[Violation, ...]) -> None:
        for warning in warnings:
            logger.warning("%s request: %s [%s] %s", self.provider, warning.path or "/", warning.rule, warning.message)

    def _translate_steps(
        self, request: CanonicalRequest | Mapping[str, Any], models: Mapping[str, str] | None, adapt: bool
    ) -> Steps[Translation]:
        """`sdcontracts.canonical.translate` for this provider, after its image transport: an
        image it takes only as an uploaded resource, given as bytes, is uploaded first."""
        from ..canonical import CanonicalRequest, translate
        from ..canonical._transport import uploads, with_uploads

        canonical = request if isinstance(request, CanonicalRequest) else CanonicalRequest.model_validate(request)
        if self.uploads_images:
            ids: dict[str, str] = {}
            for upload in uploads(canonical, self.provider):
                ids[upload.field] = yield from self._upload_steps(upload.data, None, None)
                logger.info("%s: uploaded %s as resource %s", self.provider, upload.field, ids[upload.field])
            if ids:
                canonical = with_uploads(canonical, ids)
        return translate(canonical, self.provider, models=models, adapt=adapt, strict=self.strict)

    def _request(self, spec: Spec) -> httpx.Request:
        headers = {**self.headers, **spec.headers}
        content = spec.content
        if spec.json is not None:
            content = json_bytes(spec.json)
            headers.setdefault("Content-Type", "application/json")
        url = spec.url if spec.url.startswith(("http://", "https://")) else self.base_url + spec.url
        return httpx.Request(spec.method, url, params=spec.params or None, headers=headers, content=content)

    def _read(self, response: httpx.Response, spec: Spec) -> Any:
        """The parsed body of a response, or the ProviderError it means (raised)."""
        if spec.expect != "json":
            if response.is_success:
                return response.content if spec.expect == "bytes" else None
            raise self._http_error(response, f"{spec.operation} failed with HTTP {response.status_code}")
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = _NOT_JSON
        error = self._error(response, None if body is _NOT_JSON else body, spec)
        if error is not None:
            raise error
        if body is _NOT_JSON:
            kind = response.headers.get("content-type", "no content type")
            raise TransportError(
                f"{spec.operation}: the response is not JSON ({kind})",
                provider=self.provider,
                status_code=response.status_code,
            )
        return body

    def _retry_delay(self, error: ProviderError, attempt: int, spec: Spec) -> float | None:
        """Seconds to wait before repeating ``spec`` after ``error``, or None to give up."""
        if not spec.retryable or attempt >= self.retry.attempts:
            return None
        if isinstance(error, RateLimited):
            if error.retry_after is not None and error.retry_after > self.retry.max_retry_after:
                return None
            return self.retry.delay(attempt, error.retry_after)
        if isinstance(error, ServerError) and error.status_code in (None, 502, 503, 504):
            return self.retry.delay(attempt)
        if isinstance(error, TransportError):
            return self.retry.delay(attempt)
        return None

    # -- operations, as steps (see `Steps`) ------------------------------------------------------

    def _call(self, spec: Spec, deadline: float | None = None) -> Steps[Any]:
        """One request with retries: the parsed body, or the ProviderError it means. A retry that
        would start after ``deadline`` (a wait's, by ``clock``) is not made: the error is raised."""
        attempt = 0
        while True:
            try:
                response = yield Send(self._request(spec), self.auth if spec.authenticated else None)
                logger.debug("%s %s %s -> %s", self.provider, spec.method, spec.operation, response.status_code)
                return self._read(response, spec)
            except httpx.HTTPError as error:
                failure: ProviderError = _transport_error(self.provider, spec, error)
            except ProviderError as error:
                failure = error
            delay = self._retry_delay(failure, attempt, spec)
            if delay is None or (deadline is not None and self.clock.now() + delay > deadline):
                raise failure
            logger.info(
                "%s %s failed (%s); retry %d in %.2fs", self.provider, spec.operation, failure, attempt + 1, delay
            )
            yield delay
            attempt += 1

    def _submit_steps(self, payload: Any, validate: bool | None, raw: bool) -> Steps[Submitted]:
        translated: tuple[Violation, ...] = ()
        if not raw and _instance(payload, _TRANSLATIONS, "Translation"):
            if payload.provider != self.provider:
                raise ValueError(f"a translation for {payload.provider} given to the {self.provider} client")
            payload = payload.payload
        elif not raw and _instance(payload, _CANONICAL_MODELS, "CanonicalRequest"):
            translation = yield from self._translate_steps(payload, None, False)
            payload, validate, translated = translation.payload, False, translation.warnings  # validated there
            self._log_warnings(translated)
        body, key, warnings = self._checked(payload, validate, raw)
        warnings = warnings or translated
        submitted = self._submitted((yield from self._call(self._submit_spec(body))), key)
        return dataclasses.replace(submitted, warnings=warnings) if warnings else submitted

    def _task_steps(self, task_id: str, deadline: float | None = None) -> Steps[Task[Any]]:
        return self._task(task_id, (yield from self._call(self._task_spec(task_id), deadline)))

    def _wait_steps(
        self,
        task_id: str,
        poll_interval: float,
        timeout: float,
        on_progress: Progress | None,
        max_poll_interval: float | None = None,
    ) -> Steps[Task[Any]]:
        deadline = self.clock.now() + timeout
        seen: tuple[Any, ...] | None = None
        interval = poll_interval
        while True:
            current = yield from self._task_steps(task_id, deadline)
            if on_progress is not None and (current.state, current.progress) != seen:
                on_progress(current)
            seen = (current.state, current.progress)
            remaining = self._poll_outcome(current, deadline)
            if remaining is None:
                return current
            yield min(interval, remaining)
            if max_poll_interval is not None:
                interval = min(max(interval, 1e-3) * 2, max_poll_interval)

    def _generate_steps(self, payload: Any, wait: WaitOptions) -> Steps[Task[Any]]:
        submitted = yield from self._submit_steps(payload, None, False)
        return (
            yield from self._wait_steps(
                submitted.id, wait.get("poll_interval", POLL_INTERVAL), wait.get("timeout", WAIT_TIMEOUT),
                wait.get("on_progress"), wait.get("max_poll_interval"),
            )
        )  # fmt: skip

    def _poll_outcome(self, task: Task[Any], deadline: float) -> float | None:
        """After one poll: return the task's fate (raise on failure), or the seconds left."""
        if task.state is TaskState.SUCCEEDED:
            return None
        if task.state in (TaskState.FAILED, TaskState.CANCELED):
            reason = task.reason or task.state.value
            raise TaskFailed(
                f"task {task.id} ended {task.state.value} ({task.status}): {reason}",
                provider=self.provider,
                reason=reason,
                task=task,
            )
        remaining = deadline - self.clock.now()
        if remaining <= 0:
            raise TaskTimeout(
                f"task {task.id} is still {task.state.value} ({task.status}) after the wait deadline",
                provider=self.provider,
                task=task,
            )
        return remaining

    # -- error helpers for providers ----------------------------------------------------------

    def _scrubbed(self, text: str) -> str:
        """``text`` (a provider's words) without the credential values this client sends: a provider
        may echo them (Alibaba's gateway quotes its string to sign, AppKey included)."""
        sent_values = getattr(self.auth, "sent_values", None)  # every scheme in sdcontracts.auth has it
        values: tuple[str, ...] = sent_values() if sent_values is not None else ()
        for value in values:
            if len(value) >= 4:  # a one-letter test key would scrub every word
                text = text.replace(value, "***")
        return text

    def _http_error(
        self,
        response: httpx.Response,
        message: str,
        *,
        code: str | None = None,
        body: Any = None,
        kind: str | None = None,
    ) -> ProviderError:
        """The error a failed response means. ``kind`` ("auth", "rate", "not-found", "invalid",
        "server") comes from the provider's codes; without it the HTTP status decides."""
        status = response.status_code
        message = self._scrubbed(message)
        if kind is None:
            kind = self._error_kinds.get(code or "")
        if kind is None:
            kind = {429: "rate", 401: "auth", 403: "auth"}.get(status, "server" if status >= 500 else "invalid")
        kwargs: dict[str, Any] = {"provider": self.provider, "status_code": status, "code": code, "body": body}
        if kind == "rate":
            return RateLimited(message, retry_after=retry_after(response), **kwargs)
        return _ERROR_KINDS.get(kind, RequestRejected)(message, **kwargs)


_ERROR_KINDS: dict[str, type[ProviderError]] = {
    "auth": AuthError,
    "not-found": TaskNotFound,
    "invalid": RequestRejected,
    "server": ServerError,
}
_NOT_JSON = object()


def _parse_model(provider: str, schema: str, body: Any) -> Any:
    spec = registered(provider)
    model = getattr(spec.hook("models"), spec.raw_schema(schema)["title"])
    return model.model_validate(body)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (a number, or an HTTP date), None when absent or garbled."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _download_spec(image: Image | str) -> Spec:
    url = image.url if isinstance(image, Image) else image
    return Spec("download", "GET", url, authenticated=False, expect="bytes")


def _transport_error(provider: str, spec: Spec, error: httpx.HTTPError) -> TransportError:
    sent = " (the request may have reached the provider)" if not spec.retryable else ""
    return TransportError(f"{spec.operation}: {type(error).__name__}: {error}{sent}", provider=provider)


class SyncClient(ProviderBase, Generic[R]):
    """Blocking I/O for a provider base. Use as a context manager, or call `close`.

    ``R`` is the provider's task response model: ``NovitaClient.get_task(…).response`` is a
    ``TaskResultResponse``.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        transport = self._transport
        if transport is not None and not isinstance(transport, httpx.BaseTransport):
            raise TypeError(f"{type(self).__name__} needs a sync transport (httpx.BaseTransport), not {transport!r}")
        self._http = httpx.Client(timeout=self.timeout, transport=transport, follow_redirects=False)
        self._sleep: Callable[[float], Any] = self._given_sleep or time.sleep

    def __enter__(self: _S) -> _S:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _run(self, steps: Steps[T]) -> T:
        """Drive an operation: send each request it asks for, sleep each delay."""
        result: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = steps.throw(error) if error is not None else steps.send(result)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            result, error = None, None
            if isinstance(step, Send):
                try:
                    result = self._http.send(step.request, auth=step.auth)
                except httpx.HTTPError as failure:
                    error = failure
            else:
                self._sleep(step)

    def submit(self, payload: Any, *, validate: bool | None = None, raw: bool = False) -> Submitted:
        """Validate (unless ``validate=False``) and submit an img2img task.

        ``payload`` is the provider's own (a mapping or its generated model), a
        `sdcontracts.canonical.CanonicalRequest` (translated as by `translate`, raising
        `~sdcontracts.canonical.Untranslatable` before anything is sent), or a `Translation`.
        ``raw=True`` sends ``payload`` exactly as given: no ids or signatures added (see `seal`),
        no validation. It is how the conformance suite sends requests that break the contract.
        """
        return self._run(self._submit_steps(payload, validate, raw))

    def translate(
        self,
        request: CanonicalRequest | Mapping[str, Any],
        *,
        models: Mapping[str, str] | None = None,
        adapt: bool = False,
    ) -> Translation:
        """`sdcontracts.canonical.translate` for this provider, with its image transport done:
        an image it takes only as an uploaded resource (Tensor.Art), given as bytes, is uploaded
        and its resource id used. Submit the result with `submit` or `generate`."""
        return self._run(self._translate_steps(request, models, adapt))

    def get_task(self, task: str | Submitted) -> Task[R]:
        """The task's current state."""
        return self._run(self._task_steps(str(task)))

    def wait(
        self,
        task: str | Submitted,
        *,
        poll_interval: float = POLL_INTERVAL,
        timeout: float = WAIT_TIMEOUT,
        on_progress: Progress | None = None,
        max_poll_interval: float | None = None,
    ) -> Task[R]:
        """Poll until the task succeeds (returned), fails (`TaskFailed`) or ``timeout`` seconds
        pass (`TaskTimeout`). A poll that fails is retried within the retry budget but never past
        the deadline: its error is raised then. ``on_progress`` is called with each new state or progress.
        With ``max_poll_interval``, the interval doubles after each poll up to that many seconds:
        fewer requests for a long task (a pay-per-request or rate-limited account)."""
        return self._run(self._wait_steps(str(task), poll_interval, timeout, on_progress, max_poll_interval))

    def generate(self, payload: Any, **wait: Unpack[WaitOptions]) -> Task[R]:
        """Submit, then wait for the result (the options are `wait`'s)."""
        return self._run(self._generate_steps(payload, wait))

    def cancel(self, task: str | Submitted) -> Any:
        """Cancel a task, where the provider has a cancel operation."""
        return self._run(self._call(self._cancel_spec(str(task))))

    def download(self, image: Image | str) -> bytes:
        """The bytes of a generated image (image URLs carry no credentials)."""
        content: bytes = self._run(self._call(_download_spec(image)))
        return content


class AsyncClient(ProviderBase, Generic[R]):
    """Asynchronous I/O for a provider base: the twin of `SyncClient`, method for method."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        transport = self._transport
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            raise TypeError(
                f"{type(self).__name__} needs an async transport (httpx.AsyncBaseTransport), not {transport!r}"
            )
        self._http = httpx.AsyncClient(timeout=self.timeout, transport=transport, follow_redirects=False)
        self._sleep: Callable[[float], Any] = self._given_sleep or asyncio.sleep  # a coroutine function, or not

    async def __aenter__(self: _A) -> _A:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _run(self, steps: Steps[T]) -> T:
        """Drive an operation: send each request it asks for, sleep each delay."""
        result: Any = None
        error: BaseException | None = None
        while True:
            try:
                step = steps.throw(error) if error is not None else steps.send(result)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            result, error = None, None
            if isinstance(step, Send):
                try:
                    result = await self._http.send(step.request, auth=step.auth)
                except httpx.HTTPError as failure:
                    error = failure
            else:
                slept = self._sleep(step)
                if inspect.isawaitable(slept):
                    await slept

    async def submit(self, payload: Any, *, validate: bool | None = None, raw: bool = False) -> Submitted:
        """Validate (unless ``validate=False``) and submit an img2img task; ``payload`` and
        ``raw`` as in `SyncClient.submit`."""
        return await self._run(self._submit_steps(payload, validate, raw))

    async def translate(
        self,
        request: CanonicalRequest | Mapping[str, Any],
        *,
        models: Mapping[str, str] | None = None,
        adapt: bool = False,
    ) -> Translation:
        """`SyncClient.translate`'s twin: the provider's payload, its image uploads done."""
        return await self._run(self._translate_steps(request, models, adapt))

    async def get_task(self, task: str | Submitted) -> Task[R]:
        """The task's current state."""
        return await self._run(self._task_steps(str(task)))

    async def wait(
        self,
        task: str | Submitted,
        *,
        poll_interval: float = POLL_INTERVAL,
        timeout: float = WAIT_TIMEOUT,
        on_progress: Progress | None = None,
        max_poll_interval: float | None = None,
    ) -> Task[R]:
        """Poll until the task succeeds (returned), fails (`TaskFailed`) or ``timeout`` seconds
        pass (`TaskTimeout`). A poll that fails is retried within the retry budget but never past
        the deadline: its error is raised then. ``on_progress`` is called with each new state or progress.
        With ``max_poll_interval``, the interval doubles after each poll up to that many seconds:
        fewer requests for a long task (a pay-per-request or rate-limited account)."""
        return await self._run(self._wait_steps(str(task), poll_interval, timeout, on_progress, max_poll_interval))

    async def generate(self, payload: Any, **wait: Unpack[WaitOptions]) -> Task[R]:
        """Submit, then wait for the result (the options are `wait`'s)."""
        return await self._run(self._generate_steps(payload, wait))

    async def cancel(self, task: str | Submitted) -> Any:
        """Cancel a task, where the provider has a cancel operation."""
        return await self._run(self._call(self._cancel_spec(str(task))))

    async def download(self, image: Image | str) -> bytes:
        """The bytes of a generated image (image URLs carry no credentials)."""
        content: bytes = await self._run(self._call(_download_spec(image)))
        return content


_S = TypeVar("_S", bound="SyncClient[Any]")
_A = TypeVar("_A", bound="AsyncClient[Any]")
