"""In-process adapters: the mock as an httpx transport (sync and async), and as a respx router."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from sdcontracts._registry import get as registered

from ._wire import MockRequest, MockResponse, url_path

__all__ = ["MockTransport", "router", "to_httpx"]

Answer = Callable[[MockRequest], MockResponse]  # `Mock.handle`: what the adapters serve


def from_httpx(request: httpx.Request) -> MockRequest:
    body = request.read()
    return MockRequest(
        method=request.method,
        path=url_path(request.url.path, request.url.raw_path.split(b"?")[0]),
        query=request.url.query.decode("ascii"),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
        base_url=f"{request.url.scheme}://{request.url.netloc.decode('ascii')}",
    )


def to_httpx(response: MockResponse, request: httpx.Request) -> httpx.Response:
    if response.drop:
        raise httpx.RemoteProtocolError("mock fault: the connection was dropped", request=request)
    return httpx.Response(response.status, headers=response.headers, content=response.body, request=request)


class MockTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Answers from a mock's ``handle``; works for ``httpx.Client`` and ``httpx.AsyncClient`` alike."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.answer(from_httpx(request))
        if response.delay:
            time.sleep(response.delay)
        return to_httpx(response, request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = self.answer(from_httpx(request))
        if response.delay:
            await asyncio.sleep(response.delay)
        return to_httpx(response, request)


def default_hosts(providers: Iterable[str]) -> tuple[str, ...]:
    """Every documented base URL of ``providers`` (templated ones excluded), and the mock's own."""
    urls = {"http://mock.sdcontracts.test"}
    for provider in providers:
        urls.update(u for u in registered(provider).base_urls.values() if "{" not in u)
    return tuple(sorted(urls))


def router(answer: Answer, base_urls: Iterable[str]) -> Any:
    """A respx router: ``with mock.router(): httpx.get("https://api.novita.ai/…")`` hits the mock."""
    import respx

    handler = MockTransport(answer)
    routes = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
    for base in base_urls:
        routes.route(url__startswith=base.rstrip("/")).mock(side_effect=handler.handle_request)
    return routes
