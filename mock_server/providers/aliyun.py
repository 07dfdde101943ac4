"""Alibaba Cloud AI Creation Workshop (``/scc/sd_img2img``), as the mock answers it.

- ``POST /scc/sd_img2img`` → ``data {taskId, status: "waiting"}``; ``POST /scc/sd_get_result``
  ``{taskId}`` → ``data {images, parameters, taskId, status, info}``.
- API-Gateway auth, checked as the gateway does and *before* the service reads the body (a badly
  signed request with a malformed body is the gateway's error, not the service's), in this order:
  ``x-ca-key`` (InvalidAppKey, 403); ``x-ca-signature-method`` (InvalidSignature unless absent or
  HmacSHA256, the only method sdcontracts signs with); ``x-ca-timestamp`` in epoch milliseconds
  within ``signature_window`` seconds of wall-clock time, either way (InvalidTimestamp, 400);
  ``x-ca-nonce`` present (InvalidSignature); ``Content-MD5`` against the raw body
  (InvalidContentMD5, 400); ``x-ca-signature`` against the string to sign that
  `sdcontracts.auth.aliyun_string_to_sign` rebuilds from the received headers (InvalidSignature,
  400); finally the nonce unused within the window (InvalidSignature). Credentials and signatures
  are compared in constant time; a nonce is only spent by a request whose signature verifies.
- Gateway failures are HTTP 4xx (the status in ``schemas/aliyun/provider.json``) with the headers
  ``X-Ca-Error-Message`` (for a bad signature it carries the server's string to sign with ``#``
  for each newline, as the real gateway does: it holds no secret), ``X-Ca-Error-Code`` and
  ``X-Ca-Request-Id``, and the body ``{"status": 20, "errCode", "errMessage"}``.
- Service failures are HTTP 200 ``{"status": 20, "apiInvokeId", "subErrCode", "subErrMessage"}``:
  InvalidParameter (a contract violation naming each rule id and JSON Pointer, a body that is not
  JSON, a Content-Type other than JSON, an oversized body), TaskNotFound, InternalError. Alibaba
  documents no codes: these are sdcontracts' choices, listed in ``provider.json``.

Where the docs are silent, the mock's choices:

- Clock: signed timestamps are compared with wall-clock time (``time.time``), never with the mock's
  own clock, which is monotonic by default and, as a `ManualClock`, whatever a test made it;
  tests replace the handler's ``wall`` to move the reference. Nonces live for ``signature_window``.
- Strictness follows the official SpeedPix SDK, the only source for this host: what it always
  sends is required (``x-ca-timestamp``, ``x-ca-nonce``, and ``Content-MD5`` whenever there is a
  body), even where Alibaba's general gateway docs call a header optional.
- taskIds are lower-case ULIDs (26 Crockford base32 characters: 48-bit milliseconds, 80 random
  bits), which is what the doc's ``01j2dn2545m****`` decodes as (2024-07-10).
- Lifecycle waiting → running → succeeded (``images``: batch_size PNGs, 1 when absent, of width x
  height, 512 x 512 when absent) or failed (``images`` empty; the reason in ``subErrMessage`` of a
  status-10 envelope, without a ``subErrCode``: the query itself succeeded). ``parameters`` echoes
  the request as received; ``info`` is ``{}``.
- ``X-SP-RESOURCE-CONFIG-ID`` is optional and never refused; the pools it lists (``default`` when
  absent) are kept on the task as ``extra["resource_config"]`` (a pool list is not a secret).
- No rate limit is documented, so none is enforced (an injected 429 answers ``Throttled``).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from sdcontracts import Report
from sdcontracts.auth import aliyun_signature, aliyun_string_to_sign, content_md5

from .._faults import Fault
from .._handler import Context, Handler, describe
from .._state import CANCELED, FAILED, QUEUED, SUCCEEDED, NonceStore
from .._wire import MockRequest, MockResponse, json_response, new_uuid
from ._common import clock_skew, equal

__all__ = ["AliyunHandler"]

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def _ulid() -> str:
    """A new lower-case ULID: 48-bit Unix milliseconds then 80 random bits, 26 characters."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def _header_text(text: str) -> str:
    """A header-safe line: no newlines (the gateway writes ``#``), ASCII only."""
    return text.replace("\n", "#").encode("ascii", "backslashreplace").decode("ascii")


class AliyunHandler(Handler):
    provider = "aliyun"
    wall = staticmethod(time.time)  # signed timestamps are wall-clock milliseconds; tests may replace this

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.nonces = NonceStore(lambda: self.wall(), context.config.signature_window)

    # -- the gateway -------------------------------------------------------------------------------

    def parse(self, request: MockRequest, operation: str) -> tuple[Any, MockResponse | None]:
        # The gateway verifies the request before the service parses its body. An oversized or
        # incomplete body was cut short, so its Content-MD5 cannot be checked: the service's error
        # about the body comes first.
        if not (request.oversized or request.incomplete):
            denied = self.gateway(request)
            if denied is not None:
                return None, denied
        return super().parse(request, operation)

    def authenticate(self, request: MockRequest, body: Any) -> MockResponse | None:
        return None  # already done by the gateway, in `parse`

    def gateway(self, request: MockRequest) -> MockResponse | None:
        """None when the API-Gateway signature verifies, else the gateway's error."""
        window = self.config.signature_window
        key = request.header("x-ca-key")
        if not key or not equal(key, self.credentials["app_key"]):
            told = "the x-ca-key header is missing" if not key else "the AppKey is not known"
            return self.error("auth", f"Invalid AppKey: {told}", request, code="InvalidAppKey")
        method = request.header("x-ca-signature-method", "HmacSHA256")
        if method != "HmacSHA256":
            return self.error(
                "auth", f"Invalid Signature: unsupported x-ca-signature-method {method!r} (HmacSHA256 only)",
                request, code="InvalidSignature",
            )  # fmt: skip
        stamp = request.header("x-ca-timestamp")
        skew = clock_skew(stamp, self.wall(), 1000)
        if skew is None:
            told = "missing" if not stamp else "not epoch milliseconds"
            return self.error("auth", f"Invalid Timestamp: x-ca-timestamp is {told}", request, code="InvalidTimestamp")
        if abs(skew) > window:
            when = "old" if skew > 0 else "in the future"
            return self.error(
                "auth", f"Invalid Timestamp: {abs(skew):.0f} s {when} (the window is {window:g} s)",
                request, code="InvalidTimestamp",
            )  # fmt: skip
        nonce = request.header("x-ca-nonce")
        if not nonce:
            return self.error("auth", "Invalid Signature: x-ca-nonce is missing", request, code="InvalidSignature")
        md5 = request.header("content-md5")
        if (request.body or md5) and not equal(md5, content_md5(request.body)):
            told = "Content-MD5 is missing" if not md5 else "Content-MD5 does not match the body"
            return self.error("auth", f"Invalid Content-MD5: {told}", request, code="InvalidContentMD5")
        string_to_sign = aliyun_string_to_sign(request.method, request.target, request.headers)
        given = request.header("x-ca-signature")
        if not given or not equal(given, aliyun_signature(self.credentials["app_secret"], string_to_sign)):
            return self.error(
                "auth", f"Invalid Signature, Server StringToSign:`{string_to_sign}`", request, code="InvalidSignature"
            )
        if self.nonces.seen_before(nonce):
            return self.error("auth", "Invalid Signature: the nonce was already used", request, code="InvalidSignature")
        return None

    # -- errors ------------------------------------------------------------------------------------

    def error(self, kind: str, message: str, request: MockRequest, *, code: str | None = None,
              retry_after: float | None = None) -> MockResponse:  # fmt: skip
        name = code or self.code_for(kind)
        entry = self.codes.get(name, {"status": 200, "level": "service"})
        if entry.get("level") == "gateway":
            headers = {
                "x-ca-error-message": _header_text(message),
                "x-ca-error-code": name,
                "x-ca-request-id": new_uuid().upper(),
            }
            if retry_after is not None:
                headers["retry-after"] = f"{max(1, round(retry_after))}"
            return json_response(int(entry["status"]), {"status": 20, "errCode": name, "errMessage": message}, headers)
        document = {"status": 20, "apiInvokeId": new_uuid(), "subErrCode": name, "subErrMessage": message}
        return json_response(200, document)

    def rejected(self, report: Report, request: MockRequest) -> MockResponse:
        return self.error("invalid", describe(report), request, code="InvalidParameter")

    # -- operations --------------------------------------------------------------------------------

    def kept(self, payload: Any, request: MockRequest) -> Any:
        return request.body  # the task query echoes the request in ``parameters``

    def op_img2img(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        pools = [p.strip() for p in request.header("x-sp-resource-config-id").split(",") if p.strip()]
        extra = {"resource_config": pools or ["default"]}
        task = self.new_task(body, request=request, fault=fault, task_id=_ulid(), extra=extra)
        response = json_response(200, self._ok({"taskId": task.id, "status": self.status(QUEUED)}))
        response.task_id = task.id
        return response

    def op_task(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        task = self.store.get(self.provider, body["taskId"])
        if task is None:
            return self.error("not-found", f"task {body['taskId']} not found", request, code="TaskNotFound")
        status, phase, _ = self.status_of(task, request)
        data = {
            "images": self.image_urls(task, request) if phase == SUCCEEDED else [],
            "parameters": json.loads(task.kept),  # kept as sent: parsed, it could take 16 times the memory
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
        return {"status": 10, "apiInvokeId": new_uuid(), "data": data}
