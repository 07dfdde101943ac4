"""``sdcontracts mock serve``: run the mock over HTTP until Ctrl-C."""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from sdcontracts._catalogue import provider_info

from ._app import Mock
from ._config import MockConfig, load_config, providers

__all__ = ["main"]


def endpoints(provider: str) -> str:
    """The provider's endpoints on one line, from provider.json (what the mock routes), e.g.
    ``POST /v3/async/img2img, GET /v3/async/task-result?task_id=``."""
    methods: dict[str, list[str]] = {}
    actions: dict[str, list[str]] = {}
    for operation in provider_info(provider)["operations"].values():
        query = [name for name, p in operation.get("parameters", {}).items() if p["in"] == "query"]
        path = operation["path"] + "".join(f"{'&' if i else '?'}{name}=" for i, name in enumerate(query))
        methods.setdefault(path, []).append(operation["method"])
        if "action" in operation:
            actions.setdefault(path, []).append(operation["action"])
    return ", ".join(
        f"{'|'.join(dict.fromkeys(verbs))} {path}"
        + (f" (Action {' | '.join(actions[path])})" if path in actions else "")
        for path, verbs in methods.items()
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sdcontracts mock serve",
        description="Serve the five providers' APIs from one local port, faithfully: their paths, auth, "
        "validation errors in each provider's own envelope, task lifecycles and real result images.",
        epilog="Faults per request: header X-Mock-Fault (latency=0.5, status=429; retry-after=2, status=503, "
        "truncate, malformed, drop, fail; drift from the response schema: rename=/task/status:state, "
        "retype=/task_id). Journal: GET /_mock/journal. Config file keys: see "
        "sdcontracts.mock.MockConfig.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8000, help="port (default 8000; 0 picks a free one)")
    parser.add_argument("--provider", action="append", choices=providers(), help="serve only these (repeatable)")
    parser.add_argument("--config", type=Path, help="a TOML or JSON file of MockConfig settings")
    parser.add_argument("--lifecycle", choices=("clock", "steps"), help="tasks advance with time (default) or per poll")
    parser.add_argument("--rate-limits", action=argparse.BooleanOptionalAction, default=None,
                        help="enforce the documented limits (Tensor.Art 5 QPS, Novita 10 images/min)")  # fmt: skip
    parser.add_argument("--strict", action=argparse.BooleanOptionalAction, default=None,
                        help="reject what the sources dispute too (default: accept it, with an "
                        "X-Sdcontracts-Warnings header and the warnings in the journal)")  # fmt: skip
    return parser


def build_config(args: argparse.Namespace) -> MockConfig:
    overrides = {
        "providers": tuple(args.provider) if args.provider else None,
        "lifecycle": args.lifecycle,
        "rate_limits": args.rate_limits,
        "strict": args.strict,
    }
    if args.config:
        return load_config(args.config, **overrides)
    return MockConfig(**{k: v for k, v in overrides.items() if v is not None})


def describe(mock: Mock, base: str, out: TextIO, files: dict[str, dict[str, Path]]) -> None:
    """Print what a user needs: base URLs, paths, the credentials the mock accepts and the files
    holding what a handler made for its clients (a private key), by provider."""
    out.write(f"sdcontracts mock serving {', '.join(mock.handlers)} at {base}\n")
    out.write(
        f"  lifecycle: {mock.config.lifecycle}; rate limits {'on' if mock.config.rate_limits else 'off'}; "
        f"{'strict: disputed values rejected' if mock.config.strict else 'disputed values accepted with warnings'}\n"
    )
    for provider in mock.handlers:
        credentials = ", ".join(f"{k}={v}" for k, v in mock.config.credentials[provider].items())
        out.write(f"  {provider:<9} base_url={base}  {endpoints(provider)}\n            credentials: {credentials}\n")
        for label, path in files.get(provider, {}).items():
            out.write(f"            {label}: {path}\n")
    out.write("Ctrl-C stops the server.\n")
    out.flush()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        import uvicorn

        from .asgi import create_app, server_config
    except ImportError:
        print("sdcontracts mock serve: error: the mock needs extras: pip install 'sdcontracts[mock]'", file=sys.stderr)
        return 2
    try:
        mock = Mock(build_config(args))
    except (OSError, ValueError) as error:
        print(f"sdcontracts mock serve: error: {error}", file=sys.stderr)
        return 2
    try:  # bind first: port 0 picks a free port, and the URL printed is the real one
        listener = socket.create_server((args.host, args.port), reuse_port=False)
    except OSError as error:
        print(f"sdcontracts mock serve: error: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    server = uvicorn.Server(server_config(create_app(mock)))
    for served in mock.handlers.values():
        served.warm()
    # What is built so far (schemas, compiled validators, handlers) lives as long as the server: frozen,
    # the collector's full passes walk only what requests made, not the thousands of objects behind it.
    gc.freeze()

    # Ctrl-C and SIGTERM ask the server to stop, whenever they arrive: before uvicorn has taken the
    # signals (while it starts), while it serves (it takes them, and hands them back here once it has
    # stopped), or after. Nothing is raised, so no signal lands in the middle of uvicorn's set-up, and
    # the `finally` below always removes the key file (the default SIGTERM handler would end the
    # process on the spot, leaving it behind).
    def stop(signum: int, frame: object) -> None:
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    scratch = None
    try:
        with listener:
            files: dict[str, dict[str, Path]] = {}
            for provider, served in mock.handlers.items():
                for label, text in served.secret_files().items():
                    scratch = scratch or Path(tempfile.mkdtemp(prefix="sdcontracts-mock-"))
                    path = scratch / f"{provider}-{len(files.get(provider, {}))}.pem"
                    path.write_text(text, encoding="utf-8")
                    os.chmod(path, 0o600)
                    files.setdefault(provider, {})[label] = path
            host, port = listener.getsockname()[:2]
            describe(mock, f"http://{host}:{port}", sys.stdout, files)
            server.run(sockets=[listener])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    print("sdcontracts mock stopped.")
    return 0


def _port(text: str) -> int:
    """A TCP port number for argparse: 0 to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0 to 65535; 0 picks a free one)")
    return port
