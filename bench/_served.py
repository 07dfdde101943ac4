"""``python -m bench.costs --server``: a whole server process counted per request, the HTTP mock
beside the bare endpoint, so that the timed bench's "share of the bare endpoint's rate" has a
counterpart that does not move between runs.

Each server (``sdcontracts mock serve`` as bench/mock.py starts it, and `bench._bare`) runs under
callgrind with instrumentation off; the requests bench/mock.py sends (Novita submits, distinct
Tensor.Art jobs naming two uploaded images) are sent over keep-alive connections, ``warm`` of them
uncounted (enough to fill the mock's task store, as a long-running server's is), then ``calls``
counted: the event loop, HTTP parsing, the application and the answer's write, everything the
process does per request. The cache simulated is a core's L1 and a last-level cache of ``cache_kib``:
1 MiB is this machine's L2 per core, held alone; at 512 KiB the mock's working set no longer fits
it, as on a host whose other work shares the caches. The timed share falls lower still on this
shared host, and moves from run to run; the counted one does not.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["SERVERS", "Answers", "drive", "measure_server", "read_answer"]

SERVERS = ("bare", "mock")
_LENGTH = re.compile(rb"^content-length:[ \t]*([0-9]+)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_START_TIMEOUT = 300.0  # seconds: Python under valgrind starts in tens of seconds


@dataclass
class Answers:
    """What the server answered: every answer read whole, those that were not 2xx counted."""

    read: int = 0
    failed: int = 0
    first_failure: bytes = b""


def read_answer(connection: socket.socket, buffered: bytes = b"") -> tuple[int, bytes, bytes]:
    """One HTTP/1.1 answer read whole from a keep-alive connection: its status, its head, and what
    arrived after it. Only Content-Length framing: both servers always send one."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection before answering")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = _LENGTH.search(head)
    if length is None:
        raise ConnectionError(f"an answer without Content-Length: {head[:200]!r}")
    size = int(length.group(1))
    while len(rest) < size:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection in the middle of an answer")
        rest += chunk
    return int(head.split(b" ", 2)[1]), head, rest[size:]


def drive(url: str, requests: list[bytes], count: int, *, connections: int = 8, start: int = 0) -> Answers:
    """Send ``count`` of ``requests`` (raw HTTP, cycled from ``start``) over ``connections``
    keep-alive connections, a request on each in turn and then every answer (the server sees
    several requests at once, as under load), and read every answer whole."""
    host, port = url.split("://", 1)[1].rsplit(":", 1)
    answers = Answers()
    sockets = [socket.create_connection((host, int(port)), timeout=600) for _ in range(connections)]
    leftovers = [b""] * connections
    try:
        sent = 0
        while sent < count:
            wave = min(connections, count - sent)
            for index in range(wave):
                sockets[index].sendall(requests[(start + sent + index) % len(requests)])
            for index in range(wave):
                status, head, leftovers[index] = read_answer(sockets[index], leftovers[index])
                answers.read += 1
                if not 200 <= status < 300:
                    answers.failed += 1
                    answers.first_failure = answers.first_failure or head
            sent += wave
    finally:
        for connection in sockets:
            connection.close()
    return answers


@contextmanager
def _counted_server(server: str, out: str, cache_kib: int) -> Iterator[tuple[int, str]]:
    """The server under callgrind (instrumentation off until asked): its pid and URL."""
    from .costs import _CACHES
    from .mock import _command, _process

    caches = [*_CACHES[:2], f"--LL={cache_kib * 1024},8,64"]
    command = ["valgrind", "--tool=callgrind", "--cache-sim=yes", *caches, "--instr-atstart=no",
               f"--callgrind-out-file={out}", *_command(server)]  # fmt: skip
    # a fixed hash seed: the same dict and set orders, so the same counts, on every run
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    with _process(command, "serving", timeout=_START_TIMEOUT, env=environment) as (process, url):
        yield process.pid, url


def _control(pid: int, *arguments: str) -> None:
    done = subprocess.run(["callgrind_control", *arguments, str(pid)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"callgrind_control {' '.join(arguments)} failed: {(done.stderr or done.stdout)[:300]}")


def _traffic(server: str, provider: str, url: str, total: int) -> list[bytes]:
    """The raw requests bench/mock.py sends this server (Tensor.Art's images uploaded first)."""
    from .mock import _traffic_for

    traffic = _traffic_for(server, provider, url, total)
    return traffic.raw(url.split("://", 1)[1], traffic.bodies)


def measure_server(server: str, provider: str, *, calls: int, warm: int, cache_kib: int) -> tuple[float, float, float]:
    """Per request: instructions, L1 misses and last-level misses of the whole ``server`` process
    answering ``calls`` of ``provider``'s requests after ``warm`` uncounted ones."""
    from .costs import parse_totals

    if shutil.which("callgrind_control") is None:
        raise RuntimeError("callgrind_control is not installed (it comes with valgrind)")
    with tempfile.TemporaryDirectory() as scratch:
        out = os.path.join(scratch, "callgrind.out")
        with _counted_server(server, out, cache_kib) as (pid, url):
            requests = _traffic(server, provider, url, warm + calls)
            answers = drive(url, requests, warm)
            _control(pid, "--zero")
            _control(pid, "--instr=on")
            counted = drive(url, requests, calls, start=warm)
            _control(pid, "--dump")
            _control(pid, "--instr=off")
        for answered in (answers, counted):
            if answered.failed:
                head = answered.first_failure.decode("latin-1").splitlines()[0]
                raise RuntimeError(f"{server} answered {answered.failed} {provider} requests with errors ({head})")
        dumps = [name for name in os.listdir(scratch) if name.startswith("callgrind.out.")]
        if not dumps:
            raise RuntimeError(f"callgrind wrote no dump for {server}")
        with open(os.path.join(scratch, sorted(dumps)[0])) as counted_file:
            cost = parse_totals(counted_file.read(), calls)
    return cost.instructions, cost.l1_misses, cost.ll_misses
