"""JSON text as sdcontracts writes it on the wire (client requests, signed bodies, the mock's answers),
and as the mock reads it.

Compact, non-ASCII as UTF-8, and a lone surrogate as the JSON escape it came in as: ``"\\ud800"`` is
valid JSON but not Unicode text, so a string holding one (parsed from such an escape) has no UTF-8
form. ``backslashreplace`` writes it as ``\\ud800``, which inside a JSON string (the only place a
surrogate can be) is that escape again; for text that encodes, the usual case, it costs nothing.

`parse_json` reads a body exactly as ``json.loads(body.decode("utf-8"))`` does (duplicate keys: the
last value, at the first key's place; integers of any size; ``NaN`` and ``Infinity``; lone
surrogates from their escapes), by orjson where that gives the same document: about 40% of json's
time for a typical request, half for a 700 KB one (bench/RESULTS.md, the mock). orjson refuses
NaN, a number that overflows to infinity, a lone surrogate and nesting past 1,024: json then reads
the body. It also reads an integer beyond 64 bits as a float, silently; such an integer has 19
digits or more, so json reads a body holding a run of 19 digits (a small body is scanned, one
``bytes.translate``), or, for a large one, where the document holds a float of at least 2**63 in
magnitude (a walk of its values: an image is one). tests/test_jsontext.py holds the readings equal,
value and type, on generated documents and texts, by either test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

__all__ = ["json_bytes", "parse_json", "tree_json_bytes"]

# one encoder for every call: json.dumps with options builds a new encoder each time
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_ENCODE = _ENCODER.encode


def json_bytes(document: Any) -> bytes:
    """``document`` as compact UTF-8 JSON, lone surrogates written as their escapes."""
    return _ENCODE(document).encode("utf-8", "backslashreplace")


def _tree_encoder() -> Callable[[Any], bytes]:
    make = json.encoder.c_make_encoder  # type: ignore[attr-defined]
    if make is None:  # pragma: no cover - CPython builds have the C encoder
        return json_bytes
    # the arguments JSONEncoder.iterencode gives it, but no circular-reference bookkeeping (markers None)
    encode = make(None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", False, False, True)

    def tree_json_bytes(document: Any) -> bytes:
        """`json_bytes` of a document that holds no cycles (literals and parsed JSON: the mock's
        answers), by one C encoder made once: `JSONEncoder.encode` makes a new one per call, which
        costs as much as encoding a small answer. The same bytes; a cycle would recurse until
        RecursionError rather than be reported as one."""
        return "".join(encode(document, 0)).encode("utf-8", "backslashreplace")

    return tree_json_bytes


tree_json_bytes = _tree_encoder()


def _orjson() -> Callable[[bytes], Any] | None:
    try:  # the mock extra brings orjson; without it, json reads every body
        from orjson import loads
    except ImportError:  # pragma: no cover - the test environment installs the extra
        return None
    return loads


_orjson_loads = _orjson()
_DIGITS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x2E for byte in range(256))  # a digit "0", else "."
_WIDE = b"0" * 19  # the fewest digits of an integer orjson cannot hold: -9223372036854775809
_SCAN_LIMIT = 16 * 1024  # bytes: a longer body is walked (a walk costs per value, a scan per byte)
_INT64 = float(2**63)  # a float this large may be an integer orjson could not hold


def parse_json(body: bytes) -> Any:
    """``json.loads(body.decode("utf-8"))``, the same document and the same errors
    (UnicodeDecodeError, ValueError, RecursionError), faster where orjson is installed."""
    if _orjson_loads is not None:
        try:
            document = _orjson_loads(body)
        except ValueError:  # orjson.JSONDecodeError: json says why, or reads what orjson refuses
            pass
        else:
            if len(body) <= _SCAN_LIMIT:
                if _WIDE not in body.translate(_DIGITS):
                    return document
            elif not _holds_large_float(document):
                return document
    return json.loads(body.decode("utf-8"))


def _holds_large_float(document: Any) -> bool:
    """Whether a float of at least 2**63 in magnitude is anywhere in ``document`` (iterative:
    orjson's depth limit bounds the nesting, but a loop costs less than recursion)."""
    stack = [document]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is dict:
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind is float and not -_INT64 < value < _INT64:
            return True
    return False
