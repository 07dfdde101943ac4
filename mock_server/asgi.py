"""The mock over real HTTP: an ASGI app (Starlette) and a background server for tests.

    uvicorn "sdcontracts.mock.asgi:app" --port 8000        # all providers, default settings
    sdcontracts mock serve --port 8000                      # the same, with credentials printed

The app reads each body up to ``max_body_bytes``, for at most ``body_timeout`` seconds (a longer
or slower body is answered with the provider's 4xx without waiting for the rest, and the
connection is closed), calls `Mock.handle`, and carries out the latency and dropped-connection
faults. A client that sends half a request holds only its own connection: the event loop serves
everyone else meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ._app import Mock
from ._wire import MockRequest

__all__ = ["BackgroundServer", "create_app", "serving"]  # and `app`, built on first access

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


class _Dropped(Response):
    """Announce a body, send part of it, stop: the server closes the connection mid-response."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]})
        with contextlib.suppress(RuntimeError):  # "shorter than Content-Length": that is the point
            await send({"type": "http.response.body", "body": b'{"truncated":', "more_body": False})


class _QuietDrops(logging.Filter):
    """uvicorn reports the incomplete response a drop fault leaves; it was intended."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


def create_app(mock: Mock | None = None) -> Starlette:
    """An ASGI app serving ``mock`` (a fresh default `Mock` when None)."""
    state = mock or Mock()
    limit = state.config.max_body_bytes
    timeout = state.config.body_timeout

    async def endpoint(request: Request) -> Response:
        chunks: list[bytes] = []
        size = 0
        oversized = incomplete = False
        try:
            async with asyncio.timeout(timeout):  # the whole body, not each read: a trickle is slow too
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > limit:
                        oversized = True
                        break
                    chunks.append(chunk)
        except TimeoutError:
            incomplete = True
        except ClientDisconnect:  # gone mid-body: nobody is left to answer
            return Response(status_code=400)
        incoming = MockRequest(
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            headers={k.lower(): v for k, v in request.headers.items()},
            body=b"".join(chunks),
            base_url=str(request.base_url).rstrip("/"),
            oversized=oversized,
            incomplete=incomplete,
        )
        answer = state.handle(incoming)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.drop:
            return _Dropped()
        if oversized or incomplete:  # the rest of the body may still be coming: end the connection
            answer.headers["connection"] = "close"
        return Response(answer.body, status_code=answer.status, headers=answer.headers)

    application = Starlette(routes=[Route("/{path:path}", endpoint, methods=METHODS)])
    application.state.mock = state
    return application


def __getattr__(name: str) -> Any:
    # `uvicorn sdcontracts.mock.asgi:app` builds the default mock on first use, not at import.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)


class BackgroundServer:
    """uvicorn serving a mock on 127.0.0.1 in a thread: ``with BackgroundServer(mock) as url: …``.

    The socket is bound before the thread starts (port 0 picks a free one), so there is no race
    for the port; leaving the block stops the server and joins the thread.
    """

    def __init__(self, mock: Mock | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        self.mock = mock or Mock()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        config = uvicorn.Config(create_app(self.mock), log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        self._thread.start()
        for _ in range(500):
            if self._server.started:
                return self.url
            if not self._thread.is_alive():
                break
            threading.Event().wait(0.01)
        raise RuntimeError("the mock server did not start")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        with contextlib.suppress(OSError):
            self._socket.close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def serving(mock: Mock | None = None) -> Iterator[BackgroundServer]:
    """Run a mock over HTTP for the duration of a block."""
    server = BackgroundServer(mock)
    server.start()
    try:
        yield server
    finally:
        server.stop()
