"""`sdcontracts.auth` signers for ``requests``, and so for Schemathesis' auth hooks.

Imported only by `sdcontracts.auth.for_requests`: ``requests`` is not a dependency of sdcontracts
(Schemathesis brings it).
"""

from __future__ import annotations

import httpx
import requests
import requests.auth

__all__ = ["RequestsAuth"]


class RequestsAuth(requests.auth.AuthBase):
    """An ``httpx.Auth`` flow run on the request ``requests`` is about to send.

    It runs after the body is serialised, so a signature covers the exact bytes sent (Alibaba's
    Content-MD5, TAMS-SHA256-RSA); a signer that rewrites the body (PICPIK) replaces it.
    """

    def __init__(self, auth: httpx.Auth) -> None:
        self.auth = auth

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        body = prepared.body or b""
        content = body.encode("utf-8") if isinstance(body, str) else body
        request = httpx.Request(
            prepared.method or "GET", prepared.url or "", headers=dict(prepared.headers), content=content
        )
        signed = next(self.auth.sync_auth_flow(request))
        # httpx sets Host from the URL, as requests will; every other header is the signer's word
        prepared.headers.update({name: value for name, value in signed.headers.items() if name.lower() != "host"})
        if signed.content != content:
            prepared.body = signed.content
        return prepared

    def __repr__(self) -> str:
        return f"RequestsAuth({self.auth!r})"
