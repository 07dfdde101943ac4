"""The sdcontracts pytest plugin: the provider mock as fixtures (registered by entry point).

    def test_generates(sd_mock):
        client = sd_mock.client("novita")               # a real NovitaClient, answered in-process
        task = client.generate(payload, poll_interval=0)
        assert 1 == sd_mock.journal.count("novita", "img2img")

    @pytest.mark.sd_mock(lifecycle="clock", rate_limits=True, providers=["tensorart"])
    def test_over_http(sd_http_mock):
        client = sd_http_mock.client("tensorart")       # talks HTTP to 127.0.0.1:<free port>

``sd_mock`` is an in-process `sdcontracts.mock.Mock` on a `ManualClock`
(``sd_mock.clock.advance(2.0)``); by default tasks advance one phase per status query
(``lifecycle="steps"``). ``sd_http_mock`` serves a mock over HTTP on a free loopback port for the
duration of the test and always stops it. The ``sd_mock`` marker takes `MockConfig` settings.
Nothing is imported until a fixture is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .mock import Mock, MockConfig

__all__ = ["HttpMock", "sd_http_mock", "sd_mock", "sd_mock_config"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sd_mock(**settings): configure the sdcontracts mock fixtures (MockConfig settings)"
    )


@pytest.fixture
def sd_mock_config(request: pytest.FixtureRequest) -> MockConfig:
    """The MockConfig for this test: the sd_mock marker's settings over test-friendly defaults."""
    from .mock import MockConfig

    settings: dict[str, Any] = {"lifecycle": "steps"}
    marker = request.node.get_closest_marker("sd_mock")
    if marker is not None:
        settings.update(marker.kwargs)
    if "providers" in settings:
        settings["providers"] = tuple(settings["providers"])
    return MockConfig(**settings)


@pytest.fixture
def sd_mock(sd_mock_config: MockConfig) -> Mock:
    """An in-process mock of the five providers, on a manual clock."""
    from .mock import ManualClock, Mock

    mock = Mock(sd_mock_config, clock=ManualClock())
    _preload(mock.handlers)
    return mock


def _preload(providers: Iterable[str]) -> None:
    """Import the clients `Mock.client` hands out, here in the main thread.

    Under pytest every sdcontracts module is assertion-rewritten when first imported (the
    plugin's distribution is), and CPython 3.11 can fail to compile two modules at once
    ("SystemError: AST constructor recursion depth mismatch"): a test whose threads each made
    their first client would hit it.
    """
    for provider in providers:
        importlib.import_module(f"sdcontracts.clients.{provider}")


class HttpMock:
    """A mock served over HTTP: its ``url``, the ``mock`` behind it, and clients that use HTTP."""

    def __init__(self, mock: Mock, url: str) -> None:
        self.mock = mock
        self.url = url
        self.journal = mock.journal

    def client(self, provider: str, **options: Any) -> Any:
        """A real client for ``provider`` pointed at this server (no in-process transport)."""
        return self.mock.client(provider, base_url=self.url, transport=None, **options)


@pytest.fixture
def sd_http_mock(sd_mock: Mock) -> Iterator[HttpMock]:
    """``sd_mock`` served on 127.0.0.1 at a free port, stopped when the test ends."""
    from .mock.asgi import BackgroundServer

    with BackgroundServer(sd_mock) as url:
        yield HttpMock(sd_mock, url)
