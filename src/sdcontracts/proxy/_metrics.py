"""The proxy's metrics, in a registry of its own (several proxies may share a process), served as
Prometheus text at ``/_proxy/metrics`` by the prometheus-client library.

    sdcontracts_proxy_requests_total{provider,operation,outcome}      every call, by how it ended
    sdcontracts_proxy_rejections_total{provider,operation,rule}       requests breaking a rule (enforce: refused)
    sdcontracts_proxy_warnings_total{provider,operation,dispute}      disputed values forwarded
    sdcontracts_proxy_drift_total{provider,operation,path,rule}       answers departing from the contract
    sdcontracts_proxy_upstream_seconds{provider,operation}            upstream latency (histogram)
    sdcontracts_proxy_upstream_calls_total{provider}                  requests forwarded
    sdcontracts_proxy_budget_remaining{provider}                      with --budget: calls left

Outcomes: ``ok``, ``warnings`` (forwarded, disputed values), ``invalid`` (report mode: forwarded
although it breaks the contract), ``rejected`` (answered by the proxy), ``unmatched`` (no operation
of the contract: forwarded unchecked), ``budget`` (the budget was spent), ``upstream-error``.
A drift path is the answer's JSON Pointer with array indices as ``*``; since an upstream chooses
the names of new fields, at most `PATH_LIMIT` distinct paths get their own label, the rest ``(other)``.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE", "OUTCOMES", "PATH_LIMIT", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST
OUTCOMES = ("ok", "warnings", "invalid", "rejected", "unmatched", "budget", "upstream-error")
PATH_LIMIT = 500
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """Counters for one provider's proxy; label children are looked up once and kept (per call, a
    dict lookup instead of prometheus-client's label checks)."""

    content_type = CONTENT_TYPE

    def __init__(self, provider: str, budget: int | None) -> None:
        self.provider = provider
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self._requests = Counter(
            "sdcontracts_proxy_requests", "Calls by operation and outcome", ["provider", "operation", "outcome"],
            registry=registry,
        )  # fmt: skip
        self._rejections = Counter(
            "sdcontracts_proxy_rejections", "Requests breaking a contract rule (enforce: refused; report: forwarded)",
            ["provider", "operation", "rule"], registry=registry,
        )  # fmt: skip
        self._warnings = Counter(
            "sdcontracts_proxy_warnings", "Disputed values forwarded, by dispute", ["provider", "operation", "dispute"],
            registry=registry,
        )  # fmt: skip
        self._drift = Counter(
            "sdcontracts_proxy_drift", "Departures of upstream answers from the contract, by JSON Pointer and rule",
            ["provider", "operation", "path", "rule"], registry=registry,
        )  # fmt: skip
        self._latency = Histogram(
            "sdcontracts_proxy_upstream_seconds", "Upstream latency: request sent to answer read",
            ["provider", "operation"], buckets=_BUCKETS, registry=registry,
        )  # fmt: skip
        self._calls = Counter("sdcontracts_proxy_upstream_calls", "Requests forwarded", ["provider"], registry=registry)
        self._remaining = None
        if budget is not None:
            self._remaining = Gauge("sdcontracts_proxy_budget_remaining", "Upstream calls the budget has left",
                                    ["provider"], registry=self.registry).labels(provider)  # fmt: skip
            self._remaining.set(budget)
        self._children: dict[tuple[object, ...], Any] = {}
        self._paths: set[str] = set()

    def _child(self, metric: Counter | Histogram, *values: str) -> Any:
        key = (id(metric), *values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(self.provider, *values)
        return child

    def request(self, operation: str, outcome: str) -> None:
        self._child(self._requests, operation, outcome).inc()

    def rejection(self, operation: str, rule: str) -> None:
        self._child(self._rejections, operation, rule).inc()

    def warning(self, operation: str, dispute: str) -> None:
        self._child(self._warnings, operation, dispute).inc()

    def drift(self, operation: str, path: str, rule: str) -> None:
        if path not in self._paths:
            if len(self._paths) >= PATH_LIMIT:
                path = "(other)"
            else:
                self._paths.add(path)
        self._child(self._drift, operation, path, rule).inc()

    def upstream(self, operation: str, seconds: float, remaining: int | None) -> None:
        self._child(self._latency, operation).observe(seconds)
        self._child(self._calls).inc()
        if self._remaining is not None and remaining is not None:
            self._remaining.set(remaining)

    def text(self) -> bytes:
        """Every metric in the Prometheus text format."""
        return generate_latest(self.registry)
