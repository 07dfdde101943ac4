"""The fast paths validation takes give exactly the verdicts of the slow ones they stand for."""

from __future__ import annotations

import itertools
import random
from typing import Any

import jsonschema_rs
import pytest

from sdcontracts._compiler import INT64_MAX, INT64_MIN, compile_engine_schema, int64_pattern, parse_int64
from sdcontracts._images import ImageLimits, _check_alphabet, _Invalid, check_base64_image

BOUNDS = [(None, 4294967295), (None, None), (0, None), (1, 4), (-1, 10), (-37, -5), (0, 0), (5, 5),
          (100, 99999), (None, -1), (7, None), (-1, None), (123, 999), (19, 1234), (-987, -123), (7, 3),
          (123, 129), (1001, 1009), (19, 25), (-3, -5)]  # fmt: skip


def _candidates() -> list[str]:
    rnd = random.Random(1)
    found = ["", "+", "-", "-0", "+0", "00", "0" * 21, "0" * 22, "1" * 20, "12a", " 1", "1 ", "1\n"]
    for n in [*range(-150, 150), 2**31, 2**32 - 1, 2**32, INT64_MAX, INT64_MAX + 1, INT64_MIN, INT64_MIN - 1]:
        digits = str(abs(n))
        found += [str(n), f"+{n}", f"0{digits}", f"-00{digits}"]
    for _ in range(20_000):
        sign = rnd.choice(["", "", "+", "-", "-+"])
        found.append(sign + "".join(rnd.choice("0123456789") for _ in range(rnd.randint(1, 23))))
    return found


@pytest.mark.parametrize(("low", "high"), BOUNDS)
def test_the_int64_pattern_accepts_exactly_the_strings_parse_int64_reads_within_the_bounds(
    low: int | None, high: int | None
) -> None:
    """jsonschema-rs checks int64 strings with the pattern and maxLength the compiler puts in the
    engine schema instead of calling back into Python; on every candidate it agrees with
    parse_int64 and the bounds."""
    field: dict[str, Any] = {"type": ["string", "integer"], "format": "int64"}
    field |= {} if low is None else {"minimum": low}
    field |= {} if high is None else {"maximum": high}
    engine_form, formats = compile_engine_schema(field)
    assert ({}, int64_pattern(low, high)) == (formats, engine_form["pattern"])
    engine = jsonschema_rs.validator_for(engine_form)

    def allowed(text: str) -> bool:
        value = parse_int64(text)
        return value is not None and (low is None or value >= low) and (high is None or value <= high)

    wrong = [t for t in _candidates() if allowed(t) != engine.is_valid(t)]
    assert [] == wrong


def test_small_images_decoded_in_one_strict_pass_get_the_alphabet_checks_verdict() -> None:
    """For every string of up to six characters from a mixed alphabet (and random longer ones),
    the one-pass strict decode accepts exactly what the alphabet and padding check accepts."""
    limits = ImageLimits()
    strings = ["".join(t) for n in range(7) for t in itertools.product("AB+/=\n-é", repeat=n)]
    rnd = random.Random(2)
    strings += ["".join(rnd.choice("AB+/=\n-é") for _ in range(rnd.randint(7, 16))) for _ in range(20_000)]
    wrong = []
    for text in strings:
        try:
            _check_alphabet(text)
            well_formed = True
        except _Invalid:
            well_formed = False
        problem = check_base64_image(text, limits)
        if (problem is None or problem[0] != "image-encoding") != well_formed:
            wrong.append(text)
    assert [] == wrong
