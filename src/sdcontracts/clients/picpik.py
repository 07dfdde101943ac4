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
from .._provider import Operation
from ..auth import PicpikSignature
from ._base import AsyncClient, ClientOptions, ProviderBase, Spec, SyncClient

if TYPE_CHECKING:
    from ..models.picpik import GetGenerateTaskDetailResponse  # noqa: F401  (the quoted type argument of the client bases)

__all__ = ["AsyncPicpikClient", "PicpikClient"]


class _Picpik(ProviderBase):
    provider = "picpik"

    def __init__(self, public_key: str, private_key: str, **options: Unpack[ClientOptions]) -> None:
        self._signer = PicpikSignature(public_key, private_key)
        super().__init__(auth=None, **options)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, auth={self._signer!r})"

    def seal(self, body: Any) -> Any:
        return self._signer.sign(body) if isinstance(body, Mapping) else body

    def _complete(self, operation: Operation, body: dict[str, Any]) -> dict[str, Any]:
        # every body carries a request UUID and is signed: PublicKey and Signature are body fields
        return self._signer.sign({"request_uuid": str(uuid.uuid4()), **body})

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
