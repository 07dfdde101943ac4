"""Real result images: PNG, JPEG or WebP bytes of the size a task asked for.

Each image is one flat colour seeded by the task id and index, so two tasks' images differ and
the same URL always serves the same bytes; flat images encode in milliseconds even at 4096 px,
which keeps the mock fast in CI loops. Rendering is lazy (at download) and cached, so tasks whose
images nobody downloads cost nothing.
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
    colour = tuple(hashlib.sha256(seed.encode("utf-8", "surrogatepass")).digest()[:3])  # any task id
    buffer = io.BytesIO()
    if fmt == "png":  # one palette entry: a fraction of RGB's bytes to compress
        image = Image.new("P", (width, height), 0)
        image.putpalette(colour)
        image.save(buffer, "PNG", compress_level=1)
    elif fmt == "webp":  # lossless at the fastest method: a flat image costs next to nothing
        Image.new("RGB", (width, height), colour).save(buffer, "WEBP", lossless=True, method=0)
    else:
        Image.new("RGB", (width, height), colour).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
