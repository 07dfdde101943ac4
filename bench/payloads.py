"""The requests the benchmarks send: per provider, a typical valid request, an invalid one with
three violations, and (where the provider takes base64 images) the valid one with a 512 KiB image.

Typical means what a service sends on its hot path: a handful of optional fields, one small input
image where images travel inline, taken from the provider's own doc examples where one is valid.
"""

from __future__ import annotations

import base64
import copy
import os
import struct
import zlib
from typing import Any

from sdcontracts._corpus import examples

__all__ = ["BIG_IMAGE_BYTES", "invalid", "typical", "with_big_image"]

BIG_IMAGE_BYTES = 512 * 1024


def _png(width: int, height: int, noise: int = 0) -> bytes:
    """A real PNG; ``noise`` bytes of random pixels make it that large (noise does not compress)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = zlib.compress(b"\0" * ((width + 1) * height), 9)
    extra = chunk(b"tEXt", b"noise\0" + os.urandom(noise)) if noise else b""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + extra + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


SMALL = _b64(_png(64, 64))
BIG = _b64(_png(512, 512, noise=BIG_IMAGE_BYTES))


def _corpus(provider: str, name: str) -> Any:
    return copy.deepcopy(next(e for e in examples(provider) if e.name == name).payload)


def _zhiqite() -> dict[str, Any]:
    payload = _corpus("zhiqite", "controlnet-request")
    payload.update(batch_size=1, resize_mode=0, seed=1221212)
    return payload


_TYPICAL: dict[str, Any] = {
    "novita": lambda: {
        "extra": {"response_image_type": "jpeg"},
        "request": {
            "model_name": "sd_xl_base_1.0.safetensors", "image_base64": SMALL, "prompt": "a cat on a sofa, detailed",
            "negative_prompt": "blurry", "width": 1024, "height": 1024, "image_num": 1, "steps": 20,
            "guidance_scale": 7.5, "sampler_name": "Euler a", "seed": 42, "strength": 0.6,
        },
    },
    "tensorart": lambda: _corpus("tensorart", "inpaint-complete"),
    "picpik": lambda: _corpus("picpik", "request"),
    "aliyun": lambda: _corpus("aliyun", "full-request"),
    "zhiqite": _zhiqite,
}  # fmt: skip

# three violations each: a bound, an enum (or type), an unknown field
_BREAK: dict[str, Any] = {
    "novita": lambda p: (p["request"].update(width=4096, sampler_name="euler a", cfg_scale=7), p)[1],
    "tensorart": lambda p: (
        p["stages"][1]["imageToInpaint"]["diffusion"].update(steps=1000, sampler="euler", cfg=7), p
    )[1],
    "picpik": lambda p: (p.update(Width=99999, ModelType="sdxl", cfg_scale=7), p)[1],
    "aliyun": lambda p: (p.update(steps="many", sampler_name=5, negative_prompt="x"), p)[1],
    "zhiqite": lambda p: (p.update(width=4000, sampler_index="euler", cfg=7), p)[1],
}  # fmt: skip

_IMAGE_FIELD: dict[str, Any] = {
    "novita": lambda p: p["request"].update(image_base64=BIG),
    "picpik": lambda p: p.update(ReferenceImage=BIG),
}


def typical(provider: str) -> Any:
    return _TYPICAL[provider]()


def invalid(provider: str) -> Any:
    return _BREAK[provider](typical(provider))


def with_big_image(provider: str) -> Any | None:
    """The typical request carrying a 512 KiB image, or None for providers taking image ids or URLs."""
    if provider not in _IMAGE_FIELD:
        return None
    payload = typical(provider)
    _IMAGE_FIELD[provider](payload)
    return payload
