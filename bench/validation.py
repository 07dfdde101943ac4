"""Validation: ``sdcontracts.validate`` beside what a service would otherwise call, per provider.

For a typical valid request, an invalid one with three violations, and (where images travel
inline) the valid one carrying a 64 KiB, 512 KiB and 3 MiB image in each image field:

- ``sdcontracts.validate``: schema, prose rules and image headers, with explanations when invalid;
- ``jsonschema.validate()`` called fresh (what many services do: the validator is rebuilt per call);
- a reused pure-Python ``jsonschema`` validator (``is_valid``; ``iter_errors`` when invalid);
- jsonschema-rs on the same schema file (``is_valid``; ``iter_errors`` when invalid);
- the generated pydantic model's ``model_validate``;
- with an image, its floor: one validating decode of the image string by pybase64 (the least any
  exact check of the base64 costs), and ``validate()`` of the request without the image.

Targets: on a valid request, ``validate()`` within 3x of jsonschema-rs ``is_valid``, and at least
30x faster than the reused pure-Python validator; with a 512 KiB or 3 MiB image, ``validate()``
within 2x of the floor plus the request without the image.
"""

from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass
from typing import Any

import jsonschema
import jsonschema_rs
import pybase64
import pydantic

import sdcontracts
from sdcontracts._catalogue import raw_schema

from . import payloads
from ._stats import Sample, per_call

__all__ = ["FLOOR", "NO_IMAGE", "Row", "run"]

FLOOR = "pybase64 b64decode(validate=True) of the image"
NO_IMAGE = "sdcontracts.validate without the image"

MODELS = {"novita": "Img2ImgRequest", "tensorart": "CreateJobRequest", "picpik": "GenerateImg2ImgRequest",
          "aliyun": "Img2ImgRequest", "zhiqite": "ControlNetRequest"}  # fmt: skip


@dataclass(frozen=True)
class Row:
    provider: str
    case: str  # "valid", "invalid (3)", "valid + 512 KiB image in /request/image_base64"
    results: dict[str, Sample]  # engine -> seconds per call
    image: int | None = None  # the image's size in bytes, in an image row

    def ratio(self, engine: str, baseline: str) -> float:
        return self.results[engine].ratio(self.results[baseline])


def _model(provider: str) -> Any:
    module = importlib.import_module(f"sdcontracts.models.{provider}")
    return getattr(module, MODELS[provider], None)


def _engines(provider: str, payload: Any, valid: bool, budget: float) -> dict[str, Sample]:
    schema = raw_schema(provider, "img2img.request")
    reused = jsonschema.validators.validator_for(schema)(schema)
    fast = jsonschema_rs.validator_for(schema)
    model = _model(provider)
    results = {"sdcontracts.validate": per_call(lambda: sdcontracts.validate(provider, payload), budget=budget)}
    if valid:
        results["jsonschema-rs is_valid"] = per_call(lambda: fast.is_valid(payload), budget=budget)
        results["jsonschema reused is_valid"] = per_call(lambda: reused.is_valid(payload), budget=budget, rounds=5)
    else:
        results["jsonschema-rs iter_errors"] = per_call(lambda: list(fast.iter_errors(payload)), budget=budget)
        results["jsonschema reused iter_errors"] = per_call(
            lambda: list(reused.iter_errors(payload)), budget=budget, rounds=5
        )

    def fresh() -> None:
        with contextlib.suppress(jsonschema.ValidationError):
            jsonschema.validate(payload, schema)

    results["jsonschema.validate() fresh"] = per_call(fresh, budget=budget, rounds=3)
    if model is not None:

        def pydantic_check() -> None:
            with contextlib.suppress(pydantic.ValidationError):  # what an invalid request raises
                model.model_validate(payload)

        results["pydantic model_validate"] = per_call(pydantic_check, budget=budget)
    return results


def run(*, quick: bool = False) -> list[Row]:
    budget = 0.02 if quick else 0.2
    rows = []
    for provider in sdcontracts.providers():
        rows.append(Row(provider, "valid", _engines(provider, payloads.typical(provider), True, budget)))
        rows.append(
            Row(provider, "invalid (3 violations)", _engines(provider, payloads.invalid(provider), False, budget))
        )
        for field in payloads.image_fields(provider):
            for size in payloads.IMAGE_SIZES:
                rows.append(_image_row(provider, field, size, budget))
    return rows


def _image_row(provider: str, field: str, size: int, budget: float) -> Row:
    text = payloads.image(size)
    without = payloads.typical(provider)
    results = _engines(provider, payloads.with_image(provider, field, size), True, budget)
    results[FLOOR] = per_call(lambda: pybase64.b64decode(text, validate=True), budget=budget)
    results[NO_IMAGE] = per_call(lambda: sdcontracts.validate(provider, without), budget=budget)
    return Row(provider, f"valid + {_size(size)} image in {field}", results, size)


def _size(size: int) -> str:
    return f"{size // 1048576} MiB" if size >= 1048576 else f"{size // 1024} KiB"
