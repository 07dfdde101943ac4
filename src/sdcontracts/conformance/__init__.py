"""Provider conformance: generated requests through the typed clients, judged against the contract.

The same checks run from ``sdcontracts conformance`` (a table, Markdown and JUnit reports, failing
cases saved with a ``curl`` line), from the pytest suite in ``contract_tests/``, and from code::

    from sdcontracts.conformance import TargetSpec, run

    result = run(["novita"], TargetSpec("mock"), examples=50, seed=1)
    assert result.ok

A `TargetSpec` names a target the way ``--target`` does (``mock``, an ``http://`` URL of
``sdcontracts mock serve``, ``live`` with credentials from ``SDCONTRACTS_<PROVIDER>_…`` and a
request budget, ``replay:FILE`` for a recorded cassette); `run` builds one per worker process.
`mock_target`, `url_target`, `live_target` and `replay_target` build a `Target` directly.
"""

from __future__ import annotations

from ._cases import VALID, Case, generate_cases
from ._cassette import Cassette, ReplayMismatch
from ._checks import Verdict, check
from ._run import Exchange, ProviderResult, RunResult, TargetSpec, provider_seed, run
from ._targets import (
    LIVE_BUDGET,
    LIVE_CREDENTIALS,
    BudgetExhausted,
    SharedBudget,
    Target,
    live_target,
    mock_target,
    replay_target,
    target_from,
    url_target,
)

__all__ = [
    "LIVE_BUDGET",
    "LIVE_CREDENTIALS",
    "VALID",
    "BudgetExhausted",
    "Case",
    "Cassette",
    "Exchange",
    "ProviderResult",
    "ReplayMismatch",
    "RunResult",
    "SharedBudget",
    "Target",
    "TargetSpec",
    "Verdict",
    "check",
    "generate_cases",
    "live_target",
    "mock_target",
    "provider_seed",
    "replay_target",
    "run",
    "target_from",
    "url_target",
]
