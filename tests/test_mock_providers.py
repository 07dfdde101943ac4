"""The mock's Tensor.Art, PICPIK, Alibaba and Zhiqite handlers: each provider's full cycle through
its real client (sync and async), its exact error envelopes, and its stateful rules.

No test sleeps: lifecycles run in ``steps`` mode (one phase per status query) on a ManualClock, and
the Alibaba gateway's wall clock is pinned by replacing the handler's ``wall``."""

from __future__ import annotations

import asyncio
import base64
import copy
import io
import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from conftest import b64, png
from PIL import Image
from sdcontracts.mock import ManualClock, Mock, MockConfig
from sdcontracts.mock._handler import describe

import sdcontracts
from sdcontracts import auth
from sdcontracts._corpus import examples
from sdcontracts._images import read_image
from sdcontracts.clients import Retry, TaskState
from sdcontracts.clients.aliyun import AliyunClient, AsyncAliyunClient
from sdcontracts.clients.picpik import AsyncPicpikClient, PicpikClient
from sdcontracts.clients.zhiqite import AsyncZhiqiteClient, ZhiqiteClient

TAMS = "https://tams-api.tensor.art"


def corpus(provider: str, name: str) -> Any:
    return copy.deepcopy(next(e for e in examples(provider) if e.name == name).payload)


def jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def mock() -> Mock:
    return Mock(MockConfig(lifecycle="steps"), clock=ManualClock())


def raw(mock: Mock, method: str, url: str, **kwargs: Any) -> httpx.Response:
    with httpx.Client(transport=mock.transport()) as http:
        return http.request(method, url, **kwargs)


def valid(provider: str, body: Any, schema: str) -> list[str]:
    return [f"{v.path} {v.rule}" for v in sdcontracts.validate(provider, body, schema=schema).violations]


# -- Tensor.Art ------------------------------------------------------------------------------------


def inpaint_job(client: Any, size: tuple[int, int] = (512, 768), mask: bytes | None = None) -> dict[str, Any]:
    job = corpus("tensorart", "inpaint-complete")
    del job["requestId"]
    job["stages"][0]["inputInitialize"]["imageResourceId"] = client.upload_image(png(*size))
    job["stages"][1]["imageToInpaint"]["maskImageResourceId"] = client.upload_image(mask or jpeg(*size))
    return job


def test_tensorart_upload_submit_wait_download(mock: Mock) -> None:
    """Upload source and mask, submit an inpaint job, see WAITING/RUNNING/SUCCESS, download the PNGs."""
    client = mock.client("tensorart", base_url=TAMS)
    statuses: list[str] = []
    task = client.generate(inpaint_job(client), poll_interval=0, on_progress=lambda t: statuses.append(t.status))
    assert ["WAITING", "RUNNING", "SUCCESS"] == statuses
    assert ("png", 512, 768) == read_image(client.download(task.images[0]))[:3]
    assert [] == valid("tensorart", task.raw, "task.response")


def test_tensorart_job_ids_and_ranks_are_protobuf_strings(mock: Mock) -> None:
    """Creation answers CREATED; ids, queueRank, expiredIn and stageIndex are decimal strings."""
    client = mock.client("tensorart", base_url=TAMS)
    first = client.submit(inpaint_job(client))
    second = client.submit(inpaint_job(client))
    assert "CREATED" == first.raw["job"]["status"] and first.id.isdigit()
    waiting = raw(mock, "GET", f"{TAMS}/v1/jobs/{second.id}", headers={"authorization": "Bearer ta_mock_token"}).json()
    assert {"status": "WAITING", "waitingInfo": {"queueRank": "1"}} == {
        k: waiting["job"][k] for k in ("status", "waitingInfo")
    }
    for _ in range(3):  # steps mode: queued, running, succeeded
        done = client.get_task(first)
    assert "86400" == done.raw["job"]["successInfo"]["images"][0]["expiredIn"]


def test_tensorart_async_client_and_rsa_signature(mock: Mock) -> None:
    """The async client signing with TAMS-SHA256-RSA completes the cycle too."""

    async def run() -> TaskState:
        async with mock.client("tensorart", asynchronous=True, rsa=True, base_url=TAMS) as client:
            job = corpus("tensorart", "image-to-upscaler")
            job["stages"][1]["diffusion"]["negativePrompts"] = []
            job["stages"][0]["inputInitialize"]["image_resource_id"] = await client.upload_image(png(512, 512))
            return (await client.generate(job, poll_interval=0)).state

    assert TaskState.SUCCEEDED == asyncio.run(run())


def test_tensorart_request_id_is_idempotent(mock: Mock) -> None:
    """The same requestId returns the same job, however often it is sent."""
    client = mock.client("tensorart", base_url=TAMS)
    job = {**inpaint_job(client), "requestId": "same-id"}
    assert 1 == len({client.submit(job).id for _ in range(3)})


def test_tensorart_cancel(mock: Mock) -> None:
    """DELETE cancels an unfinished job (CANCELED); an unknown id is 404 code 5."""
    client = mock.client("tensorart", base_url=TAMS, retry=Retry(attempts=0))
    submitted = client.submit(inpaint_job(client))
    assert {"jobId": submitted.id} == client.cancel(submitted)
    assert "CANCELED" == client.get_task(submitted).status
    with pytest.raises(sdcontracts.TaskNotFound):
        client.cancel("123")


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [({}, "missing Authorization"), ({"authorization": "Bearer wrong"}, "invalid token"),
     ({"authorization": "TAMS-SHA256-RSA app_id=mock-app,nonce_str=n"}, "lacks timestamp, signature")],
)  # fmt: skip
def test_tensorart_bad_credentials_are_401_code_16(mock: Mock, headers: dict[str, str], fragment: str) -> None:
    """Missing, wrong or malformed credentials: HTTP 401, {"code": 16}."""
    response = raw(mock, "GET", f"{TAMS}/v1/jobs/1", headers=headers)
    assert (401, 16) == (response.status_code, response.json()["code"])
    assert fragment in response.json()["message"]


def test_tensorart_rsa_rejects_tampering_staleness_and_replay(mock: Mock) -> None:
    """A changed body, a stale timestamp and a replayed nonce each fail verification."""
    key = mock.credentials("tensorart", "rsa")
    fixed = auth.TamsRsaAuth(key["app_id"], key["private_key"], nonce=lambda: "same-nonce")
    stale = auth.TamsRsaAuth(key["app_id"], key["private_key"], clock=lambda: 1_000_000)
    with httpx.Client(transport=mock.transport(), base_url=TAMS) as http:
        assert 404 == http.get("/v1/jobs/1", auth=fixed).status_code  # verified; the job just does not exist
        assert "nonce was already used" in http.get("/v1/jobs/1", auth=fixed).json()["message"]
        assert "away from now" in http.get("/v1/jobs/1", auth=stale).json()["message"]
        signed = http.build_request("POST", "/v1/resource/image", json={})
        signed.headers["authorization"] = auth.TamsRsaAuth(key["app_id"], key["private_key"]).authorization(
            "POST", "/v1/resource/image", b"{}"
        )
        tampered = http.build_request(
            "POST", "/v1/resource/image", content=b'{"term":2}', headers={**signed.headers, "content-length": "10"}
        )
        assert "does not verify" in http.send(tampered).json()["message"]


def test_tensorart_violation_names_each_rule_and_pointer(mock: Mock) -> None:
    """400 {"code": 3}: the message lists rule and pointer; details carry one ErrorInfo each."""
    client = mock.client("tensorart", base_url=TAMS)
    job = inpaint_job(client)
    job["stages"][0]["inputInitialize"]["count"] = 9
    response = raw(mock, "POST", f"{TAMS}/v1/jobs", json=job, headers={"authorization": "Bearer ta_mock_token"})
    body = response.json()
    assert (400, 3) == (response.status_code, body["code"])
    assert "[maximum] /stages/0/inputInitialize/count" in body["message"]
    assert {"reason": "maximum", "metadata": {"path": "/stages/0/inputInitialize/count"}}.items() <= body["details"][
        0
    ].items()
    assert [] == valid("tensorart", body, "error")


@pytest.mark.parametrize(
    ("change", "fragment"),
    [("source-missing", "does not exist"), ("mask-not-uploaded", "never uploaded"),
     ("mask-png", "must be a JPEG, not png"), ("mask-size", "the mask is 256x256, the image 512x768")],
)  # fmt: skip
def test_tensorart_resources_and_mask_are_checked(mock: Mock, change: str, fragment: str) -> None:
    """Referenced resources must be uploaded; the mask must be a JPEG of the source's exact size."""
    client = mock.client("tensorart", base_url=TAMS, retry=Retry(attempts=0))
    job = inpaint_job(client, mask={"mask-png": png(512, 768), "mask-size": jpeg(256, 256)}.get(change))
    if change == "source-missing":
        job["stages"][0]["inputInitialize"]["imageResourceId"] = "nope"
    if change == "mask-not-uploaded":
        created = raw(
            mock, "POST", f"{TAMS}/v1/resource/image", json={}, headers={"authorization": "Bearer ta_mock_token"}
        ).json()
        job["stages"][1]["imageToInpaint"]["maskImageResourceId"] = created["resourceId"]
    with pytest.raises(sdcontracts.RequestRejected) as caught:
        client.submit(job)
    assert "3" == caught.value.code and fragment in caught.value.message


def test_tensorart_upload_of_a_non_image_is_400(mock: Mock) -> None:
    """PUTting bytes that are not an image to a putUrl is refused."""
    created = raw(
        mock, "POST", f"{TAMS}/v1/resource/image", json={"term": 1}, headers={"authorization": "Bearer ta_mock_token"}
    ).json()
    assert [] == valid("tensorart", created, "resource.response")
    assert 400 == raw(mock, "PUT", created["putUrl"], content=b"hello").status_code


def test_tensorart_rate_limit_is_five_per_second() -> None:
    """With rate limits on, the sixth request in a second is 429 code 8; a second later it passes."""
    mock = Mock(MockConfig(providers=("tensorart",), rate_limits=True), clock=ManualClock())
    statuses = [
        raw(mock, "GET", f"{TAMS}/v1/jobs/1", headers={"authorization": "Bearer ta_mock_token"}).status_code
        for _ in range(6)
    ]
    assert [404] * 5 + [429] == statuses
    mock.clock.advance(1)  # type: ignore[attr-defined]
    assert 404 == raw(mock, "GET", f"{TAMS}/v1/jobs/1", headers={"authorization": "Bearer ta_mock_token"}).status_code


def test_tensorart_credits_estimate(mock: Mock) -> None:
    """POST /v1/jobs/credits answers {"credits": n} by the mock's documented formula."""
    job = copy.deepcopy(corpus("tensorart", "basic-minimum-workflow"))
    job["stages"][1]["diffusion"]["negativePrompts"] = [{"text": "blurry"}]  # the doc's example lacks them
    response = raw(mock, "POST", f"{TAMS}/v1/jobs/credits", json=job, headers={"authorization": "Bearer ta_mock_token"})
    assert {"credits": 3.0} == response.json()  # count 2 x 15 steps x 1 x (512²/512²) / 10


def test_tensorart_credits_body_is_validated_as_the_job_it_prices(mock: Mock) -> None:
    """A body POST /v1/jobs would reject is rejected by the estimate too: 400, code 3, the rule named."""
    response = raw(
        mock,
        "POST",
        f"{TAMS}/v1/jobs/credits",
        json={"stages": ["x"]},
        headers={"authorization": "Bearer ta_mock_token"},
    )
    assert (400, 3) == (response.status_code, response.json()["code"])
    assert "[type] /stages/0" in response.json()["message"]


# -- shared by the PICPIK, Alibaba and Zhiqite tests -------------------------------------------------

PICPIK = "https://api.picpik.ai/"
ALIYUN = "https://openai.edu-aliyun.com"
ZHIQITE = "https://api.zhiqite.com/AIGCImgOpenServ/saas/sd/v2"
UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"
NOW = 1_700_000_000.0  # the wall clock the Alibaba gateway sees in the signature tests
CLIENTS: dict[str, tuple[type[Any], type[Any]]] = {
    "picpik": (PicpikClient, AsyncPicpikClient),
    "aliyun": (AliyunClient, AsyncAliyunClient),
    "zhiqite": (ZhiqiteClient, AsyncZhiqiteClient),
}


@dataclass
class Cycle:
    """What one submit → wait → download through a real client saw."""

    submitted: Any
    polls: list[Any]  # every task seen while waiting, in order
    task: Any
    images: list[bytes]

    @property
    def statuses(self) -> list[Any]:
        return [t.status for t in self.polls]

    def image_kinds(self) -> list[tuple[str, int, int]]:
        return [tuple(read_image(data)[:3]) for data in self.images]


def cycle(mock: Mock, provider: str, request: dict[str, Any], asynchronous: bool, **options: Any) -> Cycle:
    """Submit, wait (recording every status) and download every image, sync or async."""
    sync_class, async_class = CLIENTS[provider]
    polls: list[Any] = []
    if not asynchronous:
        with sync_class(**mock.credentials(provider), transport=mock.transport(), **options) as client:
            submitted = client.submit(request)
            task = client.wait(submitted, poll_interval=0, on_progress=polls.append)
            return Cycle(submitted, polls, task, [client.download(image) for image in task.images])

    async def run() -> Cycle:
        async with async_class(**mock.credentials(provider), transport=mock.transport(), **options) as client:
            submitted = await client.submit(request)
            task = await client.wait(submitted, poll_interval=0, on_progress=polls.append)
            return Cycle(submitted, polls, task, [await client.download(image) for image in task.images])

    return asyncio.run(run())


def failed_cycle(mock: Mock, provider: str, request: dict[str, Any]) -> tuple[list[Any], Any]:
    """A task the mock lets fail (X-Mock-Fault: fail): the statuses seen and the failed task."""
    sync_class, _ = CLIENTS[provider]
    polls: list[Any] = []
    headers = {"X-Mock-Fault": "fail"}
    with sync_class(**mock.credentials(provider), transport=mock.transport(), headers=headers) as client:
        submitted = client.submit(request)
        with pytest.raises(sdcontracts.TaskFailed) as caught:
            client.wait(submitted, poll_interval=0, on_progress=polls.append)
    return [t.status for t in polls], caught.value.task


def violation(provider: str, payload: Any, schema: str = "img2img.request") -> str:
    """The message the mock gives for a payload breaking its contract: every rule and pointer."""
    return describe(sdcontracts.validate(provider, payload, schema=schema))


ASYNC = pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])


# -- PICPIK -----------------------------------------------------------------------------------------


def picpik_request() -> dict[str, Any]:
    request = corpus("picpik", "request")
    request.update(BatchSize=3, Width=320, Height=256)
    return {k: v for k, v in request.items() if k not in ("PublicKey", "Signature", "request_uuid")}


def signed(
    body: dict[str, Any], private: str = "sk_mock_picpik_private", public: str = "pk_mock_picpik"
) -> dict[str, Any]:
    return auth.PicpikSignature(public, private).sign(body)


def picpik_post(mock: Mock, body: Any = None, **kwargs: Any) -> httpx.Response:
    return raw(mock, "POST", PICPIK, **({"json": body} if body is not None else {}), **kwargs)


@ASYNC
def test_picpik_submit_wait_download(mock: Mock, asynchronous: bool) -> None:
    """Queuing, Running, Finished; BatchSize PNGs of Width x Height; every response valid."""
    seen = cycle(mock, "picpik", picpik_request(), asynchronous)
    assert ["Queuing", "Running", "Finished"] == seen.statuses
    assert [("png", 320, 256)] * 3 == seen.image_kinds()
    assert [[], [], []] == [valid("picpik", t.raw, "task.response") for t in seen.polls]
    assert [] == valid("picpik", seen.submitted.raw, "img2img.response")
    assert [0, 0, 3] == [len(t.raw["FinalPictureUrls"]) for t in seen.polls]
    assert {"Action": "GetGenerateTaskDetailResponse", "RetCode": 0, "TaskType": "TaskGeneratePicture",
            "TaskErrorCode": 0, "TaskErrorMsg": ""}.items() <= seen.task.raw.items()  # fmt: skip


def test_picpik_task_uids_are_xids_of_the_current_time(mock: Mock) -> None:
    """TaskUIDs are distinct 20-character xids whose first 4 bytes are the Unix time of creation."""
    client = PicpikClient(**mock.credentials("picpik"), transport=mock.transport())
    uids = [client.submit(picpik_request()).id for _ in range(3)]
    assert [True] * 3 == [re.fullmatch(r"[0-9a-v]{20}", uid) is not None for uid in uids]
    assert 3 == len(set(uids))
    created = int.from_bytes(base64.b32hexdecode(uids[0].upper() + "===="), "big") >> 64
    assert abs(time.time() - created) < 60


def test_picpik_failed_task_reports_error_code_and_message(mock: Mock) -> None:
    """A task that fails ends in Error with TaskErrorCode 1, the reason, and no pictures."""
    statuses, task = failed_cycle(mock, "picpik", picpik_request())
    assert ["Queuing", "Running", "Error"] == statuses
    expected = {"TaskStatus": "Error", "FinalPictureUrls": [], "TaskErrorCode": 1,
                "TaskErrorMsg": "the generation failed (fault injected)"}  # fmt: skip
    assert expected == {k: task.raw[k] for k in expected}
    assert [] == valid("picpik", task.raw, "task.response")


def picpik_error(action: str, code: int, message: str, request_uuid: str = UUID) -> dict[str, Any]:
    return {"Action": action, "RetCode": code, "Message": message, "request_uuid": request_uuid}


def picpik_bad_request() -> dict[str, Any]:
    return {**picpik_request(), "Action": "GenerateImg2Img", "request_uuid": UUID, "BatchSize": 99, "Width": 8}


PICPIK_ERRORS = [
    ("missing-public-key", {"Action": "GenerateImg2Img", "request_uuid": UUID},
     picpik_error("GenerateImg2ImgResponse", 160, "PublicKey is missing")),
    ("unknown-public-key", signed({"Action": "GenerateImg2Img", "request_uuid": UUID}, public="pk_other"),
     picpik_error("GenerateImg2ImgResponse", 160, "PublicKey is not known")),
    ("missing-signature", {"Action": "GenerateImg2Img", "request_uuid": UUID, "PublicKey": "pk_mock_picpik"},
     picpik_error("GenerateImg2ImgResponse", 161, "Signature is missing")),
    ("wrong-private-key", signed({"Action": "GenerateImg2Img", "request_uuid": UUID}, private="wrong"),
     picpik_error("GenerateImg2ImgResponse", 161, "Signature does not match the parameters")),
    ("tampered", {**signed({**picpik_request(), "Action": "GenerateImg2Img", "request_uuid": UUID}), "Steps": 21},
     picpik_error("GenerateImg2ImgResponse", 161, "Signature does not match the parameters")),
    ("unknown-action", signed({"Action": "ListModels", "request_uuid": UUID}),
     picpik_error("ListModelsResponse", 231,
                  "[const] /Action: unknown Action 'ListModels' (the mock serves GenerateImg2Img, GetGenerateTaskDetail)")),
    ("missing-action", signed({"request_uuid": UUID}),
     picpik_error("", 231, "[required] /Action: Action is missing (the mock serves GenerateImg2Img, GetGenerateTaskDetail)")),
    ("violation", signed(picpik_bad_request()),
     picpik_error("GenerateImg2ImgResponse", 230, violation("picpik", signed(picpik_bad_request())))),
    ("unknown-task", signed({"Action": "GetGenerateTaskDetail", "TaskUID": "nope", "request_uuid": UUID}),
     picpik_error("GetGenerateTaskDetailResponse", 290, "task nope not found")),
    ("task-violation", signed({"Action": "GetGenerateTaskDetail", "request_uuid": UUID}),
     picpik_error("GetGenerateTaskDetailResponse", 230,
                  violation("picpik", signed({"Action": "GetGenerateTaskDetail", "request_uuid": UUID}), "task.request"))),
    ("not-an-object", ["GenerateImg2Img"], picpik_error("", 230, "[type] /: the body must be a JSON object, not array", "")),
]  # fmt: skip


@pytest.mark.parametrize(("body", "expected"), [p[1:] for p in PICPIK_ERRORS], ids=[p[0] for p in PICPIK_ERRORS])
def test_picpik_errors_are_retcodes_in_http_200(mock: Mock, body: Any, expected: dict[str, Any]) -> None:
    """Each error is HTTP 200 with exactly {Action: <Action>Response, RetCode, Message, request_uuid}."""
    response = picpik_post(mock, body)
    assert (200, expected) == (response.status_code, response.json())
    assert [] == valid("picpik", response.json(), "error")


def test_picpik_violation_names_every_rule_and_field(mock: Mock) -> None:
    """RetCode 230's Message lists each broken rule with its JSON Pointer."""
    message = picpik_post(mock, signed(picpik_bad_request())).json()["Message"]
    assert ["[maximum] /BatchSize", "[minimum] /Width"] == sorted(part.split(":")[0] for part in message.split("; "))


@pytest.mark.parametrize(
    ("content", "headers", "expected"),
    [(b"{oops", {"content-type": "application/json"}, picpik_error(
        "", 230, "the body is not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        "")),
     (json.dumps(signed({"Action": "GenerateImg2Img", "request_uuid": UUID})).encode(), {"content-type": "text/plain"},
      picpik_error("GenerateImg2ImgResponse", 230, "Content-Type must be application/json, not text/plain"))],
    ids=["malformed-json", "wrong-content-type"],
)  # fmt: skip
def test_picpik_unreadable_bodies_are_retcode_230(
    mock: Mock, content: bytes, headers: dict[str, str], expected: dict[str, Any]
) -> None:
    """A body that is not JSON, or not sent as JSON, is RetCode 230 in HTTP 200, never a 500."""
    response = picpik_post(mock, content=content, headers=headers)
    assert (200, expected) == (response.status_code, response.json())


def test_picpik_signature_is_recomputed_over_the_parsed_body(mock: Mock) -> None:
    """Key order, spacing and 7.0 for 7 do not matter, nor the signature's case: the parameters do."""
    body = signed({**picpik_request(), "CfgScale": 7, "Action": "GenerateImg2Img", "request_uuid": UUID})
    body["Signature"] = body["Signature"].upper()
    text = json.dumps(dict(reversed(list(body.items()))), indent=2).replace('"CfgScale": 7,', '"CfgScale": 7.0,')
    assert '"CfgScale": 7.0,' in text
    response = picpik_post(mock, content=text.encode(), headers={"content-type": "application/json"})
    assert (0, "GenerateImg2ImgResponse", UUID) == tuple(
        response.json()[k] for k in ("RetCode", "Action", "request_uuid")
    )


# -- Alibaba -------------------------------------------------------------------------------------


def aliyun_request(**fields: Any) -> dict[str, Any]:
    request = corpus("aliyun", "full-request")
    request.update(width=320, height=256, batch_size=2)
    request.update(fields)
    return request


@ASYNC
def test_aliyun_submit_wait_download(mock: Mock, asynchronous: bool) -> None:
    """waiting, running, succeeded; batch_size PNGs of width x height; the request echoed; all valid."""
    request = aliyun_request()
    seen = cycle(mock, "aliyun", request, asynchronous)
    assert ["waiting", "running", "succeeded"] == seen.statuses
    assert [("png", 320, 256)] * 2 == seen.image_kinds()
    assert {"taskId": seen.submitted.id, "status": "waiting"} == seen.submitted.raw["data"]
    assert [0, 0, 2] == [len(t.raw["data"]["images"]) for t in seen.polls]
    assert {"parameters": request, "taskId": seen.submitted.id, "info": {}}.items() <= seen.task.raw["data"].items()
    assert [10, 10, 10] == [t.raw["status"] for t in seen.polls]
    assert [[], [], []] == [valid("aliyun", t.raw, "task.response") for t in seen.polls]
    assert [] == valid("aliyun", seen.submitted.raw, "img2img.response")


def test_aliyun_size_and_count_default_to_one_512_square(mock: Mock) -> None:
    """Without width, height and batch_size the task makes one 512 x 512 PNG (the mock's documented choice)."""
    seen = cycle(mock, "aliyun", {"prompt": "a lighthouse", "init_images": ["aGVsbG8="]}, asynchronous=False)
    assert [("png", 512, 512)] == seen.image_kinds()


def test_aliyun_task_ids_are_ulids_of_the_current_time(mock: Mock) -> None:
    """taskIds are distinct lower-case ULIDs whose first 48 bits are the creation time in ms."""
    client = AliyunClient(**mock.credentials("aliyun"), transport=mock.transport())
    ids = [client.submit(aliyun_request()).id for _ in range(3)]
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    assert [True] * 3 == [re.fullmatch(f"[{alphabet}]{{26}}", i) is not None for i in ids]
    assert 3 == len(set(ids))
    created = int("".join(f"{alphabet.index(c):05b}" for c in ids[0]), 2) >> 80
    assert abs(time.time() * 1000 - created) < 60_000


def test_aliyun_failed_task_is_status_10_with_the_reason(mock: Mock) -> None:
    """A failed task: the query succeeds (status 10), data.status failed, no images, the reason in subErrMessage."""
    statuses, task = failed_cycle(mock, "aliyun", aliyun_request())
    assert ["waiting", "running", "failed"] == statuses
    assert (10, "failed", [], "the generation failed (fault injected)") == (
        task.raw["status"], task.raw["data"]["status"], task.raw["data"]["images"], task.raw["subErrMessage"]
    )  # fmt: skip
    assert "subErrCode" not in task.raw and [] == valid("aliyun", task.raw, "task.response")


def test_aliyun_resource_config_header_is_accepted_and_recorded(mock: Mock) -> None:
    """X-SP-RESOURCE-CONFIG-ID is optional; its pools are kept on the task ("default" when absent)."""
    with_pools = cycle(mock, "aliyun", aliyun_request(), False, resource_config="pool-a, pool-b,default")
    without = cycle(mock, "aliyun", aliyun_request(), False)
    tasks = {t.id: t for t in mock.store.tasks()}
    assert [["pool-a", "pool-b", "default"], ["default"]] == [
        tasks[c.submitted.id].extra["resource_config"] for c in (with_pools, without)
    ]


def aliyun_signed(body: bytes = b'{"prompt": "cat"}', path: str = "/scc/sd_img2img", *, secret: str = "as_mock_aliyun_secret",
                  at: float = NOW, nonce: str = "nonce-1", content_type: str | None = None) -> httpx.Request:  # fmt: skip
    """A request signed as AliyunClient signs it, at wall-clock time ``at``."""
    signer = auth.AliyunGatewayAuth("ak_mock_aliyun", secret, clock=lambda: at, nonce=lambda: nonce)
    headers = {"content-type": content_type} if content_type else {}
    return next(signer.auth_flow(httpx.Request("POST", ALIYUN + path, content=body, headers=headers)))


def aliyun_send(mock: Mock, request: httpx.Request, wall: float = NOW) -> httpx.Response:
    mock.handlers["aliyun"].wall = lambda: wall  # type: ignore[attr-defined]
    with httpx.Client(transport=mock.transport()) as http:
        return http.send(request)


def changed(
    request: httpx.Request, *, drop: tuple[str, ...] = (), body: bytes | None = None, **headers: str
) -> httpx.Request:
    """The signed request with headers dropped or replaced, or its body swapped after signing."""
    fields = {k: v for k, v in request.headers.items() if k not in drop}
    fields.update({k.replace("_", "-"): v for k, v in headers.items()})
    content = request.content if body is None else body
    fields["content-length"] = str(len(content))
    return httpx.Request(request.method, request.url, headers=fields, content=content)


def server_string(request: httpx.Request) -> str:
    return auth.aliyun_string_to_sign(request.method, request.url.raw_path.decode(), request.headers)


def bad_signature(request: httpx.Request) -> str:
    return f"Invalid Signature, Server StringToSign:`{server_string(request)}`"


GATEWAY_ERRORS = [
    ("missing-key", lambda r: changed(r, drop=("x-ca-key",)), 403, "InvalidAppKey",
     lambda r: "Invalid AppKey: the x-ca-key header is missing"),
    ("unknown-key", lambda r: changed(r, x_ca_key="ak_other"), 403, "InvalidAppKey",
     lambda r: "Invalid AppKey: the AppKey is not known"),
    ("sha1", lambda r: changed(r, x_ca_signature_method="HmacSHA1"), 400, "InvalidSignature",
     lambda r: "Invalid Signature: unsupported x-ca-signature-method 'HmacSHA1' (HmacSHA256 only)"),
    ("missing-timestamp", lambda r: changed(r, drop=("x-ca-timestamp",)), 400, "InvalidTimestamp",
     lambda r: "Invalid Timestamp: x-ca-timestamp is missing"),
    ("seconds-timestamp", lambda r: changed(r, x_ca_timestamp="1.7e9"), 400, "InvalidTimestamp",
     lambda r: "Invalid Timestamp: x-ca-timestamp is not epoch milliseconds"),
    ("stale-timestamp", lambda r: aliyun_signed(at=NOW - 301), 400, "InvalidTimestamp",
     lambda r: "Invalid Timestamp: 301 s old (the window is 300 s)"),
    ("future-timestamp", lambda r: aliyun_signed(at=NOW + 400), 400, "InvalidTimestamp",
     lambda r: "Invalid Timestamp: 400 s in the future (the window is 300 s)"),
    ("missing-nonce", lambda r: changed(r, drop=("x-ca-nonce",)), 400, "InvalidSignature",
     lambda r: "Invalid Signature: x-ca-nonce is missing"),
    ("forged-content-md5", lambda r: changed(r, content_md5=auth.content_md5(b"{}")), 400, "InvalidContentMD5",
     lambda r: "Invalid Content-MD5: Content-MD5 does not match the body"),
    ("missing-content-md5", lambda r: changed(r, drop=("content-md5",)), 400, "InvalidContentMD5",
     lambda r: "Invalid Content-MD5: Content-MD5 is missing"),
    ("body-changed", lambda r: changed(r, body=b'{"prompt": "dog"}'), 400, "InvalidContentMD5",
     lambda r: "Invalid Content-MD5: Content-MD5 does not match the body"),
    ("wrong-secret", lambda r: aliyun_signed(secret="wrong"), 400, "InvalidSignature", bad_signature),
    ("missing-signature", lambda r: changed(r, drop=("x-ca-signature",)), 400, "InvalidSignature", bad_signature),
    ("signed-header-changed", lambda r: changed(r, x_ca_nonce="nonce-2"), 400, "InvalidSignature", bad_signature),
]  # fmt: skip


@pytest.mark.parametrize(
    ("change", "status", "code", "message"), [g[1:] for g in GATEWAY_ERRORS], ids=[g[0] for g in GATEWAY_ERRORS]
)
def test_aliyun_gateway_rejects_each_broken_part_of_the_signature(
    mock: Mock, change: Any, status: int, code: str, message: Any
) -> None:
    """Each gateway failure: its 4xx, X-Ca-Error-Message and -Code, and exactly {status 20, errCode, errMessage}."""
    request = change(aliyun_signed())
    response = aliyun_send(mock, request)
    text = message(request)
    assert (status, {"status": 20, "errCode": code, "errMessage": text}) == (response.status_code, response.json())
    assert (text.replace("\n", "#"), code) == (
        response.headers["x-ca-error-message"],
        response.headers["x-ca-error-code"],
    )
    assert re.fullmatch(r"[0-9A-F-]{36}", response.headers["x-ca-request-id"])
    assert [] == valid("aliyun", response.json(), "error")


def test_aliyun_gateway_accepts_a_timestamp_inside_the_window(mock: Mock) -> None:
    """A signature made 299 s ago, or 299 s ahead, still verifies (the window is 300 s either way)."""
    statuses = [
        aliyun_send(mock, aliyun_signed(at=NOW + skew, nonce=f"n{skew}")).json()["status"] for skew in (-299, 299)
    ]
    assert [10, 10] == statuses


def test_aliyun_signatures_are_checked_against_wall_time_not_the_manual_clock(mock: Mock) -> None:
    """The mock's ManualClock (at 1000 s, then moved a day) does not make a fresh signature stale."""
    client = AliyunClient(**mock.credentials("aliyun"), transport=mock.transport())
    first = client.submit(aliyun_request())
    mock.clock.advance(86_400)  # type: ignore[attr-defined]
    assert ("waiting", "waiting") == (
        first.raw["data"]["status"],
        client.submit(aliyun_request()).raw["data"]["status"],
    )


def test_aliyun_nonce_replay_is_refused_but_a_forgery_spends_no_nonce(mock: Mock) -> None:
    """A badly signed request does not use up its nonce; the second correct use of a nonce is refused."""
    forged = aliyun_send(mock, aliyun_signed(secret="wrong", nonce="n-1"))
    first = aliyun_send(mock, aliyun_signed(nonce="n-1"))
    replay = aliyun_send(mock, aliyun_signed(nonce="n-1"))
    assert ["InvalidSignature", 10] == [forged.json()["errCode"], first.json()["status"]]
    assert (400, {"status": 20, "errCode": "InvalidSignature", "errMessage": "Invalid Signature: the nonce was already used"}) == (
        replay.status_code, replay.json())  # fmt: skip


def test_aliyun_gateway_answers_before_the_service_reads_the_body(mock: Mock) -> None:
    """A badly signed request with a malformed body gets the gateway's InvalidSignature, not InvalidParameter."""
    response = aliyun_send(mock, aliyun_signed(b"{oops", secret="wrong"))
    assert (400, "InvalidSignature") == (response.status_code, response.json()["errCode"])


def service_error(code: str, message: str) -> dict[str, Any]:
    return {"status": 20, "subErrCode": code, "subErrMessage": message}


ALIYUN_SERVICE_ERRORS = [
    ("violation", aliyun_signed(b'{"width": "wide", "stepz": 3}'),
     service_error("InvalidParameter", violation("aliyun", {"width": "wide", "stepz": 3}))),
    ("task-violation", aliyun_signed(b"{}", "/scc/sd_get_result"),
     service_error("InvalidParameter", violation("aliyun", {}, "task.request"))),
    ("unknown-task", aliyun_signed(b'{"taskId": "nope"}', "/scc/sd_get_result"),
     service_error("TaskNotFound", "task nope not found")),
    ("malformed-json", aliyun_signed(b"{oops"), service_error(
        "InvalidParameter",
        "the body is not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)")),
    ("wrong-content-type", aliyun_signed(b"prompt=cat", content_type="application/x-www-form-urlencoded"),
     service_error("InvalidParameter", "Content-Type must be application/json, not application/x-www-form-urlencoded")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("request_", "expected"), [e[1:] for e in ALIYUN_SERVICE_ERRORS], ids=[e[0] for e in ALIYUN_SERVICE_ERRORS]
)
def test_aliyun_service_errors_are_status_20_in_http_200(
    mock: Mock, request_: httpx.Request, expected: dict[str, Any]
) -> None:
    """A correctly signed request the service refuses: HTTP 200, {status 20, apiInvokeId, subErrCode, subErrMessage}."""
    response = aliyun_send(mock, request_)
    body = response.json()
    assert re.fullmatch(r"[0-9a-f-]{36}", body.pop("apiInvokeId"))
    assert (200, expected) == (response.status_code, body)
    assert [] == valid("aliyun", response.json(), "error")


def test_aliyun_client_raises_the_service_codes(mock: Mock) -> None:
    """Through AliyunClient: a violation is RequestRejected InvalidParameter naming the field; unknown task, TaskNotFound."""
    client = AliyunClient(**mock.credentials("aliyun"), transport=mock.transport(), retry=Retry(attempts=0))
    with pytest.raises(sdcontracts.RequestRejected) as caught:
        client.submit({"width": "wide"}, validate=False)
    assert ("InvalidParameter", 200) == (caught.value.code, caught.value.status_code)
    assert caught.value.message.startswith("[type] /width: ")
    with pytest.raises(sdcontracts.TaskNotFound):
        client.get_task("nope")


# -- Zhiqite ---------------------------------------------------------------------------------------


def zhiqite_request(id_task: str = "z-1", fmt: str | None = None) -> dict[str, Any]:
    request = corpus("zhiqite", "controlnet-request")
    request.update(batch_size=2, n_iter=2, resize_mode=0, seed=7, width=512, height=768)
    request["alwayson_scripts"]["id_task"] = id_task
    if fmt:
        request["alwayson_scripts"]["output_image_format"] = fmt
    return request


ZHIQITE_KEYS = {"X-Request-req-accessKeyId": "zq_mock_id", "X-Request-req-accessKeySecret": "zq_mock_secret"}


def zhiqite_post(
    mock: Mock, operation: str, body: Any = None, headers: dict[str, str] | None = None, **kwargs: Any
) -> httpx.Response:
    extra = {"json": body} if body is not None else {}
    return raw(mock, "POST", f"{ZHIQITE}/{operation}", headers=ZHIQITE_KEYS if headers is None else headers, **extra, **kwargs)  # fmt: skip


@ASYNC
@pytest.mark.parametrize(("fmt", "kind"), [(None, "jpeg"), ("png", "png")], ids=["default-jpg", "png"])
def test_zhiqite_submit_wait_download(mock: Mock, asynchronous: bool, fmt: str | None, kind: str) -> None:
    """Status 0, 1, 2; n_iter x batch_size images of width x height, jpg by default or png; all valid."""
    seen = cycle(mock, "zhiqite", zhiqite_request(fmt=fmt), asynchronous)
    assert [0, 1, 2] == seen.statuses
    assert {"code": "200", "msg": "success", "data": {"task_id": "z-1"}} == seen.submitted.raw
    assert [(kind, 512, 768)] * 4 == seen.image_kinds()
    assert [f".{fmt or 'jpg'}"] * 4 == [image.url[-4:] for image in seen.task.images]
    assert [None, {"progress": 50}, None] == [t.raw["data"]["temporaryImageDto"] for t in seen.polls]
    assert ["排队中", "生成中", "任务成功 !"] == [t.raw["data"]["desc"] for t in seen.polls]
    assert [7, 8, 9, 10] == [i["seed"] for i in seen.task.raw["data"]["differentialImageRspList"]]
    audit = {"img_audit": [{"confidence": None, "label": "nonLabel"}], "img_audit_status": True, "image_status": 1}
    assert [audit] * 4 == [{k: i[k] for k in audit} for i in seen.task.raw["data"]["differentialImageRspList"]]
    assert [[], [], []] == [valid("zhiqite", t.raw, "task.response") for t in seen.polls]
    assert [] == valid("zhiqite", seen.submitted.raw, "img2img.response")


def test_zhiqite_size_defaults_to_512_square(mock: Mock) -> None:
    """Without width, height and n_iter the task makes batch_size 512 x 512 JPEGs (the mock's documented choice)."""
    request = zhiqite_request()
    for name in ("width", "height", "n_iter"):
        del request[name]
    request["batch_size"] = 1
    assert [("jpeg", 512, 512)] == cycle(mock, "zhiqite", request, asynchronous=False).image_kinds()


def test_zhiqite_id_task_is_the_task_id_and_the_idempotency_key(mock: Mock) -> None:
    """The same id_task twice is one task, whatever the second body says, and its progress carries on."""
    client = ZhiqiteClient(**mock.credentials("zhiqite"), transport=mock.transport())
    first = client.submit(zhiqite_request("z-9"))
    assert 0 == client.get_task(first).status
    again = client.submit({**zhiqite_request("z-9"), "prompt": "something else"})
    assert ("z-9", "z-9", 1) == (first.id, again.id, client.get_task(again).status)
    assert ["z-9"] == [t.id for t in mock.store.tasks() if t.provider == "zhiqite"]
    assert "z-10" == client.submit(zhiqite_request("z-10")).id


def test_zhiqite_failed_task_is_status_3_with_the_reason(mock: Mock) -> None:
    """A failed task: status 3, desc with the reason, no images."""
    statuses, task = failed_cycle(mock, "zhiqite", zhiqite_request())
    assert [0, 1, 3] == statuses
    data = task.raw["data"]
    assert ("任务失败: the generation failed (fault injected)", [], None) == (
        data["desc"], data["differentialImageRspList"], data["temporaryImageDto"])  # fmt: skip


def zhiqite_error(code: str, msg: str) -> dict[str, Any]:
    return {"code": code, "msg": msg, "data": None}


WRONG = "accessKeyId or accessKeySecret is wrong"
MISSING = "the X-Request-req-accessKeyId and X-Request-req-accessKeySecret headers are required"
ZHIQITE_ERRORS = [
    ("missing-keys", "controlnet", {}, {}, zhiqite_error("401", MISSING)),
    ("missing-secret", "controlnet", {"X-Request-req-accessKeyId": "zq_mock_id"}, {}, zhiqite_error("401", MISSING)),
    ("wrong-secret", "controlnet", {**ZHIQITE_KEYS, "X-Request-req-accessKeySecret": "bad"}, {}, zhiqite_error("401", WRONG)),
    ("wrong-id", "queryTaskInfo", {**ZHIQITE_KEYS, "X-Request-req-accessKeyId": "bad"}, {}, zhiqite_error("401", WRONG)),
    ("violation", "controlnet", None, {**zhiqite_request(), "width": 516},
     zhiqite_error("400", violation("zhiqite", {**zhiqite_request(), "width": 516}))),
    ("task-violation", "queryTaskInfo", None, {"taskId": "z-1"},
     zhiqite_error("400", violation("zhiqite", {"taskId": "z-1"}, "task.request"))),
    ("unknown-task", "queryTaskInfo", None, {"businessTaskId": "nope"}, zhiqite_error("404", "task nope not found")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("operation", "headers", "body", "expected"), [e[1:] for e in ZHIQITE_ERRORS], ids=[e[0] for e in ZHIQITE_ERRORS]
)
def test_zhiqite_errors_are_string_codes_in_http_200(
    mock: Mock, operation: str, headers: dict[str, str] | None, body: Any, expected: dict[str, Any]
) -> None:
    """Each error is HTTP 200 with exactly {code: "<string>", msg, data: null}."""
    response = zhiqite_post(mock, operation, body, headers)
    assert (200, expected) == (response.status_code, response.json())
    assert [] == valid("zhiqite", response.json(), "error")


def test_zhiqite_violation_names_the_rule_and_field(mock: Mock) -> None:
    """Code "400"'s msg names the rule id and JSON Pointer, also through the client's RequestRejected."""
    client = ZhiqiteClient(**mock.credentials("zhiqite"), transport=mock.transport(), retry=Retry(attempts=0))
    with pytest.raises(sdcontracts.RequestRejected) as caught:
        client.submit({**zhiqite_request(), "width": 516}, validate=False)
    assert ("400", True) == (caught.value.code, caught.value.message.startswith("[multiple-of] /width: "))
    with pytest.raises(sdcontracts.RequestRejected) as missing:
        client.get_task("nope")
    assert "404" == missing.value.code


@pytest.mark.parametrize(
    ("content", "headers", "expected"),
    [(b"{oops", {"content-type": "application/json"}, zhiqite_error(
        "400", "the body is not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)")),
     (b'{"prompt": "x"}', {"content-type": "text/plain"},
      zhiqite_error("400", "Content-Type must be application/json, not text/plain"))],
    ids=["malformed-json", "wrong-content-type"],
)  # fmt: skip
def test_zhiqite_unreadable_bodies_are_code_400(
    mock: Mock, content: bytes, headers: dict[str, str], expected: dict[str, Any]
) -> None:
    """A body that is not JSON, or not sent as JSON, is code "400" in HTTP 200, never a 500."""
    response = zhiqite_post(mock, "controlnet", headers={**ZHIQITE_KEYS, **headers}, content=content)
    assert (200, expected) == (response.status_code, response.json())


# -- PICPIK, Alibaba and Zhiqite alike ----------------------------------------------------------------

BUILDERS = {"picpik": picpik_request, "aliyun": aliyun_request, "zhiqite": lambda: zhiqite_request(str(uuid.uuid4()))}


@pytest.mark.parametrize("provider", sorted(CLIENTS))
def test_no_rate_limit_is_invented(provider: str) -> None:
    """With rate limits switched on, 30 submits in the same instant are all accepted: none is documented."""
    mock = Mock(MockConfig(lifecycle="steps", rate_limits=True), clock=ManualClock())
    client = CLIENTS[provider][0](**mock.credentials(provider), transport=mock.transport(), retry=Retry(attempts=0))
    assert 30 == len({client.submit(BUILDERS[provider]()).id for _ in range(30)})
    assert None is mock.handlers[provider].limiter


@pytest.mark.parametrize("provider", sorted(CLIENTS))
def test_journal_holds_no_credentials(mock: Mock, provider: str) -> None:
    """After a full cycle the journal records the requests but no key, secret or signature."""
    cycle(mock, provider, BUILDERS[provider](), asynchronous=False)
    entries = repr(mock.journal.entries(provider))
    secrets = list(mock.credentials(provider).values())
    assert [False] * len(secrets) == [s in entries for s in secrets]
    assert [1] == [mock.journal.count(provider, "img2img", 200)]


# -- shared wire behaviour ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "headers", "check"),
    [
        (
            f"{TAMS}/v1/jobs",
            {"authorization": "Bearer ta_mock_token"},
            lambda r: (r.status_code, r.json()["code"]) == (400, 3),
        ),
        ("https://api.picpik.ai/", {}, lambda r: (r.status_code, r.json()["RetCode"]) == (200, 230)),
        ("https://api.zhiqite.com/AIGCImgOpenServ/saas/sd/v2/controlnet", {}, lambda r: r.json()["code"] == "400"),
    ],
)
def test_malformed_json_is_the_providers_4xx_never_a_500(
    mock: Mock, url: str, headers: dict[str, str], check: Any
) -> None:
    """A body that is not JSON gets each provider's own rejection."""
    response = raw(mock, "POST", url, content=b"{oops", headers={**headers, "content-type": "application/json"})
    assert check(response), response.text
    assert "not JSON" in response.text


# -- every provider, every adapter, sync and async -----------------------------------------------------

REQUESTS = {
    "novita": lambda: {"request": {"model_name": "m", "image_base64": b64(png(64, 64)), "prompt": "a dog",
                                   "width": 320, "height": 256, "image_num": 2, "steps": 20, "guidance_scale": 7, "sampler_name": "Euler a"}},
    "picpik": picpik_request,
    "aliyun": lambda: corpus("aliyun", "full-request"),
    "zhiqite": lambda: zhiqite_request(id_task="matrix"),
}  # fmt: skip


def build(provider: str) -> dict[str, Any]:
    """A valid submit for the provider; Tensor.Art's still needs its uploaded resource id."""
    if provider != "tensorart":
        return dict(REQUESTS[provider]())
    job = corpus("tensorart", "image-to-upscaler")
    job["stages"][1]["diffusion"]["negativePrompts"] = []
    del job["request_id"]
    return dict(job)


@pytest.mark.parametrize("adapter", ["transport", "respx", "http"])
@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("provider", ["aliyun", "novita", "picpik", "tensorart", "zhiqite"])
def test_every_provider_completes_the_cycle_over_every_adapter(provider: str, asynchronous: bool, adapter: str) -> None:
    """(upload →) submit → poll → download through the real client: in-process transport, respx, real HTTP."""
    from contextlib import ExitStack

    from sdcontracts.mock.asgi import BackgroundServer

    mock = Mock(MockConfig(lifecycle="steps"), clock=ManualClock())
    with ExitStack() as stack:
        options: dict[str, Any] = {}
        if adapter == "respx":
            stack.enter_context(mock.router())
            options["transport"] = None  # the provider's real host, intercepted by respx
        elif adapter == "http":
            options.update(base_url=stack.enter_context(BackgroundServer(mock)), transport=None)
        elif provider == "tensorart":
            options["base_url"] = TAMS

        async def run_async() -> tuple[Any, bytes]:
            async with mock.client(provider, asynchronous=True, **options) as client:
                request = build(provider)
                if provider == "tensorart":
                    request["stages"][0]["inputInitialize"]["image_resource_id"] = await client.upload_image(
                        png(512, 512)
                    )
                task = await client.generate(request, poll_interval=0)
                return task, await client.download(task.images[-1])

        def run_sync() -> tuple[Any, bytes]:
            with mock.client(provider, **options) as client:
                request = build(provider)
                if provider == "tensorart":
                    request["stages"][0]["inputInitialize"]["image_resource_id"] = client.upload_image(png(512, 512))
                task = client.generate(request, poll_interval=0)
                return task, client.download(task.images[-1])

        task, data = asyncio.run(run_async()) if asynchronous else run_sync()
    assert TaskState.SUCCEEDED == task.state
    assert read_image(data).format in ("png", "jpeg")
    assert mock.journal.count(provider, "img2img", 200) == 1


def test_error_envelopes_survive_real_http() -> None:
    """Over uvicorn on 127.0.0.1, each provider's error keeps its status, body and gateway headers."""
    from sdcontracts.mock.asgi import BackgroundServer

    mock = Mock(MockConfig(lifecycle="steps"))
    with BackgroundServer(mock) as base, httpx.Client(base_url=base) as http:
        assert base.startswith("http://127.0.0.1:")
        picpik = http.post("/", json=signed({"Action": "ListModels", "request_uuid": UUID}))
        wrong = auth.AliyunGatewayAuth("ak_mock_aliyun", "wrong")
        aliyun = http.post("/scc/sd_img2img", content=b'{"prompt": "cat"}', auth=wrong)
        zhiqite = http.post("/AIGCImgOpenServ/saas/sd/v2/queryTaskInfo", json={"businessTaskId": "z"})
    assert (200, 231, UUID) == (picpik.status_code, picpik.json()["RetCode"], picpik.json()["request_uuid"])
    assert (400, "InvalidSignature") == (aliyun.status_code, aliyun.json()["errCode"])
    assert aliyun.json()["errMessage"].replace("\n", "#") == aliyun.headers["x-ca-error-message"]
    assert (200, {"code": "401", "msg": MISSING, "data": None}) == (zhiqite.status_code, zhiqite.json())
