"""The sdcontracts pytest plugin: the provider mock as fixtures (registered by entry point).

    def test_generates(sd_mock):
        client = sd_mock.client("novita")               # a real NovitaClient, answered in-process
        task = client.generate(payload)
        assert 1 == sd_mock.journal.count("novita", "img2img")

    @pytest.mark.sd_mock(lifecycle="clock", rate_limits=True, providers=["tensorart"])
    def test_over_http(sd_http_mock):
        client = sd_http_mock.client("tensorart")       # talks HTTP to 127.0.0.1:<free port>

``sd_mock`` is an in-process `sdcontracts.mock.Mock` on a `ManualClock`; by default tasks advance
one phase per status query (``lifecycle="steps"``). Its clients (``sd_mock.client(…)`` and
``sd_http_mock.client(…)``) wait in mock time: every sleep of theirs (poll intervals, retry
backoff, ``Retry-After``) advances the clock instead of sleeping, so ``lifecycle="clock"`` tasks
finish and ``rate_limits=True`` windows pass as they wait, instantly. A client built any other way
waits in real time; move the clock yourself with ``sd_mock.clock.advance(2.0)`` (or ``POST
/_mock/clock/advance?seconds=2`` over HTTP). ``sd_http_mock`` serves that mock on a free loopback
port for the duration of the test and always stops it.

``sd_proxy`` starts `sdcontracts proxy` servers for the test, in front of ``sd_http_mock`` unless told
otherwise, and stops them when it ends::

    def test_refused_before_the_provider(sd_proxy, sd_http_mock):
        proxy = sd_proxy("novita", mode="enforce")      # ProxyApp options: mode, strict, budget, record…
        with pytest.raises(RequestRejected):
            proxy.client("novita").submit(bad_payload, validate=False)
        assert 0 == sd_http_mock.journal.count("novita", "img2img")

The ``sd_mock`` marker takes `MockConfig` settings as keywords (``providers`` as any list of ids,
``faults`` as `FaultRule` objects, dicts of their fields, or fault strings); the README lists them all.
Nothing is imported until a fixture is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .mock import Mock, MockConfig
    from .mock._clients import HttpMock
    from .proxy import BackgroundProxy

__all__ = ["HttpMock", "sd_http_mock", "sd_mock", "sd_mock_config", "sd_proxy"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "sd_mock(**settings): configure the sdcontracts mock fixtures with MockConfig settings "
        "(lifecycle, rate_limits, providers, faults, credentials, …)",
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


def __getattr__(name: str) -> Any:
    # HttpMock lives with the mock (importing it here would load the mock with the plugin, in every
    # pytest run of a project that has sdcontracts, with or without the mock extra)
    if name == "HttpMock":
        from .mock._clients import HttpMock

        return HttpMock
    raise AttributeError(name)


@pytest.fixture
def sd_http_mock(sd_mock: Mock) -> Iterator[HttpMock]:
    """``sd_mock`` served on 127.0.0.1 at a free port, stopped when the test ends."""
    from .mock._clients import HttpMock
    from .mock.asgi import BackgroundServer

    with BackgroundServer(sd_mock) as url:
        yield HttpMock(sd_mock, url)


@pytest.fixture
def sd_proxy(request: pytest.FixtureRequest) -> Iterator[Callable[..., BackgroundProxy]]:
    """Start proxies for this test: ``sd_proxy("novita", mode="report")`` serves one on a free loopback
    port in front of ``sd_http_mock`` (or of ``upstream="http://…"``) and returns it, started (its
    ``url``, its ``app``: metrics and counts, and, in front of the mock, ``client(provider)``); every
    proxy started is stopped when the test ends. Other keywords are `sdcontracts.proxy.ProxyApp`'s."""
    from .proxy import BackgroundProxy, create_app

    started: list[BackgroundProxy] = []

    def start(provider: str, *, upstream: str | None = None, **options: Any) -> BackgroundProxy:
        mock = None
        if upstream is None:
            served: HttpMock = request.getfixturevalue("sd_http_mock")
            upstream, mock = served.url, served.mock
        proxy = BackgroundProxy(create_app(provider, upstream=upstream, **options), mock=mock)
        proxy.start()
        started.append(proxy)
        return proxy

    try:
        yield start
    finally:
        for proxy in reversed(started):
            proxy.stop()
