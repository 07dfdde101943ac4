"""Base64 image checks: format and size read from headers, never by decoding whole images."""

from __future__ import annotations

import base64
import struct

import pytest
from conftest import b64, png

from sdcontracts._images import ImageLimits, check_base64_image, read_base64_image

LIMITS = ImageLimits(max_width=2048, max_height=2048, max_bytes=31_457_280)


def jpeg(width: int, height: int, *, metadata: int = 0) -> bytes:
    """A JPEG header (SOI, an optional APP1 segment of `metadata` bytes, SOF0, EOI)."""
    app1 = b""
    if metadata:
        app1 = b"\xff\xe1" + struct.pack(">H", metadata + 2) + b"\0" * metadata
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app1 + sof + b"\xff\xd9"


def gif(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\0" * 16


def webp_vp8x(width: int, height: int) -> bytes:
    body = (
        b"VP8X"
        + struct.pack("<I", 10)
        + b"\0" * 4
        + (width - 1).to_bytes(3, "little")
        + (height - 1).to_bytes(3, "little")
    )
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def webp_vp8l(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    body = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + bits.to_bytes(4, "little")
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def webp_vp8(width: int, height: int) -> bytes:
    frame = b"\0\0\0" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height)
    body = b"VP8 " + struct.pack("<I", len(frame)) + frame
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def bmp(width: int, height: int) -> bytes:
    return b"BM" + b"\0" * 16 + struct.pack("<ii", width, -height) + b"\0" * 8


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png(640, 480), ("png", 640, 480)),
        (jpeg(1024, 768), ("jpeg", 1024, 768)),
        (gif(33, 17), ("gif", 33, 17)),
        (webp_vp8x(3000, 2000), ("webp", 3000, 2000)),
        (webp_vp8l(100, 200), ("webp", 100, 200)),
        (webp_vp8(320, 240), ("webp", 320, 240)),
        (bmp(50, 60), ("bmp", 50, 60)),
    ],
)
def test_each_format_reports_its_pixel_size(data: bytes, expected: tuple[str, int, int]) -> None:
    """PNG, JPEG, GIF, the three WebP kinds and BMP give format, width and height."""
    info = read_base64_image(b64(data))
    assert expected == (info.format, info.width, info.height)
    assert len(data) == info.size


def test_jpeg_frame_header_behind_large_metadata_is_found() -> None:
    """A JPEG's size is found behind 60 KB of EXIF-like metadata, by seeking, not decoding all."""
    info = read_base64_image(b64(jpeg(1536, 1024, metadata=60_000)))
    assert ("jpeg", 1536, 1024) == (info.format, info.width, info.height)


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_decoded_size_comes_from_the_length_and_padding(padding: int) -> None:
    """The byte size is len*3/4 minus padding, whatever the padding is."""
    data = png(8, 8) + b"\0" * (3 - padding if padding else 0)
    assert len(data) == read_base64_image(b64(data)).size


def test_image_within_limits_passes() -> None:
    """A 2048 x 2048 image is exactly at the limit and passes."""
    assert None is check_base64_image(b64(png(2048, 2048)), LIMITS)


@pytest.mark.parametrize(("width", "height"), [(2049, 10), (10, 2049)])
def test_one_pixel_over_either_side_is_image_dimensions(width: int, height: int) -> None:
    """2049 px on either side breaks image-dimensions, naming the size and the limit."""
    rule, message = check_base64_image(b64(png(width, height)), LIMITS) or ("", "")
    assert "image-dimensions" == rule
    assert f"{width}x{height}" in message and "2048x2048" in message


def test_file_over_max_bytes_is_image_size() -> None:
    """An image one byte over max_bytes breaks image-size."""
    data = png(16, 16)
    limits = ImageLimits(max_bytes=len(data) - 1)
    assert "image-size" == (check_base64_image(b64(data), limits) or ("",))[0]
    assert None is check_base64_image(b64(data), ImageLimits(max_bytes=len(data)))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("data:image/png;base64," + b64(png(4, 4)), "data: URI"),
        (b64(png(4, 4))[:20] + "\n" + b64(png(4, 4))[20:-1], "line wrapping"),
        (b64(png(4, 4)).replace("A", "-", 1) if "A" in b64(png(4, 4)) else "iVBO-w==", "URL-safe"),
        (b64(png(4, 4))[:-1], "multiple of 4"),
        ("iVBORw0KGgo=AAAA", "'=' may only pad the end"),
        ("ÿÿÿÿ", "non-ASCII"),
    ],
)
def test_malformed_base64_is_image_encoding_with_a_helpful_reason(text: str, fragment: str) -> None:
    """Each way base64 goes wrong gets image-encoding and a message saying which."""
    rule, message = check_base64_image(text, LIMITS) or ("", "")
    assert "image-encoding" == rule
    assert fragment in message


def test_base64_of_something_else_is_image_format() -> None:
    """Valid base64 of a text file is image-format, quoting the first bytes it found."""
    rule, message = check_base64_image(base64.b64encode(b"hello, world").decode(), LIMITS) or ("", "")
    assert "image-format" == rule
    assert "68 65 6c 6c" in message


def test_truncated_png_header_is_image_format() -> None:
    """A PNG signature without its IHDR chunk is reported, not crashed on."""
    assert "image-format" == (check_base64_image(b64(png(4, 4)[:16]), LIMITS) or ("",))[0]


def test_jpeg_without_frame_header_is_image_format() -> None:
    """A JPEG that reaches scan data before any SOF has no readable size."""
    data = b"\xff\xd8\xff\xda\x00\x02\xff\xd9"
    assert "image-format" == (check_base64_image(b64(data), LIMITS) or ("",))[0]


def test_empty_string_passes_only_where_allowed() -> None:
    """allow_empty makes "" mean 'no image'; otherwise "" is image-encoding."""
    assert None is check_base64_image("", ImageLimits(allow_empty=True))
    assert "image-encoding" == (check_base64_image("", ImageLimits()) or ("",))[0]
