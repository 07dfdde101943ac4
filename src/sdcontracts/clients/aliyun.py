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
from ._base import AsyncClient, ClientOptions, ProviderBase, Spec, SyncClient, TaskState

if TYPE_CHECKING:
    from ..models.aliyun import TaskResponse  # noqa: F401  (the quoted type argument of the client bases)

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

    def _reason(self, body: Any, state: TaskState) -> str | None:
        return _message(body) or None if isinstance(body, dict) else None

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
