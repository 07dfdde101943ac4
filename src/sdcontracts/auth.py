"""Request authentication for the providers, one small class per scheme.

Each class is an ``httpx.Auth``: pass it as ``auth=`` to any httpx client, ours or yours. The
same module holds the pure functions that compute each signature, which the mock server uses to
verify what it receives, so signing and verifying can never disagree.

======================  ===================  ================================================
class                   provider             what it sends
======================  ===================  ================================================
``BearerAuth``          tensorart, novita    ``Authorization: Bearer <key>``
``TamsRsaAuth``         tensorart (legacy)   ``Authorization: TAMS-SHA256-RSA app_id=…,nonce_str=…,
                                             timestamp=…,signature=…``: RSA PKCS#1 v1.5 over
                                             SHA-256 of ``METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nBODY``
``PicpikSignature``     picpik               ``PublicKey`` and ``Signature`` in the JSON body: SHA-1
                                             of the sorted, flattened parameters plus the private key
``AliyunGatewayAuth``   aliyun               API-Gateway digest: ``x-ca-*`` headers, ``Content-MD5``,
                                             ``x-ca-signature`` = HmacSHA256 over the canonical request
``ZhiqiteKeyAuth``      zhiqite              ``X-Request-req-accessKeyId`` and
                                             ``X-Request-req-accessKeySecret`` headers
``KeyHeadersAuth``      (any)                each credential in a header of its own, unsigned:
                                             provider.json's ``key-headers``, for the generic client
======================  ===================  ================================================

Secrets never appear in a ``repr`` or in an exception message. Each class's ``sent_values()``
names the credential values it sends (both halves of a key pair), so that clients can scrub them
from whatever a provider echoes back (Alibaba's gateway quotes its string to sign, AppKey and all).
`for_requests` wraps any of them for the ``requests`` library, which Schemathesis' auth hooks take
(``schema.auth.set_from_requests(for_requests(BearerAuth(key)))``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

import httpx

from ._jsontext import json_bytes

if TYPE_CHECKING:
    import requests.auth

__all__ = [
    "AliyunGatewayAuth",
    "BearerAuth",
    "KeyHeadersAuth",
    "PicpikSignature",
    "SignatureError",
    "TamsRsaAuth",
    "TamsSignature",
    "ZhiqiteKeyAuth",
    "aliyun_signature",
    "aliyun_string_to_sign",
    "content_md5",
    "for_requests",
    "parse_tams_authorization",
    "picpik_signature",
    "picpik_string_to_sign",
    "tams_string_to_sign",
    "verify_tams_signature",
]


class SignatureError(Exception):
    """A credential or signature does not verify; ``reason`` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def for_requests(auth: httpx.Auth) -> requests.auth.AuthBase:
    """``auth`` as a ``requests`` auth (``requests`` must be installed; Schemathesis has it).

    The flow runs on the prepared request, so signatures cover the bytes actually sent.
    """
    from ._requests_auth import RequestsAuth

    return RequestsAuth(auth)


def _masked(name: str, **shown: str) -> str:
    fields = ", ".join(f"{k}={v!r}" for k, v in shown.items())
    return f"{name}({fields}{', ' if fields else ''}secret=***)"


# -- Bearer -------------------------------------------------------------------------------------


class BearerAuth(httpx.Auth):
    """``Authorization: Bearer <api_key>`` (Novita/PPInfra keys look like ``sk_…``)."""

    def __init__(self, api_key: str) -> None:
        if not api_key:
            raise ValueError("api_key is empty")
        self._api_key = api_key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._api_key}"
        yield request

    def sent_values(self) -> tuple[str, ...]:
        return (self._api_key,)

    def __repr__(self) -> str:
        return _masked("BearerAuth")


# -- Tensor.Art TAMS-SHA256-RSA -----------------------------------------------------------------


def tams_string_to_sign(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """``METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nBODY``; PATH includes any query string, BODY is the exact
    bytes sent (empty for GET and DELETE)."""
    head = "\n".join((method.upper(), path, timestamp, nonce, "")).encode("utf-8")
    return head + body


@dataclass(frozen=True, slots=True)
class TamsSignature:
    """The fields of a ``TAMS-SHA256-RSA`` Authorization header."""

    app_id: str
    nonce: str
    timestamp: str
    signature: str

    def __repr__(self) -> str:
        return (
            f"TamsSignature(app_id={self.app_id!r}, nonce={self.nonce!r}, timestamp={self.timestamp!r}, signature=***)"
        )


_TAMS_PREFIX = "TAMS-SHA256-RSA "


def parse_tams_authorization(value: str) -> TamsSignature:
    """Parse ``TAMS-SHA256-RSA app_id=…,nonce_str=…,timestamp=…,signature=…``.

    Fields split on ``,`` and on the first ``=`` only: base64 signatures end in ``=``.
    """
    if not value.startswith(_TAMS_PREFIX):
        raise SignatureError("malformed", "the Authorization header is not TAMS-SHA256-RSA")
    fields: dict[str, str] = {}
    for part in value[len(_TAMS_PREFIX) :].split(","):
        key, sep, item = part.strip().partition("=")
        if not sep:
            raise SignatureError("malformed", f"TAMS-SHA256-RSA field {key!r} has no value")
        fields[key] = item
    missing = [k for k in ("app_id", "nonce_str", "timestamp", "signature") if not fields.get(k)]
    if missing:
        raise SignatureError("malformed", f"TAMS-SHA256-RSA header lacks {', '.join(missing)}")
    return TamsSignature(fields["app_id"], fields["nonce_str"], fields["timestamp"], fields["signature"])


def verify_tams_signature(
    public_key_pem: str | bytes, header: TamsSignature, method: str, path: str, body: bytes
) -> None:
    """Raise `SignatureError` unless ``header`` is a valid signature of this request.

    Timestamp windows and nonce replay are policy, checked by the caller (the mock server).
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = serialization.load_pem_public_key(
        public_key_pem if isinstance(public_key_pem, bytes) else public_key_pem.encode()
    )
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the TAMS public key must be an RSA key")
    try:
        signature = base64.b64decode(header.signature, validate=True)
    except ValueError:
        raise SignatureError("malformed", "the signature is not base64") from None
    message = tams_string_to_sign(method, path, header.timestamp, header.nonce, body)
    try:
        key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SignatureError("bad-signature", "the TAMS-SHA256-RSA signature does not verify") from None


class TamsRsaAuth(httpx.Auth):
    """Tensor.Art's legacy RSA signature (the official demo's scheme).

    ``private_key`` is the app's PKCS#1 or PKCS#8 PEM; its public half is registered in the
    TAMS app console. ``clock`` and ``nonce`` are injectable for tests.
    """

    def __init__(
        self,
        app_id: str,
        private_key: str | bytes,
        *,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = serialization.load_pem_private_key(
            private_key if isinstance(private_key, bytes) else private_key.encode(), None
        )
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the TAMS private key must be an RSA key")
        self.app_id = app_id
        self._key = key
        self._clock = clock
        self._nonce = nonce

    def authorization(self, method: str, path: str, body: bytes) -> str:
        """The Authorization header value for one request."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        timestamp, nonce = str(int(self._clock())), self._nonce()
        message = tams_string_to_sign(method, path, timestamp, nonce, body)
        signature = base64.b64encode(self._key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode("ascii")
        return f"{_TAMS_PREFIX}app_id={self.app_id},nonce_str={nonce},timestamp={timestamp},signature={signature}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        path = request.url.raw_path.decode("ascii")
        request.headers["Authorization"] = self.authorization(request.method, path, request.content)
        yield request

    def sent_values(self) -> tuple[str, ...]:
        return (self.app_id,)  # the key itself never leaves; each signature is the request's own

    def __repr__(self) -> str:
        return _masked("TamsRsaAuth", app_id=self.app_id)


# -- PICPIK SHA-1 body signature ----------------------------------------------------------------


def _picpik_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # "no scientific notation": 42.0 -> 42, 7.5 -> 7.5, 1e-05 -> 0.00001
        return str(int(value)) if value.is_integer() else format(Decimal(repr(value)), "f")
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "".join(_picpik_value(item) for item in value)
    if isinstance(value, Mapping):
        return "".join(f"{key}{_picpik_value(value[key])}" for key in sorted(value))
    raise TypeError(f"cannot sign a value of type {type(value).__name__}")


def picpik_string_to_sign(params: Mapping[str, Any], private_key: str) -> str:
    """Every parameter but ``Signature``, sorted by name, as ``key+value`` with no separators
    (arrays concatenated, objects recursively sorted, booleans ``true``/``false``, integral
    floats as integers, null as empty), then the private key."""
    body = "".join(f"{key}{_picpik_value(params[key])}" for key in sorted(params) if key != "Signature")
    return body + private_key


def picpik_signature(params: Mapping[str, Any], private_key: str) -> str:
    """The lower-case SHA-1 hex digest PICPIK expects in ``Signature``.

    The string to sign is hashed as UTF-8. A lone surrogate (a string parsed from the valid JSON
    escape ``"\\ud800"``, which is not Unicode text) has no UTF-8; it is hashed as its three-byte
    surrogate form (``surrogatepass``), so that every JSON body has exactly one signature, the same
    here and in the mock's check. PICPIK documents nothing about such bodies.
    """
    text = picpik_string_to_sign(params, private_key)
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


class PicpikSignature(httpx.Auth):
    """PICPIK's body signature: adds ``PublicKey`` and ``Signature`` to a JSON body.

    `sign` does it on a dict (the client signs before validating, since both fields are
    required); as an ``httpx.Auth`` it rewrites a JSON request body. A body that is not a JSON
    object has no parameters to sign and is sent as it is: PICPIK refuses it whatever it carries
    (negative tests send such bodies on purpose).
    """

    def __init__(self, public_key: str, private_key: str) -> None:
        if not public_key or not private_key:
            raise ValueError("public_key and private_key are both required")
        self.public_key = public_key
        self._private_key = private_key

    def sign(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``params`` with ``PublicKey`` and ``Signature`` set."""
        signed = {k: v for k, v in params.items() if k != "Signature"}
        signed["PublicKey"] = self.public_key
        signed["Signature"] = picpik_signature(signed, self._private_key)
        return signed

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        try:
            params = json.loads(request.content or b"{}")
        except (ValueError, RecursionError):  # not UTF-8 or not JSON
            params = None
        if not isinstance(params, dict):
            yield request
            return
        body = json_bytes(self.sign(params))
        headers = httpx.Headers(request.headers)
        headers["Content-Length"] = str(len(body))
        yield httpx.Request(request.method, request.url, headers=headers, content=body, extensions=request.extensions)

    def sent_values(self) -> tuple[str, ...]:
        return (self.public_key, self._private_key)

    def __repr__(self) -> str:
        return "PicpikSignature(public_key=***, secret=***)"


# -- Alibaba Cloud API Gateway HmacSHA256 --------------------------------------------------------


def content_md5(body: bytes) -> str:
    """``base64(md5(body))``, the Content-MD5 header value."""
    return base64.b64encode(hashlib.md5(body).digest()).decode("ascii")


_ALIYUN_SIGNED_HEADERS = ("x-ca-key", "x-ca-nonce", "x-ca-signature-method", "x-ca-timestamp")


def aliyun_string_to_sign(method: str, path: str, headers: Mapping[str, str]) -> str:
    """``METHOD\\nAccept\\nContent-MD5\\nContent-Type\\nDate\\n`` + the signed ``x-ca-*`` headers as
    ``name:value\\n`` (sorted) + the path with its sorted query."""
    lower = {k.lower(): v for k, v in headers.items()}
    lines = [method.upper(), *(lower.get(h, "") for h in ("accept", "content-md5", "content-type", "date"))]
    signed = sorted(n.strip().lower() for n in lower.get("x-ca-signature-headers", "").split(",") if n.strip())
    lines += [f"{name}:{lower.get(name, '')}" for name in signed]
    return "\n".join(lines) + "\n" + path


def aliyun_signature(app_secret: str, string_to_sign: str) -> str:
    """``base64(HMAC-SHA256(AppSecret, string_to_sign))``."""
    digest = hmac.new(app_secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class AliyunGatewayAuth(httpx.Auth):
    """Alibaba Cloud API Gateway digest auth with the AppKey/AppSecret pair (the doc's
    "AccessKey ID and AccessKey secret"), as the official SpeedPix SDK signs this host."""

    def __init__(
        self,
        app_key: str,
        app_secret: str,
        *,
        clock: Callable[[], float] = time.time,
        nonce: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        if not app_key or not app_secret:
            raise ValueError("app_key and app_secret are both required")
        self.app_key = app_key
        self._app_secret = app_secret
        self._clock = clock
        self._nonce = nonce

    def sign(self, method: str, path: str, headers: httpx.Headers, body: bytes) -> None:
        """Add the gateway headers and the signature to ``headers``, in place."""
        now = self._clock()
        headers.setdefault("Accept", "application/json; charset=utf-8")
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
        headers["Date"] = formatdate(now, usegmt=True)
        if body:
            headers["Content-MD5"] = content_md5(body)
        headers["x-ca-key"] = self.app_key
        headers["x-ca-timestamp"] = str(int(now * 1000))
        headers["x-ca-nonce"] = self._nonce()
        headers["x-ca-signature-method"] = "HmacSHA256"
        headers["x-ca-signature-headers"] = ",".join(_ALIYUN_SIGNED_HEADERS)
        headers["x-ca-signature"] = aliyun_signature(self._app_secret, aliyun_string_to_sign(method, path, headers))

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request.method, request.url.raw_path.decode("ascii"), request.headers, request.content)
        yield request

    def sent_values(self) -> tuple[str, ...]:
        return (self.app_key, self._app_secret)

    def __repr__(self) -> str:
        return _masked("AliyunGatewayAuth", app_key=self.app_key)


# -- key headers --------------------------------------------------------------------------------


class KeyHeadersAuth(httpx.Auth):
    """Credentials sent as they are, unsigned, each in a header of its own (provider.json's
    ``key-headers`` scheme): ``KeyHeadersAuth({"X-Api-Key": key})``. Only the header names show
    in its repr."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        if not headers or not all(headers.values()):
            raise ValueError(f"every key header needs a value: {', '.join(headers) or 'none given'}")
        self._headers = dict(headers)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(self._headers)
        yield request

    def sent_values(self) -> tuple[str, ...]:
        return tuple(self._headers.values())

    def __repr__(self) -> str:
        return f"KeyHeadersAuth(headers={list(self._headers)!r}, secret=***)"


# -- Zhiqite key headers ------------------------------------------------------------------------


class ZhiqiteKeyAuth(httpx.Auth):
    """Zhiqite sends the key pair itself, unsigned, in two headers."""

    ID_HEADER = "X-Request-req-accessKeyId"
    SECRET_HEADER = "X-Request-req-accessKeySecret"

    def __init__(self, access_key_id: str, access_key_secret: str) -> None:
        if not access_key_id or not access_key_secret:
            raise ValueError("access_key_id and access_key_secret are both required")
        self.access_key_id = access_key_id
        self._secret = access_key_secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self.ID_HEADER] = self.access_key_id
        request.headers[self.SECRET_HEADER] = self._secret
        yield request

    def sent_values(self) -> tuple[str, ...]:
        return (self.access_key_id, self._secret)

    def __repr__(self) -> str:
        return _masked("ZhiqiteKeyAuth", access_key_id=self.access_key_id)
