"""Cassettes: a conformance run's traffic, recorded with credentials redacted, replayed offline.

``sdcontracts conformance --target live --record run.json`` writes every exchange, per provider
and in order, with the seed and case count that produced them. ``--target replay:run.json``
regenerates the same cases and answers each request with the recorded response, so what a live
provider did becomes a permanent offline test. Replay checks that each request is the one
recorded (method and path; bodies hold fresh ids and signatures, so they are not compared).
A run that its budget stopped replays under the same budget, in the same order (`_budget`), so
the replay stops where the recording did and prints the same table.

Format (JSON)::

    {"sdcontracts_cassette": 1, "target": "live", "is_mock": false, "seed": 7, "examples": 10,
     "budget": 20, "polls": 5, "providers": ["novita"], "base_urls": {"novita": "https://api.novita.ai"},
     "interactions": {"novita": [{"request": {"method": "POST", "url": "...", "headers": {...},
                                              "body": {...}},
                                  "response": {"status": 200, "headers": {...},
                                               "json": {...} | "text": "..." | "base64": "..."}}]}}

A proxy's recording (``sdcontracts proxy --record``) is a cassette with ``"target": "proxy"`` whose
entries also hold what the proxy found (``"proxy": {"operation", "outcome", "violations", …}``); it
has no generated cases to replay, so ``conformance --target replay:`` judges its traffic instead
(`sdcontracts.proxy` documents how).
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from .._redact import redact_body, redact_headers, scrub, sent_credentials

__all__ = ["Cassette", "ReplayMismatch", "ReplayTransport"]

FORMAT = 1
_KEPT_RESPONSE_HEADERS = ("content-type", "retry-after", "x-ca-error-code", "x-ca-error-message", "location")


class ReplayMismatch(Exception):
    """A replayed run sent a request the cassette does not have next (the code or cases changed)."""


@dataclass
class Cassette:
    """Recorded exchanges per provider, and the run parameters that reproduce them."""

    target: str
    is_mock: bool
    seed: int
    examples: int
    providers: list[str]
    budget: int | None = None  # requests per provider the recorded run could send
    polls: int = 3  # the status queries its budget plan expected per task
    base_urls: dict[str, str] = field(default_factory=dict)
    interactions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    # -- recording -----------------------------------------------------------------------------

    def record(self, provider: str, request: httpx.Request, response: httpx.Response,
               verdict: dict[str, Any] | None = None) -> None:  # fmt: skip
        """Add one exchange (an `Observer` for `Target.client`); credentials never reach the file.
        ``verdict``: what the proxy found (`sdcontracts.proxy`), kept as the entry's ``"proxy"``."""
        # a credential may also ride where no schema marks it secret (a body field, the query), and an
        # answer may quote it: every occurrence of one the request carried is redacted
        echoed = sent_credentials(request.headers.items(), request.content)
        entry = {
            "request": scrub(_request_entry(request), echoed),
            "response": scrub(_response_entry(response), echoed),
        }
        if verdict is not None:
            entry["proxy"] = scrub(verdict, echoed)
        with self._lock:
            self.interactions.setdefault(provider, []).append(entry)
            parts = urlsplit(str(request.url))
            self.base_urls.setdefault(provider, f"{parts.scheme}://{parts.netloc}")

    def save(self, path: str | Path) -> None:
        document = {
            "sdcontracts_cassette": FORMAT,
            "target": self.target,
            "is_mock": self.is_mock,
            "seed": self.seed,
            "examples": self.examples,
            "budget": self.budget,
            "polls": self.polls,
            "providers": self.providers,
            "base_urls": self.base_urls,
            "interactions": self.interactions,
        }
        Path(path).write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Cassette:
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"no cassette at {path}") from None
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not a cassette (not JSON: {error})") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"cannot read the cassette {path}: {error}") from None
        except RecursionError:
            raise ValueError(f"{path} is not a cassette (nested too deeply)") from None
        if not isinstance(document, dict) or document.get("sdcontracts_cassette") != FORMAT:
            raise ValueError(f"{path} is not an sdcontracts cassette (format {FORMAT})")
        try:
            return cls._from(document)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(
                f"{path} is not a complete sdcontracts cassette ({type(error).__name__}: {error})"
            ) from None

    @classmethod
    def _from(cls, document: dict[str, Any]) -> Cassette:
        return cls(
            target=str(document["target"]),
            is_mock=bool(document["is_mock"]),
            seed=int(document["seed"]),
            examples=int(document["examples"]),
            budget=None if document.get("budget") is None else int(document["budget"]),
            polls=int(document.get("polls", 3)),
            providers=list(document["providers"]),
            base_urls=dict(document.get("base_urls", {})),
            interactions={p: list(v) for p, v in document["interactions"].items()},
        )


def _request_entry(request: httpx.Request) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "method": request.method,
        "url": str(request.url),
        "headers": redact_headers(request.headers.items()),
    }
    if request.content:
        try:
            entry["body"] = redact_body(json.loads(request.content), shorten=256)
        except (ValueError, RecursionError):
            entry["body_bytes"] = len(request.content)  # an image upload: its size is enough
    return entry


def _response_entry(response: httpx.Response) -> dict[str, Any]:
    headers = {k: v for k, v in response.headers.items() if k.lower() in _KEPT_RESPONSE_HEADERS}
    entry: dict[str, Any] = {"status": response.status_code, "headers": headers}
    content = response.content
    if not content:
        return entry
    kind = response.headers.get("content-type", "")
    if "json" in kind:
        try:
            entry["json"] = json.loads(content)
            return entry
        except ValueError:
            pass
    if kind.startswith("text/"):
        entry["text"] = content.decode("utf-8", "replace")
    else:
        entry["base64"] = base64.b64encode(content).decode("ascii")
    return entry


class ReplayTransport(httpx.BaseTransport):
    """Answers one provider's requests with its recorded responses, in order."""

    def __init__(self, cassette: Cassette, provider: str) -> None:
        self.provider = provider
        self.entries = cassette.interactions.get(provider, [])
        self.used = 0
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            index = self.used
            if index >= len(self.entries):
                raise ReplayMismatch(
                    f"{self.provider}: the cassette's {len(self.entries)} exchanges are used up; "
                    f"{request.method} {request.url.path} was not recorded"
                )
            self.used += 1
        wanted = self.entries[index]["request"]
        recorded_path = urlsplit(wanted["url"]).path
        if (wanted["method"], recorded_path) != (request.method, request.url.path):
            raise ReplayMismatch(
                f"{self.provider} exchange {index}: recorded {wanted['method']} {recorded_path}, sent "
                f"{request.method} {request.url.path} (the cases or the client changed since recording)"
            )
        answer = self.entries[index]["response"]
        content = b""
        if "json" in answer:
            content = json.dumps(answer["json"], ensure_ascii=False).encode("utf-8")
        elif "text" in answer:
            content = answer["text"].encode("utf-8")
        elif "base64" in answer:
            content = base64.b64decode(answer["base64"])
        return httpx.Response(answer["status"], headers=answer["headers"], content=content, request=request)
