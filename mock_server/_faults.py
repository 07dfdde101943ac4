"""Fault injection: per request with the ``X-Mock-Fault`` header, or by configuration.

Syntax: faults separated by ``;``, each ``name`` or ``name=value``::

    X-Mock-Fault: latency=0.5             answer after 0.5 s
    X-Mock-Fault: status=429; retry-after=2
    X-Mock-Fault: status=503              (also 500, 502, 504: the provider's own error shape)
    X-Mock-Fault: truncate                cut the JSON body in half
    X-Mock-Fault: malformed               answer with a body that is not JSON
    X-Mock-Fault: drop                    close the connection without a complete response
    X-Mock-Fault: fail                    accept the task, but let it end in failure
    X-Mock-Fault: rename=/task/status:state   answer with that field renamed (a new field, a missing one)
    X-Mock-Fault: retype=/task_id         answer with that field's value of another JSON type

``rename`` and ``retype`` make the answer drift from the provider's response schema, as a provider
changing its API would: they take a JSON Pointer (RFC 6901) into the answer the mock would give,
and change nothing when the answer has no value there (an error answer, say). ``retype`` turns a
string into the number 0, and any other value into its JSON text as a string.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sdcontracts._jsontext import json_bytes
from sdcontracts._pointer import parts

__all__ = ["NO_FAULT", "Fault", "FaultError", "drift", "parse_faults"]

NAMES = frozenset({"latency", "status", "retry-after", "truncate", "malformed", "drop", "fail", "rename", "retype"})


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
    rename: tuple[str, str] | None = None  # (JSON Pointer, new name)
    retype: str | None = None  # JSON Pointer

    def __bool__(self) -> bool:
        return self is not NO_FAULT and self != NO_FAULT


NO_FAULT = Fault()  # what almost every request carries: one shared instance (a Fault is frozen)


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
            rename=_renaming(settings["rename"]) if "rename" in settings else None,
            retype=_pointer("retype", settings["retype"]) if "retype" in settings else None,
        )
    except FaultError:
        raise
    except ValueError:
        raise FaultError(f"fault value {value!r} has a bad number") from None
    if fault.status is not None and not 400 <= fault.status <= 599:
        raise FaultError(f"status={fault.status}: faults inject 4xx or 5xx statuses")
    if not 0 <= fault.latency <= 60:
        raise FaultError("latency must be between 0 and 60 seconds")
    if fault.retry_after is not None and not 0 <= fault.retry_after <= 3600:  # NaN and infinity too
        raise FaultError("retry-after must be between 0 and 3600 seconds")
    return fault


def _pointer(name: str, value: str) -> str:
    if not value.startswith("/"):
        raise FaultError(f"{name}={value!r}: give a JSON Pointer into the answer, e.g. {name}=/task_id")
    return value


def _renaming(value: str) -> tuple[str, str]:
    pointer, colon, new = value.rpartition(":")
    if not (colon and new and pointer.startswith("/")):
        raise FaultError(
            f"rename={value!r}: give a JSON Pointer into the answer and the new name, e.g. rename=/task/status:state"
        )
    return pointer, new


def drift(body: bytes, fault: Fault) -> bytes:
    """The answer ``body`` with the fault's ``rename`` and ``retype`` carried out (unchanged when it
    is not JSON, or has no value at a pointer)."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return body
    changed = False
    if fault.rename is not None:
        pointer, new = fault.rename
        parent, key = _parent(document, pointer)
        if isinstance(parent, dict) and key in parent:
            # the renamed field keeps its place: a reader that shows the answer sees it where it was
            items = [(new if name == key else name, value) for name, value in parent.items()]
            parent.clear()
            parent.update(items)
            changed = True
    if fault.retype is not None:
        parent, key = _parent(document, fault.retype)
        index: Any = key
        if isinstance(parent, list) and key.isdigit() and int(key) < len(parent):
            index = int(key)
        elif not (isinstance(parent, dict) and key in parent):
            parent = None
        if parent is not None:
            value = parent[index]
            parent[index] = 0 if isinstance(value, str) else json.dumps(value)
            changed = True
    return json_bytes(document) if changed else body


def _parent(document: Any, pointer: str) -> tuple[Any, str]:
    """The container holding the value at ``pointer``, and its key there (None when there is none)."""
    *steps, last = parts(pointer)
    node = document
    for step in steps:
        if isinstance(node, dict):
            node = node.get(step)
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return None, last
    return node, last
