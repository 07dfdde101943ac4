"""The typed clients against scripted httpx.MockTransport stand-ins: the whole submit, wait and
download cycle, sync and async, each provider's auth on the wire, retries that never repeat an
unkeyed submit, error mapping and secret hygiene. (The faithful mock server has its own tests.)"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from conftest import b64, png
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import sdcontracts
from sdcontracts import auth
from sdcontracts._corpus import examples
from sdcontracts.clients import Retry, Submitted, Task, TaskState
from sdcontracts.clients._base import AsyncClient, SyncClient
from sdcontracts.clients.aliyun import AliyunClient, AsyncAliyunClient
from sdcontracts.clients.novita import AsyncNovitaClient, NovitaClient
from sdcontracts.clients.picpik import AsyncPicpikClient, PicpikClient
from sdcontracts.clients.tensorart import AsyncTensorArtClient, TensorArtClient
from sdcontracts.clients.zhiqite import AsyncZhiqiteClient, ZhiqiteClient

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
).decode()
PUBLIC_PEM = KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
SECRETS = ["sk_live_novita_secret", "ta_token_secret", "picpik_private_secret", "aliyun_app_secret", "zq_secret"]
IMAGE_URL = "https://images.example/out/1.png"
FAST = Retry(attempts=3, backoff=0, jitter=False)


def corpus(provider: str, name: str) -> Any:
    return copy.deepcopy(next(e for e in examples(provider) if e.name == name).payload)


NOVITA_REQUEST = {
    "request": {
        "model_name": "sd_xl_base_1.0.safetensors", "image_base64": b64(png(64, 64)), "prompt": "a dog",
        "width": 512, "height": 512, "image_num": 1, "steps": 20, "guidance_scale": 7, "sampler_name": "Euler a",
    }
}  # fmt: skip


def zhiqite_request() -> dict[str, Any]:
    payload = corpus("zhiqite", "controlnet-request")
    payload.update(batch_size=1, resize_mode=0, seed=1221212)
    del payload["alwayson_scripts"]["id_task"]
    return payload


@dataclass
class Fake:
    """A scripted provider: answers by operation, records every request it received."""

    provider: str
    statuses: list[Any]
    journal: list[httpx.Request] = field(default_factory=list)
    faults: dict[str, list[httpx.Response]] = field(default_factory=dict)  # operation -> responses to give first

    def operation(self, request: httpx.Request) -> str:
        path = request.url.path
        if request.url.host == "images.example":
            return "download"
        if request.url.host == "upload.example":
            return "upload"
        if self.provider == "picpik":
            return {"GenerateImg2Img": "img2img", "GetGenerateTaskDetail": "task"}[
                json.loads(request.content)["Action"]
            ]
        if path.endswith(("img2img", "/v1/jobs", "controlnet")) and request.method == "POST":
            return "img2img"
        if request.method == "DELETE":
            return "cancel"
        if path.endswith("/resource/image"):
            return "resource"
        return "task"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.journal.append(request)
        operation = self.operation(request)
        if self.faults.get(operation):
            return self.faults[operation].pop(0)
        if operation == "download":
            return httpx.Response(200, content=png(8, 8))
        if operation == "upload":
            return httpx.Response(200)
        if operation == "task":
            status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
            return httpx.Response(200, json=TASK[self.provider](status))
        return httpx.Response(200, json=ANSWERS[self.provider][operation](request))

    def sent(self, operation: str) -> list[httpx.Request]:
        return [r for r in self.journal if self.operation(r) == operation]


ANSWERS: dict[str, dict[str, Callable[[httpx.Request], Any]]] = {
    "novita": {"img2img": lambda r: {"task_id": "t-1"}},
    "tensorart": {
        "img2img": lambda r: {"job": {"id": "685205102316761513", "status": "CREATED"}},
        "cancel": lambda r: {"jobId": "685205102316761513"},
        "resource": lambda r: {"resourceId": "res-1", "putUrl": "https://upload.example/put/res-1", "headers": {"Content-Type": "image/png"}},
    },
    "picpik": {"img2img": lambda r: {"RetCode": 0, "Action": "GenerateImg2ImgResponse", "Message": "", "TaskUID": "cjr997tleg738lelk3n0"}},
    "aliyun": {"img2img": lambda r: {"status": 10, "apiInvokeId": "i-1", "data": {"taskId": "01j2dn2545m", "status": "waiting"}}},
    "zhiqite": {"img2img": lambda r: {"code": "200", "msg": "success", "data": {"task_id": json.loads(r.content)["alwayson_scripts"]["id_task"]}}},
}  # fmt: skip

TASK: dict[str, Callable[[Any], Any]] = {
    "novita": lambda s: {
        "task": {"task_id": "t-1", "status": s, "reason": "nsfw" if s == "TASK_STATUS_FAILED" else "",
                 "progress_percent": {"TASK_STATUS_PROCESSING": 50, "TASK_STATUS_SUCCEED": 100}.get(s, 0)},
        "images": [{"image_url": IMAGE_URL, "image_url_ttl": "3600", "image_type": "png"}] if s == "TASK_STATUS_SUCCEED" else [],
    },
    "tensorart": lambda s: {"job": {
        "id": "685205102316761513", "status": s,
        **({"runningInfo": {"stages": [{"stageIndex": "1", "processingImages": [{"progress": 40}]}]}} if s == "RUNNING" else {}),
        **({"successInfo": {"images": [{"id": "img-1", "url": IMAGE_URL, "expiredIn": "3600"}]}} if s == "SUCCESS" else {}),
        **({"failedInfo": {"reason": "out of credits"}} if s == "FAILED" else {}),
    }},
    "picpik": lambda s: {"RetCode": 0, "Action": "GetGenerateTaskDetailResponse", "TaskType": "TaskGeneratePicture", "TaskStatus": s,
                         "FinalPictureUrls": [IMAGE_URL] if s == "Finished" else [], "TaskErrorCode": 0 if s != "Error" else 7,
                         "TaskErrorMsg": "render failed" if s == "Error" else ""},
    "aliyun": lambda s: {"status": 10, "apiInvokeId": "i-2", "data": {"taskId": "01j2dn2545m", "status": s,
                         "images": [IMAGE_URL] if s == "succeeded" else [], "parameters": {}, "info": {}}},
    "zhiqite": lambda s: {"code": "200", "msg": "success", "data": {"id_task": "z", "status": s, "desc": "任务成功 !" if s == 2 else "failed",
                          "differentialImageRspList": [{"image_url": IMAGE_URL, "seed": 1}] if s == 2 else []}},
}  # fmt: skip


@dataclass(frozen=True)
class Case:
    provider: str
    sync: type[SyncClient]
    asynchronous: type[AsyncClient]
    credentials: dict[str, Any]
    request: Callable[[], Any]
    lifecycle: list[Any]  # statuses a job goes through, ending in success
    failed: Any


CASES = [
    Case("novita", NovitaClient, AsyncNovitaClient, {"api_key": SECRETS[0]}, lambda: copy.deepcopy(NOVITA_REQUEST),
         ["TASK_STATUS_QUEUED", "TASK_STATUS_PROCESSING", "TASK_STATUS_SUCCEED"], "TASK_STATUS_FAILED"),
    Case("tensorart", TensorArtClient, AsyncTensorArtClient, {"token": SECRETS[1]},
         lambda: {k: v for k, v in corpus("tensorart", "inpaint-complete").items() if k != "requestId"},
         ["WAITING", "RUNNING", "SUCCESS"], "FAILED"),
    Case("picpik", PicpikClient, AsyncPicpikClient, {"public_key": "pk_test", "private_key": SECRETS[2]},
         lambda: {k: v for k, v in corpus("picpik", "request").items() if k not in ("PublicKey", "Signature", "request_uuid")},
         ["Queuing", "Running", "Finished"], "Error"),
    Case("aliyun", AliyunClient, AsyncAliyunClient, {"app_key": "ak_test", "app_secret": SECRETS[3]},
         lambda: corpus("aliyun", "full-request"), ["waiting", "running", "succeeded"], "failed"),
    Case("zhiqite", ZhiqiteClient, AsyncZhiqiteClient, {"access_key_id": "zq_id", "access_key_secret": SECRETS[4]},
         zhiqite_request, [0, 1, 2], 3),
]  # fmt: skip
IDS = [c.provider for c in CASES]


def sync_client(case: Case, fake: Fake, **options: Any) -> SyncClient:
    options.setdefault("sleep", lambda seconds: None)
    return case.sync(**case.credentials, transport=httpx.MockTransport(fake), retry=FAST, **options)


def async_client(case: Case, fake: Fake, **options: Any) -> AsyncClient:
    async def no_sleep(seconds: float) -> None:
        return None

    options.setdefault("sleep", no_sleep)
    return case.asynchronous(**case.credentials, transport=httpx.MockTransport(fake), retry=FAST, **options)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_submit_wait_download_in_sync(case: Case) -> None:
    """submit → wait (through every status, reporting progress) → images → download bytes."""
    fake = Fake(case.provider, list(case.lifecycle))
    seen: list[TaskState] = []
    with sync_client(case, fake) as client:
        submitted = client.submit(case.request())
        task = client.wait(submitted, poll_interval=0, on_progress=lambda t: seen.append(t.state))
        data = client.download(task.images[0])
    assert (TaskState.SUCCEEDED, (IMAGE_URL,)) == (task.state, tuple(i.url for i in task.images))
    assert [TaskState.QUEUED, TaskState.RUNNING, TaskState.SUCCEEDED] == seen
    assert data.startswith(b"\x89PNG")
    assert 1 == len(fake.sent("img2img"))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_submit_wait_download_in_async(case: Case) -> None:
    """The async twin completes the same cycle with the same results."""
    fake = Fake(case.provider, list(case.lifecycle))

    async def run() -> tuple[Task[Any], bytes]:
        async with async_client(case, fake) as client:
            task = await client.generate(case.request(), poll_interval=0)
            return task, await client.download(task.images[0])

    task, data = asyncio.run(run())
    assert TaskState.SUCCEEDED == task.state and data.startswith(b"\x89PNG")


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_submitted_body_is_the_validated_contract(case: Case) -> None:
    """What goes on the wire validates against the provider's request schema."""
    fake = Fake(case.provider, list(case.lifecycle))
    with sync_client(case, fake) as client:
        client.submit(case.request())
    (request,) = fake.sent("img2img")
    assert [] == list(sdcontracts.validate(case.provider, json.loads(request.content)).violations)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_invalid_payload_raises_request_invalid_and_sends_nothing(case: Case) -> None:
    """A payload breaking the contract raises RequestInvalid with the report; no request leaves."""
    fake = Fake(case.provider, list(case.lifecycle))
    payload = case.request()
    payload["no_such_field"] = 1
    with sync_client(case, fake) as client, pytest.raises(sdcontracts.RequestInvalid) as caught:
        client.submit(payload)
    assert "unknown-field" in caught.value.report.rules
    assert [] == fake.journal


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_validation_can_be_switched_off_per_call(case: Case) -> None:
    """validate=False sends the payload as it is (for testing what the provider does with it)."""
    fake = Fake(case.provider, list(case.lifecycle))
    payload = case.request()
    payload["no_such_field"] = 1
    with sync_client(case, fake) as client:
        client.submit(payload, validate=False)
    assert 1 == json.loads(fake.sent("img2img")[0].content)["no_such_field"]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_failed_task_raises_task_failed_with_the_providers_reason(case: Case) -> None:
    """A task ending in the provider's failure status raises TaskFailed carrying the last state."""
    fake = Fake(case.provider, [case.lifecycle[0], case.failed])
    with sync_client(case, fake) as client, pytest.raises(sdcontracts.TaskFailed) as caught:
        client.wait("id-1", poll_interval=0)
    assert TaskState.FAILED == caught.value.task.state


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_waiting_stops_at_its_deadline(case: Case) -> None:
    """A task that never finishes raises TaskTimeout once the timeout passes."""
    fake = Fake(case.provider, [case.lifecycle[0]])
    with sync_client(case, fake) as client, pytest.raises(sdcontracts.TaskTimeout) as caught:
        client.wait("id-1", poll_interval=0.01, timeout=0.05)
    assert TaskState.QUEUED == caught.value.task.state
    assert len(fake.sent("task")) >= 2


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_reads_are_retried_through_transient_failures(case: Case) -> None:
    """502, 503, 429 and a garbled body on a status poll are retried; the poll then succeeds."""
    fake = Fake(case.provider, [case.lifecycle[-1]])
    fake.faults["task"] = [httpx.Response(502), httpx.Response(503), httpx.Response(200, content=b"{not json")]
    with sync_client(case, fake) as client:
        assert TaskState.SUCCEEDED == client.get_task("id-1").state
    assert 4 == len(fake.sent("task"))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_retries_give_up_after_the_budget_with_the_documented_error(case: Case) -> None:
    """Persistent 503s end in ServerError after 1 + attempts tries."""
    fake = Fake(case.provider, [case.lifecycle[-1]])
    fake.faults["task"] = [httpx.Response(503)] * 10
    with sync_client(case, fake) as client, pytest.raises(sdcontracts.ServerError):
        client.get_task("id-1")
    assert 1 + FAST.attempts == len(fake.sent("task"))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_submit_without_idempotency_key_is_never_sent_twice(case: Case) -> None:
    """A 503 on submit: providers without an idempotency key get exactly one attempt; those with
    one (Tensor.Art requestId, Zhiqite id_task) are retried with the same key."""
    fake = Fake(case.provider, list(case.lifecycle))
    fake.faults["img2img"] = [httpx.Response(503)]
    with sync_client(case, fake) as client:
        if case.sync.idempotent_submit:
            submitted = client.submit(case.request())
            first, second = (json.loads(r.content) for r in fake.sent("img2img"))
            assert first == second and submitted.idempotency_key is not None
        else:
            with pytest.raises(sdcontracts.ServerError):
                client.submit(case.request())
            assert 1 == len(fake.sent("img2img"))


def test_retry_after_is_honoured() -> None:
    """A 429 with Retry-After: 7 waits 7 seconds before the retry."""
    case = CASES[0]
    fake = Fake("novita", ["TASK_STATUS_SUCCEED"])
    fake.faults["task"] = [
        httpx.Response(429, headers={"Retry-After": "7"}, json={"code": 429, "reason": "RATE_LIMIT_EXCEEDED"})
    ]
    slept: list[float] = []
    with sync_client(case, fake, sleep=slept.append) as client:
        client.get_task("t-1")
    assert [7.0] == slept


def test_retry_after_beyond_the_budget_raises_rate_limited_at_once() -> None:
    """A Retry-After longer than max_retry_after is not waited out: RateLimited says how long."""
    case = CASES[0]
    fake = Fake("novita", ["TASK_STATUS_SUCCEED"])
    fake.faults["task"] = [httpx.Response(429, headers={"Retry-After": "3600"}, json={"reason": "RATE_LIMIT_EXCEEDED"})]
    with sync_client(case, fake) as client, pytest.raises(sdcontracts.RateLimited) as caught:
        client.get_task("t-1")
    assert 3600.0 == caught.value.retry_after and 1 == len(fake.journal)


def test_connection_errors_are_retried_then_reported() -> None:
    """A dropped connection on a read is retried; when it persists, TransportError."""
    calls: list[int] = []

    def drop(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.RemoteProtocolError("peer closed connection", request=request)

    client = NovitaClient(api_key="k", transport=httpx.MockTransport(drop), retry=FAST, sleep=lambda s: None)
    with client, pytest.raises(sdcontracts.TransportError) as caught:
        client.get_task("t-1")
    assert 4 == len(calls) and "RemoteProtocolError" in str(caught.value)


# -- provider error envelopes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "response", "error", "code"),
    [
        (CASES[0], httpx.Response(403, json={"code": 403, "reason": "INVALID_API_KEY", "message": "invalid key"}), sdcontracts.AuthError, "INVALID_API_KEY"),
        (CASES[0], httpx.Response(400, json={"code": 400, "reason": "MISSING_API_KEY", "message": "no key"}), sdcontracts.AuthError, "MISSING_API_KEY"),
        (CASES[0], httpx.Response(404, json={"code": 404, "reason": "TASK_NOT_FOUND", "message": "no task"}), sdcontracts.TaskNotFound, "TASK_NOT_FOUND"),
        (CASES[0], httpx.Response(400, json={"code": 400, "reason": "ILLEGAL_PROMPT", "message": "no"}), sdcontracts.RequestRejected, "ILLEGAL_PROMPT"),
        (CASES[1], httpx.Response(401, json={"code": 16, "message": "Signature verification failed"}), sdcontracts.AuthError, "16"),
        (CASES[1], httpx.Response(404, json={"code": 5, "message": "job not found"}), sdcontracts.TaskNotFound, "5"),
        (CASES[1], httpx.Response(400, json={"code": 3, "message": "params valid", "details": [{"@type": "x", "message": "bad width"}]}), sdcontracts.RequestRejected, "3"),
        (CASES[2], httpx.Response(200, json={"RetCode": 161, "Action": "x", "Message": "signature mismatch"}), sdcontracts.AuthError, "161"),
        (CASES[2], httpx.Response(200, json={"RetCode": 290, "Action": "x", "Message": "no such task"}), sdcontracts.TaskNotFound, "290"),
        (CASES[2], httpx.Response(200, json={"RetCode": 999, "Action": "x", "Message": "??"}), sdcontracts.RequestRejected, "999"),
        (CASES[3], httpx.Response(400, headers={"X-Ca-Error-Message": "Invalid Signature"}, json={"status": 20, "errCode": "InvalidSignature"}), sdcontracts.AuthError, "InvalidSignature"),
        (CASES[3], httpx.Response(200, json={"status": 20, "subErrCode": "TaskNotFound", "subErrMessage": "no task"}), sdcontracts.TaskNotFound, "TaskNotFound"),
        (CASES[4], httpx.Response(200, json={"code": "400", "msg": "参数错误"}), sdcontracts.RequestRejected, "400"),
        (CASES[4], httpx.Response(200, json={"code": "401", "msg": "bad key"}), sdcontracts.AuthError, "401"),
    ],
    ids=lambda v: v.provider if isinstance(v, Case) else None,
)  # fmt: skip
def test_error_envelopes_map_to_the_documented_hierarchy(
    case: Case, response: httpx.Response, error: type, code: str
) -> None:
    """Each provider's own error shape becomes the right ProviderError subclass, with its code."""
    fake = Fake(case.provider, list(case.lifecycle))
    fake.faults["task"] = [response]
    with sync_client(case, fake) as client, pytest.raises(error) as caught:
        client.get_task("id-1")
    assert (code, case.provider) == (caught.value.code, caught.value.provider)


def test_tensorart_rejection_message_includes_the_details() -> None:
    """A bare "params valid" message is completed with details[].message."""
    fake = Fake("tensorart", ["SUCCESS"])
    fake.faults["task"] = [
        httpx.Response(
            400, json={"code": 3, "message": "params valid", "details": [{"message": "width must be 512..1536"}]}
        )
    ]
    with sync_client(CASES[1], fake) as client, pytest.raises(sdcontracts.RequestRejected) as caught:
        client.get_task("1")
    assert "params valid; width must be 512..1536" == caught.value.message


# -- auth on the wire ----------------------------------------------------------------------------


def run_submit(case: Case, **options: Any) -> Fake:
    fake = Fake(case.provider, list(case.lifecycle))
    with sync_client(case, fake, **options) as client:
        client.submit(case.request())
        client.get_task("id-1")
    return fake


def test_novita_sends_a_bearer_key() -> None:
    """Every Novita request carries Authorization: Bearer <key>."""
    assert {f"Bearer {SECRETS[0]}"} == {r.headers["Authorization"] for r in run_submit(CASES[0]).journal}


def test_tensorart_rsa_signature_verifies_with_the_public_key() -> None:
    """TAMS-SHA256-RSA headers verify against the app's public key, body and path included."""
    case = Case("tensorart", TensorArtClient, AsyncTensorArtClient, {"app_id": "app-1", "private_key": PRIVATE_PEM},
                CASES[1].request, CASES[1].lifecycle, "FAILED")  # fmt: skip
    fake = run_submit(case)
    for request in fake.journal:
        header = auth.parse_tams_authorization(request.headers["Authorization"])
        auth.verify_tams_signature(PUBLIC_PEM, header, request.method, request.url.raw_path.decode(), request.content)
        assert "app-1" == header.app_id
    tampered = fake.journal[0].content.replace(b"JUST_RESIZE", b"CROP_AND_RESIZE")
    header = auth.parse_tams_authorization(fake.journal[0].headers["Authorization"])
    with pytest.raises(auth.SignatureError):
        auth.verify_tams_signature(PUBLIC_PEM, header, "POST", "/v1/jobs", tampered)


def test_tensorart_sets_a_request_id_and_keeps_the_callers() -> None:
    """requestId is set when missing (the idempotency key) and left alone when given."""
    fake = run_submit(CASES[1])
    sent = json.loads(fake.sent("img2img")[0].content)
    assert 32 == len(sent["requestId"])
    fake = Fake("tensorart", ["SUCCESS"])
    with sync_client(CASES[1], fake) as client:
        submitted = client.submit({**CASES[1].request(), "request_id": "mine"})
    assert ("mine", "mine") == (submitted.idempotency_key, json.loads(fake.journal[0].content)["request_id"])


def test_picpik_signature_recomputes_from_the_body() -> None:
    """The Signature in each PICPIK body is the SHA-1 of its sorted parameters and the private key."""
    for request in run_submit(CASES[2]).journal:
        body = json.loads(request.content)
        assert auth.picpik_signature(body, SECRETS[2]) == body["Signature"]
        assert "pk_test" == body["PublicKey"] and body["Action"] in ("GenerateImg2Img", "GetGenerateTaskDetail")


def test_aliyun_gateway_signature_recomputes_from_the_headers() -> None:
    """x-ca-signature is HmacSHA256 over the canonical request; Content-MD5 matches the body."""
    for request in run_submit(CASES[3], resource_config="pool-a,default").journal:
        headers = dict(request.headers)
        string = auth.aliyun_string_to_sign(request.method, request.url.raw_path.decode(), headers)
        assert auth.aliyun_signature(SECRETS[3], string) == headers["x-ca-signature"]
        assert auth.content_md5(request.content) == headers["content-md5"]
        assert ("ak_test", "pool-a,default") == (headers["x-ca-key"], headers["x-sp-resource-config-id"])


def test_zhiqite_sends_both_key_headers_and_an_id_task() -> None:
    """The key pair goes in its two headers; id_task is filled in and becomes the task id."""
    fake = Fake("zhiqite", [2])
    with sync_client(CASES[4], fake) as client:
        submitted = client.submit(CASES[4].request())
    (request,) = fake.journal
    assert ("zq_id", SECRETS[4]) == (
        request.headers["X-Request-req-accessKeyId"],
        request.headers["X-Request-req-accessKeySecret"],
    )
    assert submitted.id == submitted.idempotency_key == json.loads(request.content)["alwayson_scripts"]["id_task"]


# -- Tensor.Art extras ---------------------------------------------------------------------------


def test_tensorart_upload_is_two_steps_and_the_put_carries_no_credentials() -> None:
    """upload_image asks for an address, PUTs the bytes there with the given headers, returns the id."""
    fake = Fake("tensorart", ["SUCCESS"])
    with sync_client(CASES[1], fake) as client:
        resource = client.upload_image(png(16, 16), term=1)
    create, put = fake.journal
    assert ("res-1", {"term": 1}) == (resource, json.loads(create.content))
    assert ("PUT", "image/png", png(16, 16)) == (put.method, put.headers["Content-Type"], put.content)
    assert "Authorization" not in put.headers


def test_tensorart_cancel_deletes_the_job() -> None:
    """cancel sends DELETE /v1/jobs/{id}."""
    fake = Fake("tensorart", ["SUCCESS"])
    with sync_client(CASES[1], fake) as client:
        assert {"jobId": "685205102316761513"} == client.cancel("685205102316761513")
    assert ("DELETE", "/v1/jobs/685205102316761513") == (fake.journal[0].method, fake.journal[0].url.path)


def test_providers_without_cancel_say_so() -> None:
    """Novita has no cancel operation: NotImplementedError names the provider."""
    with NovitaClient(api_key="k") as client, pytest.raises(NotImplementedError, match="novita"):
        client.cancel("t")


def test_tensorart_progress_is_a_fraction() -> None:
    """runningInfo progress 40 becomes 0.4."""
    fake = Fake("tensorart", ["RUNNING"])
    with sync_client(CASES[1], fake) as client:
        assert 0.4 == client.get_task("1").progress


# -- secrets -------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_secrets_never_appear_in_reprs_errors_or_logs(case: Case, caplog: pytest.LogCaptureFixture) -> None:
    """Keys, secrets and signatures stay out of repr(client), exception text and log records."""
    caplog.set_level(logging.DEBUG, logger="sdcontracts")
    fake = Fake(case.provider, list(case.lifecycle))
    fake.faults["task"] = [httpx.Response(503)] * 3 + [httpx.Response(401, json={})]
    texts = []
    with sync_client(case, fake) as client:
        texts.append(repr(client))
        client.submit(case.request())
        with pytest.raises(sdcontracts.ProviderError) as caught:
            client.get_task("id-1")
        texts += [str(caught.value), repr(caught.value)]
    texts += [record.getMessage() for record in caplog.records]
    signatures = [r.headers.get("Authorization", "") for r in fake.journal] + [
        json.loads(r.content).get("Signature", "") for r in fake.journal if r.content
    ]
    leaked = [s for s in [*SECRETS, *[s for s in signatures if s]] if any(s in t for t in texts)]
    assert [] == leaked
    assert any("retry" in record.getMessage() for record in caplog.records)


def test_credentials_are_required() -> None:
    """Missing or conflicting credentials are a ValueError at construction, before any call."""
    with pytest.raises(ValueError):
        TensorArtClient()
    with pytest.raises(ValueError):
        TensorArtClient(token="t", app_id="a", private_key=PRIVATE_PEM)
    with pytest.raises(ValueError):
        NovitaClient(api_key="")


def test_submitted_prints_as_its_id() -> None:
    """A Submitted value can be passed wherever an id is expected."""
    assert "t-1" == str(Submitted("novita", "t-1"))


def test_submit_accepts_a_generated_model() -> None:
    """A typed request model is sent as its wire JSON (aliases, unset fields left out)."""
    from sdcontracts.models.novita import Img2ImgParameters, Img2ImgRequest

    params = Img2ImgParameters.model_validate(NOVITA_REQUEST["request"])
    fake = Fake("novita", ["TASK_STATUS_SUCCEED"])
    with sync_client(CASES[0], fake) as client:
        client.submit(Img2ImgRequest(request=params))
    assert NOVITA_REQUEST == json.loads(fake.sent("img2img")[0].content)


def test_task_response_is_the_typed_model() -> None:
    """task.response parses the raw body with the provider's generated model, on first access."""
    fake = Fake("tensorart", ["SUCCESS"])
    with sync_client(CASES[1], fake) as client:
        task = client.get_task("1")
    assert "SUCCESS" == task.response.job.status
    assert "3600" == task.response.job.success_info.images[0].expired_in


# -- raw submits --------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", [c for c in CASES if c.provider != "picpik"], ids=lambda c: c.provider)
def test_a_raw_submit_sends_the_payload_exactly_as_given(case: Case) -> None:
    """raw=True adds no ids and validates nothing: a broken payload reaches the wire unchanged."""
    fake = Fake(case.provider, list(case.lifecycle))
    broken = {"unexpected_field": 1, "prompt": 7, "alwayson_scripts": {"id_task": 5}}
    with sync_client(case, fake) as client:
        client.submit(broken, raw=True)
    assert broken == json.loads(fake.sent("img2img")[0].content)


def test_a_raw_submit_may_send_a_body_that_is_not_an_object() -> None:
    fake = Fake("novita", ["TASK_STATUS_SUCCEED"])
    with sync_client(CASES[0], fake) as client:
        client.submit(["not", "an", "object"], raw=True)
    assert ["not", "an", "object"] == json.loads(fake.sent("img2img")[0].content)


def test_picpik_seal_signs_a_body_and_leaves_anything_else_alone() -> None:
    client = PicpikClient("pk_test", SECRETS[2])
    sealed = client.seal({"Action": "GenerateImg2Img", "Width": 512})
    assert "pk_test" == sealed["PublicKey"]
    assert (
        auth.picpik_signature({k: v for k, v in sealed.items() if k != "Signature"}, SECRETS[2]) == sealed["Signature"]
    )
    assert [1] == client.seal([1])
    body = {"prompt": "x"}
    assert body is NovitaClient(api_key="k").seal(body)


def test_a_request_with_disputed_values_is_sent_and_its_warnings_returned(caplog: pytest.LogCaptureFixture) -> None:
    """Nulls and request.extra, as Novita's own SDK sends them: sent, with the warnings on the
    Submitted and in the log (no secret in either)."""
    fake = Fake("novita", ["TASK_STATUS_SUCCEED"])
    payload = copy.deepcopy(NOVITA_REQUEST)
    payload["request"].update(negative_prompt=None, extra={})
    with caplog.at_level(logging.WARNING, logger="sdcontracts.clients"), sync_client(CASES[0], fake) as client:
        submitted = client.submit(payload)
    assert 1 == len(fake.sent("img2img"))
    assert {
        ("/request/negative_prompt", "novita.null-optional-fields"),
        ("/request/extra", "novita.sdk-request-extra"),
    } == {(w.path, w.dispute.id if w.dispute else "") for w in submitted.warnings}
    assert 2 == len([r for r in caplog.records if r.levelno == logging.WARNING])
    assert SECRETS[0] not in caplog.text


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_strict_client_refuses_disputed_values_and_sends_nothing(asynchronous: bool) -> None:
    """strict=True: a value only a disputed reading accepts raises RequestInvalid before sending."""
    fake = Fake("novita", ["TASK_STATUS_SUCCEED"])
    payload = copy.deepcopy(NOVITA_REQUEST)
    payload["request"]["negative_prompt"] = None
    if asynchronous:

        async def run() -> None:
            async with async_client(CASES[0], fake, strict=True) as client:
                await client.submit(payload)

        with pytest.raises(sdcontracts.RequestInvalid) as caught:
            asyncio.run(run())
    else:
        with sync_client(CASES[0], fake, strict=True) as client, pytest.raises(sdcontracts.RequestInvalid) as caught:
            client.submit(payload)
    assert [("type", "/request/negative_prompt")] == [(v.rule, v.path) for v in caught.value.report.violations]
    assert [] == fake.journal


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_the_pre_submit_check_reads_the_request_as_the_caller_wrote_it(case: Case) -> None:
    """What a caller hands the client (no ids, credentials or signatures) breaks nothing in the
    caller's view, which is the view the client checks before filling those in."""
    report = sdcontracts.validate(case.provider, case.request(), view="caller")
    assert [] == list(report.violations)
    assert [] == [w for w in report.warnings if w.rule == "required"]
