"""JSON text as sdcontracts writes it on the wire (client requests, signed bodies, the mock's answers).

Compact, non-ASCII as UTF-8, and a lone surrogate as the JSON escape it came in as: ``"\\ud800"`` is
valid JSON but not Unicode text, so a string holding one (parsed from such an escape) has no UTF-8
form. ``backslashreplace`` writes it as ``\\ud800``, which inside a JSON string (the only place a
surrogate can be) is that escape again; for text that encodes, the usual case, it costs nothing.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["json_bytes"]

# one encoder for every call: json.dumps with options builds a new encoder each time
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def json_bytes(document: Any) -> bytes:
    """``document`` as compact UTF-8 JSON, lone surrogates written as their escapes."""
    return _ENCODE(document).encode("utf-8", "backslashreplace")
