"""Translation: ``sdcontracts.canonical.translate`` (which validates what it makes) beside
``sdcontracts.validate`` alone on the payload it makes, per provider.

The request is one every provider can take (bench.payloads' image, a URL and a resource id for
the image, the common sampler), translated to each. Target: translating and validating a request
takes under 50 µs.
"""

from __future__ import annotations

from dataclasses import dataclass

import sdcontracts
from sdcontracts.canonical import CanonicalRequest, image, translate

from ._stats import Sample, per_call

__all__ = ["Row", "run"]


@dataclass(frozen=True)
class Row:
    provider: str
    translate: Sample  # translate(request, provider): placing, converting, validating
    validate: Sample  # validate(provider, payload) alone, on the payload translate made


def request() -> CanonicalRequest:
    from .payloads import _png

    source = image(_png(64, 64), url="https://images.example.com/source.png", resource_id="5f2e8c")
    return CanonicalRequest(
        prompt="1girl, masterpiece, best quality", negative_prompt="lowres", width=512, height=768, steps=20,
        guidance=7.0, sampler="Euler a", seed=1234, count=1, model="12", init_image=source,
    )  # fmt: skip


def run(*, quick: bool = False) -> list[Row]:
    budget = 0.05 if quick else 0.25
    r = request()
    rows = []
    for provider in sdcontracts.providers():
        payload = translate(r, provider).payload
        rows.append(
            Row(
                provider,
                per_call(lambda p=provider: translate(r, p), budget=budget),
                per_call(lambda p=provider, body=payload: sdcontracts.validate(p, body, view="caller"), budget=budget),
            )
        )
    return rows
