"""PICPIK legacy GenerateImg2Img, as the mock answers it.

- Every call is ``POST /`` with a JSON body; ``Action`` picks the command: ``GenerateImg2Img`` →
  ``{"TaskUID"}``, ``GetGenerateTaskDetail`` → the task. Any other Action → RetCode 231.
- Auth is in the body: ``PublicKey`` must be known (RetCode 160) and ``Signature`` must equal the
  SHA-1 recomputed over the parsed body with that key's private key (RetCode 161; compared
  case-insensitively, in constant time).
- Every answer is HTTP 200 ``{"Action": "<Action>Response", "RetCode", "Message", "request_uuid"}``;
  RetCode 0 is success. PICPIK documents no other RetCode: the ones used (160, 161, 230 invalid
  parameter, 231 unknown Action, 290 task not found, 500 internal) are sdcontracts' choices, listed
  in ``schemas/picpik/provider.json`` and recognised by the client. A contract violation (230)
  names each rule id and field in ``Message``.
- Lifecycle Queuing → Running → Finished (``FinalPictureUrls``: BatchSize PNGs of Width x Height)
  or Error (``TaskErrorCode`` 1, ``TaskErrorMsg``). TaskUIDs are 20-character xid-like strings.
- No rate limit is documented, so none is enforced.
"""

from __future__ import annotations

import json
import uuid
from types import MappingProxyType
from typing import Any

from sdcontracts.auth import picpik_signature

from .._faults import Fault
from .._handler import Handler, Route, describe
from .._state import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED
from .._wire import MockRequest, MockResponse, json_response
from ._common import equal

__all__ = ["HANDLER"]

_ALPHABET = "0123456789abcdefghijklmnopqrstuv"
_ACTIONS = {"GenerateImg2Img": "img2img", "GetGenerateTaskDetail": "task"}


def _xid() -> str:
    value = uuid.uuid4().int
    return "".join(_ALPHABET[(value >> (5 * i)) & 31] for i in range(20))


class PicpikHandler(Handler):
    provider = "picpik"
    routes = (Route("POST", "/", "action"),)
    statuses = MappingProxyType(
        {QUEUED: "Queuing", RUNNING: "Running", SUCCEEDED: "Finished", FAILED: "Error", CANCELED: "Error"}
    )

    def authenticate(self, request: MockRequest, body: Any) -> MockResponse | None:
        if not isinstance(body, dict):
            return self.error("invalid", "the body must be a JSON object", request)
        public_key = body.get("PublicKey")
        if not isinstance(public_key, str) or not equal(public_key, self.credentials["public_key"]):
            return self.error("auth", "PublicKey is missing or unknown", request, code="160")
        signature = body.get("Signature")
        try:
            expected = picpik_signature(body, self.credentials["private_key"])
        except TypeError:
            expected = ""
        if not isinstance(signature, str) or not expected or not equal(signature.lower(), expected):
            return self.error("auth", "Signature does not match the parameters", request, code="161")
        return None

    def error(self, kind: str, message: str, request: MockRequest, *, code: str | None = None,
              retry_after: float | None = None) -> MockResponse:  # fmt: skip
        fields = _fields(request)
        action = fields.get("Action") if isinstance(fields.get("Action"), str) else ""
        document = {
            "Action": f"{action}Response",
            "RetCode": int(code or self.code_for(kind)),
            "Message": message,
            "request_uuid": fields.get("request_uuid", ""),
        }
        return json_response(200, document)

    def op_action(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        operation = _ACTIONS.get(body.get("Action")) if isinstance(body.get("Action"), str) else None
        if operation is None:
            return self.error("invalid", f"unknown Action {body.get('Action')!r}", request, code="231")
        response = self.op_img2img(request, body, fault) if operation == "img2img" else self.op_task(request, body)
        response.operation = operation
        return response

    def op_img2img(self, request: MockRequest, body: Any, fault: Fault) -> MockResponse:
        problem = self.check(body, "img2img.request", request)
        if problem is not None:
            return problem
        width, height = body["Width"], body["Height"]
        task = self.new_task(
            body, images=body["BatchSize"], width=width, height=height, fmt="png", fault=fault, task_id=_xid()
        )
        response = json_response(200, self._envelope(body, TaskUID=task.id))
        response.task_id = task.id
        return response

    def op_task(self, request: MockRequest, body: Any) -> MockResponse:
        problem = self.check(body, "task.request", request)
        if problem is not None:
            return problem
        task = self.mock.store.get(self.provider, body["TaskUID"])
        if task is None:
            return self.error("not-found", f"task {body['TaskUID']} not found", request)
        status, phase, _ = self.status_of(task)
        failed = phase in (FAILED, CANCELED)
        response = json_response(
            200,
            self._envelope(
                body,
                TaskType="TaskGeneratePicture",
                TaskStatus=status,
                FinalPictureUrls=self.image_urls(task, request) if phase == SUCCEEDED else [],
                TaskErrorMsg=(task.fail_reason or "canceled") if failed else "",
                TaskErrorCode=1 if failed else 0,
            ),
        )
        response.task_id = task.id
        return response

    def rejected(self, report: Any, request: MockRequest) -> MockResponse:
        return self.error("invalid", describe(report), request, code="230")

    @staticmethod
    def _envelope(body: dict[str, Any], **fields: Any) -> dict[str, Any]:
        head = {"Action": f"{body['Action']}Response", "RetCode": 0, "Message": ""}
        return {**head, **fields, "request_uuid": body.get("request_uuid", "")}


def _fields(request: MockRequest) -> dict[str, Any]:
    try:
        parsed = json.loads(request.body)
    except (ValueError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


HANDLER = PicpikHandler
