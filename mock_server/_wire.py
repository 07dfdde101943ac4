"""The small values the mock's handlers take and return: no framework types cross this line."""

from __future__ import annotations

from dataclasses import dataclass, field
from random import getrandbits
from typing import Any
from urllib.parse import parse_qs, unquote

from sdcontracts._jsontext import tree_json_bytes

__all__ = ["MockRequest", "MockResponse", "json_response", "new_uuid", "url_path"]


@dataclass(slots=True)
class MockRequest:
    """One HTTP request as the handlers see it. Header names are lower-case.

    A value to read, not to change (``warnings`` aside). Not a frozen dataclass: one is made per
    request, and a frozen one costs four times as much to make (2 µs, every field set through
    ``object.__setattr__``)."""

    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    base_url: str = "http://127.0.0.1:8000"  # how the client reached us: image and upload URLs point here
    oversized: bool = False  # the body was longer than max_body_bytes; ``body`` holds only its start
    incomplete: bool = False  # the body did not arrive within body_timeout; ``body`` holds what did
    # what validating the body warned about (disputed values accepted), for the journal and the
    # X-Sdcontracts-Warnings header: "[rule] pointer (dispute id)"; the one field the handler adds to
    warnings: list[str] = field(default_factory=list, compare=False)

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    @property
    def params(self) -> dict[str, str]:
        """Query parameters (the last value wins)."""
        return {k: v[-1] for k, v in parse_qs(self.query, keep_blank_values=True).items()}

    @property
    def target(self) -> str:
        """The path with its query string, as a signature covers it."""
        return f"{self.path}?{self.query}" if self.query else self.path


@dataclass(slots=True)
class MockResponse:
    """What a handler answers; ``delay`` and ``drop`` are faults the adapters carry out."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    drop: bool = False  # close the connection without a complete response
    operation: str = ""  # for the journal
    provider: str = ""
    task_id: str | None = None


_JSON = "application/json; charset=utf-8"


def json_response(status: int, document: Any, headers: dict[str, str] | None = None) -> MockResponse:
    # a lone surrogate a request smuggled in as "\ud800" goes back out as that same escape; an answer
    # is built of literals and parsed JSON, never a cycle
    body = tree_json_bytes(document)
    return MockResponse(status, body, {"content-type": _JSON, **headers} if headers else {"content-type": _JSON})


def new_uuid() -> str:
    """A random (version 4) UUID in its usual text form, as ``str(uuid.uuid4())`` gives, at a
    fraction of its cost: the mock makes one per task. Its bits come from `random` (reseeded in a
    forked child), not the OS: a task id must be unique, not secret, and ``os.urandom`` is a system
    call per id."""
    # version 4 in the 13th digit; the RFC 4122 variant (top bits 10) in the 17th
    h = "%032x" % (getrandbits(128) & _CLEAR | _SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


_CLEAR = ~((0xF << 76) | (0x3 << 62))  # the version digit, the variant's two top bits
_SET = (0x4 << 76) | (0x2 << 62)


def url_path(decoded: str, raw: bytes) -> str:
    """The request path, percent escapes decoded as UTF-8 as servers decode them, except that an
    escaped lone surrogate (a task id a client chose can hold one, and the mock's image URLs escape it
    as ``%ED%A0%80``) is kept rather than replaced by U+FFFD. ``decoded`` is the server's reading,
    ``raw`` the path as sent; the usual path, with no U+FFFD, costs one ``in``."""
    if "\ufffd" not in decoded:
        return decoded
    try:
        return unquote(raw.decode("latin-1"), errors="surrogatepass")
    except UnicodeDecodeError:  # bytes that are not UTF-8 at all: the server's U+FFFD stands
        return decoded
