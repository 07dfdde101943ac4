"""Live conformance, opt-in by credentials: each provider whose ``SDCONTRACTS_<PROVIDER>_…``
variables are set gets a short run against its real endpoint (at most ``SDCONTRACTS_LIVE_BUDGET``
requests, 20 by default); without them the test skips and names the variables to set.

    SDCONTRACTS_NOVITA_API_KEY=… pytest contract_tests/test_live.py -rs

A failure prints the run's table: which documented constraints the provider did not enforce.
"""

from __future__ import annotations

import os

import pytest

from sdcontracts import providers
from sdcontracts.conformance import LIVE_BUDGET, live_target, run
from sdcontracts.conformance._report import table


@pytest.mark.parametrize("provider", providers())
def test_live_provider_agrees_with_its_contract(provider: str) -> None:
    budget = int(os.environ.get("SDCONTRACTS_LIVE_BUDGET", LIVE_BUDGET))
    target = live_target(budget=budget)
    if provider in target.skipped:
        pytest.skip(f"{provider}: {target.skipped[provider]}")
    result = run([provider], target, examples=int(os.environ.get("SDCONTRACTS_LIVE_EXAMPLES", 6)), seed=0)
    assert result.ok, table(result)
    assert target.sent(provider) <= budget
