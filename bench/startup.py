"""Start-up: what ``import sdcontracts`` and the first ``validate()`` cost a fresh process.

Each figure comes from fresh interpreters, several rounds, beside its baseline from the same
run: ``python -c pass`` for the import (the interpreter's own start-up), and the warm (second)
call for the first ``validate()`` of each provider (the cold call compiles the schema for both
engines and builds the rules).

Targets: ``python -c "import sdcontracts"`` under 150 ms; the first validation under 50 ms.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass

import sdcontracts

from . import payloads
from ._stats import Sample

__all__ = ["Startup", "run"]

_FIRST_CALL = """
import json, sys, time
import sdcontracts
payload = json.loads(sys.stdin.read())
started = time.perf_counter(); sdcontracts.validate({provider!r}, payload); cold = time.perf_counter() - started
started = time.perf_counter(); sdcontracts.validate({provider!r}, payload); warm = time.perf_counter() - started
print(json.dumps([cold, warm]))
"""


@dataclass(frozen=True)
class Startup:
    bare: Sample  # seconds, `python -c pass`
    imported: Sample  # seconds, `python -c "import sdcontracts"`
    first: dict[str, tuple[Sample, Sample]]  # provider -> (cold first call, warm second call)


def _wall(code: str, rounds: int) -> Sample:
    values = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        values.append(time.perf_counter() - started)
    return Sample(tuple(values))


def run(*, quick: bool = False) -> Startup:
    rounds = 5 if quick else 15
    _wall("pass", 2)  # warm the file cache
    bare = _wall("pass", rounds)
    imported = _wall("import sdcontracts", rounds)
    first = {}
    for provider in sdcontracts.providers():
        colds, warms = [], []
        body = json.dumps(payloads.typical(provider))
        for _ in range(max(3, rounds // 3)):
            answer = subprocess.run(
                [sys.executable, "-c", _FIRST_CALL.format(provider=provider)],
                input=body,
                capture_output=True,
                text=True,
                check=True,
            )
            cold, warm = json.loads(answer.stdout)
            colds.append(cold)
            warms.append(warm)
        first[provider] = (Sample(tuple(colds)), Sample(tuple(warms)))
    return Startup(bare, imported, first)
