"""Signing schemes: the official test vectors, and independent re-computations of each scheme."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import subprocess
import sys

import httpx
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from sdcontracts import auth
from sdcontracts._corpus import examples

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
)
PUBLIC_PEM = KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


# -- PICPIK ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"Action": "ListModels", "PublicKey": "abcdefg"}, "4a20bc1141494035f6aaaad13224c94c5a8bc3a5"),
        (
            {"Action": "StartPicpikApp", "PublicKey": "abcdefg", "AppId": "your_app_id"},
            "c5e65ad1936ff695436917bf807d2281db33e7a3",
        ),
    ],
)
def test_picpik_official_test_vectors(params: dict[str, str], expected: str) -> None:
    """Both vectors from PICPIK's signature page and official tool, private key 123456."""
    assert expected == auth.picpik_signature(params, "123456")


def test_picpik_string_to_sign_is_sorted_key_value_pairs_then_the_key() -> None:
    """The documented worked example: ActionListModelsPublicKeyabcdefg123456."""
    assert "ActionListModelsPublicKeyabcdefg123456" == auth.picpik_string_to_sign(
        {"PublicKey": "abcdefg", "Action": "ListModels", "Signature": "ignored"}, "123456"
    )


def test_picpik_doc_controlnet_example_signs_as_recomputed_independently() -> None:
    """The doc's ControlNet request (comments stripped) signs to the digest the research notes
    computed, and to a from-scratch re-computation written here."""
    params = next(e for e in examples("picpik") if e.name == "request-with-controlnet").payload
    assert "8b6c694f2ed95e3a4a094ddba7802f3ce21da308" == auth.picpik_signature(params, "123456")

    def flat(value: object) -> str:  # an independent rendering of the documented rules
        if isinstance(value, dict):
            return "".join(k + flat(value[k]) for k in sorted(value))
        if isinstance(value, list):
            return "".join(flat(v) for v in value)
        if value is True or value is False:
            return str(value).lower()
        if isinstance(value, float) and value == int(value):
            return str(int(value))
        return "" if value is None else str(value)

    text = "".join(k + flat(v) for k, v in sorted(params.items()) if k != "Signature") + "123456"
    assert text.startswith(
        "ActionGenerateImg2ImgBatchSize1CfgScale7.5ClipSkip1ControlNetParamsControlNetImgControlPreSetId2"
    )
    assert hashlib.sha1(text.encode()).hexdigest() == auth.picpik_signature(params, "123456")


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "true"), (False, "false"), (42.0, "42"), (7.5, "7.5"), (1e-05, "0.00001"), (None, ""), ("", ""),
     ([1, "a", True], "1atrue"), ({"b": 1, "A": 2}, "A2b1")],
)  # fmt: skip
def test_picpik_value_encoding(value: object, text: str) -> None:
    """Booleans lower-case, integral floats as integers, no scientific notation, null and "" empty
    (key kept), arrays concatenated, objects recursively sorted (upper-case first)."""
    assert f"X{text}k" == auth.picpik_string_to_sign({"X": value}, "k")


def test_picpik_auth_rewrites_a_json_body() -> None:
    """As an httpx.Auth, PicpikSignature adds PublicKey and a valid Signature to the body."""
    signer = auth.PicpikSignature("abcdefg", "123456")
    request = httpx.Request("POST", "https://api.picpik.ai/", json={"Action": "ListModels"})
    (signed,) = list(signer.auth_flow(request))
    body = json.loads(signed.content)
    assert ("abcdefg", "4a20bc1141494035f6aaaad13224c94c5a8bc3a5") == (body["PublicKey"], body["Signature"])
    assert str(len(signed.content)) == signed.headers["Content-Length"]


@pytest.mark.parametrize("content", [b"[1, 2]", b"not json", b"\xff\xfe", b'"a string"'])
def test_picpik_auth_sends_a_body_that_is_not_a_json_object_unchanged(content: bytes) -> None:
    """A body with no parameters to sign goes as it is (PICPIK rejects it anyway), without raising."""
    request = httpx.Request("POST", "https://api.picpik.ai/", content=content)
    (sent,) = list(auth.PicpikSignature("abcdefg", "123456").auth_flow(request))
    assert content == sent.content


# -- requests (Schemathesis' auth hooks) ----------------------------------------------------------


def test_for_requests_signs_the_body_bytes_requests_sends() -> None:
    """Wrapped for requests, the Alibaba signer's Content-MD5 is of the prepared body, byte for byte."""
    import requests

    signer = auth.AliyunGatewayAuth("ak", "secret", clock=lambda: 1_700_000_000.0, nonce=lambda: "n")
    prepared = requests.Request("POST", "https://h.example/scc/sd_img2img", json={"prompt": "a cat"}).prepare()
    body = prepared.body
    auth.for_requests(signer)(prepared)
    assert isinstance(body, bytes) and body == prepared.body
    assert auth.content_md5(body) == prepared.headers["Content-MD5"]
    expected = auth.aliyun_signature("secret", auth.aliyun_string_to_sign("POST", "/scc/sd_img2img", prepared.headers))
    assert expected == prepared.headers["x-ca-signature"]


def test_for_requests_takes_a_rewritten_body_and_keeps_secrets_out_of_repr() -> None:
    """PICPIK's signer rewrites the body: the prepared request carries the signed one."""
    import requests

    wrapped = auth.for_requests(auth.PicpikSignature("abcdefg", "123456"))
    prepared = requests.Request("POST", "https://api.picpik.ai/", json={"Action": "ListModels"}).prepare()
    wrapped(prepared)
    assert isinstance(prepared.body, bytes)
    body = json.loads(prepared.body)
    assert ("abcdefg", "4a20bc1141494035f6aaaad13224c94c5a8bc3a5") == (body["PublicKey"], body["Signature"])
    assert str(len(prepared.body)) == prepared.headers["Content-Length"]
    assert "123456" not in repr(wrapped)


# -- Tensor.Art ----------------------------------------------------------------------------------


def test_tams_string_to_sign_is_five_lines() -> None:
    """METHOD, PATH (with query), TIMESTAMP, NONCE and the exact body bytes."""
    assert b'POST\n/v1/jobs?x=1\n1700000000\nn0nce\n{"a":1}' == auth.tams_string_to_sign(
        "post", "/v1/jobs?x=1", "1700000000", "n0nce", b'{"a":1}'
    )


def test_tams_header_verifies_with_an_independent_rsa_check() -> None:
    """The signature in the header is RSA PKCS#1 v1.5 / SHA-256 over the string to sign."""
    signer = auth.TamsRsaAuth("app-7", PRIVATE_PEM, clock=lambda: 1700000000.9, nonce=lambda: "abc")
    header = signer.authorization("GET", "/v1/jobs/1", b"")
    assert header.startswith("TAMS-SHA256-RSA app_id=app-7,nonce_str=abc,timestamp=1700000000,signature=")
    signature = base64.b64decode(header.split("signature=", 1)[1])
    KEY.public_key().verify(signature, b"GET\n/v1/jobs/1\n1700000000\nabc\n", padding.PKCS1v15(), hashes.SHA256())


def test_tams_header_parsing_keeps_base64_padding() -> None:
    """Fields split on the first '=' only, so a signature ending in '==' survives."""
    parsed = auth.parse_tams_authorization("TAMS-SHA256-RSA app_id=a,nonce_str=n,timestamp=1,signature=AbC+/==")
    assert ("a", "n", "1", "AbC+/==") == (parsed.app_id, parsed.nonce, parsed.timestamp, parsed.signature)


@pytest.mark.parametrize(
    "header",
    ["Bearer x", "TAMS-SHA256-RSA app_id=a,nonce_str=n", "TAMS-SHA256-RSA app_id=a,nonce_str=n,timestamp=1,signature"],
)
def test_malformed_tams_headers_are_rejected(header: str) -> None:
    """A wrong scheme, missing fields or a field without '=' is SignatureError('malformed')."""
    with pytest.raises(auth.SignatureError) as caught:
        auth.parse_tams_authorization(header)
    assert "malformed" == caught.value.reason


def test_tams_verification_rejects_a_changed_body_path_or_key() -> None:
    """Verification fails if the body, the path or the key differs from what was signed."""
    signer = auth.TamsRsaAuth("app", PRIVATE_PEM, clock=lambda: 1, nonce=lambda: "n")
    parsed = auth.parse_tams_authorization(signer.authorization("POST", "/v1/jobs", b"{}"))
    auth.verify_tams_signature(PUBLIC_PEM, parsed, "POST", "/v1/jobs", b"{}")
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    other_pem = other.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    for args in [
        (PUBLIC_PEM, "POST", "/v1/jobs", b"{ }"),
        (PUBLIC_PEM, "POST", "/v1/jobz", b"{}"),
        (other_pem, "POST", "/v1/jobs", b"{}"),
    ]:
        with pytest.raises(auth.SignatureError):
            auth.verify_tams_signature(args[0], parsed, args[1], args[2], args[3])


# -- Alibaba Cloud --------------------------------------------------------------------------------


def test_aliyun_signature_matches_an_independent_recomputation() -> None:
    """Headers and signature as the SpeedPix SDK builds them, recomputed by hand here."""
    signer = auth.AliyunGatewayAuth("204xxxxx", "app-secret", clock=lambda: 1700000000.123, nonce=lambda: "uuid-1")
    body = b'{"prompt":"cat"}'
    request = httpx.Request("POST", "https://openai.edu-aliyun.com/scc/sd_img2img", content=body)
    (signed,) = list(signer.auth_flow(request))
    h = signed.headers
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    expected_string = "\n".join(
        [
            "POST", "application/json; charset=utf-8", md5, "application/json; charset=utf-8",
            "Tue, 14 Nov 2023 22:13:20 GMT", "x-ca-key:204xxxxx", "x-ca-nonce:uuid-1",
            "x-ca-signature-method:HmacSHA256", "x-ca-timestamp:1700000000123", "/scc/sd_img2img",
        ]
    )  # fmt: skip
    expected = base64.b64encode(hmac.new(b"app-secret", expected_string.encode(), hashlib.sha256).digest()).decode()
    assert (md5, "1700000000123", "x-ca-key,x-ca-nonce,x-ca-signature-method,x-ca-timestamp") == (
        h["content-md5"], h["x-ca-timestamp"], h["x-ca-signature-headers"]
    )  # fmt: skip
    assert expected == h["x-ca-signature"]
    assert expected_string == auth.aliyun_string_to_sign("POST", "/scc/sd_img2img", dict(h))


def test_aliyun_bodyless_request_has_no_content_md5() -> None:
    """Content-MD5 is sent only with a body; its line in the string to sign is then empty."""
    signer = auth.AliyunGatewayAuth("k", "s", clock=lambda: 0, nonce=lambda: "n")
    (signed,) = list(signer.auth_flow(httpx.Request("GET", "https://x/scc/a")))
    assert "content-md5" not in signed.headers
    assert "GET\napplication/json; charset=utf-8\n\n" in auth.aliyun_string_to_sign(
        "GET", "/scc/a", dict(signed.headers)
    )


# -- simple schemes and hygiene ------------------------------------------------------------------


def test_bearer_and_zhiqite_headers() -> None:
    """Bearer puts the key after 'Bearer '; Zhiqite sends id and secret in their own headers."""
    (bearer,) = list(auth.BearerAuth("sk_1").auth_flow(httpx.Request("GET", "https://x/")))
    (zhiqite,) = list(auth.ZhiqiteKeyAuth("id", "secret").auth_flow(httpx.Request("GET", "https://x/")))
    assert "Bearer sk_1" == bearer.headers["Authorization"]
    assert ("id", "secret") == (
        zhiqite.headers["X-Request-req-accessKeyId"],
        zhiqite.headers["X-Request-req-accessKeySecret"],
    )


@pytest.mark.parametrize(
    "scheme",
    [
        auth.BearerAuth("sk_secret_1"),
        auth.TamsRsaAuth("app", PRIVATE_PEM),
        auth.PicpikSignature("pub_secret_2", "priv_secret_3"),
        auth.AliyunGatewayAuth("ak", "aliyun_secret_4"),
        auth.ZhiqiteKeyAuth("zid", "zq_secret_5"),
    ],
)
def test_reprs_hide_every_secret(scheme: httpx.Auth) -> None:
    """No key, secret or private key material appears in repr()."""
    text = repr(scheme)
    assert "secret" in text  # the placeholder, not a value
    assert not any(
        s in text
        for s in ("sk_secret_1", "pub_secret_2", "priv_secret_3", "aliyun_secret_4", "zq_secret_5", "PRIVATE KEY")
    )


@pytest.mark.parametrize(
    "make",
    [lambda: auth.BearerAuth(""), lambda: auth.PicpikSignature("", "x"), lambda: auth.AliyunGatewayAuth("k", ""),
     lambda: auth.ZhiqiteKeyAuth("", "s"), lambda: auth.TamsRsaAuth("a", b"not a key")],
)  # fmt: skip
def test_missing_or_malformed_credentials_fail_at_construction(make: object) -> None:
    """Empty credentials or an unreadable private key raise ValueError immediately."""
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


# -- what each scheme refuses, and exactly what it sends ------------------------------------------

EC_KEY = ec.generate_private_key(ec.SECP256R1())


@pytest.mark.parametrize("signature", ["not base64!", "QUJD=x", "QUJ", "QUJD!", "QU JD"])
def test_a_tams_signature_that_is_not_base64_is_malformed_not_a_crash(signature: str) -> None:
    """A header whose signature is not base64 is SignatureError('malformed'), never another exception."""
    header = auth.TamsSignature("app", "n", "1", signature)
    with pytest.raises(auth.SignatureError) as caught:
        auth.verify_tams_signature(PUBLIC_PEM, header, "GET", "/v1/jobs/1", b"")
    assert ("malformed", "the signature is not base64") == (caught.value.reason, str(caught.value))


def test_a_tams_signature_that_does_not_verify_is_a_bad_signature() -> None:
    """Well-formed base64 that is not the request's signature is SignatureError('bad-signature')."""
    header = auth.TamsSignature("app", "n", "1", base64.b64encode(b"x" * 256).decode())
    with pytest.raises(auth.SignatureError) as caught:
        auth.verify_tams_signature(PUBLIC_PEM.decode(), header, "GET", "/v1/jobs/1", b"")
    assert "bad-signature" == caught.value.reason


def test_tams_keys_must_be_rsa() -> None:
    """An EC key pair is refused on both sides, with a message saying RSA."""
    ec_private = EC_KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())  # fmt: skip
    ec_public = EC_KEY.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)  # fmt: skip
    with pytest.raises(ValueError, match="the TAMS private key must be an RSA key"):
        auth.TamsRsaAuth("app", ec_private.decode())
    with pytest.raises(ValueError, match="the TAMS public key must be an RSA key"):
        auth.verify_tams_signature(ec_public, auth.TamsSignature("a", "n", "1", "AAAA"), "GET", "/", b"")


@pytest.mark.parametrize(
    ("header", "message"),
    [("Bearer x", "the Authorization header is not TAMS-SHA256-RSA"),
     ("TAMS-SHA256-RSA app_id=a,nonce_str", "TAMS-SHA256-RSA field 'nonce_str' has no value"),
     ("TAMS-SHA256-RSA app_id=a,timestamp=1", "TAMS-SHA256-RSA header lacks nonce_str, signature"),
     ("TAMS-SHA256-RSA app_id=,nonce_str=n,timestamp=1,signature=s", "TAMS-SHA256-RSA header lacks app_id")],
)  # fmt: skip
def test_malformed_tams_headers_say_what_is_wrong(header: str, message: str) -> None:
    """Each malformed header names its defect: the scheme, a field without a value, the fields missing or empty."""
    with pytest.raises(auth.SignatureError) as caught:
        auth.parse_tams_authorization(header)
    assert ("malformed", message) == (caught.value.reason, str(caught.value))


def test_tams_header_fields_may_be_spaced_and_in_any_order() -> None:
    """Spaces around the fields are ignored, and the order does not matter."""
    parsed = auth.parse_tams_authorization("TAMS-SHA256-RSA signature=c2ln , timestamp=9, nonce_str=n ,app_id=a")
    assert auth.TamsSignature("a", "n", "9", "c2ln") == parsed
    assert "signature=***" in repr(parsed) and "c2ln" not in repr(parsed)


def test_tams_auth_signs_the_path_with_its_query_and_the_body_sent() -> None:
    """As an httpx auth, the signature covers the raw path (query included) and the exact body bytes; only the app id is a sent value."""
    signer = auth.TamsRsaAuth("app-7", PRIVATE_PEM.decode(), clock=lambda: 1700000000.5, nonce=lambda: "nn")
    request = httpx.Request("POST", "https://tams/v1/jobs?x=1%202", content=b'{"a":1}')
    (signed,) = list(signer.auth_flow(request))
    parsed = auth.parse_tams_authorization(signed.headers["Authorization"])
    auth.verify_tams_signature(PUBLIC_PEM, parsed, "POST", "/v1/jobs?x=1%202", b'{"a":1}')
    assert (("app-7",), "1700000000", "nn") == (signer.sent_values(), parsed.timestamp, parsed.nonce)


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), (True, "true"), (False, "false"), (7, "7"), (42.0, "42"), (7.5, "7.5"), (1e-05, "0.00001"),
     ("s", "s"), ([1, [2, "x"]], "12x"), ((True, None), "true"), ({"b": 1, "a": {"d": 2, "c": 3}}, "ac3d2b1")],
)  # fmt: skip
def test_picpik_values_flatten_as_the_official_tool_does(value: object, text: str) -> None:
    """null is empty, booleans lower-case, integral floats integers, no scientific notation, arrays joined, objects sorted."""
    assert f"K{text}pk" == auth.picpik_string_to_sign({"K": value}, "pk")


def test_picpik_cannot_sign_a_value_json_has_no_name_for() -> None:
    """bytes in a parameter is a TypeError naming the type, not a silent string."""
    with pytest.raises(TypeError, match="cannot sign a value of type bytes"):
        auth.picpik_signature({"K": b"x"}, "pk")


def test_picpik_sign_replaces_a_stale_signature_and_sets_the_public_key() -> None:
    """sign() ignores any Signature already there and signs the parameters with PublicKey added."""
    signer = auth.PicpikSignature("pub", "priv")
    signed = signer.sign({"Action": "ListModels", "Signature": "stale"})
    assert {"Action": "ListModels", "PublicKey": "pub", "Signature": auth.picpik_signature(
        {"Action": "ListModels", "PublicKey": "pub"}, "priv")} == signed  # fmt: skip
    assert ("pub", "priv") == signer.sent_values()


def test_picpik_auth_signs_an_empty_body_as_no_parameters() -> None:
    """A request without a body is signed as the empty parameter set: PublicKey and Signature alone."""
    signer = auth.PicpikSignature("pub", "priv")
    (signed,) = list(signer.auth_flow(httpx.Request("POST", "https://picpik/")))
    assert signer.sign({}) == json.loads(signed.content)


def test_aliyun_keeps_the_callers_accept_and_content_type_and_signs_them() -> None:
    """Accept and Content-Type already set are kept (and are what is signed); the rest is set by the signer."""
    signer = auth.AliyunGatewayAuth("key", "secret", clock=lambda: 0.5, nonce=lambda: "n-1")
    request = httpx.Request("POST", "https://x/scc/a?b=2&a=1", content=b"{}",
                            headers={"Accept": "text/plain", "Content-Type": "application/x"})  # fmt: skip
    (signed,) = list(signer.auth_flow(request))
    h = signed.headers
    assert ("text/plain", "application/x", "Thu, 01 Jan 1970 00:00:00 GMT", "500", "n-1", "HmacSHA256", "key") == (
        h["accept"], h["content-type"], h["date"], h["x-ca-timestamp"], h["x-ca-nonce"], h["x-ca-signature-method"],
        h["x-ca-key"])  # fmt: skip
    text = auth.aliyun_string_to_sign("POST", "/scc/a?b=2&a=1", dict(h))
    assert text.startswith("POST\ntext/plain\n" + auth.content_md5(b"{}") + "\napplication/x\n")
    assert auth.aliyun_signature("secret", text) == h["x-ca-signature"]
    assert ("key", "secret") == signer.sent_values()


def test_aliyun_string_to_sign_takes_the_signed_headers_named_in_any_case_sorted() -> None:
    """x-ca-signature-headers names the signed headers in any case and order; they are signed sorted, lower-cased, missing ones empty."""
    headers = {"X-Ca-Signature-Headers": " X-Ca-Nonce ,x-ca-key,,x-ca-missing", "X-CA-KEY": "k", "x-ca-nonce": "n"}
    assert "GET\n\n\n\n\nx-ca-key:k\nx-ca-missing:\nx-ca-nonce:n\n/p" == auth.aliyun_string_to_sign(
        "get", "/p", headers
    )


def test_zhiqite_and_bearer_name_the_values_they_send() -> None:
    """sent_values lists every credential value a scheme puts on the wire."""
    assert (("sk",), ("id", "sec")) == (
        auth.BearerAuth("sk").sent_values(),
        auth.ZhiqiteKeyAuth("id", "sec").sent_values(),
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: auth.PicpikSignature("p", ""),
        lambda: auth.AliyunGatewayAuth("", "s"),
        lambda: auth.ZhiqiteKeyAuth("i", ""),
    ],
)
def test_either_half_of_a_key_pair_missing_fails_at_construction(make: object) -> None:
    """Each half of a key pair is required on its own."""
    with pytest.raises(ValueError, match="both required"):
        make()  # type: ignore[operator]


def test_auth_imports_without_the_requests_library() -> None:
    """requests is only for for_requests (and type checking): sdcontracts.auth imports in a process without it."""
    code = "import sys; sys.modules['requests'] = None; import sdcontracts.auth; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert ("ok\n", 0) == (done.stdout, done.returncode)


def test_reprs_name_the_scheme_and_its_public_half_only() -> None:
    """A scheme with no public value shows only the masked secret; one with an id shows it, then the mask."""
    assert ["BearerAuth(secret=***)", "TamsRsaAuth(app_id='app', secret=***)", "ZhiqiteKeyAuth(access_key_id='zid', secret=***)"] == [
        repr(auth.BearerAuth("sk")), repr(auth.TamsRsaAuth("app", PRIVATE_PEM)), repr(auth.ZhiqiteKeyAuth("zid", "s"))
    ]  # fmt: skip


def test_a_parsed_tams_header_is_an_immutable_value() -> None:
    """TamsSignature compares and hashes by its fields and cannot be changed."""
    first, second = auth.TamsSignature("a", "n", "1", "s"), auth.TamsSignature("a", "n", "1", "s")
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.signature = "t"  # type: ignore[misc]
    assert (first, 1) == (second, len({first, second}))


def test_key_headers_puts_each_credential_in_its_own_header_and_names_what_it_sends() -> None:
    """KeyHeadersAuth sends every value unsigned under its header, and sent_values lists exactly those values."""
    scheme = auth.KeyHeadersAuth({"X-Api-Key": "k1", "X-Api-Secret": "s1"})
    request = next(scheme.auth_flow(httpx.Request("GET", "https://api.example/v1")))
    assert (("k1", "s1"), ("k1", "s1")) == (
        (request.headers["X-Api-Key"], request.headers["X-Api-Secret"]),
        scheme.sent_values(),
    )


@pytest.mark.parametrize("headers", [{}, {"X-Api-Key": ""}, {"X-Api-Key": "k", "X-Api-Secret": ""}])
def test_key_headers_without_every_value_fails_at_construction(headers: dict[str, str]) -> None:
    """No header, or a header with an empty value, is refused when the scheme is built, not on the wire."""
    with pytest.raises(ValueError, match="every key header needs a value"):
        auth.KeyHeadersAuth(headers)
