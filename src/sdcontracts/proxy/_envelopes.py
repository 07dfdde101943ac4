"""The provider's own answers, when the proxy answers instead of the provider: the one place the
proxy reaches into the mock's provider handlers.

The proxy answers a request itself when it is refused (a contract violation, a body that is not
JSON, one too large or too slow), when the budget is spent, and when the upstream fails. Each answer
is the one the mock gives in the same case, rendered by the same code, so a caller sees the provider's
envelope, status and code whoever answered: a contract violation by the handler's ``rejected``, every
other answer by its ``error(kind, message, request, ...)``, and the reason a body cannot be read by the
mock's ``read_json``.

What this module relies on in ``sdcontracts.mock`` (the registry refactor keeps these, or re-points
them here):

- ``providers/<id>.py`` has ``HANDLER``, a class built from one argument of which it reads only
  ``.config`` (a `MockConfig`) and ``.clock``: credentials it never checks here, ``rate_limits``
  (off), ``unenforced``, ``signature_window``, ``novita_auth_status``;
- ``handler.error(kind, message, request, *, retry_after=None) -> MockResponse`` for the kinds
  ``invalid``, ``rate`` and ``server``, and ``handler.rejected(report, request) -> MockResponse``;
- ``_handler.read_json(request, max_body_bytes, body_timeout)``; ``_wire.MockRequest`` and
  ``MockResponse``; ``_app.WARNINGS_HEADER``.

An upstream failure is the provider's ``server`` error with the gateway's status (502 or 504), as the
mock answers an injected ``status=503`` fault: the status wins, whatever the provider's envelope says.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from ..mock import Clock, MockConfig, MockRequest, MockResponse
from ..mock._app import WARNINGS_HEADER
from ..mock._handler import read_json

if TYPE_CHECKING:
    from .._report import Report
    from ..mock import Mock
    from ..mock._handler import Handler

__all__ = ["WARNINGS_HEADER", "Envelopes", "MockRequest", "MockResponse"]


@dataclass(frozen=True, slots=True)
class _Renderer:
    """What a handler reads of its `Mock` when it only renders answers: the settings and a clock."""

    config: MockConfig
    clock: Clock


class Envelopes:
    """One provider's answers, as its mock handler renders them."""

    def __init__(self, provider: str, *, max_body_bytes: int, body_timeout: float) -> None:
        self.provider = provider
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout
        config = MockConfig(providers=(provider,), max_body_bytes=max_body_bytes, body_timeout=body_timeout)
        module = importlib.import_module(f"sdcontracts.mock.providers.{provider}")
        # the handler is given the renderer where it expects its Mock: it reads nothing else of it
        self._handler: Handler = module.HANDLER(cast("Mock", _Renderer(config, Clock())))

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
