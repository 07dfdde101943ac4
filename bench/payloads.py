"""The requests the benchmarks send: per provider, a typical valid request, an invalid one with
three violations, and (where the provider takes base64 images) the valid one carrying a real-sized
image (64 KiB, 512 KiB, 3 MiB) in its image field.

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

__all__ = ["IMAGE_SIZES", "image", "image_fields", "invalid", "typical", "with_image"]

IMAGE_SIZES = (64 * 1024, 512 * 1024, 3 * 1024 * 1024)  # what img2img requests carry: 100 KiB to 5 MiB


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
_IMAGES: dict[int, str] = {}


def image(size: int) -> str:
    """The base64 of a real 512 x 512 PNG of about ``size`` bytes."""
    if size not in _IMAGES:
        _IMAGES[size] = _b64(_png(512, 512, noise=size))
    return _IMAGES[size]


def _corpus(provider: str, name: str) -> Any:
    return copy.deepcopy(next(e for e in examples(provider) if e.name == name).payload)


def _tensorart() -> dict[str, Any]:
    """The doc's inpaint job, with a sampler the spec lists: the doc's own, "DPM++ 3M SDE Karras", is
    disputed (valid with a warning), and a warning is explained by the slow path."""
    payload = _corpus("tensorart", "inpaint-complete")
    payload["stages"][1]["imageToInpaint"]["diffusion"]["sampler"] = "DPM++ 2M Karras"
    return payload


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
    "tensorart": _tensorart,
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

# the image fields the typical requests carry, by pointer
_IMAGE_FIELD: dict[str, dict[str, Any]] = {
    "novita": {"/request/image_base64": lambda p, text: p["request"].update(image_base64=text)},
    "picpik": {"/ReferenceImage": lambda p, text: p.update(ReferenceImage=text)},
}


def typical(provider: str) -> Any:
    return _TYPICAL[provider]()


def invalid(provider: str) -> Any:
    return _BREAK[provider](typical(provider))


def image_fields(provider: str) -> list[str]:
    """The image fields of the typical request (none for providers taking image ids or URLs)."""
    return list(_IMAGE_FIELD.get(provider, {}))


def with_image(provider: str, field: str, size: int) -> Any:
    """The typical request carrying an image of about ``size`` bytes in ``field``."""
    payload = typical(provider)
    _IMAGE_FIELD[provider][field](payload, image(size))
    return payload
