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
With a budget, a run spends it on one valid lifecycle, then one invalid case per rule, then more
(`Plan`); ``result.verdict`` is "conforming", "not conforming" or "inconclusive" (a rule was not
judged: ``result.unjudged()`` says which, and why).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._budget import Plan
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
        TargetUnreachable,
        live_target,
        mock_target,
        replay_target,
        target_from,
        url_target,
    )

# Loaded on first use: the command's parser (`sdcontracts conformance --help`) must work without
# Hypothesis, which generating cases needs. Each module and the public names it defines:
_EXPORTS = {
    "._budget": ("Plan",),
    "._cases": ("VALID", "Case", "generate_cases"),
    "._cassette": ("Cassette", "ReplayMismatch"),
    "._checks": ("Verdict", "check"),
    "._run": ("Exchange", "ProviderResult", "RunResult", "TargetSpec", "provider_seed", "run"),
    "._targets": ("LIVE_BUDGET", "LIVE_CREDENTIALS", "BudgetExhausted", "SharedBudget", "Target",
                  "TargetUnreachable", "live_target", "mock_target", "replay_target", "target_from", "url_target"),
}  # fmt: skip
_LAZY = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "LIVE_BUDGET",
    "LIVE_CREDENTIALS",
    "VALID",
    "BudgetExhausted",
    "Case",
    "Cassette",
    "Exchange",
    "Plan",
    "ProviderResult",
    "ReplayMismatch",
    "RunResult",
    "SharedBudget",
    "Target",
    "TargetSpec",
    "TargetUnreachable",
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
