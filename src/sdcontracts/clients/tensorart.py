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

import uuid
from typing import TYPE_CHECKING, Any, Unpack

import httpx

from .._exceptions import ProviderError
from ..auth import BearerAuth, TamsRsaAuth
from ._base import AsyncClient, ClientOptions, Image, ProviderBase, Spec, Steps, Submitted, SyncClient, Task

if TYPE_CHECKING:
    from ..models.tensorart import GetJobResponse

__all__ = ["AsyncTensorArtClient", "TensorArtClient"]


class _TensorArt(ProviderBase):
    provider = "tensorart"
    idempotent_submit = True
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

    @staticmethod
    def default_base_url(info: Any) -> str:
        urls: dict[str, str] = info["base_urls"]
        return urls["sdk-default"]  # the official SDK's host; each app has its own endpoint

    def _prepare(self, payload: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        for name in ("requestId", "request_id"):
            if isinstance(payload.get(name), str) and payload[name]:
                return payload, payload[name]
        key = uuid.uuid4().hex
        return {"requestId": key, **payload}, key

    def _submit_spec(self, payload: dict[str, Any]) -> Spec:
        return Spec("img2img", "POST", "/v1/jobs", json=payload, retryable=True)  # requestId: same id, same job

    def _submitted(self, body: Any, key: str | None) -> Submitted:
        return Submitted(self.provider, str(body["job"]["id"]), key, body)

    def _task_spec(self, task_id: str) -> Spec:
        return Spec("task", "GET", f"/v1/jobs/{task_id}")

    def _task(self, task_id: str, body: Any) -> Task[GetJobResponse]:
        job = body.get("job") or {}
        status = job.get("status")
        success = job.get("successInfo") or {}
        images = tuple(
            Image(url=r["url"], id=r.get("id"), expires_in=_int(r.get("expiredIn")))
            for r in success.get("images") or ()
            if isinstance(r, dict) and r.get("url")
        )
        return Task(
            provider=self.provider,
            id=str(job.get("id") or task_id),
            state=self.state_of(status),
            status=status,
            progress=_progress(job),
            images=images,
            reason=(job.get("failedInfo") or {}).get("reason") or None,
            raw=body,
            _parse=self._model("task.response"),
        )

    def _cancel_spec(self, task_id: str) -> Spec:
        return Spec("cancel", "DELETE", f"/v1/jobs/{task_id}")

    def _error(self, response: httpx.Response, body: Any, spec: Spec) -> ProviderError | None:
        if response.is_success:
            return None
        fields = body if isinstance(body, dict) else {}
        grpc = fields.get("code")
        details = [d.get("message") for d in fields.get("details") or () if isinstance(d, dict) and d.get("message")]
        message = "; ".join(str(m) for m in [fields.get("message"), *details] if m) or response.reason_phrase
        code = str(grpc) if grpc is not None else None
        missing = spec.operation in ("task", "cancel") and (response.status_code == 404 or code == "5")
        kind = "not-found" if missing else None
        return self._http_error(response, message or "request failed", code=code, body=body, kind=kind)

    def _upload_steps(self, data: bytes, expire_sec: int | None, term: int | None) -> Steps[str]:
        request: dict[str, Any] = {}
        if expire_sec is not None:
            request["expireSec"] = str(expire_sec)
        if term is not None:
            request["term"] = term
        created = yield from self._call(Spec("resource", "POST", "/v1/resource/image", json=request))
        headers = {str(k): str(v) for k, v in (created.get("headers") or {}).items()}
        put = Spec(
            "upload", "PUT", created["putUrl"], content=data, headers=headers, authenticated=False, expect="empty"
        )
        yield from self._call(put)
        return str(created["resourceId"])


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _progress(job: dict[str, Any]) -> float | None:
    """Mean progress of the images being processed in the latest stage, 0 to 1."""
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
