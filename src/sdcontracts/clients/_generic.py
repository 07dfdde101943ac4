"""The client of a provider whose profile names no client class: read wholly from its registry entry.

Requests, task ids, statuses, images and errors come from provider.json as for every client (see
`ProviderBase`); what a client class would add, its auth, comes from provider.json's ``auth``
scheme and the profile's credentials: ``bearer`` sends its one credential as ``Authorization:
Bearer``, ``key-headers`` each credential, in profile order, in the headers ``auth.headers``
lists. A provider that signs its requests, or answers errors inside HTTP 200, names a client class
in its profile instead.
"""

from __future__ import annotations

import functools
from typing import Any

import httpx

from .._registry import get as registered
from ..auth import BearerAuth, KeyHeadersAuth
from ._base import AsyncClient, ProviderBase, SyncClient

__all__ = ["generic_class"]


class _Generic(ProviderBase):
    """A provider's client built from its description: ``Client(api_key=…, **options)``, the
    keywords being its profile's credentials."""

    def __init__(self, **given: Any) -> None:
        spec = registered(self.provider)
        names = spec.profile.credential_sets["default"]
        missing = [name for name in names if name not in given]
        if missing:
            raise TypeError(f"{type(self).__name__} needs the credentials {', '.join(names)} (missing: {missing})")
        credentials = [given.pop(name) for name in names]
        super().__init__(auth=_auth(spec.id, spec.auth, credentials), **given)


def _auth(provider: str, auth: Any, credentials: list[str]) -> httpx.Auth:
    scheme = auth.get("scheme")
    if scheme == "bearer" and len(credentials) == 1:
        return BearerAuth(credentials[0])
    if scheme == "key-headers" and len(auth.get("headers", ())) == len(credentials):
        return KeyHeadersAuth(dict(zip(auth["headers"], credentials, strict=True)))
    raise ValueError(
        f"{provider}: the generic client sends bearer (one credential) or key-headers (one per header) auth, "
        f"not {scheme!r} with {len(credentials)} credentials; name a client class in its profile.json"
    )


@functools.cache
def generic_class(provider: str, *, asynchronous: bool = False) -> type[Any]:
    """``<Label>Client`` (or ``Async<Label>Client``) for ``provider``, made once."""
    stem = "".join(part for part in registered(provider).profile.label.title() if part.isalnum())
    twin = AsyncClient if asynchronous else SyncClient
    name = f"{'Async' if asynchronous else ''}{stem}Client"
    doc = f"The {registered(provider).profile.label} client, from its provider.json and profile.json."
    return type(name, (_Generic, twin), {"provider": provider, "__doc__": doc, "__module__": "sdcontracts.clients"})
