"""PICPIK legacy GenerateImg2Img, as the mock answers it.

- Every call is ``POST /`` with a JSON body; ``Action`` picks the command: ``GenerateImg2Img`` →
  ``{"TaskUID"}``, ``GetGenerateTaskDetail`` → the task. Any other Action, or none → RetCode 231.
  The signature is checked before the Action: a command the mock does not know is still signed.
- Auth is in the body: the private key is looked up by ``PublicKey`` (missing or unknown: RetCode
  160) and ``Signature`` must equal the SHA-1 that `sdcontracts.auth.picpik_signature` recomputes
  over the *parsed* body (missing or different: RetCode 161). The comparison ignores case and takes
  constant time; since the body is parsed first, ``7.0`` and ``7`` or another key order sign alike.
- Every answer is HTTP 200 ``{"Action": "<Action>Response", "RetCode", "Message", "request_uuid"}``;
  RetCode 0 is success. PICPIK documents no other RetCode: the ones used (160, 161, 230 invalid
  parameter, 231 unknown Action, 290 task not found, 295 an injected 429, 500 internal) are
  sdcontracts' choices, listed in ``schemas/picpik/provider.json`` and recognised by the client.
  A contract violation, a body that is not JSON or not an object, or a Content-Type other than
  JSON is 230, and ``Message`` names each rule id and JSON Pointer.

Where the docs are silent, the mock's choices:

- ``Action`` in an error echoes the request's Action plus ``Response``; when the body names none
  (or is not JSON) it is ``""``, as in the seed's own response example. ``request_uuid`` is echoed
  when the body has one, else ``""``.
- TaskUIDs are real xids (4-byte Unix time, 5 random bytes, 3-byte counter, base32hex lower-case:
  20 characters), which is what the doc's ``cjr997tleg738lelk3n0`` decodes as (2023-09-05).
- Lifecycle Queuing → Running → Finished or Error. ``FinalPictureUrls`` is ``[]`` until Finished,
  then BatchSize PNGs of Width x Height. ``TaskErrorCode`` is 0 ("normal") unless the task ended
  in Error, when it is 1 and ``TaskErrorMsg`` says why (empty otherwise).
- Only the two documented Actions are served (``ListGenerateTaskDetail`` has no schema yet).
- No rate limit is documented, so none is enforced.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import os
import time
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from sdcontracts import Report
from sdcontracts._engine import json_kind
from sdcontracts.auth import picpik_signature

from .._faults import Fault
from .._handler import Handler, Route, describe
from .._state import CANCELED, FAILED, SUCCEEDED
from .._wire import MockRequest, MockResponse, json_response
from ._common import equal

__all__ = ["PicpikHandler"]

_MACHINE = os.urandom(5)  # an xid's machine id and process id: random per process
_COUNTER = itertools.count(int.from_bytes(os.urandom(3), "big"))


def _xid() -> str:
    """A new xid: 12 bytes (time, machine, counter) as 20 lower-case base32hex characters."""
    counter = (next(_COUNTER) % (1 << 24)).to_bytes(3, "big")
    raw = int(time.time()).to_bytes(4, "big") + _MACHINE + counter
    return base64.b32hexencode(raw).decode("ascii").rstrip("=").lower()


class PicpikHandler(Handler):
    provider = "picpik"

    def routes_for(self, operations: Mapping[str, Any]) -> tuple[Route, ...]:
        # Every operation is POST / and the body's Action picks it: one route, dispatched by `op_action`.
        return tuple(dict.fromkeys(Route(op["method"], op["path"], "action") for op in operations.values()))

    @functools.cached_property
    def actions(self) -> Mapping[str, str]:
        """Action -> operation, as provider.json names them."""
        return MappingProxyType({op["action"]: name for name, op in self.info["operations"].items()})

    def authenticate(self, request: MockRequest, body: Any) -> MockResponse | None:
        if not isinstance(body, dict):
            return self.error("invalid", f"[type] /: the body must be a JSON object, not {json_kind(body)}", request)
        public_key = body.get("PublicKey")
        if public_key is None or public_key == "":
            return self.error("auth", "PublicKey is missing", request, code="160")
        # one configured key pair: the private key of any other PublicKey is unknown
        if not isinstance(public_key, str) or not equal(public_key, self.credentials["public_key"]):
            return self.error("auth", "PublicKey is not known", request, code="160")
        signature = body.get("Signature")
        if not isinstance(signature, str) or not signature:
            return self.error("auth", "Signature is missing", request, code="161")
        try:
            expected = picpik_signature(body, self.credentials["private_key"])
        except TypeError:  # unreachable for parsed JSON; a mismatch rather than a 500 if it ever is
            expected = ""
        if not expected or not equal(signature.lower(), expected):
            return self.error("auth", "Signature does not match the parameters", request, code="161")
        return None

    def operation_of(self, request: MockRequest, routed: str) -> str:
        # the Action names the operation: what a FaultRule matches, and what the journal records
        # for an answer given before op_action ran (read from the body only then)
        action = _fields(request).get("Action")
        return self.actions.get(action, routed) if isinstance(action, str) else routed

    def operation_for(self, routed: str, body: Any) -> str:
        action = body.get("Action") if isinstance(body, dict) else None
        return self.actions.get(action, routed) if isinstance(action, str) else routed

    def error(self, kind: str, message: str, request: MockRequest, *, code: str | None = None,
              retry_after: float | None = None) -> MockResponse:  # fmt: skip
        fields = _fields(request)
        action = fields.get("Action")
        echo = fields.get("request_uuid")
        document = {
            "Action": f"{action}Response" if isinstance(action, str) and action else "",
            "RetCode": int(code or self.code_for(kind)),
            "Message": message,
            "request_uuid": echo if isinstance(echo, str) else "",
        }
        return json_response(200, document)

    def rejected(self, report: Report, request: MockRequest) -> MockResponse:
        return self.error("invalid", describe(report), request, code="230")

    def op_action(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        action = body.get("Action")
        operation = self.actions.get(action) if isinstance(action, str) else None
        if operation is None:
            # named like a contract violation: Action is a required constant of each request schema
            told = (
                "[required] /Action: Action is missing"
                if action is None
                else f"[const] /Action: unknown Action {action!r}"
            )
            known = ", ".join(self.actions)
            return self.error("invalid", f"{told} (the mock serves {known})", request, code="231")
        response = self.op_img2img(request, body, fault) if operation == "img2img" else self.op_task(request, body)
        response.operation = operation
        return response

    def op_img2img(self, request: MockRequest, body: dict[str, Any], fault: Fault) -> MockResponse:
        task = self.new_task(body, request=request, fault=fault, task_id=_xid())
        response = json_response(200, self._envelope(body, TaskUID=task.id))
        response.task_id = task.id
        return response

    def op_task(self, request: MockRequest, body: dict[str, Any]) -> MockResponse:
        task = self.store.get(self.provider, body["TaskUID"])
        if task is None:
            return self.error("not-found", f"task {body['TaskUID']} not found", request)
        status, phase, _ = self.status_of(task, request)
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

    @staticmethod
    def _envelope(body: dict[str, Any], **fields: Any) -> dict[str, Any]:
        head = {"Action": f"{body['Action']}Response", "RetCode": 0, "Message": ""}
        return {**head, **fields, "request_uuid": body.get("request_uuid", "")}


def _fields(request: MockRequest) -> dict[str, Any]:
    """The request's JSON object, for echoing Action and request_uuid; {} when there is none."""
    try:
        parsed = json.loads(request.body)
    except (ValueError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
