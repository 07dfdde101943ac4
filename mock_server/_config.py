"""Mock configuration: credentials, lifecycle timing, rate limits, faults. Everything the docs
leave open is a setting here, with the default documented.

A config file (``sdcontracts mock serve --config mock.toml``, JSON works too) holds the same
keys as `MockConfig`; unknown keys are an error, not ignored::

    lifecycle = "clock"        # or "steps": one phase per status query
    queue_seconds = 1.0
    run_seconds = 2.0
    rate_limits = true         # Tensor.Art 5 QPS, Novita 10 images/min for img2img
    novita_auth_status = 403   # the error table says 403 INVALID_API_KEY; the error guide says 401

    [credentials.novita]
    api_key = "sk_my_test_key"

    strict = false             # true: reject what only a disputed reading of the docs rejects

    [unenforced]               # act like a provider that lets these rules slide
    novita = ["maximum"]

    [[faults]]                 # the first two task polls of any provider answer 503
    operation = "task"
    fault = "status=503"
    times = 2
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from sdcontracts import _registry

__all__ = ["DEFAULT_CREDENTIALS", "FaultRule", "MockConfig", "load_config", "providers"]


def providers() -> tuple[str, ...]:
    """Every provider the mock can serve: all of the registry's, plugins included."""
    return _registry.ids()


# provider -> the credentials the mock accepts unless configured otherwise, as its profile states them
DEFAULT_CREDENTIALS: Mapping[str, dict[str, str]] = _registry.ByProvider(lambda spec: dict(spec.profile.credentials))


@dataclass(frozen=True, slots=True)
class FaultRule:
    """Inject ``fault`` (X-Mock-Fault syntax) into matching requests, ``times`` times (0: always)."""

    fault: str
    provider: str | None = None
    operation: str | None = None
    times: int = 0


@dataclass
class MockConfig:
    """How the mock behaves where the providers' docs leave room (the README's settings table
    says what each one does)."""

    providers: tuple[str, ...] = field(default_factory=providers)  # every provider; a list is accepted
    lifecycle: str = "clock"
    queue_seconds: float = 1.0
    run_seconds: float = 2.0
    rate_limits: bool = False
    novita_auth_status: int = 403
    credentials: dict[str, dict[str, str]] = field(
        default_factory=lambda: {k: dict(v) for k, v in DEFAULT_CREDENTIALS.items()}, repr=False
    )  # not in the repr: a configured key must not reach a log line or a test report
    tensorart_public_key: str | None = None  # PEM; None: the mock makes a key pair and hands out its private half
    signature_window: float = 300.0  # seconds a signed timestamp stays acceptable (Tensor.Art, Aliyun)
    # The largest documented request is Novita's: a 30 MiB image is 40 MiB of base64, plus the
    # rest of the JSON. A longer body is answered with the provider's 4xx, unread past this point.
    max_body_bytes: int = 64 * 1024 * 1024
    body_timeout: float = 30.0  # seconds a body may take to arrive (a slowloris gets the 4xx)
    # Memory bounds (see sdcontracts.mock._state): a task or an upload is forgotten task_ttl seconds
    # after the last request about it; beyond max_tasks of them, or max_task_bytes of the request
    # bodies behind them, the least recently used go first. The journal keeps journal_bytes of bodies.
    task_ttl: float = 3600.0
    max_tasks: int = 10_000
    max_task_bytes: int = 1024 * 1024 * 1024
    journal_bytes: int = 64 * 1024 * 1024
    faults: list[FaultRule] = field(default_factory=list)  # FaultRule, dict of its fields, or "status=503"
    # provider -> rule ids the mock does not enforce: a request whose only violations are these
    # is accepted, as by a provider a live conformance run found lax about them
    unenforced: dict[str, list[str]] = field(default_factory=dict)
    # False (the default): a request the sources dispute is accepted, as sdcontracts.validate
    # accepts it, its warnings journaled and named in an X-Sdcontracts-Warnings header; True:
    # the strictest reading of every source, warnings rejected as errors
    strict: bool = False

    def __post_init__(self) -> None:
        self.providers = tuple(self.providers)  # a list, as a marker or a JSON file gives it, is fine
        self.faults = [_fault_rule(rule) for rule in self.faults]
        unknown = set(self.providers) - set(providers())
        if unknown:
            raise ValueError(f"unknown providers {sorted(unknown)} (known: {', '.join(providers())})")
        if self.lifecycle not in ("clock", "steps"):
            raise ValueError(f"lifecycle must be 'clock' or 'steps', not {self.lifecycle!r}")
        if self.novita_auth_status not in (401, 403):
            raise ValueError("novita_auth_status must be 401 or 403")
        for provider, given in self.credentials.items():
            if provider not in DEFAULT_CREDENTIALS:
                raise ValueError(f"credentials for unknown provider {provider!r}")
            missing = set(DEFAULT_CREDENTIALS[provider]) - set(given)
            if missing:
                self.credentials[provider] = {**DEFAULT_CREDENTIALS[provider], **given}
        for provider, rules in self.unenforced.items():
            if provider not in providers():
                raise ValueError(f"unenforced rules for unknown provider {provider!r}")
            if isinstance(rules, str) or not all(isinstance(rule, str) for rule in rules):
                raise ValueError(f"unenforced.{provider} must be a list of rule ids")


def _fault_rule(rule: FaultRule | dict[str, Any] | str) -> FaultRule:
    """A fault rule as given: a `FaultRule`, a dict of its fields, or a bare fault ("status=503",
    for every request); its fault is parsed now, so a typo fails here and not on a request."""
    from ._faults import parse_faults

    if isinstance(rule, str):
        rule = FaultRule(rule)
    elif isinstance(rule, dict):
        known = {f.name for f in fields(FaultRule)}
        if set(rule) - known or "fault" not in rule:
            raise ValueError(f"a fault rule takes {', '.join(sorted(known))} (fault is required), not {sorted(rule)}")
        rule = FaultRule(**rule)
    elif not isinstance(rule, FaultRule):
        raise ValueError(f"a fault rule is a FaultRule, a dict or a fault string, not {type(rule).__name__}")
    parse_faults(rule.fault)
    return rule


def load_config(path: Path, **overrides: Any) -> MockConfig:
    """Read a TOML or JSON config file; keys not in MockConfig are an error."""
    text = path.read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    known = {f.name for f in fields(MockConfig)}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{path}: unknown settings {sorted(unknown)} (known: {', '.join(sorted(known))})")
    if "credentials" in data:
        data["credentials"] = {**{k: dict(v) for k, v in DEFAULT_CREDENTIALS.items()}, **data["credentials"]}
    data.update({k: v for k, v in overrides.items() if v is not None})
    return MockConfig(**data)
