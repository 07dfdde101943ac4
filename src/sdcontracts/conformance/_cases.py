"""The cases a conformance run sends: drawn by Hypothesis from the public strategies, reproducibly.

Half of a provider's cases are valid requests; the other half go round the rule ids the schema
and rules can break (`rule_ids`), so every documented constraint gets its share. The same
provider, count and seed give the same cases, on any machine and in any process: Hypothesis runs
with a fixed seed, no example database, the generate phase only, and none of the literals it would
otherwise borrow from the process's own modules (`_own_constants`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from ..strategies import InvalidCase, invalid_requests, rule_ids, valid_requests

__all__ = ["VALID", "Case", "generate_cases", "invalid_cases", "valid_cases", "valid_payloads"]

VALID = "valid"  # the rule column's name for valid requests
_BATCH = 8  # cases drawn per Hypothesis example: the engine's per-example cost is shared by eight
_TRIES = 8  # draws to get a case breaking the wanted rule before trying another example
_RUNS = 4  # Hypothesis runs (each with the next seed) to get the cases wanted
# Rules whose every case is huge get a fixed number of cases, their share going to the others: an
# image-size case carries an image just over the byte limit (over 40 MB of base64 for Novita's
# 30 MiB), and a few of them say all there is to say.
CAPPED = {"image-size": 4}


@dataclass(frozen=True)
class Case:
    """One request to send: a valid one (``rule`` is ``"valid"``), or one breaking ``rule`` at ``path``."""

    provider: str
    kind: Literal["valid", "invalid"]
    rule: str
    path: str
    payload: Any
    number: int  # its position among the provider's cases

    @property
    def name(self) -> str:
        return f"{self.provider}-{self.rule}-{self.number}"


def _draw(count: int, seed: int, draw_one: Any) -> list[Any]:
    """``count`` values from ``draw_one(data, index)``, with Hypothesis seeded by ``seed``
    (``_BATCH`` of them per Hypothesis example); a None from ``draw_one`` is not kept.

    A run's first example is Hypothesis' simplest, where every draw is the same minimal value:
    an example ends at the first value equal to one it already drew, so a suite never sends one
    request eight times, nor spends the time drawing it.
    """
    found: list[Any] = []
    seen: set[Any] = set()  # fingerprints of the values kept

    def collect(data: st.DataObject) -> None:
        # the number of draws depends only on what was drawn, never on how many were found:
        # Hypothesis replays choice sequences, and an example that drew less because enough had
        # been found would look like a flaky strategy
        batch: list[Any] = []
        for index in range(_BATCH):
            value = draw_one(data, index)
            if value is not None and value in batch:
                break  # the simplest example: every further draw is this value again
            if value is not None:
                batch.append(value)
        for value in batch:  # Hypothesis builds examples from parts of earlier ones: repeats are common
            mark = _fingerprint(value)
            if mark not in seen:
                seen.add(mark)
                found.append(value)

    for attempt in range(_RUNS):
        missing = count - len(found)
        if missing <= 0:
            break
        # The strategy tests hold the health line (no check suppressed there, one request per
        # example). Here a slow machine must not stop a run halfway (too_slow), and eight
        # requests per example are large by design; nothing is shrunk, so large examples cost
        # nothing. Examples for twice what is missing, plus the simplest: about half the values
        # of a run are repeats of others.
        run = settings(
            max_examples=-(-missing // _BATCH) * 2 + 1,
            database=None,
            phases=[Phase.generate],
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
        )(hypothesis_seed(seed + attempt)(given(st.data())(collect)))
        with _own_constants():
            run()
    if len(found) < count:  # Hypothesis stops early when the space looks exhausted
        raise RuntimeError(f"Hypothesis produced only {len(found)} distinct cases of the {count} wanted")
    return found[:count]


@contextlib.contextmanager
def _own_constants() -> Iterator[None]:
    """Hypothesis (6.131 on) now and then draws a literal found in the modules the process loaded from
    outside site-packages and the standard library: the same seed gave other cases in a process that
    had imported other code (a test suite, an application, `bench/`) than in a fresh one. For the
    draw it finds none. The hooks are private: where they are missing, the draw is as it was."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants

        original, cache = providers._get_local_constants, providers.CONSTANTS_CACHE.cache
    except (ImportError, AttributeError):  # pragma: no cover - another Hypothesis
        yield
        return
    none = Constants()
    cache.clear()  # values permitted per kind of choice, computed from the constants seen so far
    setattr(providers, "_get_local_constants", lambda: none)  # noqa: B010 - a module function, swapped
    try:
        yield
    finally:
        setattr(providers, "_get_local_constants", original)  # noqa: B010
        cache.clear()


def _fingerprint(value: Any) -> Any:
    """A hashable stand-in for a JSON value, equal for equal values; long strings (images) by
    their length and hash, which Python computes once per string object."""
    if isinstance(value, InvalidCase):
        return ("case", value.rule, value.path, _fingerprint(value.payload))
    if isinstance(value, dict):
        return ("{", tuple(sorted(((repr(key), _fingerprint(item)) for key, item in value.items()))))
    if isinstance(value, list | tuple):
        return ("[", tuple(_fingerprint(item) for item in value))
    if isinstance(value, str) and len(value) > 256:
        return ("s", len(value), hash(value))
    return (type(value).__name__, value)


def valid_payloads(provider: str, schema: str, count: int, seed: int, *, strict: bool = False) -> list[Any]:
    """``count`` distinct values valid against ``provider``'s ``schema`` (``img2img.request``,
    ``task.request``, a response…), the same for the same seed (some in the forms only a disputed
    reading accepts, valid with a warning; ``strict``: none)."""
    strategy = valid_requests(provider, schema, strict=strict)
    return _draw(count, seed, lambda data, _: data.draw(strategy))


def valid_cases(provider: str, count: int, seed: int, *, strict: bool = False) -> list[Case]:
    """``count`` valid requests for ``provider`` (see `valid_payloads`)."""
    payloads = valid_payloads(provider, "img2img.request", count, seed, strict=strict)
    return [Case(provider, "valid", VALID, "", payload, i) for i, payload in enumerate(payloads)]


def invalid_cases(provider: str, rule: str, count: int, seed: int, *, strict: bool = False) -> list[Case]:
    """``count`` requests each breaking exactly one rule, ``rule`` wherever a payload allows it
    (as an error; ``strict``: as the strict reading of a disputed constraint reads it)."""
    strategy = invalid_requests(provider, rules={rule}, strict=strict)

    def one(data: st.DataObject, _: int) -> InvalidCase | None:
        """A case breaking ``rule``, or None when ``_TRIES`` draws gave only other rules (a
        payload without the field the rule needs): not kept, so ``rule`` gets its full share."""
        previous = None
        for _try in range(_TRIES):
            case: InvalidCase = data.draw(strategy)
            if case.rule == rule:
                return case
            if case == previous:  # the simplest example: drawing again gives the same case
                return None
            previous = case
        return None

    drawn = _draw(count, seed, one)
    return [Case(provider, "invalid", c.rule, c.path, c.payload, i) for i, c in enumerate(drawn)]


def shares(provider: str, count: int) -> dict[str, int]:
    """How many of ``count`` cases go to valid requests and to each rule: half valid, the rest
    spread evenly over the rule ids (`CAPPED` rules at most their cap)."""
    rules = rule_ids(provider)
    valid = (count + 1) // 2
    left = count - valid
    share = dict.fromkeys(rules, 0)
    open_rules = list(rules)
    while left and open_rules:  # round-robin, one case at a time, skipping rules at their cap
        for rule in list(open_rules):
            if not left:
                break
            if share[rule] >= CAPPED.get(rule, count):
                open_rules.remove(rule)
                continue
            share[rule] += 1
            left -= 1
    return {VALID: valid + left, **share}


def generate_cases(provider: str, count: int, seed: int, *, strict: bool = False) -> Iterator[Case]:
    """``count`` cases for ``provider``: half valid, the rest spread over its rule ids (`shares`);
    ``strict``: the strict profile (see `valid_cases`, `invalid_cases`)."""
    rules = rule_ids(provider)
    share = shares(provider, count)
    valid = share.pop(VALID)
    number = 0
    for case in valid_cases(provider, valid, seed, strict=strict):
        yield Case(provider, case.kind, case.rule, case.path, case.payload, number)
        number += 1
    for index, rule in enumerate(rules):
        if share[rule]:
            for case in invalid_cases(provider, rule, share[rule], seed + 1 + index, strict=strict):
                yield Case(provider, case.kind, case.rule, case.path, case.payload, number)
                number += 1
