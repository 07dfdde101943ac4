"""Credentials out of journals, cassettes and reports: one helper, read off the auth schemes and schemas."""

from __future__ import annotations

from sdcontracts._redact import REDACTED, redact_body, redact_headers, secret_fields


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
