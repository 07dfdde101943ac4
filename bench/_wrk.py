"""Load from wrk (when installed): the same requests as `_load`, from a C load generator.

Each body goes on its own line of a file a small Lua script reads; each request takes the next
body (wrap-around), so distinct Tensor.Art jobs stay distinct. wrk reports the request rate and
its latency distribution (``--latency``), parsed here into the numbers `_load` gives.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["WrkResult", "available", "version", "wrk_load"]

_SCRIPT = """
local bodies, headers, index = {}, {}, 0
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  for i = 3, #args, 2 do headers[args[i]] = args[i + 1] end
  method, path = "POST", args[2]
end
function request()
  index = index % #bodies + 1
  return wrk.format(method, path, headers, bodies[index])
end
"""
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass(frozen=True)
class WrkResult:
    rate: float  # requests per second
    p50: float  # seconds
    p99: float
    bad: int  # non-2xx/3xx answers
    errors: int  # socket errors (connect, read, write, timeout)


def available() -> bool:
    return shutil.which("wrk") is not None


def version() -> str:
    done = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return (done.stdout + done.stderr).split("[", 1)[0].strip() or "wrk"


def _seconds(text: str) -> float:
    number, unit = re.fullmatch(r"([0-9.]+)([a-z]+)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def wrk_load(url: str, path: str, headers: dict[str, str], bodies: list[bytes], *, seconds: float,
             connections: int = 32, cpu: int | None = None) -> WrkResult:  # fmt: skip
    """``bodies`` POSTed to ``url + path`` for ``seconds`` from one wrk thread."""
    with tempfile.TemporaryDirectory() as scratch:
        script, lines = Path(scratch) / "post.lua", Path(scratch) / "bodies"
        script.write_text(_SCRIPT, encoding="utf-8")
        lines.write_bytes(b"\n".join(body.replace(b"\n", b" ") for body in bodies) + b"\n")
        pairs = [part for name, value in headers.items() for part in (name, value)]
        duration = f"-d{max(1, round(seconds))}s"  # wrk takes whole seconds
        command = ["wrk", "-t1", f"-c{connections}", duration, "--latency", "-s", str(script), url,
                   "--", str(lines), path, *pairs]  # fmt: skip
        pin = (lambda: os.sched_setaffinity(0, {cpu})) if cpu is not None and hasattr(os, "sched_setaffinity") else None
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, preexec_fn=pin)
    out = done.stdout
    if done.returncode != 0 or "Requests/sec:" not in out:
        raise RuntimeError(f"wrk failed: {(done.stderr or out).strip()[:200]}")
    rate = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _seconds(re.search(r"\s50%\s+([0-9.]+[a-z]+)", out).group(1))  # type: ignore[union-attr]
    p99 = _seconds(re.search(r"\s99%\s+([0-9.]+[a-z]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return WrkResult(rate, p50, p99, int(bad.group(1)) if bad else 0,
                     sum(map(int, errors.groups())) if errors else 0)  # fmt: skip
