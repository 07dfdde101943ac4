"""Alibaba Cloud AI Creation Workshop (``/scc/sd_img2img``), as the mock answers it.

- ``POST /scc/sd_img2img`` → ``data {taskId, status: "waiting"}``; ``POST /scc/sd_get_result``
  ``{taskId}`` → ``data {images, parameters, taskId, status, info}``.
- API-Gateway auth, checked as the gateway does: the ``x-ca-key`` (InvalidAppKey, 403), the
  ``x-ca-timestamp`` (milliseconds) within ``signature_window`` of wall-clock time
  (InvalidTimestamp, 400: signatures carry wall time, whatever the mock's own clock), the
  ``Content-MD5`` against the raw body (InvalidContentMD5, 400), the HmacSHA256 ``x-ca-signature``
  over the canonical request and each ``x-ca-nonce`` used once within the window
  (InvalidSignature, 400). Gateway failures are HTTP 4xx with ``X-Ca-Error-Message`` and
  ``{"status": 20, "errCode", "errMessage"}``.
- Service failures are HTTP 200 ``{"status": 20, "apiInvokeId", "subErrCode", "subErrMessage"}``:
  InvalidParameter (a contract violation, naming each rule id and field), TaskNotFound. The codes
  are sdcontracts' choices (``schemas/aliyun/provider.json``): Alibaba documents none.
- Lifecycle waiting → running → succeeded (``images``: batch_size PNGs, default 1, of width x height,
  default 512 x 512) or failed (the reason in ``subErrMessage``, without a ``subErrCode``: the query
  itself succeeded). ``parameters`` echoes the request. The optional X-SP-RESOURCE-CONFIG-ID header
  is accepted and not checked. No rate limit is documented, so none is enforced.
"""

from __future__ import annotations

import time
import uuid
from types import MappingProxyType
from typing import Any

from sdcontracts.auth import aliyun_signature, aliyun_string_to_sign, content_md5

from .._faults import Fault
from .._handler import Handler, Route, describe
from .._state import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED, NonceStore
from .._wire import MockRequest, MockResponse, json_response
from ._common import equal, number

__all__ = ["HANDLER"]


class AliyunHandler(Handler):
    provider = "aliyun"
    routes = (Route("POST", "/scc/sd_img2img", "img2img"), Route("POST", "/scc/sd_get_result", "task"))
    statuses = MappingProxyType(
        {QUEUED: "waiting", RUNNING: "running", SUCCEEDED: "succeeded", FAILED: "failed", CANCELED: "failed"}
    )
    wall = staticmethod(time.time)  # signed timestamps are wall-clock milliseconds; tests may replace this

    def __init__(self, mock: Any) -> None:
        super().__init__(mock)
        self.nonces = NonceStore(lambda: self.wall(), mock.config.signature_window)

    def authenticate(self, request: MockRequest, body: Any) -> MockResponse | None:
        if not equal(request.header("x-ca-key"), self.credentials["app_key"]):
            return self.error("auth", "Invalid AppKey", request, code="InvalidAppKey")
        try:
            skew = abs(self.wall() - int(request.header("x-ca-timestamp")) / 1000)
        except ValueError:
            return self.error("auth", "Invalid Timestamp", request, code="InvalidTimestamp")
        if skew > self.mock.config.signature_window:
            return self.error(
                "auth", f"Invalid Timestamp: {skew:.0f} s away from now", request, code="InvalidTimestamp"
            )
        if request.body and not equal(request.header("content-md5"), content_md5(request.body)):
            return self.error("auth", "Invalid Content-MD5", request, code="InvalidContentMD5")
        expected = aliyun_signature(
            self.credentials["app_secret"], aliyun_string_to_sign(request.method, request.target, request.headers)
        )
        if not equal(request.header("x-ca-signature"), expected):
            return self.error("auth", "Invalid Signature", request, code="InvalidSignature")
        if self.nonces.seen_before(request.header("x-ca-nonce")):
            return self.error("auth", "Invalid Signature: the nonce was already used", request, code="InvalidSignature")
        return None

    def error(self, kind: str, message: str, request: MockRequest, *, code: str | None = None,
              retry_after: float | None = None) -> MockResponse:  # fmt: skip
        name = code or self.code_for(kind)
        entry = self.codes.get(name, {"status": 200, "level": "service"})
        if entry.get("level") == "gateway":
            headers = {"x-ca-error-message": message, "x-ca-error-code": name}
            if retry_after is not None:
                headers["retry-after"] = f"{max(1, round(retry_after))}"
            return json_response(int(entry["status"]), {"status": 20, "errCode": name, "errMessage": message}, headers)
        document = {"status": 20, "apiInvokeId": str(uuid.uuid4()), "subErrCode": name, "subErrMessage": message}
        return json_response(200, document)

    def rejected(self, report: Any, request: MockRequest) -> MockResponse:
        return self.error("invalid", describe(report), request, code="InvalidParameter")

    def op_img2img(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        problem = self.check(body, "img2img.request", request)
        if problem is not None:
            return problem
        width, height = number(body.get("width"), 512), number(body.get("height"), 512)
        images = number(body.get("batch_size"), 1)
        task = self.new_task(body, images=images, width=width, height=height, fmt="png", fault=fault)
        response = json_response(200, self._ok({"taskId": task.id, "status": "waiting"}))
        response.task_id = task.id
        return response

    def op_task(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        problem = self.check(body, "task.request", request)
        if problem is not None:
            return problem
        task = self.mock.store.get(self.provider, body["taskId"])
        if task is None:
            return self.error("not-found", f"task {body['taskId']} not found", request, code="TaskNotFound")
        status, phase, _ = self.status_of(task)
        data = {
            "images": self.image_urls(task, request) if phase == SUCCEEDED else [],
            "parameters": task.payload,
            "taskId": task.id,
            "status": status,
            "info": {},
        }
        document = self._ok(data)
        if phase in (FAILED, CANCELED):
            document["subErrMessage"] = task.fail_reason or "canceled"
        response = json_response(200, document)
        response.task_id = task.id
        return response

    @staticmethod
    def _ok(data: dict[str, Any]) -> dict[str, Any]:
        return {"status": 10, "apiInvokeId": str(uuid.uuid4()), "data": data}


HANDLER = AliyunHandler
