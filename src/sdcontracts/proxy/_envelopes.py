"""The provider's own answers, when the proxy answers instead of the provider: the one place the
proxy reaches into the mock's provider handlers.

The proxy answers a request itself when it is refused (a contract violation, a body that is not
JSON, one too large or too slow), when the budget is spent, and when the upstream fails. Each answer
is the one the mock gives in the same case, rendered by the same code, so a caller sees the provider's
envelope, status and code whoever answered: a contract violation by the handler's ``rejected``, every
other answer by its ``error(kind, message, request, ...)``, and the reason a body cannot be read by the
mock's ``read_json``.

What this module relies on in ``sdcontracts.mock``: ``handler(provider, config)`` (the provider's
handler, from its registry profile, a plugin's included: its own class or the generic one) and of
it ``error(kind, message, request, *, retry_after=None)`` for the kinds ``invalid``, ``rate`` and
``server``, and ``rejected(report, request)``; ``_handler.read_json(request, max_body_bytes,
body_timeout)``; ``MockRequest``, ``MockResponse`` and ``_app.WARNINGS_HEADER``.

An upstream failure is the provider's ``server`` error with the gateway's status (502 or 504), as the
mock answers an injected ``status=503`` fault: the status wins, whatever the provider's envelope says.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..mock import MockConfig, MockRequest, MockResponse, handler
from ..mock._app import WARNINGS_HEADER
from ..mock._handler import read_json

if TYPE_CHECKING:
    from .._report import Report

__all__ = ["WARNINGS_HEADER", "Envelopes", "MockRequest", "MockResponse"]


class Envelopes:
    """One provider's answers, as its mock handler renders them."""

    def __init__(self, provider: str, *, max_body_bytes: int, body_timeout: float) -> None:
        self.provider = provider
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout
        config = MockConfig(providers=(provider,), max_body_bytes=max_body_bytes, body_timeout=body_timeout)
        self._handler = handler(provider, config)

    def read_json(self, request: MockRequest) -> tuple[Any, str | None]:
        """The request's JSON body, or why the provider cannot read it (`read_json`)."""
        return read_json(request, self.max_body_bytes, self.body_timeout)

    def rejected(self, report: Report, request: MockRequest) -> MockResponse:
        """The provider's answer to a request breaking its contract, naming each rule and pointer."""
        return self._handler.rejected(report, request)

    def invalid(self, message: str, request: MockRequest) -> MockResponse:
        """The provider's invalid-request answer (a body it cannot read)."""
        return self._handler.error("invalid", message, request)

    def rate_limited(self, message: str, request: MockRequest) -> MockResponse:
        """The provider's rate-limit answer, with its own status (429, Alibaba's 403, PICPIK's RetCode…)."""
        return self._handler.error("rate", message, request)

    def failure(self, status: int, message: str, request: MockRequest) -> MockResponse:
        """The provider's server error with a gateway's ``status``: an upstream that failed."""
        response = self._handler.error("server", message, request)
        response.status = status
        return response
