"""The pytest plugin as the README documents it: the sd_mock marker's settings, clients that wait in
mock time (clock lifecycles finish, rate-limit windows pass), plain dict faults, typed clients."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from payloads import valid_request
from sdcontracts.mock import FaultRule, ManualClock, Mock, MockConfig

from sdcontracts.clients import TaskState
from sdcontracts.clients.novita import NovitaClient
from sdcontracts.clients.tensorart import AsyncTensorArtClient, TensorArtClient


@pytest.mark.sd_mock(lifecycle="clock", providers=["novita"])
def test_a_clock_lifecycle_finishes_as_the_client_waits(sd_mock: Mock) -> None:
    """With lifecycle="clock" (a task queues 1 s and runs 2 s) the client's 2 s polls move the mock's
    clock: the task succeeds after 3 s of mock time, at once, instead of a TaskTimeout."""
    started = sd_mock.clock.now()
    task = sd_mock.client("novita").generate(valid_request("novita"))
    assert (TaskState.SUCCEEDED, 4.0) == (task.state, sd_mock.clock.now() - started)  # polls at 0, 2 and 4 s
    assert 3 == sd_mock.journal.count("novita", "task")


@pytest.mark.sd_mock(lifecycle="clock", providers=["novita"])
def test_a_clock_lifecycle_finishes_over_http_too(sd_http_mock: object) -> None:
    from sdcontracts.mock._clients import HttpMock

    assert isinstance(sd_http_mock, HttpMock)
    with sd_http_mock.client("novita") as client:
        assert TaskState.SUCCEEDED == client.generate(valid_request("novita")).state


@pytest.mark.sd_mock(rate_limits=True, providers=["tensorart"])
def test_rate_limits_are_usable_the_client_waits_out_the_window(sd_mock: Mock) -> None:
    """Ten status queries in a row pass Tensor.Art's 5 a second: the sixth gets 429 with Retry-After,
    the client waits it out in mock time and every query succeeds."""
    client = sd_mock.client("tensorart")
    submitted = client.submit(valid_request("tensorart"))
    states = [client.get_task(submitted).state for _ in range(10)]
    assert 10 == len(states) and sd_mock.journal.count("tensorart", "task", 429) >= 1
    assert 10 == sd_mock.journal.count("tensorart", "task", 200)


@pytest.mark.sd_mock(
    providers=["novita"], faults=[{"fault": "status=503", "operation": "task", "times": 1}, "latency=0"]
)
def test_faults_may_be_plain_dicts_or_strings(sd_mock: Mock) -> None:
    assert [FaultRule("status=503", operation="task", times=1), FaultRule("latency=0")] == sd_mock.config.faults
    task = sd_mock.client("novita").generate(valid_request("novita"))
    assert (TaskState.SUCCEEDED, 1) == (task.state, sd_mock.journal.count("novita", "task", 503))


def test_a_fault_rule_with_a_typo_fails_when_configured_not_on_a_request() -> None:
    with pytest.raises(ValueError, match="a fault rule takes fault, operation, provider, times"):
        MockConfig(faults=[{"fault": "status=503", "operaton": "task"}])
    with pytest.raises(ValueError, match="unknown fault 'stauts'"):
        MockConfig(faults=["stauts=503"])


def test_mock_clients_are_the_providers_own_classes() -> None:
    mock = Mock(MockConfig(lifecycle="steps"), clock=ManualClock())
    assert isinstance(mock.client("novita"), NovitaClient)
    assert isinstance(mock.client("tensorart", rsa=True), TensorArtClient)
    assert isinstance(mock.client("tensorart", asynchronous=True), AsyncTensorArtClient)
    with pytest.raises(ValueError, match=r"rsa=True is for Tensor\.Art clients only"):
        mock.client("novita", rsa=True)
    with pytest.raises(ValueError, match="did you mean 'novita'"):
        mock.client("novitta")


def test_the_readme_marker_example_passes_as_written(tmp_path: Path) -> None:
    """The README's sd_mock example, saved as a test file (with the request fixture it takes), passes."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index("and as pytest fixtures, from the plugin installed with sdcontracts")
    example = re.search(r"```python\n(.*?)```", readme[start:], re.S)
    assert example is not None and '@pytest.mark.sd_mock(lifecycle="clock", rate_limits=True' in example.group(1)
    (tmp_path / "test_readme_marker.py").write_text(example.group(1), encoding="utf-8")
    (tmp_path / "conftest.py").write_text(
        "import pytest\n\n\n@pytest.fixture\ndef novita_request():\n    return " + repr(valid_request("novita")) + "\n",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", "test_readme_marker.py"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert 0 == result.returncode, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout
