"""Zhiqite Img Open SD ControlNet generation: ``ZhiqiteClient`` and ``AsyncZhiqiteClient``.

The key pair goes, unsigned, in the ``X-Request-req-accessKeyId`` and
``X-Request-req-accessKeySecret`` headers. ``alwayson_scripts.id_task`` becomes the task id;
the client sets one when the payload has none, and since it names the task, a submit carrying
it may be retried safely. Responses are ``{code: "200" | "400", msg, data}`` (``code`` is a
string); the status codes beyond 2 (success) are not documented.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Unpack

import httpx

from .._exceptions import ProviderError
from ..auth import ZhiqiteKeyAuth
from ._base import AsyncClient, ClientOptions, Image, ProviderBase, Spec, Submitted, SyncClient, Task

if TYPE_CHECKING:
    from ..models.zhiqite import QueryTaskInfoResponse

__all__ = ["AsyncZhiqiteClient", "ZhiqiteClient"]


class _Zhiqite(ProviderBase):
    provider = "zhiqite"
    idempotent_submit = True

    def __init__(self, access_key_id: str, access_key_secret: str, **options: Unpack[ClientOptions]) -> None:
        super().__init__(auth=ZhiqiteKeyAuth(access_key_id, access_key_secret), **options)

    def _prepare(self, payload: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        scripts = payload.get("alwayson_scripts")
        if not isinstance(scripts, dict):
            return payload, None  # validation reports the missing object
        if isinstance(scripts.get("id_task"), str) and scripts["id_task"]:
            return payload, scripts["id_task"]
        key = uuid.uuid4().hex
        return {**payload, "alwayson_scripts": {**scripts, "id_task": key}}, key

    def _submit_spec(self, payload: dict[str, Any]) -> Spec:
        # id_task names the task, so repeating the submit cannot create a second one.
        return Spec("img2img", "POST", "/AIGCImgOpenServ/saas/sd/v2/controlnet", json=payload, retryable=True)

    def _submitted(self, body: Any, key: str | None) -> Submitted:
        return Submitted(self.provider, str(body["data"]["task_id"]), key, body)

    def _task_spec(self, task_id: str) -> Spec:
        return Spec("task", "POST", "/AIGCImgOpenServ/saas/sd/v2/queryTaskInfo", json={"businessTaskId": task_id})

    def _task(self, task_id: str, body: Any) -> Task[QueryTaskInfoResponse]:
        data = body.get("data") or {}
        status = data.get("status")
        state = self.state_of(status)
        images = tuple(
            Image(url=item["image_url"])
            for item in data.get("differentialImageRspList") or ()
            if isinstance(item, dict) and item.get("image_url")
        )
        return Task(
            provider=self.provider,
            id=str(data.get("id_task") or data.get("task_id") or task_id),
            state=state,
            status=status,
            images=images,
            reason=(data.get("desc") or body.get("msg") or None) if state.value == "failed" else None,
            raw=body,
            _parse=self._model("task.response"),
        )

    def _error(self, response: httpx.Response, body: Any, spec: Spec) -> ProviderError | None:
        fields = body if isinstance(body, dict) else {}
        code = fields.get("code")
        if response.is_success and (code == "200" or not fields):
            return None
        message = str(fields.get("msg") or response.reason_phrase or "request failed")
        return self._http_error(response, message, code=None if code is None else str(code), body=body)


class ZhiqiteClient(_Zhiqite, SyncClient["QueryTaskInfoResponse"]):
    """Zhiqite Img Open over httpx."""


class AsyncZhiqiteClient(_Zhiqite, AsyncClient["QueryTaskInfoResponse"]):
    """The asyncio twin of `ZhiqiteClient`."""
