"""sdcontracts.mock: the providers, emulated faithfully on the wire.

    from sdcontracts.mock import Mock, MockConfig, ManualClock
    mock = Mock(MockConfig(lifecycle="steps"))
    client = NovitaClient(**mock.credentials("novita"), transport=mock.transport())

Handlers are plain functions of a `MockRequest` to a `MockResponse` over shared state (tasks,
uploads, a clock tests can drive, a journal). Adapters serve them in-process (`Mock.transport`,
`Mock.router` for respx) or over HTTP (`sdcontracts.mock.asgi.app`, ``sdcontracts mock serve``).
"""

from __future__ import annotations

from ._app import Mock, handler
from ._config import DEFAULT_CREDENTIALS, FaultRule, MockConfig, load_config
from ._faults import Fault, FaultError, parse_faults
from ._handler import Context, Handler, Route, describe
from ._state import Clock, Journal, JournalEntry, ManualClock
from ._wire import MockRequest, MockResponse

__all__ = [
    "DEFAULT_CREDENTIALS",
    "Clock",
    "Context",
    "Fault",
    "FaultError",
    "FaultRule",
    "Handler",
    "Journal",
    "JournalEntry",
    "ManualClock",
    "Mock",
    "MockConfig",
    "MockRequest",
    "MockResponse",
    "Route",
    "describe",
    "handler",
    "load_config",
    "parse_faults",
]
