"""``sdcontracts proxy PROVIDER --upstream URL``: serve the proxy until Ctrl-C; `create_app` and
`BackgroundProxy` for Python.

It is served as the mock is (`sdcontracts.mock.asgi.server_config`): uvicorn with the mock's HTTP
protocol (a request head bounded to 16 KiB, no executed request losing its answer to garbage after
it), uvloop when installed; without uvicorn's own ``Date`` and ``Server`` headers, so that the
upstream's come back as it sent them.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Any, TextIO
from urllib.parse import urlsplit

from .._catalogue import providers
from .._extras import MissingExtra, require
from ..mock import Mock
from ..mock._clients import ClientMaker, HttpMock
from ..mock._serve import _port, endpoints
from ..mock.asgi import ServerThread, server_config
from ._app import MIB, MODES, ProxyApp

__all__ = ["BackgroundProxy", "create_app", "main", "parser"]

# the proxy reads no client address or scheme: uvicorn's X-Forwarded-* rewriting is a cost for nothing
_SERVER = {"server_header": False, "date_header": False, "proxy_headers": False}


def create_app(provider: str, *, upstream: str, **options: Any) -> ProxyApp:
    """The proxy for ``provider`` in front of ``upstream`` as an ASGI app; ``options`` are `ProxyApp`'s
    (``mode``, ``strict``, ``budget``, ``record``, ``timeout``, ``max_body_bytes``, ``body_timeout``,
    ``max_answer_bytes``, ``connections``, ``transport``)."""
    return ProxyApp(provider, upstream=upstream, **options)


class BackgroundProxy(ServerThread, ClientMaker):
    """A proxy served on 127.0.0.1 in a thread: ``with BackgroundProxy(app) as url: …``; leaving the
    block stops it, closing its upstream connections and writing its recording.

    In front of a mock (``mock=`` the `Mock` its upstream serves), ``proxy.client("novita")`` is a
    client of the proxy with the mock's credentials (see `ClientMaker`).
    """

    name = "the proxy"

    def __init__(self, app: ProxyApp, *, mock: Mock | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.mock = mock
        super().__init__(app, host=host, port=port, lifespan="on", **_SERVER)

    def _client(self, provider: str, asynchronous: bool, rsa: bool, options: dict[str, Any]) -> Any:
        if provider != self.app.provider:
            raise ValueError(f"this proxy stands in front of {self.app.provider}, not {provider}")
        if self.mock is None:
            raise ValueError("the proxy knows no credentials: build the client yourself, with base_url=proxy.url")
        return HttpMock(self.mock, self.url)._client(provider, asynchronous, rsa, options)


# -- the command -------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    commands = argparse.ArgumentParser(
        prog="sdcontracts proxy",
        description="Put the contract in front of a provider: a reverse proxy that validates every request "
        "as the provider receives it, answers a broken one in the provider's own error shape (enforce mode) "
        "or forwards everything and reports (report mode), forwards the rest byte for byte (signatures still "
        "verify; the proxy needs no credentials), and checks every answer for drift from the response schemas.",
        epilog="modes:\n"
        "  enforce   a request breaking the contract is answered by the proxy, in the provider's error shape and\n"
        "            status, and never forwarded; one with warnings only (disputed values) is forwarded, the\n"
        "            disputes named in its answer's X-Sdcontracts-Warnings header (--strict: refused too)\n"
        "  report    everything is forwarded; what breaks the contract is logged and counted\n\n"
        "endpoints of the proxy itself:\n"
        "  GET /_proxy/metrics   Prometheus text: sdcontracts_proxy_requests_total{provider,operation,outcome},\n"
        "                        _rejections_total{rule}, _warnings_total{dispute}, _drift_total{path,rule},\n"
        "                        _upstream_seconds (histogram), _upstream_calls_total, _budget_remaining\n"
        "  GET /_proxy/health    JSON: provider, upstream, mode, upstream calls made, budget\n\n"
        "Each call is logged to stderr as one JSON line (credentials never). An upstream that refuses, times\n"
        "out, resets or garbles its answer is the provider's 5xx shape (502; 504 for time). Nothing is kept\n"
        "between calls but the recording and the budget's count: run as many replicas as you like behind a\n"
        "load balancer (each has its own --budget and its own --record file).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands.add_argument("provider", metavar="PROVIDER", choices=providers(), help=f"one of {', '.join(providers())}")
    commands.add_argument(
        "--upstream",
        required=True,
        metavar="URL",
        help="the provider's base URL (e.g. https://api.novita.ai, or a `mock serve` URL)",
    )
    commands.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    commands.add_argument("--port", type=_port, default=8080, help="port (default 8080; 0 picks a free one)")
    commands.add_argument(
        "--mode",
        choices=MODES,
        default="enforce",
        help="enforce (default): refuse what breaks the contract; report: forward everything",
    )
    commands.add_argument("--strict", action="store_true", help="treat warnings (values the sources dispute) as errors")
    commands.add_argument(
        "--record",
        metavar="FILE",
        help="write the exchanges (credentials redacted) as a cassette; `sdcontracts conformance "
        "--target replay:FILE` judges the provider by it",
    )
    commands.add_argument(
        "--budget",
        type=_count,
        metavar="N",
        help="forward at most N calls, then answer with the provider's rate-limit error",
    )
    commands.add_argument(
        "--timeout",
        type=_seconds,
        default=30.0,
        metavar="S",
        help="the longest an upstream call may take, from waiting for a free connection to the last byte of its "
        "answer (default 30); past it the caller gets the provider's error with HTTP 504",
    )
    commands.add_argument(
        "--max-body-bytes",
        type=_count,
        default=64 * MIB,
        metavar="N",
        help="larger request bodies are refused unread (default 64 MiB, as the mock)",
    )
    commands.add_argument(
        "--connections",
        type=_count,
        default=100,
        metavar="N",
        help="most upstream connections at once, kept alive for reuse (default 100)",
    )
    commands.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default="info",
        help="info (default): a line per call; warning: only calls that broke the contract, drifted or failed",
    )
    return commands


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = parser().parse_args(argv)
    out = out or sys.stdout
    try:
        require("uvicorn", "sdcontracts proxy")
        require("prometheus_client", "sdcontracts proxy (its metrics)")
        require("httptools", "sdcontracts proxy (its upstream connections)")
        import uvicorn
    except MissingExtra as error:
        print(f"sdcontracts proxy: error: {error}", file=sys.stderr)
        return 2
    try:
        app = create_app(
            args.provider,
            upstream=args.upstream,
            mode=args.mode,
            strict=args.strict,
            budget=args.budget,
            record=args.record,
            timeout=args.timeout,
            max_body_bytes=args.max_body_bytes,
            connections=args.connections,
        )
    except ValueError as error:
        print(f"sdcontracts proxy: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"sdcontracts proxy: error: --record {args.record}: cannot write there ({error.strerror or error})",
            file=sys.stderr,
        )
        return 2
    try:  # bind first: port 0 picks a free port, and the URL printed is the real one
        listener = socket.create_server((args.host, args.port), reuse_port=False)
    except OSError as error:
        print(f"sdcontracts proxy: error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    _log_to_stderr(args.log_level)
    server = uvicorn.Server(server_config(app, **_SERVER))

    def stop(signum: int, frame: object) -> None:  # as `mock serve`: whenever they arrive, nothing raised
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with listener:
            host, port = listener.getsockname()[:2]
            _describe(app, f"http://{host}:{port}", out)
            server.run(sockets=[listener])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    out.write("sdcontracts proxy stopped.\n")
    return 0


def _describe(app: ProxyApp, base: str, out: TextIO) -> None:
    strict = ", strict" if app.strict else ""
    out.write(f"sdcontracts proxy: {app.provider} ({app.mode} mode{strict}) at {base} -> {app.upstream}\n")
    out.write(f"  operations: {endpoints(app.provider)}\n")
    out.write(f"  metrics: {base}/_proxy/metrics  health: {base}/_proxy/health\n")
    if app.budget is not None:
        out.write(f"  budget: {app.budget} upstream calls\n")
    if app.recorder is not None:
        out.write(
            f"  recording to {app.recorder.path} (replay: sdcontracts conformance --target "
            f"replay:{app.recorder.path})\n"
        )
    reachable = _reachable(app.upstream)
    if reachable is not None:
        out.write(
            f"  warning: the upstream does not accept connections now ({reachable}); calls are answered 502 "
            "until it does\n"
        )
    out.write("Ctrl-C stops the proxy.\n")
    out.flush()


def _reachable(url: str) -> str | None:
    """None when ``url``'s host accepts a TCP connection now, else why not (nothing is sent)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=2.0):
            return None
    except OSError as error:
        return error.strerror or str(error) or type(error).__name__


def _log_to_stderr(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("sdcontracts.proxy")
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 3600 seconds, not {text}")
    return value
