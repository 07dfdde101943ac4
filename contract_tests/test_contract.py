"""The contract, checked at a target: generated valid requests are accepted and finish with the
images they ask for, each response validating against its schema; a request breaking one rule,
sent raw, is rejected with the provider's error shape, and the mock's error names the rule.

The checks are `sdcontracts.conformance.check`, the same `sdcontracts conformance` runs; here each
case is one test, so a failure names its provider, rule and case.
"""

from __future__ import annotations

from functools import cache

import pytest

from sdcontracts.clients._base import SyncClient
from sdcontracts.conformance import BudgetExhausted, Case, Target, Verdict, check, provider_seed
from sdcontracts.conformance._cases import invalid_cases, valid_cases


@cache
def _valid(provider: str, count: int, seed: int) -> list[Case]:
    return valid_cases(provider, count, provider_seed(provider, seed))


@cache
def _invalid(provider: str, rule: str, count: int, seed: int) -> list[Case]:
    return invalid_cases(provider, rule, count, provider_seed(provider, seed) + sum(map(ord, rule)))


def _judge(client: SyncClient, target: Target, case: Case) -> Verdict:
    try:
        return check(
            client, case, is_mock=target.is_mock, poll_interval=target.poll_interval, timeout=target.wait_timeout,
            overrides=target.payload_overrides.get(case.provider), max_poll_interval=target.max_poll_interval,
        )  # fmt: skip
    except BudgetExhausted as spent:
        pytest.skip(str(spent))


def test_valid_request_is_accepted_and_finishes(
    client: SyncClient, sd_target: Target, provider: str, valid_index: int, pytestconfig: pytest.Config
) -> None:
    option = pytestconfig.option
    case = _valid(provider, option.sd_valid, option.sd_seed)[valid_index]
    verdict = _judge(client, sd_target, case)
    assert [] == verdict.problems, f"{verdict.outcome}; sent {str(verdict.sent)[:500]}"
    assert verdict.accepted


def test_invalid_request_is_rejected_naming_its_rule(
    client: SyncClient, sd_target: Target, provider: str, rule: str, rule_index: int, pytestconfig: pytest.Config
) -> None:
    option = pytestconfig.option
    case = _invalid(provider, rule, option.sd_per_rule, option.sd_seed)[rule_index]
    verdict = _judge(client, sd_target, case)
    assert [] == verdict.problems, f"{case.rule} at {case.path or '/'}: {verdict.outcome}"
    assert verdict.accepted is False
