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
``validate``, ``headers``, ``transport``, ``clock``, ``sleep``). ``task.response`` is the
provider's generated model (``NovitaClient`` tasks carry a
``sdcontracts.models.novita.TaskResultResponse``).

Any provider of the registry has a client: the classes its profile names, or the generic pair
(`client_class` builds it) for a provider whose profile names none.
"""

from __future__ import annotations

from typing import Any, Literal, overload

from .._registry import get as registered
from ._base import (
    AsyncClient,
    ClientOptions,
    Clock,
    Image,
    ProviderBase,
    Retry,
    Submitted,
    SyncClient,
    Task,
    TaskState,
    WaitOptions,
)

__all__ = [
    "AsyncClient", "ClientOptions", "Clock", "Image", "ProviderBase", "Retry", "Submitted", "SyncClient", "Task",
    "TaskState", "WaitOptions", "client_class",
]  # fmt: skip


@overload
def client_class(provider: str, *, asynchronous: Literal[False] = False) -> type[SyncClient[Any]]: ...
@overload
def client_class(provider: str, *, asynchronous: Literal[True]) -> type[AsyncClient[Any]]: ...
@overload
def client_class(provider: str, *, asynchronous: bool) -> type[SyncClient[Any]] | type[AsyncClient[Any]]: ...
def client_class(provider: str, *, asynchronous: bool = False) -> type[SyncClient[Any]] | type[AsyncClient[Any]]:
    """The client class of ``provider`` (imported on first use): ``client_class("novita")`` is
    ``NovitaClient``, with ``asynchronous=True`` ``AsyncNovitaClient``; a provider whose profile
    names no client gets the generic one."""
    spec = registered(provider)
    cls: type[SyncClient[Any]] | type[AsyncClient[Any]] | None = spec.hook("async_client" if asynchronous else "client")
    if cls is None:
        from ._generic import generic_class

        cls = generic_class(spec.id, asynchronous=asynchronous)
    return cls


for _name in ("AsyncClient", "ClientOptions", "Image", "ProviderBase", "Retry", "Submitted", "SyncClient", "Task",
              "TaskState", "WaitOptions"):  # fmt: skip
    globals()[_name].__module__ = __name__
del _name
