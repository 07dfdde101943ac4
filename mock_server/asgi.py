"""The mock over real HTTP: a plain ASGI application and a background server for tests.

    sdcontracts mock serve --port 8000                      # all providers, credentials printed
    uvicorn "sdcontracts.mock.asgi:app" --port 8000        # the same, on uvicorn's own HTTP protocol

`mock serve`, `BackgroundServer` and `server_config` serve it with `MockHttpProtocol`
(``_protocol``): uvicorn's httptools protocol with the request head limited to 16 KiB and no
executed request losing its answer to bytes that follow it.

`MockApp` reads each body up to ``max_body_bytes``, for at most ``body_timeout`` seconds (a longer
or slower body is answered with the provider's 4xx without waiting for the rest, and the
connection is closed), calls `Mock.handle`, and carries out the latency and dropped-connection
faults. Under `MockHttpProtocol`, a request that arrived whole is answered by
`MockApp.answer_now` without an ASGI task (the protocol's direct path); any other server calls the
ASGI application, with the same answers. A client that sends half a request holds only its own
connection: the event loop serves everyone else meanwhile.

It is a bare ASGI callable, not a framework app: the mock routes every request itself (every
method and path reaches it, even one a route pattern could not match), so a framework's router,
middleware and request objects would only add their cost to each request; the benchmarks
measure the mock against a bare Starlette endpoint on the same server stack. Any ASGI server or
client takes it: uvicorn, httpx's ASGITransport, Schemathesis, Starlette's TestClient.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

from ._app import Mock
from ._wire import MockRequest, MockResponse, url_path

if TYPE_CHECKING:
    import uvicorn

__all__ = [
    "BackgroundServer",
    "BodyReader",
    "MockApp",
    "ServerThread",
    "create_app",
    "lifespan",
    "server_config",
    "serving",
]  # and `app`, built on first access

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _QuietDrops(logging.Filter):
    """uvicorn reports the incomplete response a drop fault leaves; it was intended."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


class _Deadlines:
    """The requests of one event loop still reading their bodies and when they must be done,
    watched by one timer.

    A timer per request (``asyncio.timeout``) costs more than the rest of the ASGI adapter; this
    costs two dict operations per request, and one check of the pending reads every quarter of
    the timeout (at most a second): a read past its deadline is cancelled, and `expired` tells
    that cancellation from any other.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.loop = loop
        self.timeout = timeout
        self.interval = min(1.0, timeout / 4)
        self.reading: dict[asyncio.Task[Any], float] = {}
        self.expired: set[asyncio.Task[Any]] = set()
        self._timer: asyncio.TimerHandle | None = None

    def start(self, task: asyncio.Task[Any]) -> None:
        self.reading[task] = self.loop.time() + self.timeout
        if self._timer is None:
            self._timer = self.loop.call_later(self.interval, self._check)

    def done(self, task: asyncio.Task[Any]) -> bool:
        """Stop watching ``task``; True when its read was cancelled for being late."""
        self.reading.pop(task, None)
        if task in self.expired:
            self.expired.discard(task)
            return True
        return False

    def _check(self) -> None:
        now = self.loop.time()
        for task, deadline in list(self.reading.items()):
            if deadline <= now and task not in self.expired:
                self.expired.add(task)
                task.cancel()
        self._timer = self.loop.call_later(self.interval, self._check) if self.reading else None


class BodyReader:
    """Request bodies read up to ``limit`` bytes, for at most ``timeout`` seconds: the mock's, and the
    proxy's (`sdcontracts.proxy`). One reader serves any number of event loops."""

    def __init__(self, limit: int, timeout: float) -> None:
        self.limit = limit
        self.timeout = timeout
        # per event loop: one app may serve several (test servers, ASGI transports in asyncio.run)
        self._deadlines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Deadlines] = weakref.WeakKeyDictionary()
        self._last: tuple[weakref.ref[asyncio.AbstractEventLoop], _Deadlines] | None = None

    async def read(self, receive: Receive) -> tuple[bytes, bool, bool] | None:
        """``(body, oversized, incomplete)``, or None when the client disconnected first (nobody is
        left to answer). An oversized body holds its first ``limit`` bytes (the rest is not read), an
        incomplete one what arrived in time."""
        chunks: list[bytes] = []  # the body as it arrives: what came is kept if the rest does not
        oversized = incomplete = False
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        assert task is not None
        deadlines = self._deadlines_of(loop)
        deadlines.start(task)  # the whole body, not each read: a trickle is slow too
        try:
            size, limit = 0, self.limit  # the reading loop inline, not a coroutine of its own: every request runs it
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None  # nobody is left to answer
                chunk = message.get("body", b"")
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    oversized = True  # the rest is not read
                    break
                if not message.get("more_body", False):
                    break
        except asyncio.CancelledError:
            if not deadlines.done(task):
                raise  # not ours: the server is stopping
            task.uncancel()
            incomplete = True
        finally:  # whatever ended the read (done() again is a no-op): no entry outlives its request
            deadlines.done(task)
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        return (body[: self.limit] if oversized else body), oversized, incomplete

    def _deadlines_of(self, loop: asyncio.AbstractEventLoop) -> _Deadlines:
        """The loop's watch over its reads; the last loop's is kept at hand (almost always the one
        asked for: a server runs one loop), behind a weak reference like the rest."""
        last = self._last
        if last is not None and last[0]() is loop:
            return last[1]
        deadlines = self._deadlines.get(loop)
        if deadlines is None:
            deadlines = self._deadlines[loop] = _Deadlines(loop, self.timeout)
        self._last = (weakref.ref(loop), deadlines)
        return deadlines


async def lifespan(receive: Receive, send: Send, startup: Callable[[], Awaitable[None]] | None = None,
                   shutdown: Callable[[], Awaitable[None]] | None = None) -> None:  # fmt: skip
    """Answer an ASGI lifespan scope, running ``startup`` and ``shutdown`` when given."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            if startup is not None:
                await startup()
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            if shutdown is not None:
                await shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return


class MockApp:
    """The mock as an ASGI application: ``MockApp(mock)``; ``.mock`` is the state it serves."""

    def __init__(self, mock: Mock | None = None) -> None:
        self.mock = mock or Mock()
        self._bodies = BodyReader(self.mock.config.max_body_bytes, self.mock.config.body_timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":  # nothing to start or stop: the state lives in `mock`
            await lifespan(receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    def answer_now(self, scope: Scope, body: bytes, *, forwarded: bool = True) -> MockResponse | None:
        """The answer to a request whose whole body has arrived, given at once without an ASGI task
        (`MockHttpProtocol` asks for it), or None when it must take the ASGI path: a body over
        ``max_body_bytes``, a fault that may be asked for (a latency or a dropped connection needs
        the event loop), or (``forwarded`` False: uvicorn's proxy-headers middleware would rewrite
        the scope from them) X-Forwarded-For or X-Forwarded-Proto."""
        if len(body) > self._bodies.limit:
            return None
        headers = _headers(scope)
        if self.mock.may_fault(headers) or (
            not forwarded and ("x-forwarded-for" in headers or "x-forwarded-proto" in headers)
        ):
            return None
        return self.mock.handle(_request(scope, headers, body, False, False))

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        read = await self._bodies.read(receive)
        if read is None:
            return
        body, oversized, incomplete = read
        answer = self.mock.handle(_request(scope, _headers(scope), body, oversized, incomplete))
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.drop:  # announce a body, send part of it, stop: the server closes the connection
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]})
            with contextlib.suppress(RuntimeError):  # "shorter than Content-Length": that is the point
                await send({"type": "http.response.body", "body": b'{"truncated":', "more_body": False})
            return
        raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers.items()]
        if "content-length" not in answer.headers:  # it is there for HEAD: the length of the GET answer
            raw.append((b"content-length", str(len(answer.body)).encode("latin-1")))
        if oversized or incomplete:  # the rest of the body may still be coming: end the connection
            raw.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": answer.status, "headers": raw})
        await send({"type": "http.response.body", "body": answer.body})


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}


def _request(scope: Scope, headers: dict[str, str], body: bytes, oversized: bool, incomplete: bool) -> MockRequest:
    return MockRequest(
        scope["method"], url_path(scope["path"], scope.get("raw_path") or b""),
        scope.get("query_string", b"").decode("latin-1"), headers, body, _base_url(scope, headers.get("host")),
        oversized, incomplete,
    )  # fmt: skip


def _base_url(scope: Scope, host: str | None) -> str:
    """How the client reached us (image and upload URLs point here): scheme, Host, root path."""
    if host is None:
        server = scope.get("server")
        host = f"{server[0]}:{server[1]}" if server else "localhost"
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}"


def server_config(app: ASGIApp, **options: Any) -> uvicorn.Config:
    """uvicorn's settings for serving the mock: its HTTP protocol (`MockHttpProtocol`: a bounded head,
    no lost answers), uvloop when installed, quiet logs; ``options`` go to ``uvicorn.Config``."""
    import uvicorn

    from ._protocol import MockHttpProtocol

    options = {"log_level": "warning", "access_log": False, **options}
    return uvicorn.Config(app, http=MockHttpProtocol, **options)


def create_app(mock: Mock | None = None) -> MockApp:
    """An ASGI app serving ``mock`` (a fresh default `Mock` when None)."""
    return MockApp(mock)


def __getattr__(name: str) -> Any:
    # `uvicorn sdcontracts.mock.asgi:app` builds the default mock on first use, not at import.
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)


class ServerThread:
    """uvicorn serving an ASGI app on 127.0.0.1 in a thread: ``with ServerThread(app) as url: …``.

    The socket is bound before the thread starts (port 0 picks a free one), so there is no race
    for the port; leaving the block stops the server and joins the thread. ``options`` go to
    `server_config`.
    """

    name = "the server"

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        import uvicorn

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        self._server = uvicorn.Server(server_config(app, **options))
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
        raise RuntimeError(f"{self.name} did not start")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        with contextlib.suppress(OSError):
            self._socket.close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class BackgroundServer(ServerThread):
    """A mock served over HTTP in a thread: ``with BackgroundServer(mock) as url: …`` (see `ServerThread`)."""

    name = "the mock server"

    def __init__(self, mock: Mock | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.mock = mock or Mock()
        super().__init__(create_app(self.mock), host=host, port=port, lifespan="off")


@contextlib.contextmanager
def serving(mock: Mock | None = None) -> Iterator[BackgroundServer]:
    """Run a mock over HTTP for the duration of a block."""
    server = BackgroundServer(mock)
    server.start()
    try:
        yield server
    finally:
        server.stop()
