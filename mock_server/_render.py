"""Real result images: PNG, JPEG or WebP bytes of the size a task asked for.

Each image is a smooth colour field seeded by the task id and index, so two tasks' images
differ, and the same URL always serves the same bytes. Rendering is lazy (at download) and
cached, so tasks whose images nobody downloads cost nothing.
"""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache

__all__ = ["MAX_SIDE", "render"]

MAX_SIDE = 4096  # the mock renders up to this many pixels per side
_FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG", "webp": "WEBP"}


@lru_cache(maxsize=64)
def render(width: int, height: int, fmt: str, seed: str) -> bytes:
    """An image of ``width`` x ``height`` in ``fmt`` (png, jpeg/jpg or webp)."""
    from PIL import Image  # deferred: only downloads need Pillow

    if fmt not in _FORMATS:
        raise ValueError(f"cannot render {fmt!r} (png, jpeg, webp)")
    width, height = max(1, min(width, MAX_SIDE)), max(1, min(height, MAX_SIDE))
    digest = hashlib.sha256(seed.encode()).digest()
    top, bottom = tuple(digest[:3]), tuple(digest[3:6])
    # a vertical gradient: two colours from the seed, cheap to build at any size
    column = Image.linear_gradient("L").resize((1, height))
    image = Image.composite(Image.new("RGB", (1, height), bottom), Image.new("RGB", (1, height), top), column)
    image = image.resize((width, height))
    buffer = io.BytesIO()
    # PNGs at compression level 1: a flat gradient compresses well anyway, and level 6 costs 5x the time
    options = {"quality": 85} if fmt in ("jpeg", "jpg", "webp") else {"compress_level": 1}
    image.save(buffer, _FORMATS[fmt], **options)
    return buffer.getvalue()
