"""The proxy's pieces without a server: which operation a request is (`_routes`), how an answer is read
and where it drifts (`_answers`), and the provider answers the proxy gives itself (`_envelopes`)."""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import httpx
import pytest
from payloads import PROVIDERS
from sdcontracts.mock import Mock, MockConfig, MockRequest

from sdcontracts import RateLimited, RequestRejected, ServerError, validate
from sdcontracts.proxy._answers import AnswerChecker, decoded, schema_path, unlisted
from sdcontracts.proxy._envelopes import Envelopes
from sdcontracts.proxy._routes import Routes

# -- routes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "method", "path", "expected"),
    [
        ("novita", "POST", "/v3/async/img2img", (["img2img"], {})),
        ("novita", "GET", "/v3/async/task-result", (["task"], {})),
        ("novita", "HEAD", "/v3/async/task-result", (["task"], {})),
        ("novita", "PUT", "/v3/async/img2img", ([], {})),
        ("tensorart", "POST", "/v1/jobs/credits", (["credits"], {})),
        ("tensorart", "GET", "/v1/jobs/credits", ([], {})),
        ("tensorart", "GET", "/v1/jobs/123", (["task"], {"jobId": "123"})),
        ("tensorart", "DELETE", "/v1/jobs/123", (["cancel"], {"jobId": "123"})),
        ("tensorart", "GET", "/v1/jobs/1/2", ([], {})),
        ("tensorart", "GET", "/v1/jobs/", ([], {})),
        ("picpik", "POST", "/", (["img2img", "task"], {})),
    ],
)
def test_operations_are_found_as_provider_json_lists_them(
    provider: str, method: str, path: str, expected: tuple[list[str], dict[str, str]]
) -> None:
    """Exact paths, one trailing {parameter}, a concrete path before a template, HEAD where GET is."""
    operations, params = Routes(provider).match(method, path)
    assert expected == ([o.name for o in operations], params)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"Action": "GenerateImg2Img"}, "img2img"),
        ({"Action": "GetGenerateTaskDetail"}, "task"),
        ({"Action": "ListGenerateTaskDetail"}, None),
        ({"Action": ["GenerateImg2Img"]}, None),
        ({}, None),
        ("GenerateImg2Img", None),
    ],
)
def test_picpik_operations_sharing_a_path_are_told_apart_by_the_constant_their_schemas_give_action(
    body: Any, expected: str | None
) -> None:
    routes = Routes("picpik")
    operations, _ = routes.match("POST", "/")
    picked = routes.pick(operations, body)
    assert ("Action", expected) == (
        "Action" if routes.operations["img2img"].discriminator else None,
        picked.name if picked else None,
    )


# -- the closed reading and the checks ----------------------------------------------------------------


def test_a_field_an_object_does_not_list_is_a_new_field_at_any_depth_and_in_every_array_item() -> None:
    job = {"id": "1", "status": "SUCCESS", "brandNew": 1,
           "successInfo": {"images": [{"url": "u", "id": "i"}, {"url": "v", "blurHash": "x"}]}}  # fmt: skip
    found = unlisted("tensorart", "task.response", {"job": job, "trace": {}})
    assert ["/job/brandNew", "/job/successInfo/images/1/blurHash", "/trace"] == sorted(d.path for d in found)
    assert {"unknown-field"} == {d.rule for d in found}


def test_objects_mapping_any_key_to_a_schema_are_free_and_so_are_objects_listing_no_fields() -> None:
    """Tensor.Art's upload headers and Novita's error metadata map any name to a string; Alibaba's task echoes
    its request in ``parameters`` and says what it likes in ``info``, objects whose schemas list no field."""
    assert [] == unlisted(
        "tensorart", "resource.response", {"resourceId": "r", "putUrl": "u", "headers": {"X-Any": "1"}}
    )
    assert [] == unlisted("novita", "error", {"code": 400, "metadata": {"whatever": "x"}})
    assert [] == unlisted(
        "aliyun", "task.response", {"data": {"parameters": {"prompt": "p"}, "info": {"any": {"thing": 1}}}}
    )


def test_drift_paths_are_labelled_by_schema_path_with_every_array_index_as_a_star() -> None:
    assert ("/images/*/url", "/a/*/*", "/x1/b") == (
        schema_path("/images/0/url"),
        schema_path("/a/12/3"),
        schema_path("/x1/b"),
    )


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("kind", ["invalid", "auth", "rate", "not-found", "server"])
def test_every_error_the_mock_renders_reads_as_that_error_with_no_drift(provider: str, kind: str) -> None:
    """The mock's error answers keep the contract the proxy checks answers against: a documented status and
    code, the error schema read closed. (So the proxy's own answers, rendered by the same code, do too.)"""
    handler = Mock(MockConfig(providers=(provider,))).handlers[provider]
    operation = Routes(provider).operations["img2img"]
    answer = handler.error(
        kind, "why", MockRequest(operation.method, operation.path, body=b'{"Action":"GenerateImg2Img"}')
    )
    read = AnswerChecker(provider).check(
        operation, operation.method, httpx.Response(answer.status, headers=answer.headers), answer.body
    )
    expected = {"rate": RateLimited, "server": ServerError}.get(kind)
    assert ((), True) == (read.drift, read.error is not None and (expected is None or isinstance(read.error, expected)))


def test_a_success_is_checked_against_its_operations_schema_and_an_error_against_the_error_schema() -> None:
    checker = AnswerChecker("zhiqite")
    operation = Routes("zhiqite").operations["img2img"]
    good = json.dumps({"code": "200", "msg": "success", "data": {"task_id": "t"}}).encode()
    bad = json.dumps({"code": 400, "msg": "no"}).encode()
    read_good = checker.check(operation, "POST", httpx.Response(200), good)
    read_bad = checker.check(operation, "POST", httpx.Response(200), bad)
    assert ((), None) == (read_good.drift, read_good.error)
    assert (["/code"], ["type"], RequestRejected) == (
        [d.path for d in read_bad.drift],
        [d.rule for d in read_bad.drift],
        type(read_bad.error),
    )


def test_an_aliyun_gateway_error_code_in_its_header_is_checked_too() -> None:
    """Alibaba's gateway names its error in X-Ca-Error-Code; a code provider.json lacks is drift at the top."""
    operation = Routes("aliyun").operations["img2img"]
    gateway = httpx.Response(403, headers={"x-ca-error-code": "QuotaExhausted"})
    read = AnswerChecker("aliyun").check(operation, "POST", gateway, b"")
    assert [("", "not-json")] == [(d.path, d.rule) for d in read.drift]
    read = AnswerChecker("aliyun").check(operation, "POST", gateway, b"{}")
    assert [("", "undocumented-code")] == [(d.path, d.rule) for d in read.drift]


@pytest.mark.parametrize(
    ("encoding", "body", "expected"),
    [
        ("", b'{"a":1}', b'{"a":1}'),
        ("gzip", gzip.compress(b'{"a":1}'), b'{"a":1}'),
        ("deflate", zlib.compress(b'{"a":1}'), b'{"a":1}'),
        ("br", b"\x1b\x00", None),
        ("gzip", b"not gzip", None),
        ("gzip", gzip.compress(b"0" * 10_000_000), None),
    ],
    ids=["identity", "gzip", "deflate", "brotli", "broken", "bomb"],
)
def test_an_encoded_answer_is_read_within_the_limit_or_left_unchecked(
    encoding: str, body: bytes, expected: bytes | None
) -> None:
    """gzip and deflate are undone for the checks (never more than the answer limit: a small bomb is not
    inflated); an encoding the proxy cannot undo leaves the answer unchecked, and it passes on as it came."""
    assert expected == decoded(body, encoding, 1_000_000)


# -- the proxy's own answers -----------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_proxys_refusal_is_the_mocks_own_answer_to_the_same_violation(provider: str) -> None:
    """One code path: Envelopes.rejected renders with the provider's mock handler."""
    report = validate(provider, {"unknown": 1})
    request = MockRequest("POST", "/", body=b'{"Action":"GenerateImg2Img"}')
    mock = Mock(MockConfig(providers=(provider,))).handlers[provider].rejected(report, request)
    mine = Envelopes(provider, max_body_bytes=1, body_timeout=1).rejected(report, request)
    strip = lambda body: {k: v for k, v in json.loads(body).items() if k != "apiInvokeId"}  # noqa: E731
    assert (mock.status, strip(mock.body)) == (mine.status, strip(mine.body))
