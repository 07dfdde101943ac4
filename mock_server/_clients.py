"""Clients answered by a mock, typed: ``mock.client("novita")`` is a `NovitaClient` to a type checker too.

`ClientMaker` holds the overloads once, for `Mock.client` and for `HttpMock.client` (the pytest
plugin's ``sd_http_mock``); each says how it builds a client in ``_client``. The client classes
are imported when a client is made, never at import: ``import sdcontracts.mock`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Unpack, overload

from sdcontracts._registry import get as registered
from sdcontracts._registry import ids

if TYPE_CHECKING:
    from sdcontracts.clients import ClientOptions
    from sdcontracts.clients._base import AsyncClient, SyncClient
    from sdcontracts.clients.aliyun import AliyunClient, AsyncAliyunClient
    from sdcontracts.clients.novita import AsyncNovitaClient, NovitaClient
    from sdcontracts.clients.picpik import AsyncPicpikClient, PicpikClient
    from sdcontracts.clients.tensorart import AsyncTensorArtClient, TensorArtClient
    from sdcontracts.clients.zhiqite import AsyncZhiqiteClient, ZhiqiteClient

    from ._app import Mock

__all__ = ["ClientMaker", "HttpMock"]


class ClientMaker:
    """``client(provider, *, asynchronous=False, rsa=False, **options)``: a real sdcontracts client.

    ``asynchronous=True`` gives the asyncio twin; ``rsa=True`` makes a client sign with its
    profile's ``rsa`` credential set (Tensor.Art's TAMS-SHA256-RSA) instead of its default one;
    ``options`` are the client's (`ClientOptions`). Literal ids below type the built-in providers'
    clients; any other id (a plugin's) gives the base types.
    """

    # fmt: off
    @overload
    def client(self, provider: Literal["novita"], *, asynchronous: Literal[False] = False,
               **options: Unpack[ClientOptions]) -> NovitaClient: ...
    @overload
    def client(self, provider: Literal["novita"], *, asynchronous: Literal[True],
               **options: Unpack[ClientOptions]) -> AsyncNovitaClient: ...
    @overload
    def client(self, provider: Literal["tensorart"], *, asynchronous: Literal[False] = False, rsa: bool = False,
               **options: Unpack[ClientOptions]) -> TensorArtClient: ...
    @overload
    def client(self, provider: Literal["tensorart"], *, asynchronous: Literal[True], rsa: bool = False,
               **options: Unpack[ClientOptions]) -> AsyncTensorArtClient: ...
    @overload
    def client(self, provider: Literal["picpik"], *, asynchronous: Literal[False] = False,
               **options: Unpack[ClientOptions]) -> PicpikClient: ...
    @overload
    def client(self, provider: Literal["picpik"], *, asynchronous: Literal[True],
               **options: Unpack[ClientOptions]) -> AsyncPicpikClient: ...
    @overload
    def client(self, provider: Literal["aliyun"], *, asynchronous: Literal[False] = False,
               **options: Unpack[ClientOptions]) -> AliyunClient: ...
    @overload
    def client(self, provider: Literal["aliyun"], *, asynchronous: Literal[True],
               **options: Unpack[ClientOptions]) -> AsyncAliyunClient: ...
    @overload
    def client(self, provider: Literal["zhiqite"], *, asynchronous: Literal[False] = False,
               **options: Unpack[ClientOptions]) -> ZhiqiteClient: ...
    @overload
    def client(self, provider: Literal["zhiqite"], *, asynchronous: Literal[True],
               **options: Unpack[ClientOptions]) -> AsyncZhiqiteClient: ...
    @overload
    def client(self, provider: str, *, asynchronous: Literal[False] = False, rsa: bool = False,
               **options: Unpack[ClientOptions]) -> SyncClient[Any]: ...
    @overload
    def client(self, provider: str, *, asynchronous: Literal[True], rsa: bool = False,
               **options: Unpack[ClientOptions]) -> AsyncClient[Any]: ...
    # fmt: on

    def client(self, provider: str, *, asynchronous: bool = False, rsa: bool = False, **options: Any) -> Any:
        """A real sdcontracts client for ``provider`` (see the class docstring)."""
        if rsa and "rsa" not in registered(provider).profile.credential_sets:
            signing = [registered(p).profile.label for p in ids() if "rsa" in registered(p).profile.credential_sets]
            raise ValueError(f"rsa=True is for {' and '.join(signing)} clients only: {provider} has no RSA signature")
        return self._client(provider, asynchronous, rsa, options)

    def _client(self, provider: str, asynchronous: bool, rsa: bool, options: dict[str, Any]) -> Any:
        raise NotImplementedError


class HttpMock(ClientMaker):
    """A mock served over HTTP: its ``url``, the ``mock`` behind it, and clients that use HTTP."""

    def __init__(self, mock: Mock, url: str) -> None:
        self.mock = mock
        self.url = url
        self.journal = mock.journal

    def _client(self, provider: str, asynchronous: bool, rsa: bool, options: dict[str, Any]) -> Any:
        options = {"base_url": self.url, "transport": None, **options}
        return self.mock._client(provider, asynchronous, rsa, options)
