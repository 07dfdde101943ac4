"""The errors clients raise: one base class to catch, narrow ones to act on.

    ProviderError                  anything a provider client raises
     ├── RequestInvalid            the payload breaks the documented contract; nothing was sent
     ├── TransportError            no usable HTTP exchange: connection refused or reset, timeout,
     │                             a body that is not the provider's JSON
     ├── AuthError                 the provider refused the credentials (401/403, MISSING_API_KEY, …)
     ├── RateLimited               too many requests (429, RATE_LIMIT_EXCEEDED); ``retry_after``
     ├── RequestRejected           the provider refused the request (4xx, RetCode ≠ 0, status 20,
     │    │                        code "400"); ``code`` and ``message`` are the provider's own
     │    └── TaskNotFound         the task id is unknown to the provider
     ├── ServerError               the provider failed (5xx)
     ├── TaskFailed                the task ran and ended in failure; ``reason`` is the provider's
     └── TaskTimeout               waiting for a task exceeded its deadline; the task may still finish

Every error carries the ``provider`` and, when one was received, the ``status_code`` and the
provider's parsed error ``body``; secrets are never part of a message.
"""

from __future__ import annotations

from typing import Any

from ._report import Report

__all__ = [
    "AuthError",
    "ProviderError",
    "RateLimited",
    "RequestInvalid",
    "RequestRejected",
    "ServerError",
    "TaskFailed",
    "TaskNotFound",
    "TaskTimeout",
    "TransportError",
]


class ProviderError(Exception):
    """Base class of every error a provider client raises."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status_code: int | None = None,
        code: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.status_code = status_code
        self.code = code  # the provider's own error code or reason, as a string
        self.body = body  # the provider's parsed error body, when there was one

    def __str__(self) -> str:
        where = f" (HTTP {self.status_code})" if self.status_code is not None else ""
        code = f" [{self.code}]" if self.code else ""
        return f"{self.provider}{where}{code}: {self.message}"


class RequestInvalid(ProviderError):
    """The payload breaks the provider's documented contract, so it was not sent."""

    def __init__(self, report: Report) -> None:
        lines = "; ".join(f"{v.path or '/'} [{v.rule}] {v.message}" for v in report.violations[:5])
        more = f" (and {len(report.violations) - 5} more)" if len(report.violations) > 5 else ""
        super().__init__(
            f"{len(report.violations)} violation(s) of the {report.schema} contract: {lines}{more}",
            provider=report.provider,
        )
        self.report = report


class TransportError(ProviderError):
    """The request did not produce a usable response (network failure, timeout, garbled body)."""


class AuthError(ProviderError):
    """The provider rejected the credentials."""


class RateLimited(ProviderError):
    """The provider is rate limiting; ``retry_after`` is its advice in seconds, when given."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RequestRejected(ProviderError):
    """The provider refused the request; ``code`` and ``message`` are the provider's."""


class TaskNotFound(RequestRejected):
    """The provider does not know the task id."""


class ServerError(ProviderError):
    """The provider failed to handle the request (5xx)."""


class TaskFailed(ProviderError):
    """The task ended in failure; ``reason`` is the provider's explanation and ``task`` the last state."""

    def __init__(self, message: str, *, reason: str, task: Any, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.reason = reason
        self.task = task


class TaskTimeout(ProviderError):
    """The task did not finish before the deadline; ``task`` is its last known state."""

    def __init__(self, message: str, *, task: Any, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.task = task
