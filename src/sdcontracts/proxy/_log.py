"""The proxy's log: one JSON object per line, on the ``sdcontracts.proxy`` logger.

A call is logged at INFO when it went as the contract says, at WARNING when a request broke it,
an answer drifted, the budget was spent or the upstream failed. Messages that may quote what a
caller sent are scrubbed of the credentials it carried (`sdcontracts._redact.scrub`), and no body or
header is ever logged.
"""

from __future__ import annotations

import json
import logging
from typing import Any

__all__ = ["enabled", "event", "logger"]

logger = logging.getLogger("sdcontracts.proxy")


def enabled(level: int) -> bool:
    return logger.isEnabledFor(level)


def event(level: int, **fields: Any) -> None:
    """Log ``fields`` as one JSON object (nothing is built when the level is off). Text is kept as
    it is, unless it holds a lone surrogate (a caller can send one, as ``"\\ud800"``): then the line
    is all ASCII escapes, which any handler can write (a lone surrogate is not UTF-8, and a handler
    writing it drops the line with a traceback)."""
    if logger.isEnabledFor(level):
        line = json.dumps(fields, ensure_ascii=False, default=str)
        if not line.isascii():
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:
                line = json.dumps(fields, default=str)
        logger.log(level, line)
