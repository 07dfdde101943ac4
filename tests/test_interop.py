"""Schemathesis, an independent tool, checks our mock against our OpenAPI export (in-process ASGI).

Two views per provider, each response judged by Schemathesis' own checks (not a server error,
status code, content type and body as documented):

- ``test_<provider>_conforms_to_its_export``: Schemathesis generates the requests for every
  operation, valid and invalid (its examples and fuzzing phases; ``make interop`` adds the coverage
  phase and more examples).
- ``test_lifecycle_conforms_to_the_export``: requests our strategies know to be valid are submitted
  and their tasks followed through the export's links until they end. Schemathesis' random
  requests rarely pass the providers' prose rules (real base64 images, stage workflows), so
  without this its checks would mostly see error envelopes, never a task's states.

Auth goes through Schemathesis' auth hooks: ``schema.auth.set_from_requests`` with the provider's
``sdcontracts.auth`` signer, wrapped by `sdcontracts.auth.for_requests` to sign the exact request sent.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sdcontracts.mock import Mock, MockConfig
from sdcontracts.mock.asgi import create_app

import sdcontracts
from sdcontracts import auth
from sdcontracts._catalogue import provider_info
from sdcontracts.conformance._checks import PREPARE
from sdcontracts.openapi import document
from sdcontracts.strategies import valid_requests

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(os.environ.get("SDCONTRACTS_INTEROP_EXAMPLES", "8"))  # per operation and generation mode
LIFECYCLES = int(os.environ.get("SDCONTRACTS_INTEROP_LIFECYCLES", "2"))  # valid requests walked per provider
COVERAGE = os.environ.get("SDCONTRACTS_INTEROP_COVERAGE") == "1"  # Schemathesis' coverage phase: slow on Tensor.Art
SEED = int(os.environ.get("SDCONTRACTS_INTEROP_SEED", "2026"))


SIGNERS: dict[str, Callable[[dict[str, str]], httpx.Auth]] = {
    "aliyun": lambda c: auth.AliyunGatewayAuth(c["app_key"], c["app_secret"]),
    "novita": lambda c: auth.BearerAuth(c["api_key"]),
    "picpik": lambda c: auth.PicpikSignature(c["public_key"], c["private_key"]),
    "tensorart": lambda c: auth.BearerAuth(c["token"]),
    "zhiqite": lambda c: auth.ZhiqiteKeyAuth(c["access_key_id"], c["access_key_secret"]),
}


def loaded(provider: str, mock: Mock) -> Any:
    """The exported document as a Schemathesis schema, calling ``mock`` in-process, signed."""
    phases = {"coverage": {"enabled": COVERAGE}}
    config = schemathesis.Config.from_dict({"seed": SEED, "generation": {"max-examples": EXAMPLES}, "phases": phases})
    schema = schemathesis.openapi.from_dict(document(provider), config=config)
    schema.app = create_app(mock)
    schema.auth.set_from_requests(auth.for_requests(SIGNERS[provider](mock.credentials(provider))))
    return schema


def test_every_provider_has_a_signer() -> None:
    """Each provider's requests are signed here, so a new provider cannot go unchecked."""
    assert set(sdcontracts.providers()) == set(SIGNERS)


# -- Schemathesis' generated requests ---------------------------------------------------------------


def check(case: schemathesis.Case) -> None:
    """Each generated request, valid or not, gets an answer the export documents: no 5xx, a
    documented status and content type, a body matching its schema."""
    case.call_and_validate(checks=CHECKS)


test_aliyun_conforms_to_its_export = loaded("aliyun", Mock()).parametrize()(check)
test_novita_conforms_to_its_export = loaded("novita", Mock()).parametrize()(check)
test_picpik_conforms_to_its_export = loaded("picpik", Mock()).parametrize()(check)
test_tensorart_conforms_to_its_export = loaded("tensorart", Mock()).parametrize()(check)
test_zhiqite_conforms_to_its_export = loaded("zhiqite", Mock()).parametrize()(check)


# -- valid requests, followed through each task's lifecycle ------------------------------------------


def _pointer(document: Any, pointer: str) -> Any:
    for step in pointer.split("/")[1:]:
        document = document[int(step)] if isinstance(document, list) else document[step]
    return document


def _evaluate(expression: Any, body: Any) -> Any:
    """An OpenAPI link value: ``$response.body#/pointer`` read from ``body``, or a constant."""
    if isinstance(expression, dict):
        return {key: _evaluate(value, body) for key, value in expression.items()}
    if isinstance(expression, str) and expression.startswith("$response.body#"):
        return _pointer(body, expression[len("$response.body#") :])
    return expression


@pytest.mark.parametrize("ending", ["succeeded", "failed"])
@pytest.mark.parametrize("provider", sdcontracts.providers())
def test_lifecycle_conforms_to_the_export(provider: str, ending: str) -> None:
    """A valid submit answers 200; each linked operation, polled until the task ends (as the
    mock's fail fault makes it end), answers as documented in every state on the way (the
    "steps" lifecycle moves one phase per query)."""
    mock = Mock(MockConfig(lifecycle="steps"))
    schema = loaded(provider, mock)
    spec = document(provider)
    info = provider_info(provider)
    signer = auth.for_requests(SIGNERS[provider](mock.credentials(provider)))
    submit = info["operations"]["img2img"]
    lifecycle = info["lifecycle"]
    ended = {*lifecycle["succeeded"], *lifecycle["failed"], *lifecycle["canceled"]}
    fault = {"X-Mock-Fault": "fail"} if ending == "failed" else {}  # the mock's own header, not in the export
    prepare = PREPARE.get(provider)
    client = mock.client(provider)

    @settings(max_examples=LIFECYCLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(payload=valid_requests(provider))
    def walk(payload: Any) -> None:
        body = prepare(client, payload) if prepare else payload
        operation = spec["paths"][submit["path"]][submit["method"].lower()]
        case = schema[submit["path"]][submit["method"]].Case(body=body)
        response = case.call_and_validate(checks=CHECKS, auth=signer, headers=fault)
        created = response.json()
        assert 200 == response.status_code, created
        links = operation["responses"]["200"]["links"]
        for name in sorted(links, key=lambda n: n != "task"):  # the task first, until it ends; then the rest
            link = links[name]
            target = schema.find_operation_by_id(link["operationId"])
            where = {
                p["name"]: p["in"] for p in spec["paths"][target.path][target.method.lower()].get("parameters", [])
            }
            values = _evaluate(link.get("parameters", {}), created)
            query = {k: v for k, v in values.items() if where[k] == "query"}
            path = {k: v for k, v in values.items() if where[k] == "path"}
            extra = {"body": _evaluate(link["requestBody"], created)} if "requestBody" in link else {}
            statuses = []
            for _ in range(10 if name == "task" else 1):
                answer = target.Case(path_parameters=path, query=query, **extra).call_and_validate(
                    checks=CHECKS, auth=signer
                )
                assert 200 == answer.status_code, answer.text
                statuses.append(_pointer(answer.json(), lifecycle["status"]) if name == "task" else None)
                if statuses[-1] in ended:
                    break
            if name == "task":
                assert statuses[-1] in lifecycle[ending], statuses

    walk()


# -- Schemathesis' own command line, over HTTP, against `sdcontracts mock serve` ----------------------------------
#
# What a user runs (README): the export written by `sdcontracts openapi`, `schemathesis run` on it with every check,
# against `sdcontracts mock serve` on a real port. Every link in the export must be followed, and at least one task
# per provider must end with its images (the mock's journal counts them). The mock's tasks end at once (queue and
# run seconds 0), so each submit → poll is a whole lifecycle; the in-process test above walks every status on the way.
# `make test` runs the examples and stateful phases; `make interop` every phase, with more cases.

CLI_PHASES = os.environ.get("SDCONTRACTS_INTEROP_PHASES", "examples,stateful")
SCENARIOS = int(os.environ.get("SDCONTRACTS_INTEROP_SCENARIOS", "40"))  # stateful scenarios per provider
# Tensor.Art's jobs take Schemathesis about half a second a scenario to generate, and few scenarios start from a valid
# submit (an example, drawn one time in five, for one root operation in three): it needs 150 scenarios or more to follow
# each of its links, over a minute, so it runs in `make interop` only.
CLI_PROVIDERS = os.environ.get("SDCONTRACTS_INTEROP_CLI", "aliyun,novita,picpik,zhiqite").split(",")
MORE_SCENARIOS = {"tensorart": 3}

# Checks that disagree with a provider by design, and why; the README's Schemathesis section says the same.
EXPLAINED: dict[str, dict[str, str]] = {
    "novita": {
        "positive_data_acceptance": "schema-valid requests break prose rules: an empty image_base64 is no image",
        "missing_required_header": "a missing key is 400 MISSING_API_KEY, as Novita's error table says, not 401",
        "ignored_auth": "the same 400 MISSING_API_KEY, where the check wants 401 or 403",
    },
    "tensorart": {
        "positive_data_acceptance": "schema-valid jobs break the stage-workflow rules or name resources never uploaded",
        "use_after_free": "DELETE cancels a job, it does not delete it: the job is still there, CANCELED or finished",
    },
    "aliyun": {
        "positive_data_acceptance": "schema-valid requests break prose rules (images that are not images)",
        "negative_data_rejection": "the service answers a rejected request in HTTP 200, status 20",
    },
    "picpik": {
        "positive_data_acceptance": "schema-valid requests break prose rules (images that are not images)",
        "negative_data_rejection": "every answer is HTTP 200; RetCode says no",
    },
    "zhiqite": {
        "positive_data_acceptance": "schema-valid requests break prose rules (images that are not images)",
        "negative_data_rejection": 'every answer is HTTP 200; code "400" says no',
        "ignored_auth": 'credential errors are HTTP 200 too, code "401"',
        "missing_required_header": 'the same HTTP 200, code "401", for a key header left out',
    },
}

HOOKS = """
import os

import schemathesis

from sdcontracts import auth
from sdcontracts.mock import DEFAULT_CREDENTIALS

credentials = DEFAULT_CREDENTIALS[os.environ["SD_PROVIDER"]]
signer = {
    "aliyun": lambda c: auth.AliyunGatewayAuth(c["app_key"], c["app_secret"]),
    "novita": lambda c: auth.BearerAuth(c["api_key"]),
    "picpik": lambda c: auth.PicpikSignature(c["public_key"], c["private_key"]),
    "tensorart": lambda c: auth.BearerAuth(c["token"]),
    "zhiqite": lambda c: auth.ZhiqiteKeyAuth(c["access_key_id"], c["access_key_secret"]),
}[os.environ["SD_PROVIDER"]](credentials)
schemathesis.auth.set_from_requests(auth.for_requests(signer))
"""


@pytest.fixture(scope="module")
def mock_serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`sdcontracts mock serve` on a free port, its tasks ending at once; its URL."""
    config = tmp_path_factory.mktemp("mock") / "mock.toml"
    config.write_text('lifecycle = "clock"\nqueue_seconds = 0\nrun_seconds = 0\n', encoding="utf-8")
    command = [sys.executable, "-m", "sdcontracts", "mock", "serve", "--port", "0", "--config", str(config)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        found = re.search(r"http://127\.0\.0\.1:\d+", process.stdout.readline())
        assert found is not None
        try:
            yield found.group(0)
        finally:
            process.terminate()
            process.wait(timeout=30)


def succeeded(url: str, provider: str) -> int:
    """Tasks of ``provider`` the mock has seen end with their images."""
    return int(httpx.get(f"{url}/_mock/journal").json()["tasks_succeeded"].get(provider, 0))


def links(spec: dict[str, Any]) -> int:
    return sum(
        len(r.get("links", {}))
        for item in spec["paths"].values()
        for op in item.values()
        for r in op["responses"].values()
    )


def test_the_readme_explains_every_check_left_out() -> None:
    """Each check left out of a provider's run is a row of the README's table naming that provider."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip(" `"): line.split("|")[2] for line in readme.splitlines() if line.startswith("| `")
    }
    names = {
        "aliyun": "Alibaba",
        "novita": "Novita",
        "picpik": "PICPIK",
        "tensorart": "Tensor.Art",
        "zhiqite": "Zhiqite",
    }
    missing = [
        (provider, check)
        for provider, checks in EXPLAINED.items()
        for check in checks
        if check not in rows or not (names[provider] in rows[check] or "all five" in rows[check])
    ]
    assert [] == missing


def test_the_cli_run_covers_providers_by_name() -> None:
    """SDCONTRACTS_INTEROP_CLI names known providers (a typo would silently test nothing)."""
    assert set(CLI_PROVIDERS) <= set(sdcontracts.providers()) and set(EXPLAINED) == set(sdcontracts.providers())


@pytest.mark.parametrize("provider", CLI_PROVIDERS)
def test_schemathesis_cli_follows_every_link_through_whole_lifecycles(
    provider: str, mock_serve: str, tmp_path: Path
) -> None:
    """`schemathesis run` on the exported document against `mock serve`, every check but the provider's explained
    exceptions: exit 0, each phase run (none skipped for want of examples), every link in the export followed, and at
    least one task made by it ended with its images (submit → poll → result)."""
    export = tmp_path / f"{provider}.openapi.json"
    subprocess.run(
        [sys.executable, "-m", "sdcontracts", "openapi", provider, "-o", str(export)], check=True, timeout=120
    )
    (tmp_path / "sd_hooks.py").write_text(HOOKS, encoding="utf-8")
    scenarios = SCENARIOS * MORE_SCENARIOS.get(provider, 1)
    (tmp_path / "schemathesis.toml").write_text(
        f"[phases.stateful]\ninference.algorithms = []\n\n[phases.stateful.generation]\nmax-examples = {scenarios}\n",
        encoding="utf-8",
    )  # no links inferred: the ones counted are the export's
    before = succeeded(mock_serve, provider)
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "run", export.name, "--url", mock_serve, "--checks", "all",
        "--exclude-checks", ",".join(EXPLAINED[provider]), "--phases", CLI_PHASES, "--max-examples", str(EXAMPLES),
        "--seed", str(SEED), "--workers", "1", "--no-color", "--report", "json", "--report-json-path", "report.json",
    ]  # fmt: skip
    environment = {**os.environ, "SCHEMATHESIS_HOOKS": "sd_hooks", "SD_PROVIDER": provider, "PYTHONPATH": str(tmp_path)}
    run = subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=1800)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    covered = re.search(r"API Links:\s+(\d+) covered / (\d+) selected / (\d+) total", run.stdout)
    ended = succeeded(mock_serve, provider) - before
    links_seen = " ".join(covered.group(0).split()) if covered else "no links"
    cases = report["test_cases"]["generated"]
    print(f"{provider}: exit {run.returncode}; {cases} cases; {links_seen}; {ended} lifecycles ended")
    assert 0 == run.returncode, run.stdout[-6000:]
    assert {phase: "success" for phase in CLI_PHASES.split(",")} == {
        phase: report["phases"][phase]["status"] for phase in CLI_PHASES.split(",")
    }
    total = links(json.loads(export.read_text(encoding="utf-8")))
    assert covered is not None and (total, total) == (int(covered.group(1)), int(covered.group(3))), run.stdout[-3000:]
    assert ended >= 1, "no task made during the run ended with its images"
