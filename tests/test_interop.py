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

import os
from collections.abc import Callable
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
