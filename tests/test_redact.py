"""Credentials out of journals, cassettes and reports: one helper, read off the auth schemes and schemas."""

from __future__ import annotations

from sdcontracts._redact import REDACTED, redact_body, redact_headers, scrub, secret_fields, sent_credentials


def test_the_secret_fields_are_the_ones_the_schemas_mark() -> None:
    assert {"PublicKey", "Signature"} == secret_fields()


def test_every_auth_scheme_header_is_redacted_and_nothing_else() -> None:
    headers = {
        "Authorization": "Bearer sk", "X-Ca-Key": "ak", "X-Ca-Signature": "sig", "X-Request-req-accessKeyId": "id",
        "X-Request-req-accessKeySecret": "secret", "Content-Type": "application/json", "X-Ca-Nonce": "n",
    }  # fmt: skip
    redacted = redact_headers(headers)
    assert {"Content-Type": "application/json", "X-Ca-Nonce": "n"} == {
        k: v for k, v in redacted.items() if v != REDACTED
    }
    assert 5 == sum(v == REDACTED for v in redacted.values())


def test_bodies_are_redacted_at_any_depth_and_long_strings_shortened() -> None:
    body = {"PublicKey": "pk", "nested": [{"Signature": "s", "image": "A" * 300}]}
    assert {"PublicKey": REDACTED, "nested": [{"Signature": REDACTED, "image": "A" * 32 + "…(300 characters)"}]} == (
        redact_body(body, shorten=256)
    )


def test_the_credentials_a_request_carried_are_found_and_scrubbed_from_an_echo() -> None:
    """Bearer tokens without their scheme, a TAMS header's app id and signature, gateway keys and x-secret body
    fields are what a response must not repeat; scrub takes them out of any JSON value."""
    headers = {
        "Authorization": "TAMS-SHA256-RSA app_id=app-1,nonce_str=n,timestamp=1,signature=c2ln==",
        "X-Ca-Key": "ak_key",
    }
    sent = sent_credentials(headers, b'{"PublicKey": "pk_public", "Prompt": "a cat"}')
    assert {"app-1", "c2ln==", "ak_key", "pk_public"} <= sent and "a cat" not in sent
    assert "sk_token" in sent_credentials({"authorization": "Bearer sk_token"}, b"")
    echo = {"errMessage": "StringToSign: x-ca-key:ak_key#", "list": ["pk_public"]}
    assert {"errMessage": f"StringToSign: x-ca-key:{REDACTED}#", "list": [REDACTED]} == scrub(echo, sent)
