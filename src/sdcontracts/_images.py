"""Check base64-encoded images: one SIMD pass over the string, then only the header is read.

Providers take images as base64 strings and document limits on the decoded file (bytes) and
on the picture (pixels). A string too long for the byte limit is refused from its length
alone. Otherwise one validating decode by pybase64 (SIMD; ~30 µs for a 512 KiB image, where
checking the alphabet with ``bytes.translate`` took ~400 µs and ``binascii``'s strict decode
~1,500 µs on the same string: bench/RESULTS.md) checks the alphabet and padding, and the
header parser reads the few bytes it needs of what it decoded. The reason a string is not
base64 is worked out only when it is not.
"""

from __future__ import annotations

import binascii
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import pybase64

__all__ = ["ImageInfo", "ImageLimits", "check_base64_image", "read_base64_image", "read_image"]

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_PNG = b"\x89PNG\r\n\x1a\n"
_PNG_SIZE = struct.Struct(">II")
_JPEG_MARKER_LIMIT = 512  # segments scanned before giving up on finding the frame header


@dataclass(frozen=True, slots=True)
class ImageLimits:
    """Documented limits for one image field; ``None`` means the doc states none."""

    max_width: int | None = None
    max_height: int | None = None
    max_bytes: int | None = None
    allow_empty: bool = False  # "" means "no image" (Go servers read "" as unset)

    @classmethod
    def from_schema(cls, image: Mapping[str, Any]) -> ImageLimits:
        """The limits an ``x-image`` annotation states."""
        return cls(
            max_width=image.get("maxWidth"),
            max_height=image.get("maxHeight"),
            max_bytes=image.get("maxBytes"),
            allow_empty=bool(image.get("allowEmpty", False)),
        )

    def to_dict(self) -> dict[str, int | bool]:
        """The limits in the schema's own words (``x-image``), for reports."""
        names = {"maxWidth": self.max_width, "maxHeight": self.max_height, "maxBytes": self.max_bytes}
        return {k: v for k, v in names.items() if v is not None} | ({"allowEmpty": True} if self.allow_empty else {})


class ImageInfo(NamedTuple):
    """What an image header says, and the decoded size."""

    format: str
    width: int
    height: int
    size: int  # decoded bytes


class _Invalid(Exception):
    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def check_base64_image(text: str, limits: ImageLimits) -> tuple[str, str] | None:
    """Return ``(rule, message)`` for the first problem with a base64 image string, else None.

    Rules: ``image-encoding`` (not standard padded base64), ``image-format`` (decodes, but not
    a PNG, JPEG, WebP, GIF or BMP header), ``image-dimensions`` and ``image-size`` (over the
    documented limits). A string too long to decode within the byte limit is ``image-size``
    whatever it holds: that is decided from its length, in constant time.
    """
    if not text and limits.allow_empty:
        return None
    least = len(text) // 4 * 3 - 2  # the fewest bytes this many base64 characters can decode to
    if limits.max_bytes is not None and least > limits.max_bytes:  # decided by the length: nothing is read
        return "image-size", (
            f"the string is {len(text):,} characters, which decode to at least {least:,} bytes; at most "
            f"{limits.max_bytes:,} bytes ({limits.max_bytes / 1048576:g} MiB) are allowed"
        )
    try:
        data = _check_alphabet(text)
        if data.startswith(_PNG) and data.startswith(b"IHDR", 12) and len(data) >= 24:
            # the usual case, a PNG within the limits, answered here: a third of the time
            # validating a typical Novita request took went to the general path
            width, height = _PNG_SIZE.unpack_from(data, 16)
            wide, tall, size = limits.max_width, limits.max_height, limits.max_bytes
            if (
                (wide is None or width <= wide)
                and (tall is None or height <= tall)
                and (size is None or len(data) <= size)
            ):
                return None
        info = _parse(data)
    except _Invalid as problem:
        return problem.rule, problem.message
    if limits.max_bytes is not None and info.size > limits.max_bytes:
        return "image-size", (
            f"the decoded image is {info.size:,} bytes; at most {limits.max_bytes:,} bytes "
            f"({limits.max_bytes / 1048576:g} MiB) are allowed"
        )
    too_wide = limits.max_width is not None and info.width > limits.max_width
    too_tall = limits.max_height is not None and info.height > limits.max_height
    if too_wide or too_tall:
        return "image-dimensions", (
            f"the image is {info.width}x{info.height} px ({info.format}); at most "
            f"{limits.max_width or 'any'}x{limits.max_height or 'any'} px is allowed"
        )
    return None


def read_base64_image(text: str) -> ImageInfo:
    """Read format, pixel size and decoded byte size from a base64 image string."""
    return _parse(_check_alphabet(text))


def read_image(data: bytes) -> ImageInfo:
    """Read format and pixel size from raw image bytes (only the header is looked at)."""
    try:
        return _parse(data)
    except _Invalid as problem:
        raise ValueError(problem.message) from None


def _parse(data: bytes) -> ImageInfo:
    head, size = data[:33], len(data)  # 33 bytes: every header below fits
    if head[:8] == _PNG:
        if len(head) < 24 or head[12:16] != b"IHDR":
            raise _Invalid("image-format", "the PNG header is truncated")
        width, height = struct.unpack(">II", head[16:24])
        return ImageInfo("png", width, height, size)
    if head[:2] == b"\xff\xd8":
        width, height = _jpeg_size(data)
        return ImageInfo("jpeg", width, height, size)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        width, height = struct.unpack("<HH", head[6:10])
        return ImageInfo("gif", width, height, size)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        width, height = _webp_size(head)
        return ImageInfo("webp", width, height, size)
    if head[:2] == b"BM" and len(head) >= 26:
        width, height = struct.unpack("<ii", head[18:26])
        return ImageInfo("bmp", abs(width), abs(height), size)
    raise _Invalid(
        "image-format",
        "the decoded bytes are not a PNG, JPEG, WebP, GIF or BMP image "
        f"(they start with {head[:8].hex(' ') or 'nothing'})",
    )


def _check_alphabet(text: str) -> bytes:
    """The bytes a standard padded base64 string encodes; else raise `_Invalid` with the reason.

    pybase64's validating decode accepts exactly the strings of the alphabet, padded with at most
    two '=' to a multiple of 4 (tests/test_images_differential.py holds it to the check it replaced).
    """
    if text:  # pybase64 reads "" as no bytes; it is no image
        try:
            # validate=True, passed by position: parsing a keyword costs pybase64 a third of the
            # time it takes for a small image
            return pybase64.b64decode(text, None, True)
        except (binascii.Error, ValueError):  # ValueError: non-ASCII text
            pass
    raise _explain_alphabet(text)


def _explain_alphabet(text: str) -> _Invalid:
    if not text:
        return _Invalid("image-encoding", "the string is empty; it must hold a base64-encoded image")
    if text.startswith("data:"):
        return _Invalid("image-encoding", "the string is a data: URI; send only the base64 text after the comma")
    if not text.isascii():
        return _Invalid("image-encoding", "the string has non-ASCII characters; it is not base64")
    raw = text.encode("ascii")
    body = raw.rstrip(b"=")
    stray = body.translate(None, _ALPHABET)
    if stray:
        char = chr(stray[0])
        at = body.index(stray[:1])
        if char in "\r\n":
            hint = "; encode without line wrapping (for example `base64 -w 0`)"
        elif char in "-_":
            hint = "; that is the URL-safe alphabet, use the standard one (+ and /)"
        elif char == "=":
            hint = "; '=' may only pad the end"
        else:
            hint = ""
        return _Invalid(
            "image-encoding",
            f"the string has {char!r} at position {at:,}, outside the base64 alphabet{hint}",
        )
    return _Invalid(
        "image-encoding",
        f"the string has {len(raw):,} characters, not a multiple of 4, or more than two '='; "
        "standard base64 is padded with '=' to a multiple of 4",
    )


def _jpeg_size(data: bytes) -> tuple[int, int]:
    offset = 2
    for _ in range(_JPEG_MARKER_LIMIT):
        marker = data[offset : offset + 4]
        while len(marker) >= 2 and marker[0] == 0xFF and marker[1] == 0xFF:  # fill bytes
            offset += 1
            marker = data[offset : offset + 4]
        if len(marker) < 4 or marker[0] != 0xFF:
            break
        kind = marker[1]
        if kind in (0xD8, 0x01) or 0xD0 <= kind <= 0xD7:  # markers without a length
            offset += 2
            continue
        length = struct.unpack(">H", marker[2:4])[0]
        if 0xC0 <= kind <= 0xCF and kind not in (0xC4, 0xC8, 0xCC):
            frame = data[offset + 5 : offset + 9]
            if len(frame) < 4:
                break
            height, width = struct.unpack(">HH", frame)
            return width, height
        if kind == 0xDA or length < 2:  # scan data before any frame header
            break
        offset += 2 + length
    raise _Invalid("image-format", "the JPEG has no readable frame header (SOF) giving its size")


def _webp_size(head: bytes) -> tuple[int, int]:
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30:
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(head) >= 30:
        width = int.from_bytes(head[24:27], "little") + 1
        height = int.from_bytes(head[27:30], "little") + 1
        return width, height
    raise _Invalid("image-format", "the WebP header is truncated or of an unknown kind")
