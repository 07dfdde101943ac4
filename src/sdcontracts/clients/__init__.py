"""Typed httpx clients, sync and async, one module per provider::

    from sdcontracts.clients.novita import NovitaClient, AsyncNovitaClient
    from sdcontracts.clients.tensorart import TensorArtClient, AsyncTensorArtClient
    from sdcontracts.clients.picpik import PicpikClient, AsyncPicpikClient
    from sdcontracts.clients.aliyun import AliyunClient, AsyncAliyunClient
    from sdcontracts.clients.zhiqite import ZhiqiteClient, AsyncZhiqiteClient

Every client has ``submit`` (validates first, raising `sdcontracts.RequestInvalid`),
``get_task``, ``wait`` (poll interval, deadline, progress callback), ``generate`` (submit and
wait), ``download``, and ``cancel`` where the provider has one; Tensor.Art adds ``upload_image``.
``submit`` and ``generate`` also take a `sdcontracts.canonical.CanonicalRequest`, and ``translate``
turns one into the provider's payload with its image transport done (Tensor.Art uploads bytes).
They share the result types below and the error hierarchy in ``sdcontracts``; every client takes
its credentials, then the keyword options of `ClientOptions` (``base_url``, ``timeout``, ``retry``,
``validate``, ``headers``, ``transport``). ``task.response`` is the provider's generated model
(``NovitaClient`` tasks carry a ``sdcontracts.models.novita.TaskResultResponse``).
"""

from __future__ import annotations

import importlib
from typing import Any, Literal, overload

from .._catalogue import check_provider
from ._base import AsyncClient, ClientOptions, Image, Retry, Submitted, SyncClient, Task, TaskState, WaitOptions

__all__ = ["ClientOptions", "Image", "Retry", "Submitted", "Task", "TaskState", "WaitOptions", "client_class"]

# provider -> the stem of its client classes, ``{stem}Client`` and ``Async{stem}Client``
_STEMS = {"novita": "Novita", "tensorart": "TensorArt", "picpik": "Picpik", "aliyun": "Aliyun", "zhiqite": "Zhiqite"}


@overload
def client_class(provider: str, *, asynchronous: Literal[False] = False) -> type[SyncClient[Any]]: ...
@overload
def client_class(provider: str, *, asynchronous: Literal[True]) -> type[AsyncClient[Any]]: ...
@overload
def client_class(provider: str, *, asynchronous: bool) -> type[SyncClient[Any]] | type[AsyncClient[Any]]: ...
def client_class(provider: str, *, asynchronous: bool = False) -> type[SyncClient[Any]] | type[AsyncClient[Any]]:
    """The client class of ``provider`` (imported on first use): ``client_class("novita")`` is
    ``NovitaClient``, with ``asynchronous=True`` ``AsyncNovitaClient``."""
    module = importlib.import_module(f"{__name__}.{check_provider(provider)}")
    cls: type[SyncClient[Any]] | type[AsyncClient[Any]] = getattr(
        module, f"{'Async' if asynchronous else ''}{_STEMS[provider]}Client"
    )
    return cls


for _name in ("ClientOptions", "Image", "Retry", "Submitted", "Task", "TaskState", "WaitOptions"):
    globals()[_name].__module__ = __name__
del _name
