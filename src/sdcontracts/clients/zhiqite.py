"""Zhiqite Img Open SD ControlNet generation: ``ZhiqiteClient`` and ``AsyncZhiqiteClient``.

The key pair goes, unsigned, in the ``X-Request-req-accessKeyId`` and
``X-Request-req-accessKeySecret`` headers. ``alwayson_scripts.id_task`` becomes the task id;
the client sets one when the payload has none, and since it names the task, a submit carrying
it may be retried safely. Responses are ``{code: "200" | "400", msg, data}`` (``code`` is a
string); the status codes beyond 2 (success) are not documented.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack

import httpx

from .._exceptions import ProviderError
from ..auth import ZhiqiteKeyAuth
from ._base import AsyncClient, ClientOptions, ProviderBase, Spec, SyncClient, TaskState

if TYPE_CHECKING:
    from ..models.zhiqite import QueryTaskInfoResponse  # noqa: F401  (the quoted type argument of the client bases)

__all__ = ["AsyncZhiqiteClient", "ZhiqiteClient"]


class _Zhiqite(ProviderBase):
    provider = "zhiqite"

    def __init__(self, access_key_id: str, access_key_secret: str, **options: Unpack[ClientOptions]) -> None:
        super().__init__(auth=ZhiqiteKeyAuth(access_key_id, access_key_secret), **options)

    def _reason(self, body: Any, state: TaskState) -> str | None:
        if state is not TaskState.FAILED or not isinstance(body, dict):
            return None
        data = body.get("data")
        return (data.get("desc") if isinstance(data, dict) else None) or body.get("msg") or None

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
