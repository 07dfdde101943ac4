"""Tensor.Art TAMS v1: ``TensorArtClient`` and ``AsyncTensorArtClient``.

Authenticate with a Bearer token (recommended) or the legacy TAMS-SHA256-RSA signature::

    TensorArtClient(token="…", base_url="https://<your app's endpoint>")
    TensorArtClient(app_id="…", private_key=open("private.pem").read(), base_url=…)

A job's ``requestId`` makes submits idempotent ("same id, same job"), so the client sets one when
the payload has none and may then safely retry a submit. ``upload_image`` does the two-step
upload (``POST /v1/resource/image``, then ``PUT`` the bytes to ``putUrl``) and returns the
resource id for ``inputInitialize.imageResourceId`` or ``imageToInpaint.maskImageResourceId``.
Errors are ``google.rpc.Status`` (``{code, message, details}``); the real reason is often in
``details[].message`` when ``message`` is a bare "params valid".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack

import httpx

from ..auth import BearerAuth, TamsRsaAuth
from ._base import AsyncClient, ClientOptions, ProviderBase, Spec, Steps, SyncClient

if TYPE_CHECKING:
    from ..models.tensorart import GetJobResponse  # noqa: F401  (the quoted type argument of the client bases)

__all__ = ["AsyncTensorArtClient", "TensorArtClient"]


class _TensorArt(ProviderBase):
    provider = "tensorart"
    uploads_images = True

    def __init__(
        self,
        token: str | None = None,
        *,
        app_id: str | None = None,
        private_key: str | bytes | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        auth: httpx.Auth
        if token and not (app_id or private_key):
            auth = BearerAuth(token)
        elif app_id and private_key and not token:
            auth = TamsRsaAuth(app_id, private_key)
        else:
            raise ValueError("give either token=…, or app_id=… with private_key=… (not both)")
        super().__init__(auth=auth, **options)

    def _progress(self, body: Any) -> float | None:
        """Mean progress of the images being processed in the latest stage, 0 to 1."""
        job = body.get("job") if isinstance(body, dict) else None
        if not isinstance(job, dict):
            return None
        if job.get("status") == "SUCCESS":
            return 1.0
        stages = (job.get("runningInfo") or {}).get("stages") or ()
        values: list[float] = [
            image["progress"]
            for stage in stages[-1:]
            if isinstance(stage, dict)
            for image in stage.get("processingImages") or ()
            if isinstance(image, dict) and isinstance(image.get("progress"), int | float)
        ]
        return sum(values) / len(values) / 100 if values else None

    def _error_message(self, fields: dict[str, Any]) -> str:
        # the real reason is often in details[].message, beside a bare "params valid"
        details = [d.get("message") for d in fields.get("details") or () if isinstance(d, dict) and d.get("message")]
        return "; ".join(str(m) for m in [fields.get("message"), *details] if m)

    def _upload_steps(self, data: bytes, expire_sec: int | None, term: int | None) -> Steps[str]:
        request: dict[str, Any] = {}
        if expire_sec is not None:
            request["expireSec"] = str(expire_sec)
        if term is not None:
            request["term"] = term
        operation = self.spec.operations["resource"]
        created = yield from self._call(Spec(operation.name, operation.method, operation.path, json=request))
        headers = {str(k): str(v) for k, v in (created.get("headers") or {}).items()}
        put = Spec(
            "upload", "PUT", created["putUrl"], content=data, headers=headers, authenticated=False, expect="empty"
        )
        yield from self._call(put)
        return str(created["resourceId"])


class TensorArtClient(_TensorArt, SyncClient["GetJobResponse"]):
    """Tensor.Art TAMS jobs over httpx."""

    def upload_image(self, data: bytes, *, expire_sec: int | None = None, term: int | None = None) -> str:
        """Upload image bytes; return the resource id to use as imageResourceId or a mask.

        ``term`` 1 keeps the resource 7 days, 2 forever (the provider's default applies when None)."""
        return self._run(self._upload_steps(data, expire_sec, term))


class AsyncTensorArtClient(_TensorArt, AsyncClient["GetJobResponse"]):
    """The asyncio twin of `TensorArtClient`."""

    async def upload_image(self, data: bytes, *, expire_sec: int | None = None, term: int | None = None) -> str:
        """Upload image bytes; return the resource id to use as imageResourceId or a mask."""
        return await self._run(self._upload_steps(data, expire_sec, term))
