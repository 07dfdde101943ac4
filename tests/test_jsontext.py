"""`parse_json` (orjson where it reads as json does) gives ``json.loads(body.decode("utf-8"))``'s
document, value, type and key order alike, and its errors, on every kind of text the mock receives:
valid documents, the ones orjson refuses or reads otherwise, and broken ones."""

from __future__ import annotations

import json
import math
from typing import Any
from unittest import mock

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sdcontracts import _jsontext
from sdcontracts._jsontext import parse_json


def _same(a: Any, b: Any) -> bool:
    """Equal as documents: the same types all the way down (1 is not 1.0, nor True), the same key
    order, NaN equal to NaN, -0.0 not equal to 0.0. Iterative: documents nest thousands deep."""
    pairs = [(a, b)]
    while pairs:
        x, y = pairs.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, dict):
            if list(x) != list(y):
                return False
            pairs += [(x[k], y[k]) for k in x]
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            pairs += zip(x, y, strict=True)
        elif isinstance(x, float):
            if not ((math.isnan(x) and math.isnan(y)) or (x == y and math.copysign(1, x) == math.copysign(1, y))):
                return False
        elif x != y:
            return False
    return True


def _reading(parse: Any, body: bytes) -> tuple[str, Any]:
    try:
        return "ok", parse(body)
    except RecursionError:
        return "error", "RecursionError"
    except UnicodeDecodeError:
        return "error", "UnicodeDecodeError"
    except ValueError as error:
        return "error", str(error)


def _json_loads(body: bytes) -> Any:
    return json.loads(body.decode("utf-8"))


def assert_read_alike(body: bytes) -> None:
    """Alike by both tests for wide integers: the scan of the bytes, and the walk of the values."""
    expected = _reading(_json_loads, body)
    for limit in (len(body), len(body) - 1):
        with mock.patch.object(_jsontext, "_SCAN_LIMIT", limit):
            actual = _reading(parse_json, body)
        assert expected[0] == actual[0], body[:200]
        if expected[0] == "ok":
            assert _same(expected[1], actual[1]), body[:200]
        else:
            assert expected[1] == actual[1], body[:200]


# Numbers spelt the ways a client spells them, around the edges orjson treats differently.
_INTEGERS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, -(2**64), 10**30, 0]),
)
_NUMBER_TEXT = st.one_of(
    _INTEGERS.map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "-0", "-0.0", "1E2", "4.9e-324", "1e-400",
                     "9223372036854775808.0", "1.8446744073709552e19", "12345678901234567890123.5"]),
)  # fmt: skip
_STRING_TEXT = st.one_of(
    st.text().map(json.dumps),
    st.text().map(lambda s: json.dumps(s, ensure_ascii=False)),
    st.sampled_from(['"\\ud800"', '"\\udfff"', '"a\\ud83dz"', '"\\ud83d\\ude00"', '"\\u0000"', '"\\/"']),
)


def _document(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    keys = _STRING_TEXT | st.sampled_from(['"a"', '"b"'])  # repeated keys: duplicates
    return st.one_of(
        st.lists(children, max_size=5).map(lambda items: "[" + ",".join(items) + "]"),
        st.lists(st.tuples(keys, children), max_size=5).map(
            lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
        ),
    )


_TEXT = st.recursive(_NUMBER_TEXT | _STRING_TEXT | st.sampled_from(["true", "false", "null"]), _document, max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(_TEXT, st.sampled_from(["", " ", "\n", "\t\r\n "]))
@example("[" * 1100 + "]" * 1100, "")  # deeper than orjson reads
@example("[" * 100_000 + "]" * 100_000, "")  # deeper than json reads
@example('{"a": 1, "b": 2, "a": 3}', "")
@example("\ufeff{}", "")  # a byte order mark
def test_a_generated_document_is_read_as_json_reads_it(text: str, space: str) -> None:
    """Documents (numbers past 64 bits, NaN, overflowing floats, lone surrogates, repeated keys)
    read alike."""
    assert_read_alike(f"{space}{text}{space}".encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(_TEXT, st.data())
def test_a_broken_document_fails_as_json_fails(text: str, data: st.DataObject) -> None:
    """Bytes changed, cut or inserted anywhere (invalid UTF-8, raw surrogates, stray characters):
    the same document or the same error message."""
    body = bytearray(text.encode("utf-8", "surrogatepass"))
    at = data.draw(st.integers(0, len(body)))
    how = data.draw(st.sampled_from(["insert", "replace", "cut"]))
    stray = data.draw(st.sampled_from([b"\xff", b"\xed\xa0\x80", b"\x00", b"\x01", b",", b"]", b"}", b'"', b"\\"]))
    if how == "insert":
        body[at:at] = stray
    elif how == "replace":
        body[at : at + 1] = stray
    else:
        del body[at:]
    assert_read_alike(bytes(body))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18446744073709551616", 2**64),  # orjson alone reads a float here
        ("-9223372036854775809", -(2**63) - 1),
        ('{"seed": 123456789012345678901234567890}', {"seed": 123456789012345678901234567890}),
        ('"\\ud800"', "\ud800"),
        ('{"a": 1, "a": 2}', {"a": 2}),
    ],
)
@pytest.mark.parametrize("scan_limit", [0, 1 << 20], ids=["walked", "scanned"])
def test_what_orjson_reads_otherwise_is_read_as_json_reads_it(text: str, expected: Any, scan_limit: int) -> None:
    """The cases the fallback exists for, by value, whichever test finds a wide integer."""
    with mock.patch.object(_jsontext, "_SCAN_LIMIT", scan_limit):
        actual = parse_json(text.encode("utf-8", "surrogatepass"))
    assert _same(expected, actual)


@pytest.mark.parametrize("scan_limit", [0, 1 << 20], ids=["walked", "scanned"])
def test_a_typical_body_is_read_by_orjson(scan_limit: int) -> None:
    """The fast path is taken: json is not called for a document orjson reads alike (18-digit ids
    and large floats below 2**63 included)."""
    body = b'{"prompt": "a cat", "steps": 20, "cfg": 7.5, "sdModel": 681693017352010007, "big": 9.2e18}'
    with (
        mock.patch.object(_jsontext, "_SCAN_LIMIT", scan_limit),
        mock.patch.object(_jsontext.json, "loads", side_effect=AssertionError("json.loads called")),
    ):
        actual = parse_json(body)
    assert {"prompt": "a cat", "steps": 20, "cfg": 7.5, "sdModel": 681693017352010007, "big": 9.2e18} == actual


@settings(max_examples=300, deadline=None)
@given(_TEXT)
@example('{"a": [1, 2.5, 1e16, "\\ud800x", "é\\n\\u007f\\u2028"], "b": null, "c": true, "d": NaN}')
@example('[-Infinity, 123456789012345678901234567890, -0.0, {"\\ud83d\\ude00": "\\udfff"}]')
def test_an_answer_is_written_by_the_one_encoder_as_json_bytes_writes_it(text: str) -> None:
    """`tree_json_bytes` (the mock's answers: parsed JSON and literals) writes the bytes `json_bytes`
    writes, lone surrogates, NaN, wide integers and non-ASCII alike."""
    document = json.loads(text)
    assert _jsontext.json_bytes(document) == _jsontext.tree_json_bytes(document)
    assert _jsontext.json_bytes(text) == _jsontext.tree_json_bytes(text)  # a string is a document too


def test_an_answer_that_cannot_be_json_fails_as_json_bytes_fails() -> None:
    """What JSON cannot hold (bytes, a set) is the same TypeError from either encoder."""
    for document in ({"a": b"x"}, [{1, 2}]):
        with pytest.raises(TypeError) as expected:
            _jsontext.json_bytes(document)
        with pytest.raises(TypeError) as actual:
            _jsontext.tree_json_bytes(document)
        assert str(expected.value) == str(actual.value)
