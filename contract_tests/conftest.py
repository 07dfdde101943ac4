"""Options and fixtures of the contract suite.

    pytest contract_tests                                    # the in-process mock
    pytest contract_tests --sd-target http://127.0.0.1:8000  # a running `sdcontracts mock serve`
    pytest contract_tests --sd-target live --sd-budget 10    # live endpoints, credentials from the environment
    pytest contract_tests --sd-target replay:run.json        # a cassette recorded by `sdcontracts conformance --record`
    pytest contract_tests -n auto                            # in parallel (pytest-xdist)

Every target but the mock counts its requests against ``--sd-budget`` per provider, shared by
all xdist workers, so a live run can never send more than that.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sdcontracts import providers
from sdcontracts.clients._base import SyncClient
from sdcontracts.conformance import LIVE_BUDGET, SharedBudget, Target, TargetSpec, TargetUnreachable

DEFAULT_VALID = 3  # valid requests per provider
DEFAULT_PER_RULE = 1  # invalid requests per rule


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sdcontracts", "sdcontracts contract suite")
    group.addoption("--sd-target", default="mock", help="mock (default), http://HOST:PORT, live or replay:FILE")
    group.addoption(
        "--sd-budget", type=int, default=None,
        help=f"most requests per provider, shared by all workers (live default: {LIVE_BUDGET})",
    )  # fmt: skip
    group.addoption("--sd-valid", type=int, default=DEFAULT_VALID, help="valid requests per provider (default: 3)")
    group.addoption("--sd-per-rule", type=int, default=DEFAULT_PER_RULE, help="invalid requests per rule (default: 1)")
    group.addoption("--sd-seed", type=int, default=0, help="generation seed (default: 0)")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    from sdcontracts.strategies import rule_ids

    options = metafunc.config.option
    if "valid_index" in metafunc.fixturenames:
        params = [(p, i) for p in providers() for i in range(options.sd_valid)]
        metafunc.parametrize(("provider", "valid_index"), params, ids=[f"{p}-{i}" for p, i in params])
    if "rule" in metafunc.fixturenames:
        params3 = [(p, r, i) for p in providers() for r in rule_ids(p) for i in range(options.sd_per_rule)]
        metafunc.parametrize(("provider", "rule", "rule_index"), params3, ids=[f"{p}-{r}-{i}" for p, r, i in params3])


@pytest.fixture(scope="session")
def sd_target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Target:
    """The target of this session (one per xdist worker), with the shared request budget."""
    option = request.config.option
    spec = TargetSpec(option.sd_target)
    try:
        target = spec.build()
        target.preflight(providers())  # an unreachable target is one error, not a failure per case
    except (ValueError, TargetUnreachable) as error:
        raise pytest.UsageError(f"--sd-target: {error}") from None
    budget = option.sd_budget if option.sd_budget is not None else (LIVE_BUDGET if option.sd_target == "live" else None)
    if budget is not None:
        # one count per run: xdist workers share the run's id and the base temp dir's parent
        run_id = getattr(request.config, "workerinput", {}).get("testrunuid")
        if run_id:
            shared = Path(tmp_path_factory.getbasetemp()).parent / f"sdcontracts-budget-{run_id}"
        else:
            shared = tmp_path_factory.mktemp("sdcontracts-budget")
        target.shared_budget = SharedBudget(shared, budget)
    return target


@pytest.fixture
def client(sd_target: Target, provider: str) -> Iterator[SyncClient]:
    """A typed client for ``provider`` at the target; skips (with the reason) a provider it cannot run."""
    if provider in sd_target.skipped:
        pytest.skip(f"{provider}: {sd_target.skipped[provider]}")
    sdk = sd_target.client(provider)
    yield sdk
    sdk.close()
