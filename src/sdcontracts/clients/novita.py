"""Novita AI / PPInfra v3 async img2img: ``NovitaClient`` and ``AsyncNovitaClient``.

>>> from sdcontracts.clients.novita import NovitaClient
>>> client = NovitaClient(api_key="sk_…", base_url="https://api.ppinfra.com")  # doctest: +SKIP
>>> task = client.generate({"request": {...}})                                 # doctest: +SKIP
>>> [image.url for image in task.images]                                        # doctest: +SKIP

Errors are ``{code, reason, message, metadata}`` with the HTTP status in ``code``;
``reason`` becomes the error's ``code``. Everything else (paths, the task id, status, progress,
images) is read from ``schemas/novita/provider.json``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Unpack

from .._registry import get as registered
from ..auth import BearerAuth
from ._base import AsyncClient, ClientOptions, ProviderBase, SyncClient

if TYPE_CHECKING:
    from ..models.novita import TaskResultResponse  # noqa: F401  (the quoted type argument of the client bases)

__all__ = ["AsyncNovitaClient", "NovitaClient"]

BASE_URLS = dict(registered("novita").base_urls)  # {"novita": "https://api.novita.ai", "ppinfra": …}


class _Novita(ProviderBase):
    provider = "novita"

    def __init__(self, api_key: str, **options: Unpack[ClientOptions]) -> None:
        super().__init__(auth=BearerAuth(api_key), **options)


class NovitaClient(_Novita, SyncClient["TaskResultResponse"]):
    """Novita/PPInfra img2img over httpx. ``base_url``: ``BASE_URLS["novita"]`` (default) or
    ``BASE_URLS["ppinfra"]``; ``transport`` plugs in a mock; ``retry`` tunes retries."""


class AsyncNovitaClient(_Novita, AsyncClient["TaskResultResponse"]):
    """The asyncio twin of `NovitaClient`."""
