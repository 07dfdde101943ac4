"""Zhiqite Img Open (sd controlnet 生图), as the mock answers it.

- ``POST /AIGCImgOpenServ/saas/sd/v2/controlnet`` → ``data {task_id}``, where the task id is the
  request's ``alwayson_scripts.id_task`` (the same id_task returns the same task);
  ``POST …/v2/queryTaskInfo`` ``{businessTaskId}`` → the task.
- Auth: ``X-Request-req-accessKeyId`` and ``X-Request-req-accessKeySecret`` compared in constant time.
- Every answer is HTTP 200 ``{"code": "<string>", "msg", "data"}``: "200" success, "400" a rejected
  request (documented; a contract violation names each rule id and field in ``msg``). The other codes
  are sdcontracts' choices (``schemas/zhiqite/provider.json``): "401" credentials, "404" unknown task,
  "500" server.
- ``data.status``: 0 queued, 1 running, 2 success, 3 failed. Only 2 is documented; the rest follow
  the research notes' inference. ``temporaryImageDto`` carries progress while running (null
  otherwise); ``differentialImageRspList`` holds n_iter x batch_size images of width x height
  (default 512 x 512) in ``output_image_format`` (jpg by default, or png), with passed audits.
- No rate limit is documented, so none is enforced.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from .._faults import Fault
from .._handler import Handler, Route, describe
from .._state import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED
from .._wire import MockRequest, MockResponse, json_response
from ._common import equal, number, seed_for

__all__ = ["HANDLER"]

_PATH = "/AIGCImgOpenServ/saas/sd/v2"
_DESC = {QUEUED: "排队中", RUNNING: "生成中", SUCCEEDED: "任务成功 !", FAILED: "任务失败", CANCELED: "任务失败"}


class ZhiqiteHandler(Handler):
    provider = "zhiqite"
    routes = (Route("POST", f"{_PATH}/controlnet", "img2img"), Route("POST", f"{_PATH}/queryTaskInfo", "task"))
    statuses = MappingProxyType({QUEUED: 0, RUNNING: 1, SUCCEEDED: 2, FAILED: 3, CANCELED: 3})

    def authenticate(self, request: MockRequest, body: Any) -> MockResponse | None:
        good_id = equal(request.header("x-request-req-accesskeyid"), self.credentials["access_key_id"])
        good_secret = equal(request.header("x-request-req-accesskeysecret"), self.credentials["access_key_secret"])
        if not (good_id and good_secret):
            return self.error("auth", "accessKeyId or accessKeySecret is wrong", request)
        return None

    def error(self, kind: str, message: str, request: MockRequest, *, code: str | None = None,
              retry_after: float | None = None) -> MockResponse:  # fmt: skip
        return json_response(200, {"code": code or self.code_for(kind), "msg": message, "data": None})

    def rejected(self, report: Any, request: MockRequest) -> MockResponse:
        return self.error("invalid", describe(report), request, code="400")

    def op_img2img(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        problem = self.check(body, "img2img.request", request)
        if problem is not None:
            return problem
        scripts = body["alwayson_scripts"]
        images = number(body.get("n_iter"), 1) * number(body.get("batch_size"), 1)
        fmt = scripts.get("output_image_format") or "jpg"
        width, height = number(body.get("width"), 512), number(body.get("height"), 512)
        task_id = str(scripts["id_task"])
        task = self.new_task(
            body, images=images, width=width, height=height, fmt=fmt, fault=fault, key=task_id, task_id=task_id
        )
        response = json_response(200, {"code": "200", "msg": "success", "data": {"task_id": task.id}})
        response.task_id = task.id
        return response

    def op_task(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        problem = self.check(body, "task.request", request)
        if problem is not None:
            return problem
        task = self.mock.store.get(self.provider, str(body["businessTaskId"]))
        if task is None:
            return self.error("not-found", f"task {body['businessTaskId']} not found", request)
        status, phase, progress = self.status_of(task)
        seed = seed_for(task.id, task.payload.get("seed"))
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


HANDLER = ZhiqiteHandler
