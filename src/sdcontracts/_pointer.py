"""JSON Pointers (RFC 6901) and the dotted labels used in messages."""

from __future__ import annotations

from typing import Any

__all__ = ["join", "label", "parts", "resolve", "shown_key"]

_SHOWN = 60  # characters of a key a message shows; pointers always hold the whole key
_DEEPEST = 12  # levels a label spells out


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def join(base: str, *tokens: str | int) -> str:
    """Append reference tokens to a pointer: ``join("/a", "b/c", 0) == "/a/b~1c/0"``."""
    return base + "".join("/" + _escape(str(t)) for t in tokens)


def parts(pointer: str) -> list[str]:
    """Split a pointer into its unescaped tokens; ``""`` (the whole document) has none."""
    if not pointer:
        return []
    return [_unescape(t) for t in pointer[1:].split("/")]


def label(pointer: str) -> str:
    """A readable name for the value at ``pointer``: ``/request/loras/2/strength`` becomes
    ``request.loras[2].strength``; the whole document is ``the payload``."""
    tokens = parts(pointer)
    if len(tokens) > _DEEPEST:  # a value nested thousands deep: its first and last steps say enough
        head, tail = label(join("", *tokens[:8])), label(join("", "_", *tokens[-2:]))[1:]
        return f"{head}…{tail} ({len(tokens):,} levels deep)"
    out = ""
    for token in tokens:
        if token.isdigit() and out:
            out += f"[{token}]"
        else:
            out += ("." if out else "") + (token if len(token) <= _SHOWN else token[:_SHOWN] + "…")
    return out or "the payload"


def shown_key(key: str) -> str:
    """A key as messages quote it: its repr, cut short when a hostile payload makes it huge."""
    if len(key) <= _SHOWN:
        return repr(key)
    return f"{key[:_SHOWN]!r}… ({len(key):,} characters)"


def resolve(document: Any, pointer: str) -> Any:
    """The value at ``pointer`` in ``document``, or None where there is none (a missing key, an index
    past the end, a step into something that is neither object nor array)."""
    value = document
    for token in parts(pointer):
        if isinstance(value, dict):
            value = value.get(token)
        elif isinstance(value, list) and token.isdigit() and int(token) < len(value):
            value = value[int(token)]
        else:
            return None
    return value
