"""hypothesis-jsonschema as a baseline, in a side environment (see ``hjs-requirements.txt``).

`rate` builds ``.venv/bench-hjs`` on first use, then runs `_hjs_worker` there on a schema file's
JSON and returns examples per second, or None and the reason it could not be measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sdcontracts._catalogue import raw_schema

__all__ = ["rate"]

_HERE = Path(__file__).resolve().parent
_VENV = _HERE.parent / ".venv" / "bench-hjs"
_PYTHON = _VENV / "bin" / "python"


def _environment() -> str | None:
    """Build the side environment once; the reason when that fails."""
    if _PYTHON.exists():
        return None
    try:
        subprocess.run([sys.executable, "-m", "venv", str(_VENV)], check=True, capture_output=True, timeout=120)
        subprocess.run(
            [
                str(_PYTHON),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                "-r",
                str(_HERE / "hjs-requirements.txt"),
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return f"unavailable: could not build its environment ({error})"
    return None


def rate(provider: str, schema: str, *, seconds: float) -> tuple[float | None, str]:
    """Examples per second from ``from_schema`` on the schema file, and a note (health check, errors)."""
    problem = _environment()
    if problem is not None:
        return None, problem
    try:
        finished = subprocess.run(
            [str(_PYTHON), str(_HERE / "_hjs_worker.py"), str(seconds)],
            input=json.dumps(raw_schema(provider, schema)),
            capture_output=True,
            text=True,
            timeout=seconds * 4 + 120,
        )
    except subprocess.TimeoutExpired:
        return None, "did not finish in time"
    lines = finished.stdout.strip().splitlines()
    if finished.returncode != 0 or not lines:
        last = (finished.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"failed: {last[:160]}"
    answer = json.loads(lines[-1])
    return answer["rate"], answer["note"]
