"""The mock's Tensor.Art, PICPIK, Alibaba and Zhiqite handlers: each provider's full cycle through
its real client (sync and async), its exact error envelopes, and its stateful rules."""

from __future__ import annotations

import asyncio
import copy
import io
import json
from typing import Any

import httpx
import pytest
from conftest import b64, png
from PIL import Image
from sdcontracts.mock import ManualClock, Mock, MockConfig

import sdcontracts
from sdcontracts import auth
from sdcontracts._corpus import examples
from sdcontracts._images import read_image
from sdcontracts.clients import Retry, TaskState

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
    key = mock.tensorart_rsa_credentials()
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
    job = corpus("tensorart", "basic-minimum-workflow")
    response = raw(
        mock,
        "POST",
        f"{TAMS}/v1/jobs/credits",
        json={"stages": job["stages"]},
        headers={"authorization": "Bearer ta_mock_token"},
    )
    assert {"credits": 3.0} == response.json()  # count 2 x 15 steps x 1 x (512²/512²) / 10


# -- PICPIK -----------------------------------------------------------------------------------------


def picpik_request() -> dict[str, Any]:
    request = corpus("picpik", "request")
    request["BatchSize"] = 3
    return {k: v for k, v in request.items() if k not in ("PublicKey", "Signature", "request_uuid")}


def test_picpik_cycle(mock: Mock) -> None:
    """Queuing, Running, Finished; BatchSize PNGs of Width x Height."""
    client = mock.client("picpik")
    statuses: list[str] = []
    task = client.generate(picpik_request(), poll_interval=0, on_progress=lambda t: statuses.append(t.status))
    assert (["Queuing", "Running", "Finished"], 3) == (statuses, len(task.images))
    assert ("png", 512, 512) == read_image(client.download(task.images[2]))[:3]
    assert [] == valid("picpik", task.raw, "task.response")


def signed(body: dict[str, Any], private: str = "sk_mock_picpik_private") -> dict[str, Any]:
    return auth.PicpikSignature("pk_mock_picpik", private).sign(body)


@pytest.mark.parametrize(
    ("body", "code"),
    [({"Action": "GenerateImg2Img", "PublicKey": "unknown", "Signature": "0" * 40}, 160),
     (signed({"Action": "GenerateImg2Img"}, private="wrong"), 161),
     (signed({"Action": "ListModels"}), 231),
     (signed({"Action": "GenerateImg2Img", "BatchSize": 99}), 230),
     (signed({"Action": "GetGenerateTaskDetail", "TaskUID": "nope"}), 290)],
)  # fmt: skip
def test_picpik_errors_are_retcodes_in_http_200(mock: Mock, body: dict[str, Any], code: int) -> None:
    """Unknown key 160, bad signature 161, unknown Action 231, violation 230, unknown task 290."""
    response = raw(mock, "POST", "https://api.picpik.ai/", json=body)
    document = response.json()
    assert (200, code, f"{body['Action']}Response") == (response.status_code, document["RetCode"], document["Action"])
    assert [] == valid("picpik", document, "error")


def test_picpik_violation_message_names_rule_and_field(mock: Mock) -> None:
    """RetCode 230's Message starts with the rule id and pointer."""
    body = signed({**picpik_request(), "Action": "GenerateImg2Img", "BatchSize": 99})
    message = raw(mock, "POST", "https://api.picpik.ai/", json=body).json()["Message"]
    assert message.startswith("[maximum] /BatchSize: BatchSize is 99")


def test_picpik_signature_covers_every_field(mock: Mock) -> None:
    """Changing any parameter after signing makes the signature fail (161)."""
    body = signed({**picpik_request(), "Action": "GenerateImg2Img"})
    body["Steps"] = 21
    assert 161 == raw(mock, "POST", "https://api.picpik.ai/", json=body).json()["RetCode"]


# -- Alibaba -------------------------------------------------------------------------------------


def test_aliyun_cycle_and_async(mock: Mock) -> None:
    """waiting, running, succeeded with batch_size images; the async client too."""
    request = corpus("aliyun", "full-request")
    client = mock.client("aliyun")
    statuses: list[str] = []
    task = client.generate(request, poll_interval=0, on_progress=lambda t: statuses.append(t.status))
    assert ["waiting", "running", "succeeded"] == statuses
    assert request["batch_size"] == len(task.images)
    assert ("png", request["width"], request["height"]) == read_image(client.download(task.images[0]))[:3]
    assert request == task.raw["data"]["parameters"]

    async def run() -> TaskState:
        async with mock.client("aliyun", asynchronous=True) as aclient:
            return (await aclient.generate(request, poll_interval=0)).state

    assert TaskState.SUCCEEDED == asyncio.run(run())


def aliyun_request(mock: Mock, body: bytes, **overrides: str) -> httpx.Response:
    signer = auth.AliyunGatewayAuth("ak_mock_aliyun", "as_mock_aliyun_secret")
    request = httpx.Request("POST", "https://openai.edu-aliyun.com/scc/sd_img2img", content=body)
    (signed_request,) = list(signer.auth_flow(request))
    for name, value in overrides.items():
        signed_request.headers[name.replace("_", "-")] = value
    with httpx.Client(transport=mock.transport()) as http:
        return http.send(signed_request)


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [({"x_ca_key": "other"}, 403, "InvalidAppKey"), ({"x_ca_timestamp": "1000"}, 400, "InvalidTimestamp"),
     ({"content_md5": "AAAAAAAAAAAAAAAAAAAAAA=="}, 400, "InvalidContentMD5"),
     ({"x_ca_signature": "Zm9yZ2Vk"}, 400, "InvalidSignature")],
)  # fmt: skip
def test_aliyun_gateway_checks_each_part_of_the_signature(
    mock: Mock, overrides: dict[str, str], status: int, code: str
) -> None:
    """Wrong key, stale timestamp, forged Content-MD5 or signature: the gateway's 4xx with X-Ca-Error-Message."""
    response = aliyun_request(mock, b'{"prompt": "cat"}', **overrides)
    assert (status, code, 20) == (response.status_code, response.json()["errCode"], response.json()["status"])
    assert response.headers["x-ca-error-message"]


def test_aliyun_nonce_replay_is_refused(mock: Mock) -> None:
    """The same x-ca-nonce twice (both correctly signed): the second request is InvalidSignature."""
    signer = auth.AliyunGatewayAuth("ak_mock_aliyun", "as_mock_aliyun_secret", nonce=lambda: "n-2")
    requests = [
        next(signer.auth_flow(httpx.Request("POST", "https://openai.edu-aliyun.com/scc/sd_img2img", content=b"{}")))
        for _ in range(2)
    ]
    with httpx.Client(transport=mock.transport()) as http:
        codes = [http.send(r).json().get("errCode") for r in requests]
    assert [None, "InvalidSignature"] == codes


def test_aliyun_service_errors_are_status_20_in_http_200(mock: Mock) -> None:
    """A violation is InvalidParameter naming the field; an unknown task is TaskNotFound."""
    client = mock.client("aliyun", retry=Retry(attempts=0))
    with pytest.raises(sdcontracts.RequestRejected) as caught:
        client.submit({"width": "wide"}, validate=False)
    assert ("InvalidParameter", 200) == (caught.value.code, caught.value.status_code)
    assert "[type] /width" in caught.value.message
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


@pytest.mark.parametrize(("fmt", "kind"), [(None, "jpeg"), ("png", "png")])
def test_zhiqite_cycle(mock: Mock, fmt: str | None, kind: str) -> None:
    """Status 0, 1, 2; n_iter x batch_size images of width x height in the requested format (jpg by default)."""
    client = mock.client("zhiqite")
    statuses: list[int] = []
    task = client.generate(zhiqite_request(fmt=fmt), poll_interval=0, on_progress=lambda t: statuses.append(t.status))
    assert ([0, 1, 2], 4, "z-1") == (statuses, len(task.images), task.id)
    assert (kind, 512, 768) == read_image(client.download(task.images[0]))[:3]
    assert [] == valid("zhiqite", task.raw, "task.response")


def test_zhiqite_id_task_is_idempotent(mock: Mock) -> None:
    """Submitting the same id_task twice returns one task."""
    client = mock.client("zhiqite")
    assert {"z-9"} == {client.submit(zhiqite_request("z-9")).id for _ in range(2)}
    assert 1 == len([t for t in mock.store.tasks() if t.provider == "zhiqite"])


@pytest.mark.parametrize(
    ("headers", "body", "code"),
    [({"X-Request-req-accessKeyId": "zq_mock_id", "X-Request-req-accessKeySecret": "bad"}, {}, "401"),
     ({}, {"prompt": "x"}, "401")],
)  # fmt: skip
def test_zhiqite_credentials_are_code_401(mock: Mock, headers: dict[str, str], body: Any, code: str) -> None:
    """Wrong or missing key headers: HTTP 200, code "401" (sdcontracts' documented choice)."""
    response = raw(
        mock, "POST", "https://api.zhiqite.com/AIGCImgOpenServ/saas/sd/v2/controlnet", json=body, headers=headers
    )
    assert (200, code) == (response.status_code, response.json()["code"])
    assert [] == valid("zhiqite", response.json(), "error")


def test_zhiqite_violation_is_code_400_naming_rule_and_field(mock: Mock) -> None:
    """A request breaking the contract is code "400" with the rule and pointer in msg."""
    client = mock.client("zhiqite", retry=Retry(attempts=0))
    with pytest.raises(sdcontracts.RequestRejected) as caught:
        client.submit({**zhiqite_request(), "width": 516}, validate=False)
    assert "400" == caught.value.code and "[multiple-of] /width" in caught.value.message


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


def test_responses_validate_against_their_schemas_for_every_provider(mock: Mock) -> None:
    """Submit and task responses from all five handlers validate against the response schemas."""
    for provider, build in [
        ("picpik", picpik_request),
        ("zhiqite", zhiqite_request),
        ("aliyun", lambda: corpus("aliyun", "full-request")),
    ]:
        client = mock.client(provider)
        submitted = client.submit(build())
        assert [] == valid(provider, submitted.raw, "img2img.response")
        while True:
            task = client.get_task(submitted)
            assert [] == valid(provider, task.raw, "task.response")
            if task.state.terminal:
                break
    assert json.dumps(mock.summary())


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
