"""Where conformance cases go: the in-process mock, an HTTP mock, live endpoints, a cassette.

Live credentials come from the environment, one set per provider; a provider without them is
skipped, with the variable names in the reason:

    SDCONTRACTS_NOVITA_API_KEY             [SDCONTRACTS_NOVITA_BASE_URL]
    SDCONTRACTS_TENSORART_TOKEN            SDCONTRACTS_TENSORART_BASE_URL (each app has its own endpoint)
    SDCONTRACTS_PICPIK_PUBLIC_KEY          SDCONTRACTS_PICPIK_PRIVATE_KEY   [SDCONTRACTS_PICPIK_BASE_URL]
    SDCONTRACTS_ALIYUN_APP_KEY             SDCONTRACTS_ALIYUN_APP_SECRET    [SDCONTRACTS_ALIYUN_BASE_URL]
    SDCONTRACTS_ZHIQITE_ACCESS_KEY_ID      SDCONTRACTS_ZHIQITE_ACCESS_KEY_SECRET [SDCONTRACTS_ZHIQITE_BASE_URL]
    SDCONTRACTS_<PROVIDER>_PAYLOAD         optional JSON merged into every generated request (real model names…)

Every request to a target is counted against a budget; a live target's default is small, and
once it is spent nothing more is sent to that provider.
"""

from __future__ import annotations

import importlib
import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from .._catalogue import providers
from ..clients import Retry
from ..clients._base import SyncClient
from ._cassette import Cassette, ReplayTransport

__all__ = [
    "LIVE_BUDGET",
    "LIVE_CREDENTIALS",
    "BudgetExhausted",
    "Observer",
    "SharedBudget",
    "Target",
    "live_target",
    "mock_target",
    "replay_target",
    "target_from",
    "url_target",
]

LIVE_BUDGET = 20  # requests per provider, unless --budget says otherwise
LIVE_CREDENTIALS: dict[str, dict[str, str]] = {
    "novita": {"api_key": "SDCONTRACTS_NOVITA_API_KEY"},
    "tensorart": {"token": "SDCONTRACTS_TENSORART_TOKEN", "base_url": "SDCONTRACTS_TENSORART_BASE_URL"},
    "picpik": {"public_key": "SDCONTRACTS_PICPIK_PUBLIC_KEY", "private_key": "SDCONTRACTS_PICPIK_PRIVATE_KEY"},
    "aliyun": {"app_key": "SDCONTRACTS_ALIYUN_APP_KEY", "app_secret": "SDCONTRACTS_ALIYUN_APP_SECRET"},
    "zhiqite": {
        "access_key_id": "SDCONTRACTS_ZHIQITE_ACCESS_KEY_ID",
        "access_key_secret": "SDCONTRACTS_ZHIQITE_ACCESS_KEY_SECRET",
    },
}
_CLASSES = {"novita": "Novita", "tensorart": "TensorArt", "picpik": "Picpik", "aliyun": "Aliyun", "zhiqite": "Zhiqite"}

Observer = Callable[[str, httpx.Request, httpx.Response], None]  # (provider, request, response)


class BudgetExhausted(Exception):
    """The target's request budget for a provider is spent; nothing more is sent."""


class SharedBudget:
    """A request budget shared by processes (pytest-xdist workers): a count in a locked file.

    ``take(provider)`` spends one request, or returns False once ``limit`` are spent.
    """

    def __init__(self, directory: str | Path, limit: int) -> None:
        self.directory = Path(directory)
        self.limit = limit

    def take(self, provider: str) -> bool:
        import fcntl  # POSIX; the budget must hold across processes, so there is no fallback

        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / f"{provider}.budget", "a+", encoding="ascii") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            spent = int(handle.read() or 0)
            if spent >= self.limit:
                return False
            handle.seek(0)
            handle.truncate()
            handle.write(str(spent + 1))
            return True


class _Metered(httpx.BaseTransport):
    """Counts and caps the requests that reach the inner transport, and shows each exchange to
    the observers (the runner's per-case log, a cassette recorder)."""

    def __init__(self, provider: str, inner: httpx.BaseTransport, budget: int | None,
                 shared: SharedBudget | None = None) -> None:  # fmt: skip
        self.provider = provider
        self.inner = inner
        self.budget = budget
        self.shared = shared
        self.sent = 0
        self.observers: list[Observer] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            if self.budget is not None and self.sent >= self.budget:
                raise BudgetExhausted(f"the request budget of {self.budget} for {self.provider} is spent")
            if self.shared is not None and not self.shared.take(self.provider):
                raise BudgetExhausted(f"the shared request budget of {self.shared.limit} for {self.provider} is spent")
            self.sent += 1
        response = self.inner.handle_request(request)
        if self.observers:
            response.read()
            for observe in self.observers:
                observe(self.provider, request, response)
        return response

    def close(self) -> None:
        self.inner.close()


@dataclass
class Target:
    """A place to send cases: how to build a client for each provider, and what is checked there."""

    name: str
    is_mock: bool  # the mock names the broken rule in its errors; a provider need not
    credentials: dict[str, dict[str, Any]]
    base_urls: dict[str, str | None]
    transport: httpx.BaseTransport | Callable[[str], httpx.BaseTransport] | None = None  # None: real HTTP
    budget: int | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # provider -> why it is not run
    payload_overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    poll_interval: float = 0.0
    wait_timeout: float = 120.0
    cassette: Cassette | None = None  # what a replay target answers from
    shared_budget: SharedBudget | None = None  # a budget across processes, on top of ``budget``
    _meters: dict[str, _Metered] = field(default_factory=dict, repr=False)

    def client(self, provider: str, *, observers: tuple[Observer, ...] = ()) -> SyncClient:
        """A client for ``provider`` whose every request is metered against the budget."""
        if provider in self.skipped:
            raise RuntimeError(f"{provider} is not run on {self.name}: {self.skipped[provider]}")
        meter = self._meters.get(provider)
        if meter is None:
            if self.transport is None:
                inner: httpx.BaseTransport = httpx.HTTPTransport()
            elif isinstance(self.transport, httpx.BaseTransport):
                inner = self.transport
            else:
                inner = self.transport(provider)
            meter = self._meters[provider] = _Metered(provider, inner, self.budget, self.shared_budget)
        meter.observers = list(observers)
        module = importlib.import_module(f"sdcontracts.clients.{provider}")
        cls = getattr(module, f"{_CLASSES[provider]}Client")
        options: dict[str, Any] = {"transport": meter, "retry": Retry(attempts=2, backoff=0.05, jitter=False)}
        if self.base_urls.get(provider):
            options["base_url"] = self.base_urls[provider]
        client: SyncClient = cls(**self.credentials[provider], **options)
        return client

    def sent(self, provider: str) -> int:
        """Requests sent to ``provider`` so far."""
        meter = self._meters.get(provider)
        return meter.sent if meter else 0


def mock_target(*, budget: int | None = None, unenforced: Mapping[str, list[str]] | None = None) -> Target:
    """The in-process mock: every provider, tasks advancing one phase per poll, no network.

    ``unenforced`` (provider -> rule ids) makes the mock lax about those rules, like a provider
    that lets them slide; a run then reports each as a disagreement.
    """
    from ..mock import ManualClock, Mock, MockConfig

    lax = {p: list(rules) for p, rules in (unenforced or {}).items()}
    mock = Mock(MockConfig(lifecycle="steps", unenforced=lax), clock=ManualClock())
    credentials: dict[str, dict[str, Any]] = {p: mock.credentials(p) for p in mock.handlers}
    urls: dict[str, str | None] = {p: None for p in mock.handlers}
    lax_names = ", ".join(f"{p}:{r}" for p, rules in lax.items() for r in rules)
    name = "in-process mock" + (f" (not enforcing {lax_names})" if lax_names else "")
    return Target(name, True, credentials, urls, transport=mock.transport(), budget=budget)


def url_target(url: str, *, budget: int | None = None) -> Target:
    """An HTTP mock (``sdcontracts mock serve``) at ``url``, with its default credentials."""
    from ..mock import DEFAULT_CREDENTIALS

    credentials = {p: _token_auth(p, c) for p, c in DEFAULT_CREDENTIALS.items()}
    target = Target(url, True, credentials, {p: url.rstrip("/") for p in credentials}, budget=budget)
    target.poll_interval = 0.2
    return target


def _token_auth(provider: str, credentials: Mapping[str, Any]) -> dict[str, Any]:
    """Client arguments for the mock's default credentials (Tensor.Art by its Bearer token, as
    `Mock.credentials` gives it; the RSA signature scheme has its own tests)."""
    if provider == "tensorart":
        return {"token": credentials["token"]}
    return dict(credentials)


def live_target(env: Mapping[str, str] | None = None, *, budget: int = LIVE_BUDGET) -> Target:
    """The providers' real endpoints, for those whose credentials are in the environment."""
    env = os.environ if env is None else env
    credentials: dict[str, dict[str, Any]] = {}
    urls: dict[str, str | None] = {}
    skipped: dict[str, str] = {}
    overrides: dict[str, dict[str, Any]] = {}
    for provider, names in LIVE_CREDENTIALS.items():
        missing = [v for v in names.values() if not env.get(v)]
        if missing:
            skipped[provider] = f"no live credentials: set {', '.join(missing)}"
            continue
        credentials[provider] = {k: env[v] for k, v in names.items() if k != "base_url"}
        urls[provider] = env.get(names.get("base_url", f"SDCONTRACTS_{provider.upper()}_BASE_URL"))
        extra_name = f"SDCONTRACTS_{provider.upper()}_PAYLOAD"
        if env.get(extra_name):
            try:
                extra = json.loads(env[extra_name])
            except json.JSONDecodeError as error:
                raise ValueError(f"{extra_name} is not JSON: {error}") from None
            if not isinstance(extra, dict):
                raise ValueError(f"{extra_name} must be a JSON object, not {type(extra).__name__}")
            overrides[provider] = extra
    target = Target("live", False, credentials, urls, budget=budget, skipped=skipped, payload_overrides=overrides)
    target.poll_interval = 2.0
    target.wait_timeout = 600.0
    return target


def replay_target(path: str | Path) -> Target:
    """A recorded run, answered from its cassette: a live finding as an offline test."""
    cassette = Cassette.load(path)
    credentials = {p: _placeholder_credentials(p) for p in providers()}
    skipped = {p: "not in the cassette" for p in providers() if p not in cassette.interactions}
    urls = {p: cassette.base_urls.get(p) for p in providers()}
    target = Target(
        f"replay of {Path(path).name} ({cassette.target})",
        cassette.is_mock,
        credentials,
        urls,
        transport=lambda provider: ReplayTransport(cassette, provider),
        skipped=skipped,
    )
    target.cassette = cassette
    return target


def _placeholder_credentials(provider: str) -> dict[str, str]:
    """Credentials that satisfy a client's constructor; a replay never checks them."""
    return {name: "replay" for name in LIVE_CREDENTIALS[provider] if name != "base_url"}


def target_from(spec: str, *, budget: int | None = None, env: Mapping[str, str] | None = None,
                unenforced: Mapping[str, list[str]] | None = None) -> Target:  # fmt: skip
    """The target a ``--target`` value names: ``mock``, ``live``, ``replay:FILE`` or an HTTP URL.

    ``unenforced`` (provider -> rule ids) applies to ``mock`` only: see `mock_target`.
    """
    if unenforced and spec != "mock":
        raise ValueError("unenforced rules apply to the in-process mock (--target mock) only")
    if spec == "mock":
        return mock_target(budget=budget, unenforced=unenforced)
    if spec == "live":
        return live_target(env, budget=LIVE_BUDGET if budget is None else budget)
    if spec.startswith("replay:"):
        return replay_target(spec.removeprefix("replay:"))
    if spec.startswith(("http://", "https://")):
        return url_target(spec, budget=budget)
    raise ValueError(f"unknown target {spec!r}: use mock, live, replay:FILE or an http(s) URL of a running mock")
