"""What a type checker sees: client options by name, tasks typed by the provider's model, and the
mock's clients as the providers' own classes (mypy --strict on a small user module)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

USER_CODE = """
from sdcontracts.clients.novita import NovitaClient
from sdcontracts.clients.tensorart import TensorArtClient
from sdcontracts.mock import Mock

client = NovitaClient("key", retry=None, timeout=5.0, base_url="https://api.ppinfra.com")
reveal_type(client.get_task("task").response)
reveal_type(TensorArtClient(token="t").wait("job").response)
reveal_type(Mock().client("tensorart"))
reveal_type(Mock().client("novita", asynchronous=True))
NovitaClient("key", retyr=3)
"""


def test_mypy_sees_typed_options_typed_task_responses_and_typed_mock_clients(tmp_path: Path) -> None:
    (tmp_path / "user.py").write_text(USER_CODE, encoding="utf-8")
    command = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), "user.py"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    revealed = re.findall(r'Revealed type is "([\w.]+)"', result.stdout)
    assert [
        "sdcontracts.models.novita.TaskResultResponse",
        "sdcontracts.models.tensorart.GetJobResponse",
        "sdcontracts.clients.tensorart.TensorArtClient",
        "sdcontracts.clients.novita.AsyncNovitaClient",
    ] == revealed, result.stdout
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert ['user.py:11: error: Unexpected keyword argument "retyr" for "NovitaClient"; did you mean "retry"?  '
            "[call-arg]"] == errors  # fmt: skip


def test_task_response_parses_into_the_provider_model() -> None:
    from payloads import valid_request
    from sdcontracts.mock import ManualClock, Mock, MockConfig
    from sdcontracts.models.novita import TaskResultResponse

    mock = Mock(MockConfig(lifecycle="steps", providers=("novita",)), clock=ManualClock())
    task = mock.client("novita").generate(valid_request("novita"))
    assert isinstance(task.response, TaskResultResponse)
