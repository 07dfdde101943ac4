"""Real images for base64 image fields, sized at the documented limits, and broken ones."""

from __future__ import annotations

import base64
import struct
import zlib
from functools import lru_cache

from hypothesis import strategies as st

from .._images import ImageLimits
from ._packed import Packed

__all__ = ["broken_images", "image_strings", "jpeg", "png"]


@lru_cache(maxsize=32)
def png(width: int, height: int) -> bytes:
    """A real greyscale PNG (all black): a few kilobytes even at 2048 x 2048."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = zlib.compress(b"\0" * ((width + 1) * height), 9)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


@lru_cache(maxsize=32)
def _b64(width: int, height: int) -> str:
    return base64.b64encode(png(width, height)).decode("ascii")


@lru_cache(maxsize=32)
def packed_images(limits: ImageLimits) -> Packed:
    """Base64 PNGs: small ones, and ones exactly at the documented pixel limits (and "" where
    empty is allowed), chosen by one byte."""
    sizes = [(8, 8), (64, 48)]
    if limits.max_width is not None and limits.max_height is not None:
        w, h = limits.max_width, limits.max_height
        sizes += [(w, 16), (16, h), (w, h), (w - 1, h - 1)]
    options = ([None] if limits.allow_empty else []) + sizes
    return Packed(1, lambda data: "" if (size := options[data[0] % len(options)]) is None else _b64(*size))


@lru_cache(maxsize=32)
def image_strings(limits: ImageLimits) -> st.SearchStrategy[str]:
    """`packed_images`, as a strategy."""
    return packed_images(limits).strategy()


@lru_cache(maxsize=4)
def _oversized(max_bytes: int) -> str:
    data = png(8, 8)
    return base64.b64encode(data + b"\0" * (max_bytes + 1 - len(data))).decode("ascii")


def broken_images(limits: ImageLimits) -> list[tuple[str, str]]:
    """One broken image per image rule that applies: ``(rule, base64 text)``."""
    broken = [
        ("image-encoding", "data:image/png;base64," + _b64(8, 8)),
        ("image-format", base64.b64encode(b"this is not an image, just text").decode("ascii")),
    ]
    if limits.max_width is not None:
        broken.append(("image-dimensions", _b64(limits.max_width + 1, 1)))
    if limits.max_bytes is not None:
        broken.append(("image-size", _oversized(limits.max_bytes)))
    return broken


@lru_cache(maxsize=32)
def jpeg(width: int, height: int, level: int = 255) -> bytes:
    """A real baseline greyscale JPEG of one flat ``level`` (white by default: an inpaint mask).

    Written directly (no image library): a quantisation table of ones, and Huffman tables holding
    only the symbols used: each 8x8 block is its DC difference (the first block sets the level,
    the rest repeat it) and an end-of-block.
    """
    if not (0 < width < 65536 and 0 < height < 65536 and 0 <= level <= 255):
        raise ValueError("width and height must be 1 to 65535, level 0 to 255")
    dc = 8 * (level - 128)  # the DC coefficient of a flat block, quantised by 1
    category = abs(dc).bit_length()
    bits = dc if dc >= 0 else dc + (1 << category) - 1  # JPEG's one's-complement for negatives

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">HH", 0xFF00 | marker, len(payload) + 2) + payload

    def huffman(table: int, symbols: list[int]) -> bytes:  # every symbol's code is 2 bits long
        counts = [0, len(symbols)] + [0] * 14
        return bytes([table, *counts, *symbols])

    dc_symbols = [0] if category == 0 else [0, category]  # codes 00 and 01
    blocks = -(-width // 8) * -(-height // 8)
    stream = ["01" if category else "00", format(bits, f"0{category}b") if category else "", "00"]
    stream += ["0000"] * (blocks - 1)  # DC difference 0 ("00"), then end-of-block ("00")
    text = "".join(stream)
    text += "1" * (-len(text) % 8)
    data = int(text, 2).to_bytes(len(text) // 8, "big").replace(b"\xff", b"\xff\x00")
    return b"".join(
        [
            b"\xff\xd8",
            segment(0xDB, bytes([0]) + bytes([1] * 64)),
            segment(0xC0, struct.pack(">BHHBBBB", 8, height, width, 1, 1, 0x11, 0)),
            segment(0xC4, huffman(0x00, dc_symbols) + huffman(0x10, [0x00])),
            segment(0xDA, bytes([1, 1, 0x00, 0, 63, 0])),
            data,
            b"\xff\xd9",
        ]
    )
