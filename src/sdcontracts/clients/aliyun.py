"""Alibaba Cloud AI Creation Workshop SD img2img: ``AliyunClient`` and ``AsyncAliyunClient``.

Requests are signed with API-Gateway HmacSHA256 (``x-ca-*`` headers and Content-MD5) using the
AppKey/AppSecret pair the doc calls "AccessKey ID and AccessKey secret". Responses are the
gateway envelope ``{status: 10 | 20, errCode, errMessage, subErrCode, subErrMessage, data}``;
gateway failures (credentials, signature, throttling) are HTTP 4xx with ``X-Ca-Error-Message``.
``resource_config`` sets the optional ``X-SP-RESOURCE-CONFIG-ID`` header (e.g. ``"a,b,default"``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack

import httpx

from .._exceptions import ProviderError
from ..auth import AliyunGatewayAuth
from ._base import AsyncClient, ClientOptions, Image, ProviderBase, Spec, Submitted, SyncClient, Task

if TYPE_CHECKING:
    from ..models.aliyun import TaskResponse

__all__ = ["AliyunClient", "AsyncAliyunClient"]

SUCCESS, FAILURE = 10, 20


class _Aliyun(ProviderBase):
    provider = "aliyun"

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        *,
        resource_config: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(auth=AliyunGatewayAuth(app_key, app_secret), **options)
        if resource_config:
            self.headers["X-SP-RESOURCE-CONFIG-ID"] = resource_config

    def _submit_spec(self, payload: dict[str, Any]) -> Spec:
        return Spec("img2img", "POST", "/scc/sd_img2img", json=payload, retryable=False)  # no idempotency key

    def _submitted(self, body: Any, key: str | None) -> Submitted:
        return Submitted(self.provider, str(body["data"]["taskId"]), key, body)

    def _task_spec(self, task_id: str) -> Spec:
        return Spec("task", "POST", "/scc/sd_get_result", json={"taskId": task_id})

    def _task(self, task_id: str, body: Any) -> Task[TaskResponse]:
        data = body.get("data") or {}
        status = data.get("status")
        return Task(
            provider=self.provider,
            id=str(data.get("taskId") or task_id),
            state=self.state_of(status),
            status=status,
            images=tuple(Image(url=u) for u in data.get("images") or () if isinstance(u, str) and u),
            reason=_message(body) or None,
            raw=body,
            _parse=self._model("task.response"),
        )

    def _error(self, response: httpx.Response, body: Any, spec: Spec) -> ProviderError | None:
        fields = body if isinstance(body, dict) else {}
        failed = fields.get("status") == FAILURE or fields.get("errCode") or fields.get("subErrCode")
        if response.is_success and not failed:
            return None
        code = fields.get("subErrCode") or fields.get("errCode") or response.headers.get("X-Ca-Error-Code")
        message = _message(fields) or response.headers.get("X-Ca-Error-Message") or response.reason_phrase
        return self._http_error(response, message or "request failed", code=str(code) if code else None, body=body)


def _message(fields: dict[str, Any]) -> str:
    return " / ".join(str(fields[k]) for k in ("errMessage", "subErrMessage") if fields.get(k))


class AliyunClient(_Aliyun, SyncClient["TaskResponse"]):
    """Alibaba Cloud SD img2img over httpx."""


class AsyncAliyunClient(_Aliyun, AsyncClient["TaskResponse"]):
    """The asyncio twin of `AliyunClient`."""
