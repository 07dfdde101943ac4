"""The OpenAPI 3.1 export: valid documents, derived from schemas/ and provider.json, nothing copied."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sdcontracts.mock import Mock

import sdcontracts
from sdcontracts import _catalogue
from sdcontracts._cli import main
from sdcontracts._compiler import int64_pattern
from sdcontracts._corpus import examples
from sdcontracts._disputes import disputes, lenient_document
from sdcontracts.conformance._checks import needs_preparation
from sdcontracts.openapi import document

PROVIDERS = sdcontracts.providers()
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in refs(item)]
    return []


def resolve(spec: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = spec
    for step in ref[2:].split("/"):
        node = node[step.replace("~1", "/").replace("~0", "~")]
    return node


def exported_validator(spec: dict[str, Any], component: str) -> jsonschema.Draft202012Validator:
    """A 2020-12 validator for one component, resolving references inside the document."""
    registry: Registry[Any] = Registry().with_resource(
        "urn:spec", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    return jsonschema.Draft202012Validator({"$ref": f"urn:spec#/components/schemas/{component}"}, registry=registry)


# -- the documents ---------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_exported_document_is_valid_openapi_3_1(provider: str) -> None:
    """openapi-spec-validator accepts the document as OpenAPI 3.1 (schemas, refs, links, security)."""
    spec = document(provider)
    assert "3.1.0" == spec["openapi"]
    errors = [error.message for error in OpenAPIV31SpecValidator(spec).iter_errors()]
    assert [] == errors


@pytest.mark.parametrize("provider", PROVIDERS)
def test_documents_are_json_and_the_same_on_every_export(provider: str) -> None:
    """The dict survives a JSON round trip unchanged, and two exports are identical."""
    spec = document(provider)
    assert spec == json.loads(json.dumps(spec))
    assert json.dumps(spec) == json.dumps(document(provider))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_reference_resolves_inside_the_document(provider: str) -> None:
    """One self-contained file: each $ref (schemas, parameters, discriminator mappings) points into it."""
    spec = document(provider)
    mappings = [
        target
        for operation in operations(spec).values()
        for media in operation.get("requestBody", {}).get("content", {}).values()
        for target in media["schema"].get("discriminator", {}).get("mapping", {}).values()
    ]
    for ref in refs(spec) + mappings:
        assert isinstance(resolve(spec, ref), dict), ref


def test_the_export_does_not_change_the_schemas_it_reads() -> None:
    """Building a document leaves the catalogue's parsed schema files as they were."""
    before = copy.deepcopy(_catalogue.raw_schema("tensorart", "img2img.request"))
    document("tensorart")
    assert before == _catalogue.raw_schema("tensorart", "img2img.request")


# -- operations are the mock's ---------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_operations_are_exactly_the_routes_the_mock_serves(provider: str) -> None:
    """Every (method, path) the mock routes is an exported operation, and nothing else is."""
    routes = {(route.method, route.path) for route in Mock().handlers[provider].routes}
    assert routes == set(operations(document(provider)))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_operation_the_mock_implements_is_exported(provider: str) -> None:
    """Each op_<name> of the handler is a provider.json operation (or PICPIK's Action dispatcher),
    so the mock cannot answer something the export does not document."""
    handler = Mock().handlers[provider]
    implemented = {name[3:] for name in dir(handler) if name.startswith("op_")}
    documented = set(_catalogue.provider_info(provider)["operations"]) | {r.operation for r in handler.routes}
    assert set() == implemented - documented


def test_picpik_actions_share_post_root_as_one_operation_discriminated_by_action() -> None:
    """GenerateImg2Img and GetGenerateTaskDetail are one POST /, its body a oneOf chosen by Action."""
    spec = document("picpik")
    assert ["/"] == list(spec["paths"])
    body = spec["paths"]["/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {
        "GenerateImg2Img": "#/components/schemas/GenerateImg2ImgRequest",
        "GetGenerateTaskDetail": "#/components/schemas/GetGenerateTaskDetailRequest",
    } == body["discriminator"]["mapping"]
    assert sorted(body["discriminator"]["mapping"].values()) == sorted(ref["$ref"] for ref in body["oneOf"])


def test_parameters_take_their_schema_from_the_field_they_come_from() -> None:
    """Novita's task_id query parameter is the submit response's task_id, not empty (the mock refuses task_id=), its
    example the doc's; Tensor.Art's jobId is job.id."""
    novita = operations(document("novita"))[("GET", "/v3/async/task-result")]
    assert [
        {"name": "task_id", "in": "query", "required": True, "description": "The task_id the submit call returned.",
         "schema": {"allOf": [{"$ref": "#/components/schemas/Img2ImgResponse/properties/task_id"}], "minLength": 1},
         "examples": {"value-1": {"value": "<string>"}}}
    ] == novita["parameters"]  # fmt: skip
    tensorart = operations(document("tensorart"))
    for method in ("GET", "DELETE"):
        (job_id,) = tensorart[(method, "/v1/jobs/{jobId}")]["parameters"]
        assert ("jobId", "path", [{"$ref": "#/components/schemas/JobInfo/properties/id"}], 1) == (
            job_id["name"], job_id["in"], job_id["schema"]["allOf"], job_id["schema"]["minLength"]
        )  # fmt: skip


@pytest.mark.parametrize(("provider", "path", "method"), [("novita", "/v3/async/task-result", "get"),
                                                          ("tensorart", "/v1/jobs/{jobId}", "get")])  # fmt: skip
def test_an_empty_required_parameter_is_invalid_per_the_export(provider: str, path: str, method: str) -> None:
    """task_id= (empty), which the mock refuses, is outside the exported parameter schema; any id is inside."""
    spec = document(provider)
    (parameter,) = spec["paths"][path][method]["parameters"]
    registry: Registry[Any] = Registry().with_resource(
        "urn:spec", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    schema = json.loads(json.dumps(parameter["schema"]).replace('"#/components', '"urn:spec#/components'))
    validator = jsonschema.Draft202012Validator(schema, registry=registry)
    assert (False, True) == (validator.is_valid(""), validator.is_valid("1234"))


def test_submit_responses_link_to_the_operations_that_take_their_ids() -> None:
    """Links say where a task id goes next: a query parameter, a path parameter or a body field."""
    link = operations(document("novita"))[("POST", "/v3/async/img2img")]["responses"]["200"]["links"]["task"]
    assert ("task", {"task_id": "$response.body#/task_id"}) == (link["operationId"], link["parameters"])
    links = operations(document("tensorart"))[("POST", "/v1/jobs")]["responses"]["200"]["links"]
    assert {"task": {"jobId": "$response.body#/job/id"}, "cancel": {"jobId": "$response.body#/job/id"}} == {
        name: link["parameters"] for name, link in links.items()
    }
    aliyun = operations(document("aliyun"))[("POST", "/scc/sd_img2img")]["responses"]["200"]["links"]["task"]
    assert {"taskId": "$response.body#/data/taskId"} == aliyun["requestBody"]
    picpik = operations(document("picpik"))[("POST", "/")]["responses"]["200"]["links"]["task"]
    assert {"Action": "GetGenerateTaskDetail", "TaskUID": "$response.body#/TaskUID"} == picpik["requestBody"]


@pytest.mark.parametrize(
    ("provider", "path", "method", "poll"),
    [
        ("novita", "/v3/async/task-result", "get", {"parameters": {"task_id": "$request.query.task_id"}}),
        ("tensorart", "/v1/jobs/{jobId}", "get", {"parameters": {"jobId": "$request.path.jobId"}}),
        ("aliyun", "/scc/sd_get_result", "post", {"requestBody": {"taskId": "$request.body#/taskId"}}),
        ("picpik", "/", "post", {"requestBody": {"Action": "GetGenerateTaskDetail", "TaskUID": "$request.body#/TaskUID"}}),
        ("zhiqite", "/AIGCImgOpenServ/saas/sd/v2/queryTaskInfo", "post",
         {"requestBody": {"businessTaskId": "$request.body#/businessTaskId"}}),
    ],
)  # fmt: skip
def test_the_task_query_links_to_itself_to_poll_until_the_task_ends(
    provider: str, path: str, method: str, poll: dict[str, Any]
) -> None:
    """The status query's answer links to the same query with the parameters it was sent: a tool following links polls
    a task through its lifecycle (queued, running, done), not just once."""
    operation = document(provider)["paths"][path][method]
    link = operation["responses"]["200"]["links"]["poll"]
    whole_body = {"x-schemathesis": {"merge_body": False}} if "requestBody" in poll else {}
    assert {"operationId": operation["operationId"], **poll, **whole_body} == {
        k: v for k, v in link.items() if k != "description"
    }


def test_aliyun_resource_pool_header_is_an_optional_header_parameter_of_the_submit() -> None:
    """X-SP-RESOURCE-CONFIG-ID, a header provider.json declares for img2img only, is documented there."""
    ops = operations(document("aliyun"))
    (header,) = ops[("POST", "/scc/sd_img2img")]["parameters"]
    assert ("X-SP-RESOURCE-CONFIG-ID", "header", False) == (header["name"], header["in"], header["required"])
    assert "parameters" not in ops[("POST", "/scc/sd_get_result")]


# -- schemas are embedded from schemas/, unchanged ---------------------------------------------------


def unhoisted(spec: dict[str, Any], component: str) -> dict[str, Any]:
    """A component turned back into its schema file: refs local again, the definitions it uses
    (directly or through others) under $defs, provenance dropped."""

    def local(name: str) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(
            json.dumps(spec["components"]["schemas"][name]).replace('"#/components/schemas/', '"#/$defs/')
        )
        return body

    restored = local(component)
    del restored["x-sdcontracts-schema"]
    defs: dict[str, Any] = {}
    wanted = set(re.findall(r'"#/\$defs/([^"/]+)"', json.dumps(restored)))
    while wanted - set(defs):
        defs.update({name: local(name) for name in wanted - set(defs)})
        wanted = {
            name for body in [restored, *defs.values()] for name in re.findall(r'"#/\$defs/([^"/]+)"', json.dumps(body))
        }
    if defs:
        restored["$defs"] = defs
    return restored


def with_int64_keywords(node: Any) -> Any:
    """The schema with what ``format: int64`` means added as standard keywords: the engine's int64 pattern and
    length for strings, the int64 range for numbers."""
    if isinstance(node, list):
        return [with_int64_keywords(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: with_int64_keywords(value) for key, value in node.items()}
    if out.get("format") == "int64":
        out["pattern"] = int64_pattern(out.get("minimum"), out.get("maximum"))
        out.update(maxLength=21, minimum=out.get("minimum", -(2**63)), maximum=out.get("maximum", 2**63 - 1))
    return out


@pytest.mark.parametrize(("provider", "schema"), [(p, s) for p in PROVIDERS for s in sdcontracts.schemas(p)])
def test_each_schema_file_is_a_component_named_by_its_title_and_otherwise_unchanged(provider: str, schema: str) -> None:
    """The component is the file's default reading (its disputes applied) with its $defs hoisted beside
    it and $schema dropped: every other keyword and annotation (x-doc, x-image, …) as written, so the
    export cannot drift from schemas/; only `format: int64` gains the standard keywords that state it."""
    spec = document(provider)
    raw = lenient_document(_catalogue.raw_schema(provider, schema))  # what is accepted by default
    component = spec["components"]["schemas"][raw["title"]]
    assert f"schemas/{provider}/{schema}.schema.json" == component["x-sdcontracts-schema"]
    expected = with_int64_keywords({key: value for key, value in raw.items() if key != "$schema"})
    restored = unhoisted(spec, raw["title"])
    if "$defs" in expected:  # only the definitions the root uses come back: the file should use them all
        assert set(expected["$defs"]) <= set(restored.get("$defs", {}))
        restored["$defs"] = {name: restored["$defs"][name] for name in expected["$defs"]}
    assert expected == restored


@pytest.mark.parametrize("example", examples(), ids=lambda e: f"{e.provider}-{e.name}")
def test_exported_schemas_judge_every_doc_example_as_the_files_do(example: Any) -> None:
    """Valid against the component exactly when valid against the shipped file's default reading
    (its JSON Schema part, disputed constraints relaxed as decided)."""
    raw = lenient_document(_catalogue.raw_schema(example.provider, example.schema))
    exported = exported_validator(document(example.provider), raw["title"])
    assert jsonschema.Draft202012Validator(raw).is_valid(example.payload) == exported.is_valid(example.payload)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_document_lists_the_providers_disputes_with_both_readings(provider: str) -> None:
    """x-sdcontracts-disputes holds every dispute the schemas and rules record, readings and sources."""
    listed = document(provider)["x-sdcontracts-disputes"]
    assert [d.to_dict() for d in disputes(provider)] == listed
    assert all(len(d["readings"]) >= 2 for d in listed)


def test_an_sdk_body_that_validate_accepts_is_valid_against_the_export() -> None:
    """The official Novita SDK's body (nulls, request.extra) passes the exported schema, as it passes
    validate(): a tool reading the export must not reject what the provider accepts."""
    body = next(e for e in examples("novita") if e.name == "novita-client-img2img-v3").payload
    assert exported_validator(document("novita"), "Img2ImgRequest").is_valid(body)


def shown_examples(spec: dict[str, Any]) -> dict[str, Any]:
    """Every request and response body example of a document, by name."""
    return {
        name: example["value"]
        for operation in operations(spec).values()
        for media in [
            *operation.get("requestBody", {}).get("content", {}).values(),
            *(m for r in operation["responses"].values() for m in r.get("content", {}).values()),
        ]
        for name, example in media.get("examples", {}).items()
    }


@pytest.mark.parametrize("provider", PROVIDERS)
def test_valid_doc_examples_are_the_documents_examples_with_generated_requests(provider: str) -> None:
    """Each doc example not recorded invalid appears as a request or response example of its schema's operations; the
    only others are generated requests, three for each request schema."""
    shown = shown_examples(document(provider))
    doc = {e.name for e in examples(provider) if e.verdict != "invalid"}
    generated = {name for name in shown if "-generated-" in name}
    assert (doc, set()) == (set(shown) - generated, doc & generated)
    requests = [name.split(".")[0] for name in sdcontracts.schemas(provider) if name.endswith(".request")]
    assert sorted(f"{schema}-generated-{i}" for schema in requests for i in (1, 2, 3)) == sorted(generated)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_generated_example_is_valid_sendable_and_valid_per_the_export(provider: str) -> None:
    """A generated example validates (sdcontracts and the exported schema alike), is small, and a submit needs no
    upload first: tools sending it get a task made."""
    spec = document(provider)
    for operation in operations(spec).values():
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        for name, example in body.get("examples", {}).items():
            if "-generated-" not in name:
                continue
            schema = f"{name.split('-generated-')[0]}.request"
            raw = _catalogue.raw_schema(provider, schema)
            assert [] == [v.rule for v in sdcontracts.validate(provider, example["value"], schema=schema).violations]
            assert exported_validator(spec, raw["title"]).is_valid(example["value"]), name
            assert len(json.dumps(example["value"])) < 4096
            assert schema != "img2img.request" or not needs_preparation(provider, example["value"])


def test_generated_examples_are_the_same_on_every_export() -> None:
    """Drawn with a fixed seed: a second export in a fresh process shows the same examples."""
    import subprocess
    import sys

    again = subprocess.run(
        [sys.executable, "-m", "sdcontracts", "openapi", "zhiqite"], capture_output=True, timeout=120
    )
    assert shown_examples(document("zhiqite")) == shown_examples(json.loads(again.stdout))


@pytest.mark.parametrize(
    ("provider", "schema", "pointer", "value", "valid"),
    [
        ("tensorart", "CreateResourceImageRequest", ("expireSec",), "", False),
        ("tensorart", "CreateResourceImageRequest", ("expireSec",), "3600", True),
        ("tensorart", "CreateResourceImageRequest", ("expireSec",), 3600, True),
        ("tensorart", "CreateResourceImageRequest", ("expireSec",), "1e3", False),
        ("tensorart", "CreateResourceImageRequest", ("expireSec",), "9" * 20, False),
        ("tensorart", "CreateResourceImageRequest", ("expireSec",), 2**63, False),
        ("tensorart", "InputInitialize", ("seed",), "", False),
        ("tensorart", "InputInitialize", ("seed",), "-1", True),
        ("tensorart", "InputInitialize", ("seed",), "4294967296", False),
    ],
)  # fmt: skip
def test_int64_fields_are_checked_by_any_tool_reading_the_export(
    provider: str, schema: str, pointer: tuple[str, ...], value: Any, valid: bool
) -> None:
    """`{"expireSec": ""}` and `seed: ""` were valid per the export (tools ignore format int64) and refused by the
    engine: the export now states the engine's pattern, and both judge alike."""
    instance: Any = value
    for step in reversed(pointer):
        instance = {step: instance}
    assert valid == exported_validator(document(provider), schema).is_valid(instance)


# -- errors, servers, security -----------------------------------------------------------------------


def test_error_statuses_are_the_ones_provider_json_gives_its_codes() -> None:
    """Novita documents its error reasons at 400, 403, 404, 429 and 500, each with the error envelope."""
    responses = operations(document("novita"))[("POST", "/v3/async/img2img")]["responses"]
    assert ["200", "400", "403", "404", "429", "500"] == sorted(responses)
    assert {"$ref": "#/components/schemas/ErrorResponse"} == responses["429"]["content"]["application/json"]["schema"]
    assert "RATE_LIMIT_EXCEEDED" in responses["429"]["description"]


@pytest.mark.parametrize(
    ("provider", "path", "success"),
    [
        ("picpik", "/", ["GenerateImg2ImgResponse", "GetGenerateTaskDetailResponse"]),
        ("zhiqite", "/AIGCImgOpenServ/saas/sd/v2/controlnet", ["ControlNetResponse"]),
        ("aliyun", "/scc/sd_get_result", ["TaskResponse"]),
    ],
)
def test_errors_sent_inside_http_200_make_the_200_body_success_or_envelope(
    provider: str, path: str, success: list[str]
) -> None:
    """Where the provider answers errors with HTTP 200, the 200 body is anyOf the success schemas and the envelope."""
    response = operations(document(provider))[("POST", path)]["responses"]["200"]
    schema = response["content"]["application/json"]["schema"]
    assert [f"#/components/schemas/{name}" for name in [*success, "ErrorResponse"]] == [
        r["$ref"] for r in schema["anyOf"]
    ]


def test_servers_are_the_documented_base_urls_with_the_given_ones_first() -> None:
    """--server URLs come first; a templated base URL gets its variable's documented default."""
    assert [
        {"url": "http://127.0.0.1:8000", "description": "given at export"},
        {"url": "https://api.novita.ai", "description": "novita"},
        {"url": "https://api.ppinfra.com", "description": "ppinfra"},
    ] == document("novita", servers=["http://127.0.0.1:8000"])["servers"]
    (app,) = [s for s in document("tensorart")["servers"] if s["description"] == "app"]
    assert ("https://{endpoint}", "tams-api.tensor.art") == (app["url"], app["variables"]["endpoint"]["default"])


@pytest.mark.parametrize(
    ("provider", "requirements"),
    [
        ("novita", [{"bearer": []}]),
        ("tensorart", [{"bearer": []}, {"tamsRsa": []}]),
        ("aliyun", [{"appKey": [], "signature": []}]),
        ("zhiqite", [{"X-Request-req-accessKeyId": [], "X-Request-req-accessKeySecret": []}]),
    ],
)
def test_every_operation_requires_the_providers_credentials(provider: str, requirements: list[Any]) -> None:
    """Bearer, one of two Tensor.Art schemes, or both of a pair of headers, on every operation."""
    spec = document(provider)
    assert [requirements] == list(
        {json.dumps(op["security"]): op["security"] for op in operations(spec).values()}.values()
    )
    assert {name for requirement in requirements for name in requirement} == set(spec["components"]["securitySchemes"])


def test_signatures_openapi_cannot_state_are_described_in_extensions() -> None:
    """TAMS-SHA256-RSA and the Alibaba gateway HMAC name their signer; PICPIK's body signature has no scheme."""
    tams = document("tensorart")["components"]["securitySchemes"]["tamsRsa"]
    assert ("header", "Authorization", "sdcontracts.auth.TamsRsaAuth") == (
        tams["in"], tams["name"], tams["x-sdcontracts-signature"]["signer"]
    )  # fmt: skip
    aliyun = document("aliyun")["components"]["securitySchemes"]["signature"]
    assert "sdcontracts.auth.AliyunGatewayAuth" == aliyun["x-sdcontracts-signature"]["signer"]
    assert "x-ca-timestamp" in aliyun["description"]
    picpik = document("picpik")
    assert "securitySchemes" not in picpik["components"]
    assert all("security" not in op for op in operations(picpik).values())
    assert ("picpik-sha1-signature", "sdcontracts.auth.PicpikSignature") == (
        picpik["x-sdcontracts-auth"]["scheme"], picpik["x-sdcontracts-auth"]["signer"]
    )  # fmt: skip


# -- the command -----------------------------------------------------------------------------------


def test_cli_writes_the_document_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`sdcontracts openapi novita -o FILE` writes document("novita") as JSON and prints nothing."""
    target = tmp_path / "novita.openapi.json"
    assert 0 == main(["openapi", "novita", "-o", str(target)])
    assert document("novita") == json.loads(target.read_text(encoding="utf-8"))
    assert ("", "") == tuple(capsys.readouterr())


def test_cli_prints_to_standard_output_with_given_servers_first(capsys: pytest.CaptureFixture[str]) -> None:
    """Without -o the document goes to standard output; --server URLs lead the servers."""
    assert 0 == main(["openapi", "zhiqite", "--server", "http://127.0.0.1:9"])
    assert document("zhiqite", servers=["http://127.0.0.1:9"]) == json.loads(capsys.readouterr().out)


def test_cli_unknown_provider_exits_2_with_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    """A misspelt provider is a usage error naming the close match, not a traceback."""
    assert 2 == main(["openapi", "tensorar"])
    assert "sdcontracts: error: unknown provider 'tensorar'; did you mean 'tensorart'?" in capsys.readouterr().err


def test_cli_unwritable_output_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A FILE in a missing directory is reported in one line, exit 2."""
    assert 2 == main(["openapi", "novita", "-o", str(tmp_path / "missing" / "x.json")])
    err = capsys.readouterr().err
    assert err.startswith("sdcontracts: error: cannot write ") and "Traceback" not in err


def test_without_hypothesis_the_export_shows_doc_examples_only() -> None:
    """Generated examples need the conformance extra; without Hypothesis the document is built all the same, with
    the doc examples alone."""
    import subprocess
    import sys

    script = (
        "import sys, json; sys.modules['hypothesis'] = None\n"
        "from sdcontracts.openapi import document\n"
        "print(json.dumps(document('zhiqite')))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert 0 == done.returncode, done.stderr[-2000:]
    shown = shown_examples(json.loads(done.stdout))
    assert {e.name for e in examples("zhiqite") if e.verdict != "invalid"} == set(shown)
