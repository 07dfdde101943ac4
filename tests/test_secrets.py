"""Secrets stay secret: with known credentials, nothing written down or printed holds them.

Every provider is driven through its real client against the mock, which is configured with
these credentials (and, for Tensor.Art, with the public half of an RSA key made here): full
cycles, wrong credentials, rejected requests, unknown tasks, faults. A "live" conformance run is
pointed at the same mock over HTTP, some of it deliberately lax (so cases fail and are saved) and
Alibaba's with the wrong secret (so every answer is a gateway error echoing its string to sign);
it is recorded and reported. Then everything is scanned:

- never, anywhere (logs, reprs, exception messages, journal, reports, failing-case files,
  cassettes): a secret (API key, token, private key, app secret, access-key secret) or a
  signature that was sent (TAMS ``Authorization``, ``x-ca-signature``, PICPIK ``Signature``);
- never in what is written to files (journal, reports, failing cases, cassettes): a key's public
  half either (AppKey, PublicKey, access-key id), as the redaction there promises. Reprs and
  exception messages may show those, as the auth classes' reprs do on purpose: they say which
  credentials a client holds without giving them away.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from payloads import PROVIDERS, valid_request
from sdcontracts.mock import FaultRule, ManualClock, Mock, MockConfig
from sdcontracts.mock.asgi import BackgroundServer

from sdcontracts import ProviderError
from sdcontracts.clients import Retry
from sdcontracts.clients.aliyun import AliyunClient
from sdcontracts.clients.novita import NovitaClient
from sdcontracts.clients.picpik import PicpikClient
from sdcontracts.clients.tensorart import TensorArtClient
from sdcontracts.clients.zhiqite import ZhiqiteClient
from sdcontracts.conformance import live_target, run
from sdcontracts.conformance._report import junit, markdown, save_failures

_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_PEM = _KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
PUBLIC_PEM = (
    _KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
)

CREDENTIALS = {
    "novita": {"api_key": "sk_SECRET_novita_7f3a"},
    "tensorart": {"token": "ta_SECRET_token_91c2", "app_id": "ta-ID-app-44d1"},
    "picpik": {"public_key": "pk_ID_picpik_5e0b", "private_key": "pp_SECRET_private_0c6d"},
    "aliyun": {"app_key": "ak_ID_aliyun_2b8f", "app_secret": "as_SECRET_aliyun_e91a"},
    "zhiqite": {"access_key_id": "zq_ID_access_3d7c", "access_key_secret": "zq_SECRET_access_8a14"},
}
IDENTIFIERS = {"app_id", "public_key", "app_key", "access_key_id"}
SECRETS = [v for c in CREDENTIALS.values() for k, v in c.items() if k not in IDENTIFIERS]
SECRETS += [line for line in PRIVATE_PEM.splitlines() if "PRIVATE KEY" not in line]  # every line of the key
PUBLIC_HALVES = [v for c in CREDENTIALS.values() for k, v in c.items() if k in IDENTIFIERS]
ENV = {
    "SDCONTRACTS_NOVITA_API_KEY": CREDENTIALS["novita"]["api_key"],
    "SDCONTRACTS_TENSORART_TOKEN": CREDENTIALS["tensorart"]["token"],
    "SDCONTRACTS_PICPIK_PUBLIC_KEY": CREDENTIALS["picpik"]["public_key"],
    "SDCONTRACTS_PICPIK_PRIVATE_KEY": CREDENTIALS["picpik"]["private_key"],
    "SDCONTRACTS_ALIYUN_APP_KEY": CREDENTIALS["aliyun"]["app_key"],
    "SDCONTRACTS_ALIYUN_APP_SECRET": "as_SECRET_wrong_aliyun_77b0",  # every Alibaba answer: InvalidSignature
    "SDCONTRACTS_ZHIQITE_ACCESS_KEY_ID": CREDENTIALS["zhiqite"]["access_key_id"],
    "SDCONTRACTS_ZHIQITE_ACCESS_KEY_SECRET": CREDENTIALS["zhiqite"]["access_key_secret"],
}
SECRETS.append(ENV["SDCONTRACTS_ALIYUN_APP_SECRET"])
CLIENTS: dict[str, Any] = {
    "novita": NovitaClient, "tensorart": TensorArtClient, "picpik": PicpikClient, "aliyun": AliyunClient,
    "zhiqite": ZhiqiteClient,
}  # fmt: skip


class Recording(httpx.BaseTransport):
    """Passes requests on, keeping every signature that goes out (to look for it afterwards)."""

    def __init__(self, inner: httpx.BaseTransport, signatures: set[str]) -> None:
        self.inner, self.signatures = inner, signatures

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for name in ("authorization", "x-ca-signature"):
            value = request.headers.get(name, "")
            self.signatures.update(
                re.findall(r"signature=([^,]+)", value) or ([value] if name != "authorization" else [])
            )
        try:
            body = json.loads(request.read() or b"null")
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("Signature"), str):
            self.signatures.add(body["Signature"])
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def the_mock(**options: Any) -> Mock:
    config = MockConfig(lifecycle="steps", credentials=CREDENTIALS, tensorart_public_key=PUBLIC_PEM, **options)
    return Mock(config, clock=ManualClock())


def client_texts(mock: Mock, signatures: set[str]) -> list[str]:
    """Reprs and exception messages from every client: cycles, wrong credentials, rejections, faults."""
    texts: list[str] = [repr(mock.config)]
    retry = Retry(attempts=3, backoff=0, jitter=False)  # the injected 503s are retried, and logged
    rsa_credentials = {"app_id": CREDENTIALS["tensorart"]["app_id"], "private_key": PRIVATE_PEM}
    for provider in PROVIDERS:
        given = [mock.credentials(provider)] + ([rsa_credentials] if provider == "tensorart" else [])
        for credentials in given:
            with CLIENTS[provider](
                **credentials,
                transport=Recording(mock.transport(), signatures),
                retry=retry,
                sleep=lambda seconds: None,
            ) as client:
                texts.append(repr(client))
                task = client.generate(valid_request(provider), poll_interval=0)
                texts += [repr(task), repr(task.images), str(task.raw)]
                texts += failure(lambda client=client: client.get_task("no-such-task"))
                texts += failure(lambda client=client: client.submit({"prompt": 7}, validate=False))
        wrong = {k: f"{v}_wrong" for k, v in given[-1].items() if k not in IDENTIFIERS}
        if provider == "tensorart":  # an RSA key the mock does not know
            other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            wrong["private_key"] = other.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
            SECRETS.extend(line for line in wrong["private_key"].splitlines() if "PRIVATE KEY" not in line)
        wrong.update({k: v for k, v in given[-1].items() if k in IDENTIFIERS})
        with CLIENTS[provider](**wrong, transport=Recording(mock.transport(), signatures), retry=retry) as client:
            texts += failure(lambda client=client, provider=provider: client.submit(valid_request(provider)))
    return texts


def failure(attempt: Any) -> list[str]:
    with pytest.raises(ProviderError) as caught:
        attempt()
    return [str(caught.value), repr(caught.value), repr(caught.value.args)]


def conformance_files(tmp_path: Path, signatures: set[str]) -> list[str]:
    """A recorded, reported "live" run against the mock over HTTP: reports, failing cases, cassette."""
    lax = {"novita": ["maximum"], "picpik": ["maximum"], "zhiqite": ["maximum"], "tensorart": ["maximum"]}
    mock = the_mock(unenforced=lax)
    with BackgroundServer(mock) as url:
        env = {**ENV, **{f"SDCONTRACTS_{p.upper()}_BASE_URL": url for p in PROVIDERS}}
        target = live_target(env, budget=10_000)
        target.poll_interval, target.wait_timeout = 0.0, 30.0
        target.transport = lambda provider: Recording(httpx.HTTPTransport(), signatures)
        result = run(PROVIDERS, target, examples=16, seed=11, record=True)
    assert result.disagreements(), "the lax rules and the wrong Alibaba secret must make cases fail"
    result.cassette().save(tmp_path / "run.json")
    saved = save_failures(result, tmp_path / "failures")
    (tmp_path / "report.md").write_text(markdown(result, saved), encoding="utf-8")
    (tmp_path / "report.xml").write_text(junit(result), encoding="utf-8")
    journal = [repr(mock.journal.entries()), json.dumps(mock.summary()), repr([e.body for e in mock.journal.entries()])]
    return [p.read_text(encoding="utf-8") for p in tmp_path.rglob("*") if p.is_file()] + journal


def leaks(texts: list[str], needles: list[str]) -> list[str]:
    return sorted({needle for needle in needles if needle and any(needle in text for text in texts)})


def test_no_secret_or_signature_appears_in_logs_reprs_errors_journals_reports_or_cassettes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """With known credentials, every client, error, journal entry, report, failing case and cassette is free of secrets
    and signatures; what is written to files is free of the keys' public halves too."""
    caplog.set_level(logging.DEBUG)
    signatures: set[str] = set()
    mock = the_mock(faults=[FaultRule("status=503", operation="task", times=3)])
    printed = client_texts(mock, signatures)
    printed += [repr(mock.journal.entries()), json.dumps(mock.summary())]
    written = conformance_files(tmp_path, signatures)
    logged = [record.getMessage() for record in caplog.records] + [caplog.text]
    assert len(signatures) > 50, "the scan must know the signatures that were sent"
    everything = printed + written + logged
    assert [] == leaks(everything, SECRETS)
    assert [] == leaks(everything, sorted(signatures))
    assert [] == leaks(written, PUBLIC_HALVES)
