"""PICPIK legacy GenerateImg2Img: ``PicpikClient`` and ``AsyncPicpikClient``.

Every call is ``POST /`` with the command in ``Action``; the client adds ``Action``,
``request_uuid``, ``PublicKey`` and the SHA-1 ``Signature`` to each body, so payloads hold only
the generation parameters. Failures arrive as HTTP 200 with a non-zero ``RetCode``; the codes
sdcontracts recognises are listed in ``schemas/picpik/provider.json`` (PICPIK documents none).
The interface is marked "no longer maintained" by PICPIK.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Unpack

import httpx

from .._exceptions import ProviderError, TransportError
from ..auth import PicpikSignature
from ._base import AsyncClient, ClientOptions, Image, ProviderBase, Spec, Submitted, SyncClient, Task

if TYPE_CHECKING:
    from ..models.picpik import GetGenerateTaskDetailResponse

__all__ = ["AsyncPicpikClient", "PicpikClient"]


class _Picpik(ProviderBase):
    provider = "picpik"

    def __init__(self, public_key: str, private_key: str, **options: Unpack[ClientOptions]) -> None:
        self._signer = PicpikSignature(public_key, private_key)
        super().__init__(auth=None, **options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, auth={self._signer!r})"

    def _signed(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        body = {"Action": action, "request_uuid": str(uuid.uuid4()), **params}
        return self._signer.sign(body)

    def seal(self, body: Any) -> Any:
        return self._signer.sign(body) if isinstance(body, Mapping) else body

    def _prepare(self, payload: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        # Signed before validation, because PublicKey and Signature are required fields.
        return self._signed(payload.get("Action", "GenerateImg2Img"), payload), None

    def _submit_spec(self, payload: dict[str, Any]) -> Spec:
        return Spec("img2img", "POST", "/", json=payload, retryable=False)  # no idempotency key

    def _submitted(self, body: Any, key: str | None) -> Submitted:
        return Submitted(self.provider, str(body["TaskUID"]), key, body)

    def _task_spec(self, task_id: str) -> Spec:
        return Spec("task", "POST", "/", json=self._signed("GetGenerateTaskDetail", {"TaskUID": task_id}))

    def _task(self, task_id: str, body: Any) -> Task[GetGenerateTaskDetailResponse]:
        status = body.get("TaskStatus")
        return Task(
            provider=self.provider,
            id=task_id,
            state=self.state_of(status),
            status=status,
            images=tuple(Image(url=u) for u in body.get("FinalPictureUrls") or () if isinstance(u, str) and u),
            reason=body.get("TaskErrorMsg") or None,
            raw=body,
            _parse=self._model("task.response"),
        )

    def _error(self, response: httpx.Response, body: Any, spec: Spec) -> ProviderError | None:
        fields = body if isinstance(body, dict) else {}
        if response.is_success and not fields:
            return None  # not an envelope at all: _read reports it
        code = fields.get("RetCode")
        if response.is_success and code == 0:
            return None
        if response.is_success and not isinstance(code, int):
            return TransportError(f"{spec.operation}: the response has no RetCode", provider=self.provider, body=body)
        message = str(fields.get("Message") or response.reason_phrase or "request failed")
        return self._http_error(response, message, code=None if code is None else str(code), body=body)


class PicpikClient(_Picpik, SyncClient["GetGenerateTaskDetailResponse"]):
    """PICPIK img2img over httpx; ``base_url`` is ``https://api.picpik.ai`` (default) or
    ``https://api.picpikai.com`` (China)."""


class AsyncPicpikClient(_Picpik, AsyncClient["GetGenerateTaskDetailResponse"]):
    """The asyncio twin of `PicpikClient`."""
