"""Zhiqite Img Open (sd controlnet 生图), as the mock answers it.

- ``POST /AIGCImgOpenServ/saas/sd/v2/controlnet`` → ``data {task_id}``, where the task id is the
  request's ``alwayson_scripts.id_task``; ``POST …/v2/queryTaskInfo`` ``{businessTaskId}`` → the
  task as ``data {id_task, status, desc, temporaryImageDto, differentialImageRspList}``.
- Auth: ``X-Request-req-accessKeyId`` and ``X-Request-req-accessKeySecret`` (the secret itself,
  unsigned), both compared in constant time, both always (no early exit telling which was wrong).
- Every answer is HTTP 200 ``{"code": "<string>", "msg", "data"}``: "200" success, "400" a rejected
  request (documented: a contract violation names each rule id and JSON Pointer in ``msg``; a body
  that is not JSON, a Content-Type other than JSON and an oversized body are "400" too). The other
  codes are sdcontracts' choices (``schemas/zhiqite/provider.json``): "401" missing or wrong
  credentials, "404" unknown task, "429" an injected rate fault, "500" server. ``data`` is ``null``
  in every error.

Where the docs are silent, the mock's choices:

- ``data.status``: 0 queued, 1 running, 2 succeeded, 3 failed. Only 2 is documented; the rest
  follow the research notes' inference (``provider.json`` marks them inferred). ``desc`` is
  排队中 / 生成中 / 任务成功 ! (the documented text) / 任务失败: <reason>.
- ``temporaryImageDto`` is ``{"progress": <0-100>}`` while running and ``null`` otherwise;
  ``differentialImageRspList`` is empty until status 2, then holds n_iter x batch_size images (a
  missing factor counts 1) of width x height (512 x 512 when absent) in ``output_image_format``
  ("jpg", the documented default, or "png"), each with a passed audit (``img_audit_status`` true,
  ``image_status`` 1, one ``nonLabel`` label) and ``seed`` = the request's seed (a stable
  pseudo-random one for -1 or none) plus the image's index.
- ``id_task`` is the task id and the idempotency key: submitting an id_task the mock still holds
  returns that task (same ``task_id``, same progress), whatever the second body says, so a retried
  submit can never start a second generation.
- No rate limit is documented, so none is enforced.
"""

from __future__ import annotations

from typing import Any

from sdcontracts import Report

from .._faults import Fault
from .._handler import Handler, describe
from .._state import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED
from .._wire import MockRequest, MockResponse, json_response
from ._common import equal, number, seed_for

__all__ = ["ZhiqiteHandler"]

_DESC = {QUEUED: "排队中", RUNNING: "生成中", SUCCEEDED: "任务成功 !", FAILED: "任务失败", CANCELED: "任务失败"}


class ZhiqiteHandler(Handler):
    provider = "zhiqite"
    default_format = "jpg"  # "默认无需传参,输出图片格式jpg"

    def authenticate(self, request: MockRequest, body: Any) -> MockResponse | None:
        given_id = request.header("x-request-req-accesskeyid")
        given_secret = request.header("x-request-req-accesskeysecret")
        good_id = equal(given_id, self.credentials["access_key_id"])
        good_secret = equal(given_secret, self.credentials["access_key_secret"])
        if not (given_id and given_secret):
            message = "the X-Request-req-accessKeyId and X-Request-req-accessKeySecret headers are required"
            return self.error("auth", message, request)
        if not (good_id and good_secret):  # both compared first: the answer does not say which was wrong
            return self.error("auth", "accessKeyId or accessKeySecret is wrong", request)
        return None

    def error(self, kind: str, message: str, request: MockRequest, *, code: str | None = None,
              retry_after: float | None = None) -> MockResponse:  # fmt: skip
        return json_response(200, {"code": code or self.code_for(kind), "msg": message, "data": None})

    def rejected(self, report: Report, request: MockRequest) -> MockResponse:
        return self.error("invalid", describe(report), request, code="400")

    def kept(self, payload: Any, request: MockRequest) -> Any:
        return number(payload.get("seed"), -1) if isinstance(payload, dict) else -1  # the seed its images report

    def op_img2img(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        task_id = str(body["alwayson_scripts"]["id_task"])
        task = self.new_task(body, request=request, fault=fault, task_id=task_id)  # its key: the id_task too
        response = json_response(200, {"code": "200", "msg": "success", "data": {"task_id": task.id}})
        response.task_id = task.id
        return response

    def op_task(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        task = self.store.get(self.provider, str(body["businessTaskId"]))
        if task is None:
            return self.error("not-found", f"task {body['businessTaskId']} not found", request)
        status, phase, progress = self.status_of(task, request)
        seed = seed_for(task.id, task.kept)
        images = [
            {"img_audit": [{"confidence": None, "label": "nonLabel"}], "img_audit_status": True, "image_status": 1,
             "image_url": url, "seed": seed + index}
            for index, url in enumerate(self.image_urls(task, request))
        ] if phase == SUCCEEDED else []  # fmt: skip
        data = {
            "id_task": task.id,
            "status": status,
            "desc": _DESC[phase] if phase != FAILED else f"{_DESC[phase]}: {task.fail_reason}",
            "temporaryImageDto": {"progress": round(progress * 100)} if phase == RUNNING else None,
            "differentialImageRspList": images,
        }
        response = json_response(200, {"code": "200", "msg": "success", "data": data})
        response.task_id = task.id
        return response
