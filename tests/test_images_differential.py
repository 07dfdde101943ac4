"""The pybase64 image check gives the verdicts of the check it replaced (tests/images_before.py),
message for message, on valid images and on every way of corrupting their base64."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from unittest import mock

import images_before as before
from conftest import b64, png
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_images import bmp, gif, jpeg, webp_vp8, webp_vp8l, webp_vp8x

from sdcontracts import _images as images
from sdcontracts._images import ImageLimits, check_base64_image

# The old code decoded strings up to this many characters with binascii's strict mode, and checked
# longer ones with its own alphabet check; the drawn images straddle it.
_SMALL = 8192
_STRAY = "\n\r\t -_=:.*\x00é€\U0001f600"

_HEADERS = st.one_of(
    st.builds(png, st.integers(1, 5000), st.integers(1, 5000)),
    st.builds(
        lambda w, h, m: jpeg(w, h, metadata=m),
        st.integers(0, 65535),
        st.integers(0, 65535),
        st.sampled_from([0, 0, 100, 9000]),
    ),
    st.builds(gif, st.integers(0, 65535), st.integers(0, 65535)),
    st.builds(webp_vp8x, st.integers(1, 2**24), st.integers(1, 2**24)),
    st.builds(webp_vp8l, st.integers(1, 2**14), st.integers(1, 2**14)),
    st.builds(webp_vp8, st.integers(0, 2**14 - 1), st.integers(0, 2**14 - 1)),
    st.builds(bmp, st.integers(-(2**31), 2**31 - 1), st.integers(-(2**31) + 1, 2**31 - 1)),
    st.binary(max_size=40),  # not an image, or a header cut short
)
_IMAGES = st.builds(
    lambda head, cut, tail: (head[:cut] if cut is not None else head) + b"\0" * tail,
    _HEADERS,
    st.none() | st.integers(0, 40),
    st.sampled_from([0, 1, 2, 3, 100, 6100, 6144, 6150, 12000]),  # 6,144 bytes are 8,192 characters
)


@st.composite
def _corrupted(draw: st.DrawFn) -> str:
    text = b64(draw(_IMAGES))
    at = draw(st.integers(0, len(text)))
    stray = draw(st.sampled_from(_STRAY) | st.sampled_from("AZaz09+/="))
    how = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "pad", "unpad", "data-uri", "twice"]))
    if how == "replace":
        return text[:at] + stray + text[at + 1 :]
    if how == "insert":
        return text[:at] + stray + text[at:]
    if how == "delete":
        return text[:at] + text[at + 1 :]
    if how == "truncate":
        return text[:at]
    if how == "pad":
        return text + "=" * draw(st.integers(1, 8))
    if how == "unpad":
        return text.rstrip("=")
    if how == "data-uri":
        return "data:image/png;base64," + text
    return text + text  # two padded strings end to end: '=' inside


_LIMITS = st.fixed_dictionaries(
    {},
    optional={
        "max_width": st.integers(0, 6000),
        "max_height": st.integers(0, 6000),
        "max_bytes": st.integers(0, 20_000),
        "allow_empty": st.booleans(),
    },
)
_STRINGS = st.builds(b64, _IMAGES) | _corrupted() | st.text(max_size=12) | st.text("AB+/=\n-é", max_size=16)


def _read(module: Any, text: str) -> tuple[Any, ...]:
    try:
        return ("image", *module.read_base64_image(text))
    except module._Invalid as problem:
        return (problem.rule, problem.message)


def _surplus_padding(text: str) -> bool:
    """The one place the old code contradicted itself: binascii's strict mode, which it used on
    short strings, accepts '=' beyond the two that may pad a string ("AAAA===="); its own alphabet
    check, which it used on long ones, calls that "not a multiple of 4, or more than two '='"."""
    try:
        binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        return False
    return len(text) - len(text.rstrip("=")) > 2


def _long_path() -> Any:
    """The old code with every string taking its long-string path, its alphabet check."""
    return mock.patch.object(before, "_DECODE_WHOLE", 0)


@settings(max_examples=600, deadline=None)
@given(text=_STRINGS, limits=_LIMITS)
@example(text="AAAA====", limits={})
@example(text=b64(png(8, 8) + b"\0") + "=" * 4, limits={})  # the PNG unpadded, then "===="
def test_the_image_check_gives_the_old_checks_verdict_and_message(text: str, limits: dict[str, Any]) -> None:
    """check_base64_image and read_base64_image answer what the old code answered, rule and
    message alike; and what its alphabet check answered at every length, where the old code's
    short-string path let surplus '=' through."""
    new = (check_base64_image(text, ImageLimits(**limits)), _read(images, text))
    with _long_path():
        by_alphabet_check = (before.check_base64_image(text, before.ImageLimits(**limits)), _read(before, text))
    assert by_alphabet_check == new
    if not (len(text) <= _SMALL and _surplus_padding(text)):
        assert (before.check_base64_image(text, before.ImageLimits(**limits)), _read(before, text)) == new


def test_surplus_padding_is_image_encoding_at_every_length() -> None:
    """'=' beyond the two that pad a string is image-encoding, short string or long (the old code
    passed a short PNG ending in "====")."""
    short = base64.b64encode(png(8, 8) + b"\0").decode() + "===="  # 69 bytes: unpadded, then "===="
    message = (
        f"the string has {len(short)} characters, not a multiple of 4, or more than two '='; "
        "standard base64 is padded with '=' to a multiple of 4"
    )
    long = base64.b64encode(png(8, 8) + b"\0" * 9001).decode() + "===="
    assert ("image-encoding", message) == check_base64_image(short, ImageLimits())
    assert "image-encoding" == (check_base64_image(long, ImageLimits()) or ("",))[0]
    assert None is before.check_base64_image(short, before.ImageLimits())  # what it was
