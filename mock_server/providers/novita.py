"""Novita / PPInfra v3 async img2img, as the mock answers it.

- ``POST /v3/async/img2img`` → ``{"task_id"}``; ``GET /v3/async/task-result?task_id=`` → the result.
- ``Authorization: Bearer <key>``: missing → 400 ``MISSING_API_KEY``; wrong → 403 ``INVALID_API_KEY``
  (``novita_auth_status = 401`` follows the error guide instead of the table).
- Violations → 400 ``INVALID_REQUEST_BODY``, or the image reasons ``INVALID_IMAGE_FORMAT``,
  ``IMAGE_EXCEEDS_MAX_RESOLUTION``, ``IMAGE_FILE_EXCEEDS_MAX_SIZE``; ``metadata`` names the rule and
  JSON Pointer. Unknown task → 404 ``TASK_NOT_FOUND``. With rate limits on, img2img is limited to
  10 images per minute per key → 429 ``RATE_LIMIT_EXCEEDED`` (with ``Retry-After``).
- Every image carries ``image_url_ttl`` as a decimal string, as the live service sends it.
"""

from __future__ import annotations

from typing import Any

from sdcontracts import Report

from .._faults import Fault
from .._handler import Handler, describe
from .._state import CANCELED, FAILED, SUCCEEDED, RateLimiter
from .._wire import MockRequest, MockResponse, json_response
from ._common import equal, number, seed_for

__all__ = ["NovitaHandler"]

_IMAGE_REASONS = {
    "image-encoding": "INVALID_IMAGE_FORMAT",
    "image-format": "INVALID_IMAGE_FORMAT",
    "image-dimensions": "IMAGE_EXCEEDS_MAX_RESOLUTION",
    "image-size": "IMAGE_FILE_EXCEEDS_MAX_SIZE",
}
_KIND_REASONS = {
    "invalid": "INVALID_REQUEST_BODY",
    "auth": "INVALID_API_KEY",
    "rate": "RATE_LIMIT_EXCEEDED",
    "not-found": "TASK_NOT_FOUND",
    "server": "CREATE_TASK_FAILED",
}


class NovitaHandler(Handler):
    provider = "novita"

    def authenticate(self, request: MockRequest, body: Any) -> MockResponse | None:
        header = request.header("authorization")
        if not header:
            return self.error("auth", "the Authorization header is missing", request, code="MISSING_API_KEY")
        scheme, _, key = header.partition(" ")
        if scheme != "Bearer" or not equal(key.strip(), self.credentials["api_key"]):
            return self.error("auth", "the API key is not valid", request, code="INVALID_API_KEY")
        return None

    def error(self, kind: str, message: str, request: MockRequest, *, code: str | None = None,
              retry_after: float | None = None, metadata: dict[str, str] | None = None) -> MockResponse:  # fmt: skip
        reason = code or _KIND_REASONS[kind]
        status = int(self.codes.get(reason, {}).get("status", 400))
        if reason == "INVALID_API_KEY":
            status = self.config.novita_auth_status
        body = {"code": status, "reason": reason, "message": message, "metadata": metadata or {}}
        headers = {"retry-after": f"{max(1, round(retry_after))}"} if retry_after is not None else {}
        return json_response(status, body, headers)

    def rejected(self, report: Report, request: MockRequest) -> MockResponse:
        first = report.violations[0]
        reason = next((_IMAGE_REASONS[v.rule] for v in report.violations if v.rule in _IMAGE_REASONS), None)
        metadata = {"rule": first.rule, "path": first.path or "/"}
        return self.error("invalid", describe(report), request, code=reason, metadata=metadata)

    def rate_limiter(self) -> RateLimiter:
        return RateLimiter(self.clock, limit=10, window=60.0)  # "img2img_v3 … 10" images per minute

    def rate_units(self, operation: str, body: Any) -> float:
        if operation != "img2img":
            return 0.0
        request = body.get("request") if isinstance(body, dict) else None
        return float(number(request.get("image_num"), 1)) if isinstance(request, dict) else 1.0

    def limit_key(self, request: MockRequest, body: Any) -> str:
        return request.header("authorization")

    def kept(self, payload: Any, request: MockRequest) -> Any:
        fields = payload.get("request") if isinstance(payload, dict) else None
        return number(fields.get("seed"), -1) if isinstance(fields, dict) else -1  # the seed its result reports

    def op_img2img(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        task = self.new_task(body, request=request, fault=fault)
        response = json_response(200, {"task_id": task.id})
        response.task_id = task.id
        return response

    def op_task(self, request: MockRequest, body: Any, params: dict[str, str], fault: Fault) -> MockResponse:
        task_id = request.params.get("task_id", "")
        if not task_id:
            return self.error("invalid", "the task_id query parameter is required", request)
        task = self.store.get(self.provider, task_id)
        if task is None:
            return self.error("not-found", f"task {task_id} not found", request)
        status, phase, progress = self.status_of(task, request)
        images = []
        if phase == SUCCEEDED:
            images = [
                {"image_url": url, "image_url_ttl": "3600", "image_type": task.format, "nsfw_detection_result": None}
                for url in self.image_urls(task, request)
            ]
        document = {
            "extra": {"seed": str(seed_for(task.id, task.kept)), "has_nsfw_contents": []},
            "task": {
                "task_id": task.id,
                "status": status,
                "reason": (task.fail_reason or "canceled") if phase in (FAILED, CANCELED) else "",
                "task_type": "IMG_TO_IMG",
                "eta": 0
                if phase in (SUCCEEDED, FAILED, CANCELED)
                else max(1, round(self.config.run_seconds * (1 - progress))),
                "progress_percent": round(progress * 100),
            },
            "images": images,
            "videos": [],
            "audios": [],
        }
        response = json_response(200, document)
        response.task_id = task.id
        return response
