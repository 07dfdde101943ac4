"""Run by `_hjs` in the side environment: ``python _hjs_worker.py SECONDS < schema.json``.

Prints one JSON line, ``{"rate": examples per second, "note": …}``. The health checks run
first, as a user's test would run them; the timed run then suppresses them, so a schema that
fails one is still measured, and the note says which check failed.
"""

import contextlib
import json
import sys
import time

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import FailedHealthCheck
from hypothesis_jsonschema import from_schema


class _Enough(Exception):
    pass


def _generate(strategy, seconds, checks):
    count = 0
    started = time.perf_counter()

    @hypothesis_seed(2026)
    @settings(
        max_examples=10**9,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=[] if checks else list(HealthCheck),
    )
    @given(strategy)
    def test(value):
        nonlocal count
        count += 1
        if time.perf_counter() - started > seconds:
            raise _Enough

    with contextlib.suppress(_Enough):
        test()
    return count, time.perf_counter() - started


def main():
    seconds = float(sys.argv[1])
    strategy = from_schema(json.load(sys.stdin))
    note = "health checks pass"
    try:
        _generate(strategy, min(seconds, 5.0), checks=True)
    except FailedHealthCheck as error:
        first = str(error).strip().splitlines()[0]
        note = f"fails a health check: {first[:120]}"
    count, elapsed = _generate(strategy, seconds, checks=False)
    print(json.dumps({"rate": count / elapsed, "note": note}))


if __name__ == "__main__":
    main()
