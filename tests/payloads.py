"""Requests for the tests that drive the mock hard: one small valid submit per provider, raw
authenticated requests carrying any bytes at all, and how each provider says yes and no.

`valid_request` is built from the provider's doc example (adjusted where the example breaks its
own doc) and asks for one small image; clients add what they add (Tensor.Art requestId, PICPIK
signature, a Zhiqite id_task when ``id_task`` is None).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import httpx
from conftest import b64, png

from sdcontracts import auth
from sdcontracts._catalogue import provider_info
from sdcontracts._corpus import examples

PROVIDERS = ("aliyun", "novita", "picpik", "tensorart", "zhiqite")
# the providers whose submit carries an idempotency key the client sets, so a client may retry it
KEYED = frozenset({"tensorart", "zhiqite"})


def _corpus(provider: str, name: str) -> Any:
    return copy.deepcopy(next(e for e in examples(provider) if e.name == name).payload)


def valid_request(provider: str, *, id_task: str | None = None) -> dict[str, Any]:
    """A submit payload the provider's contract accepts (before the client completes it)."""
    if provider == "novita":
        return {
            "request": {"model_name": "m", "image_base64": b64(png(8, 8)), "prompt": "a cat", "width": 128,
                        "height": 128, "image_num": 1, "steps": 20, "guidance_scale": 7, "sampler_name": "Euler a"}
        }  # fmt: skip
    if provider == "tensorart":
        diffusion = {"width": 512, "height": 512, "prompts": [{"text": "1girl"}], "negativePrompts": [],
                     "sampler": "Euler a", "sdVae": "Automatic", "steps": 20}  # fmt: skip
        return {"stages": [{"type": "INPUT_INITIALIZE", "inputInitialize": {"count": 1}},
                           {"type": "DIFFUSION", "diffusion": diffusion}]}  # fmt: skip
    if provider == "picpik":
        request = _corpus("picpik", "request")
        request.update(BatchSize=1, Width=128, Height=128)
        return {k: v for k, v in request.items() if k not in ("PublicKey", "Signature", "request_uuid")}
    if provider == "aliyun":
        request = _corpus("aliyun", "full-request")
        request.update(width=128, height=128, batch_size=1)
        return dict(request)
    request = _corpus("zhiqite", "controlnet-request")
    request.update(batch_size=1, n_iter=1, resize_mode=0, seed=7, width=128, height=128)
    if id_task is None:
        del request["alwayson_scripts"]["id_task"]  # the client sets a fresh one
    else:
        request["alwayson_scripts"]["id_task"] = id_task
    return dict(request)


def as_sent(provider: str) -> dict[str, Any]:
    """`valid_request` completed as a client completes it with the mock's default credentials: what
    ``validate`` sees on the wire (Tensor.Art ``requestId``, PICPIK ``PublicKey`` and ``Signature``)."""
    payload = valid_request(provider, id_task="t-1")
    if provider == "tensorart":
        payload["requestId"] = "r-1"
    if provider == "picpik":
        payload = auth.PicpikSignature("pk_mock_picpik", "sk_mock_picpik_private").sign(
            {**payload, "Action": "GenerateImg2Img"}
        )
    return payload


def raw_request(provider: str, body: bytes, credentials: Mapping[str, str], base_url: str, *,
                operation: str = "img2img", headers: Mapping[str, str] | None = None) -> httpx.Request:  # fmt: skip
    """``body``, exactly, to the provider's ``operation``, carrying valid credentials: headers, the
    Alibaba gateway signature over these very bytes, or (when the body is a JSON object) PICPIK's
    ``PublicKey`` and ``Signature``, which live in the body, so that body is re-encoded signed."""
    spec = provider_info(provider)["operations"][operation]
    wanted = {"content-type": "application/json", **(headers or {})}
    if provider in ("novita", "tensorart"):
        wanted["authorization"] = f"Bearer {credentials.get('api_key') or credentials['token']}"
    elif provider == "zhiqite":
        wanted[auth.ZhiqiteKeyAuth.ID_HEADER] = credentials["access_key_id"]
        wanted[auth.ZhiqiteKeyAuth.SECRET_HEADER] = credentials["access_key_secret"]
    elif provider == "picpik":
        try:
            parsed = json.loads(body)
        except (ValueError, RecursionError):
            parsed = None
        if isinstance(parsed, dict):
            signer = auth.PicpikSignature(credentials["public_key"], credentials["private_key"])
            try:
                body = json.dumps(signer.sign(parsed)).encode()
            except UnicodeEncodeError:  # a lone surrogate has no UTF-8 to sign: the mock must check a signature anyway
                body = json.dumps({**parsed, "PublicKey": credentials["public_key"], "Signature": "0" * 40}).encode()
    request = httpx.Request(spec["method"], base_url + spec["path"], headers=wanted, content=body)
    if provider == "aliyun":
        signer = auth.AliyunGatewayAuth(credentials["app_key"], credentials["app_secret"])
        signer.sign(request.method, request.url.raw_path.decode("ascii"), request.headers, body)
    return request


def accepted(provider: str, response: httpx.Response) -> bool:
    """Whether a submit was accepted, in the provider's own words."""
    if response.status_code != 200:
        return False
    document = response.json()
    return {
        "novita": lambda: "task_id" in document,
        "tensorart": lambda: "job" in document,
        "picpik": lambda: document.get("RetCode") == 0,
        "aliyun": lambda: document.get("status") == 10,
        "zhiqite": lambda: document.get("code") == "200",
    }[provider]()


def rejected_as_invalid(provider: str, response: httpx.Response) -> bool:
    """Whether the answer is the provider's refusal of a malformed or contract-breaking request: an
    error code ``provider.json`` files as "invalid", with the HTTP status the provider uses for it."""
    status = 400 if provider in ("novita", "tensorart") else 200
    return response.status_code == status and error_kind(provider, response) == "invalid"


def error_kind(provider: str, response: httpx.Response) -> str | None:
    """The kind ``provider.json`` gives the error code in a response (auth, invalid, server…), if any."""
    try:
        document = response.json()
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    field = {"novita": "reason", "tensorart": "code", "picpik": "RetCode", "aliyun": "subErrCode", "zhiqite": "code"}
    code = document.get(field[provider]) or document.get("errCode")
    kinds = {name: entry["kind"] for name, entry in provider_info(provider)["errors"]["codes"].items()}
    return kinds.get(str(code))


def server_failure(provider: str, response: httpx.Response) -> bool:
    """Whether the mock failed: a 5xx, its catch-all "mock internal error", an answer that is not a
    JSON object, or an error code the provider's ``provider.json`` files as a server failure."""
    if response.status_code >= 500 or b"mock internal error" in response.content:
        return True
    try:
        if not isinstance(response.json(), dict):
            return True
    except ValueError:
        return True  # every answer of the mock is JSON unless a fault says otherwise
    return error_kind(provider, response) == "server"
