"""Fault injection: per request with the ``X-Mock-Fault`` header, or by configuration.

Syntax: faults separated by ``;``, each ``name`` or ``name=value``::

    X-Mock-Fault: latency=0.5             answer after 0.5 s
    X-Mock-Fault: status=429; retry-after=2
    X-Mock-Fault: status=503              (also 500, 502, 504: the provider's own error shape)
    X-Mock-Fault: truncate                cut the JSON body in half
    X-Mock-Fault: malformed               answer with a body that is not JSON
    X-Mock-Fault: drop                    close the connection without a complete response
    X-Mock-Fault: fail                    accept the task, but let it end in failure
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Fault", "FaultError", "parse_faults"]

NAMES = frozenset({"latency", "status", "retry-after", "truncate", "malformed", "drop", "fail"})


class FaultError(ValueError):
    """An X-Mock-Fault value the mock cannot carry out."""


@dataclass(frozen=True, slots=True)
class Fault:
    latency: float = 0.0
    status: int | None = None
    retry_after: float | None = None
    truncate: bool = False
    malformed: bool = False
    drop: bool = False
    fail: bool = False

    def __bool__(self) -> bool:
        return self != Fault()


def parse_faults(value: str) -> Fault:
    """Parse an X-Mock-Fault value; an unknown fault or a bad number is a FaultError."""
    settings: dict[str, str] = {}
    for part in value.split(";"):
        name, _, argument = part.strip().partition("=")
        name = name.strip().lower()
        if not name:
            continue
        if name not in NAMES:
            raise FaultError(f"unknown fault {name!r} (known: {', '.join(sorted(NAMES))})")
        settings[name] = argument.strip()
    try:
        status = int(settings["status"]) if "status" in settings else None
        fault = Fault(
            latency=float(settings.get("latency") or 0.0),
            status=status,
            retry_after=float(settings["retry-after"]) if settings.get("retry-after") else None,
            truncate="truncate" in settings,
            malformed="malformed" in settings,
            drop="drop" in settings,
            fail="fail" in settings,
        )
    except ValueError:
        raise FaultError(f"fault value {value!r} has a bad number") from None
    if fault.status is not None and not 400 <= fault.status <= 599:
        raise FaultError(f"status={fault.status}: faults inject 4xx or 5xx statuses")
    if not 0 <= fault.latency <= 60:
        raise FaultError("latency must be between 0 and 60 seconds")
    if fault.retry_after is not None and not 0 <= fault.retry_after <= 3600:  # NaN and infinity too
        raise FaultError("retry-after must be between 0 and 3600 seconds")
    return fault
