"""The floor: a bare Starlette endpoint on the mock's own server stack (uvicorn, uvloop,
httptools) that reads the JSON body, parses it and answers a fixed body. ``python -m bench._bare``
prints its URL and serves until killed."""

from __future__ import annotations

import json
import socket

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ANSWER = b'{"task_id":"00000000-0000-0000-0000-000000000000"}'


async def endpoint(request: Request) -> Response:
    json.loads(await request.body())
    return Response(ANSWER, media_type="application/json")


def create() -> Starlette:
    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["POST"])])


def main() -> None:
    app = create()
    listener = socket.create_server(("127.0.0.1", 0))
    host, port = listener.getsockname()[:2]
    print(f"serving at http://{host}:{port}", flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, loop="uvloop", http="httptools")
    uvicorn.Server(config).run(sockets=[listener])


if __name__ == "__main__":
    main()
