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
once it is spent nothing more is sent to that provider (`_budget` says how a run spends it).

Before a run sends anything, `Target.preflight` connects to each endpoint it will use (a TCP
connection, no request) and asks an HTTP mock for ``/_mock/health``: an unreachable target is
`TargetUnreachable`, one line, instead of a run of disagreements.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from .._catalogue import providers
from .._registry import ByProvider
from .._registry import get as registered
from ..clients import Retry, client_class
from ..clients._base import SyncClient
from ._cassette import Cassette, ReplayTransport

__all__ = [
    "LIVE_BUDGET",
    "LIVE_CREDENTIALS",
    "BudgetExhausted",
    "Observer",
    "SharedBudget",
    "Target",
    "TargetUnreachable",
    "live_target",
    "mock_target",
    "replay_target",
    "target_from",
    "url_target",
]

LIVE_BUDGET = 20  # requests per provider, unless --budget says otherwise
# provider -> credential -> the variable a live run reads it from (SDCONTRACTS_<ID>_<CREDENTIAL>, its profile's)
LIVE_CREDENTIALS: Mapping[str, dict[str, str]] = ByProvider(lambda spec: spec.live_credentials)
_CONNECT_TIMEOUT = 5.0  # seconds a preflight waits for a connection or a health answer

Observer = Callable[[str, httpx.Request, httpx.Response], None]  # (provider, request, response)


class BudgetExhausted(Exception):
    """The target's request budget for a provider is spent; nothing more is sent."""


class TargetUnreachable(Exception):
    """The target cannot be reached or is not what it claims to be; nothing was sent. One line."""


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
    max_poll_interval: float | None = None  # polls back off up to this (see SyncClient.wait)
    polls: int = 3  # status queries a task is expected to take here (budget plans only)
    wait_timeout: float = 120.0
    cassette: Cassette | None = None  # what a replay target answers from
    shared_budget: SharedBudget | None = None  # a budget across processes, on top of ``budget``
    health_url: str | None = None  # an HTTP mock's /_mock/health, asked by `preflight`
    strict: bool = False  # cases and verdicts read every source at its strictest (warnings are errors)
    _meters: dict[str, _Metered] = field(default_factory=dict, repr=False)

    def preflight(self, chosen: Iterable[str]) -> None:
        """Check, without sending a request, that each endpoint ``chosen`` providers use accepts
        connections; an HTTP mock must also answer ``/_mock/health`` as one (the providers it does
        not serve are then skipped, and its lifecycle sets `polls`). Raises `TargetUnreachable`."""
        if self.transport is not None:  # in-process, or answered from a cassette
            return
        if self.health_url is not None:
            self._ask_health(self.health_url)
        seen: set[tuple[str, int]] = set()
        for provider in chosen:
            if provider in self.skipped:
                continue
            url = self.base_urls.get(provider) or registered(provider).base_url
            address = _address(url)
            if address not in seen:
                seen.add(address)
                _connect(address, url, provider if self.health_url is None else None)

    def _ask_health(self, url: str) -> None:
        base = url.removesuffix("/_mock/health")
        try:
            answer = httpx.get(url, timeout=_CONNECT_TIMEOUT)
        except httpx.HTTPError as error:
            raise TargetUnreachable(f"cannot connect to {base}: {_reason(error)}; is `sdcontracts mock serve` "
                                    "running there?") from None  # fmt: skip
        try:
            health = answer.json() if answer.status_code == 200 else None
        except ValueError:
            health = None
        if not isinstance(health, dict) or not isinstance(health.get("providers"), list):
            raise TargetUnreachable(
                f"{base} does not answer as `sdcontracts mock serve` (GET /_mock/health: HTTP {answer.status_code}); "
                "for a provider's own endpoint use --target live with SDCONTRACTS_<PROVIDER>_BASE_URL"
            )
        for provider in providers():
            if provider not in health["providers"]:
                self.skipped.setdefault(provider, f"the mock at {base} does not serve it")
        if health.get("lifecycle") == "steps":
            self.polls = 3
        else:
            seconds = [
                value for name in ("queue_seconds", "run_seconds") if isinstance(value := health.get(name), int | float)
            ]
            if len(seconds) == 2:
                self.polls = expected_polls(float(sum(seconds)), self.poll_interval, self.max_poll_interval)

    def client(self, provider: str, *, observers: tuple[Observer, ...] = ()) -> SyncClient[Any]:
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
        cls = client_class(provider)
        options: dict[str, Any] = {"transport": meter, "retry": Retry(attempts=2, backoff=0.05, jitter=False)}
        if self.base_urls.get(provider):
            options["base_url"] = self.base_urls[provider]
        client: SyncClient[Any] = cls(**self.credentials[provider], **options)
        return client

    def sent(self, provider: str) -> int:
        """Requests sent to ``provider`` so far."""
        meter = self._meters.get(provider)
        return meter.sent if meter else 0


def expected_polls(duration: float, first: float, most: float | None) -> int:
    """Status queries until a task of ``duration`` seconds is seen done, polling after ``first``
    seconds and then at doubling intervals up to ``most`` (fixed intervals when None)."""
    elapsed, interval, polls = 0.0, max(first, 1e-3), 1
    while elapsed < duration and polls < 1000:
        elapsed += interval
        polls += 1
        if most is not None:
            interval = min(interval * 2, most)
    return polls


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetUnreachable(f"{url!r} is not an http(s) URL with a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetUnreachable(f"{url!r} has an invalid port") from None
    return parts.hostname, port


def _connect(address: tuple[str, int], url: str, provider: str | None) -> None:
    """Open and close a TCP connection to ``address``: no request is sent."""
    try:
        with socket.create_connection(address, timeout=_CONNECT_TIMEOUT):
            pass
    except OSError as error:
        whose = f" ({provider})" if provider else ""
        raise TargetUnreachable(f"cannot connect to {url}{whose}: {_reason(error)}; nothing was sent") from None


def _reason(error: BaseException) -> str:
    """A connection failure in a few words (found anywhere in the chain of causes httpx keeps)."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return "the host name does not resolve"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, TimeoutError | httpx.TimeoutException):
            return f"no answer within {_CONNECT_TIMEOUT:g} s"
        cause = cause.__cause__ or cause.__context__
    return str(error) or type(error).__name__


def mock_target(
    *, budget: int | None = None, unenforced: Mapping[str, list[str]] | None = None, strict: bool = False
) -> Target:
    """The in-process mock: every provider, tasks advancing one phase per poll, no network.

    ``unenforced`` (provider -> rule ids) makes the mock lax about those rules, like a provider
    that lets them slide; a run then reports each as a disagreement. ``strict``: the mock rejects
    what only a disputed reading of the docs rejects, as `MockConfig.strict`.
    """
    from ..mock import ManualClock, Mock, MockConfig

    lax = {p: list(rules) for p, rules in (unenforced or {}).items()}
    mock = Mock(MockConfig(lifecycle="steps", unenforced=lax, strict=strict), clock=ManualClock())
    credentials: dict[str, dict[str, Any]] = {p: mock.credentials(p) for p in mock.handlers}
    urls: dict[str, str | None] = {p: None for p in mock.handlers}
    lax_names = ", ".join(f"{p}:{r}" for p, rules in lax.items() for r in rules)
    name = "in-process mock" + (f" (not enforcing {lax_names})" if lax_names else "") + (" (strict)" if strict else "")
    # polls: a steps-lifecycle task is queued at its first status query, running at the second, done at the third
    return Target(name, True, credentials, urls, transport=mock.transport(), budget=budget, polls=3, strict=strict)


def url_target(url: str, *, budget: int | None = None) -> Target:
    """An HTTP mock (``sdcontracts mock serve``) at ``url``, with its default credentials."""
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"{url!r} has no host: give the mock's address, e.g. http://127.0.0.1:8000")
    base = url.rstrip("/")
    # each provider's default credential set, as `Mock.credentials` gives it (Tensor.Art's RSA has its own tests)
    credentials: dict[str, dict[str, Any]] = {
        p: {name: spec.profile.credentials[name] for name in spec.profile.credential_sets["default"]}
        for p in providers()
        for spec in [registered(p)]
    }
    target = Target(url, True, credentials, {p: base for p in credentials}, budget=budget)
    target.poll_interval, target.max_poll_interval = 0.25, 2.0
    target.polls = expected_polls(3.0, 0.25, 2.0)  # the default clock lifecycle; preflight reads the real one
    target.health_url = f"{base}/_mock/health"
    return target


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
    # polls back off from 2 s to 30 s: a task of half a minute (a guess; providers vary) takes 5
    target.poll_interval, target.max_poll_interval = 2.0, 30.0
    target.polls = expected_polls(30.0, 2.0, 30.0)
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
        budget=cassette.budget,  # the recorded run stopped where its budget did: so does the replay
        polls=cassette.polls,
    )
    target.cassette = cassette
    return target


def _placeholder_credentials(provider: str) -> dict[str, str]:
    """Credentials that satisfy a client's constructor; a replay never checks them."""
    return {name: "replay" for name in LIVE_CREDENTIALS[provider] if name != "base_url"}


def target_from(spec: str, *, budget: int | None = None, env: Mapping[str, str] | None = None,
                unenforced: Mapping[str, list[str]] | None = None, strict: bool = False) -> Target:  # fmt: skip
    """The target a ``--target`` value names: ``mock``, ``live``, ``replay:FILE`` or an HTTP URL.

    ``unenforced`` (provider -> rule ids) applies to ``mock`` only: see `mock_target`. ``strict``:
    the cases are the strict profile, and a disputed value must be rejected (the in-process mock
    is made strict; a served mock must be started with ``--strict``).
    """
    if unenforced and spec != "mock":
        raise ValueError("unenforced rules apply to the in-process mock (--target mock) only")
    if spec == "mock":
        return mock_target(budget=budget, unenforced=unenforced, strict=strict)
    if spec == "live":
        target = live_target(env, budget=LIVE_BUDGET if budget is None else budget)
    elif spec.startswith("replay:"):
        target = replay_target(spec.removeprefix("replay:"))
    elif spec.startswith(("http://", "https://")):
        target = url_target(spec, budget=budget)
    else:
        raise ValueError(f"unknown target {spec!r}: use mock, live, replay:FILE or an http(s) URL of a running mock")
    target.strict = strict
    return target
