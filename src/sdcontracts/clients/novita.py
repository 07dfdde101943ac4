"""Novita AI / PPInfra v3 async img2img: ``NovitaClient`` and ``AsyncNovitaClient``.

>>> from sdcontracts.clients.novita import NovitaClient
>>> client = NovitaClient(api_key="sk_…", base_url="https://api.ppinfra.com")  # doctest: +SKIP
>>> task = client.generate({"request": {...}})                                 # doctest: +SKIP
>>> [image.url for image in task.images]                                        # doctest: +SKIP

Errors are ``{code, reason, message, metadata}`` with the HTTP status in ``code``;
``reason`` becomes the error's ``code``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack

import httpx

from .._exceptions import ProviderError
from ..auth import BearerAuth
from ._base import AsyncClient, ClientOptions, Image, ProviderBase, Spec, Submitted, SyncClient, Task

if TYPE_CHECKING:
    from ..models.novita import TaskResultResponse

__all__ = ["AsyncNovitaClient", "NovitaClient"]

BASE_URLS = {"novita": "https://api.novita.ai", "ppinfra": "https://api.ppinfra.com"}


class _Novita(ProviderBase):
    provider = "novita"

    def __init__(self, api_key: str, **options: Unpack[ClientOptions]) -> None:
        super().__init__(auth=BearerAuth(api_key), **options)

    def _submit_spec(self, payload: dict[str, Any]) -> Spec:
        # No idempotency key exists: a submit is never repeated.
        return Spec("img2img", "POST", "/v3/async/img2img", json=payload, retryable=False)

    def _submitted(self, body: Any, key: str | None) -> Submitted:
        return Submitted(self.provider, str(body["task_id"]), key, body)

    def _task_spec(self, task_id: str) -> Spec:
        return Spec("task", "GET", "/v3/async/task-result", params={"task_id": task_id})

    def _task(self, task_id: str, body: Any) -> Task[TaskResultResponse]:
        task = body.get("task") or {}
        status = task.get("status")
        progress = task.get("progress_percent")
        images = tuple(
            Image(url=i["image_url"], format=i.get("image_type"), expires_in=_int(i.get("image_url_ttl")))
            for i in body.get("images") or ()
            if isinstance(i, dict) and i.get("image_url")
        )
        return Task(
            provider=self.provider,
            id=str(task.get("task_id") or task_id),
            state=self.state_of(status),
            status=status,
            progress=progress / 100 if isinstance(progress, int | float) else None,
            images=images,
            reason=task.get("reason") or None,
            raw=body,
            _parse=self._model("task.response"),
        )

    def _error(self, response: httpx.Response, body: Any, spec: Spec) -> ProviderError | None:
        if response.is_success:
            return None
        fields = body if isinstance(body, dict) else {}
        reason = fields.get("reason")
        message = fields.get("message") or response.reason_phrase or "request failed"
        not_found = spec.operation == "task" and response.status_code == 404
        code = str(reason) if reason else None
        return self._http_error(response, str(message), code=code, body=body, kind="not-found" if not_found else None)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class NovitaClient(_Novita, SyncClient["TaskResultResponse"]):
    """Novita/PPInfra img2img over httpx. ``base_url``: ``BASE_URLS["novita"]`` (default) or
    ``BASE_URLS["ppinfra"]``; ``transport`` plugs in a mock; ``retry`` tunes retries."""


class AsyncNovitaClient(_Novita, AsyncClient["TaskResultResponse"]):
    """The asyncio twin of `NovitaClient`."""
