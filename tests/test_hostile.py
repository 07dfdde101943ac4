"""Hostile sizes: each answered with a violation (or accepted, where the docs allow it) in bounded
time and memory, by `validate` and by the mock over HTTP.

The limits enforced, and why (the README's "Guarantees" says the same):

- a report holds at most `VIOLATION_LIMIT` (100) violations, then ``too-many-violations``: the walk
  stops there, so a hundred thousand bad items or unknown keys cost a hundred violations' work;
- messages quote at most 60 characters of a value or key (pointers always hold it whole), and
  names over 256 characters get no did-you-mean: a megabyte key costs no megabyte search;
- base64 images are measured from their length and header, never decoded: a 30 MB image costs
  one pass over the string, and a header claiming 100,000 x 100,000 pixels costs nothing;
- the mock reads at most ``max_body_bytes`` (64 MiB: Novita's 30 MiB image is 40 MiB of base64,
  plus the rest) for at most ``body_timeout`` seconds, and Python's JSON parser refuses nesting
  deeper than its recursion limit (about 1,000 levels): "the body nests too deeply".

Times are generous ceilings that only a quadratic walk or a hang could reach; the real figures,
milliseconds, are measured in ``bench/``.
"""

from __future__ import annotations

import base64
import json
import re
import time
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest
from conftest import png
from payloads import PROVIDERS, accepted, as_sent, raw_request, rejected_as_invalid, valid_request
from sdcontracts.mock import Mock, MockConfig
from sdcontracts.mock.asgi import BackgroundServer

import sdcontracts
from sdcontracts import Report
from sdcontracts._catalogue import raw_schema, schema_names
from sdcontracts._compiler import parse_int64
from sdcontracts._validation import VIOLATION_LIMIT

CEILING = 10.0  # seconds: "bounded", not a benchmark
NOVITA_MAX_BYTES = 31_457_280  # 30 MiB, schemas/novita: "image_base64 … 最大 30 MB"


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def bounded(provider: str, payload: Any) -> Report:
    """validate() within the ceiling, with a bounded report and no internal error."""
    report, seconds = timed(lambda: sdcontracts.validate(provider, payload))
    assert seconds < CEILING, f"{provider}: {seconds:.1f} s"
    assert len(report.violations) <= VIOLATION_LIMIT + 1
    assert "internal-error" not in report.rules
    assert all(len(v.message) < 2_000 for v in report.violations), "messages quote values shortly"
    return report


def traced(payload: Any) -> tuple[Report, int]:
    """Validate a Novita payload; the report and the peak of memory allocated meanwhile."""
    tracemalloc.start()
    try:
        return bounded("novita", payload), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def novita(**fields: Any) -> dict[str, Any]:
    payload = valid_request("novita")
    payload["request"].update(fields)
    return payload


def base64_image(header: bytes, decoded_size: int) -> str:
    """A base64 string decoding to ``decoded_size`` bytes that start with ``header``."""
    return base64.b64encode(header + b"\0" * (decoded_size - len(header))).decode("ascii")


def deep(depth: int, leaf: Any = 1, *, kind: str = "array") -> Any:
    value = leaf
    for _ in range(depth):
        value = [value] if kind == "array" else {"k": value}
    return value


# -- base64 images ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decoded", "expected"),
    [(30_000_000 * 3 // 4, set()), (NOVITA_MAX_BYTES + 1, {"image-size"})],
    ids=["30-MB-of-base64-accepted", "one-byte-over-30-MiB"],
)
def test_a_30_mb_base64_image_is_measured_not_decoded(decoded: int, expected: set[str]) -> None:
    """A 30 MB base64 image is within Novita's 30 MiB; one byte over is image-size; memory stays near the string's own."""
    text = base64_image(png(2048, 2048), decoded)
    report, peak = traced(novita(image_base64=text))
    assert expected == set(report.rules)
    assert peak < 3 * len(text), f"{peak:,} bytes traced for a {len(text):,}-character image"


def test_a_header_claiming_a_huge_picture_costs_nothing() -> None:
    """A 100-byte PNG whose header claims 100,000 x 100,000 px is image-dimensions, without inflating anything."""
    report, peak = traced(novita(image_base64=base64_image(png(100_000, 100_000)[:33], 96)))
    assert {"image-dimensions"} == set(report.rules)
    assert peak < 1_000_000


# -- long arrays, many keys, deep nesting, long strings ----------------------------------------------

ARRAYS = [
    ("novita", lambda p: p["request"].update(loras=[{"model_name": "l", "strength": 0.5}] * 100_000), {"max-items"}),
    ("tensorart", lambda p: p["stages"].extend([1] * 100_000), {"type", "too-many-violations"}),
    ("picpik", lambda p: p.update(PositivePrompts=["apple"] * 100_000), set()),
    ("aliyun", lambda p: p.update(init_images=["x"] * 100_000), set()),
    ("zhiqite", lambda p: p["alwayson_scripts"]["controlnet"].update(args=[7] * 100_000), {"type", "too-many-violations"}),
]  # fmt: skip


@pytest.mark.parametrize(("provider", "change", "expected"), ARRAYS, ids=[a[0] for a in ARRAYS])
def test_a_100000_element_array_gets_a_bounded_answer(
    provider: str, change: Callable[[Any], None], expected: set[str]
) -> None:
    """100,000 items: over a documented count, a violation; of the wrong type, 100 of them and too-many-violations;
    where the docs set no count (PICPIK prompts, Alibaba images), accepted."""
    payload = as_sent(provider)
    change(payload)
    assert expected == set(bounded(provider, payload).rules)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_100000_unknown_fields_cost_a_hundred_violations(provider: str) -> None:
    """100,000 unknown keys give 100 unknown-field violations and too-many-violations (it took 6 to 19 s to list them all)."""
    payload = {**as_sent(provider), **{f"field_{i}": i for i in range(100_000)}}
    report = bounded(provider, payload)
    assert ({"unknown-field", "too-many-violations"}, VIOLATION_LIMIT + 1) == (report.rules, len(report.violations))
    assert "too-many-violations" == report.violations[-1].rule


def top_level_fields() -> Iterator[tuple[str, str]]:
    for provider in PROVIDERS:
        for key in as_sent(provider):
            yield provider, key


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize(("provider", "key"), list(top_level_fields()))
def test_10000_deep_nesting_in_any_field_is_a_violation(provider: str, key: str, kind: str) -> None:
    """Every top-level field replaced by a value nested 10,000 deep: reported at that field, never a crash or a hang."""
    payload = as_sent(provider)
    payload[key] = deep(10_000, kind=kind)
    report = bounded(provider, payload)
    assert not report.ok and all(v.path.startswith(f"/{key}") or v.path == "" for v in report.violations)


def test_10000_deep_nesting_where_the_docs_allow_any_value_is_accepted() -> None:
    """Zhiqite's override_settings takes any JSON: 10,000 levels of arrays and objects pass, and a NaN at the bottom does not."""
    payload = as_sent("zhiqite")
    payload["alwayson_scripts"]["override_settings"] = {"a": deep(10_000), "o": deep(10_000, kind="object")}
    assert bounded("zhiqite", payload).ok
    payload["alwayson_scripts"]["override_settings"]["a"] = deep(10_000, float("nan"))
    assert {"not-json"} == bounded("zhiqite", payload).rules


PROMPTS = [
    ("novita", lambda p, text: p["request"].update(prompt=text), {"max-length"}),
    ("tensorart", lambda p, text: p["stages"][1]["diffusion"]["prompts"][0].update(text=text), set()),
    ("picpik", lambda p, text: p.update(PositivePrompts=[text]), set()),
    ("aliyun", lambda p, text: p.update(prompt=text), set()),
    ("zhiqite", lambda p, text: p.update(prompt=text), set()),
]  # fmt: skip


@pytest.mark.parametrize(("provider", "change", "expected"), PROMPTS, ids=[p[0] for p in PROMPTS])
def test_a_1_mb_prompt_is_refused_only_where_a_length_is_documented(
    provider: str, change: Callable[[Any, str], None], expected: set[str]
) -> None:
    """A 1 MB prompt is max-length for Novita (1,024 characters) and accepted by the others, whose docs set no limit."""
    payload = as_sent(provider)
    change(payload, "a cat, " * 150_000)
    assert expected == set(bounded(provider, payload).rules)


def test_a_megabyte_key_is_pointed_at_whole_but_quoted_shortly() -> None:
    """A 1 MB unknown key: the pointer holds all of it, the message 60 characters and the length."""
    key = "k" * 1_000_000
    (violation,) = bounded("aliyun", {**valid_request("aliyun"), key: 1}).violations
    assert (f"/{key}", "unknown-field") == (violation.path, violation.rule)
    assert "(1,000,000 characters)" in violation.message


@pytest.mark.parametrize("value", [10**5000, -(10**5000)], ids=["plus", "minus"])
def test_an_integer_too_long_to_print_is_reported_not_raised(value: int) -> None:
    """Python refuses to print integers of over 4,300 digits; the message gives the digit count instead."""
    (violation,) = bounded("novita", novita(width=value)).violations
    assert violation.rule in {"maximum", "minimum"} and "an integer of 5,001 digits" in violation.message


# -- regular expressions ---------------------------------------------------------------------------


def schema_patterns() -> list[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                found.add(node["pattern"])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    for provider in PROVIDERS:
        for name in schema_names(provider):
            walk(raw_schema(provider, name))
    return sorted(found)


def adversarial(pattern: str) -> list[str]:
    """Long strings made of each character the pattern accepts, ending in ones it refuses: the
    inputs on which a backtracking pattern (nested or overlapping repeats) goes exponential."""
    accepted = sorted({c for c in "0123456789abcdefABCDEF-_ xX" if re.search(f"[{re.escape(c)}]", pattern)} | {"0"})
    strings = []
    for char in accepted:
        for tail in ("!", "\n", "\u0000", "é"):
            strings += [char * 50_000 + tail, (char + "-") * 25_000 + tail]
    return strings


def test_the_schemas_use_a_known_set_of_patterns() -> None:
    """The patterns tested below are all there are (a new one gets the same treatment automatically)."""
    assert 3 <= len(schema_patterns())


@pytest.mark.parametrize("pattern", schema_patterns())
def test_no_schema_pattern_backtracks_on_adversarial_strings(pattern: str) -> None:
    """Each schema pattern, in both engines, answers 50,000-character near-misses in bounded time: none can backtrack."""
    assert not re.search(r"\((?:[^()]*[*+}])[^()]*\)[*+{]|\\[1-9]|\(\?[=!<]", pattern), "nested repeat or lookaround"
    from sdcontracts._compiler import compile_nodes
    from sdcontracts._engine import Interpreter

    schema = {"type": "string", "pattern": pattern}
    fast = jsonschema_rs.validator_for(schema)
    python = Interpreter(compile_nodes(schema, lambda s: ""))
    started = time.perf_counter()
    for text in adversarial(pattern):
        assert not fast.is_valid(text)
        assert ["pattern"] == [v.rule for v in python.violations(text)]
    assert time.perf_counter() - started < CEILING


def test_int64_strings_are_length_checked_before_any_regular_expression() -> None:
    """parse_int64 refuses a 100,000-digit string at once, whatever it holds."""
    (_, seconds) = timed(lambda: [parse_int64("9" * 100_000 + tail) for tail in ("", "x", "\n")])
    assert seconds < 1.0 and None is parse_int64("9" * 100_000)


# -- the mock, over HTTP ---------------------------------------------------------------------------


def hostile_bodies() -> list[tuple[str, str, bytes, bool]]:
    """(name, provider, body, accepted?) for the mock to answer."""
    image = novita(image_base64=base64_image(png(2048, 2048), 30_000_000 * 3 // 4))
    loras = novita(loras=[{"model_name": "l", "strength": 0.5}] * 100_000)
    prompt = {**valid_request("aliyun"), "prompt": "a cat, " * 150_000}
    keys = {**valid_request("picpik"), **{f"field_{i}": i for i in range(100_000)}}
    nested = b"[" * 10_000 + b"]" * 10_000
    return [
        ("30-MB-image", "novita", json.dumps(image).encode(), True),
        ("100000-loras", "novita", json.dumps(loras).encode(), False),
        ("1-MB-prompt", "aliyun", json.dumps(prompt).encode(), True),
        ("100000-keys", "picpik", json.dumps(keys).encode(), False),
        *[(f"10000-deep-{p}", p, nested, False) for p in PROVIDERS],
    ]


def test_the_mock_answers_hostile_sizes_over_http_in_bounded_time() -> None:
    """Over 127.0.0.1 the mock accepts the 30 MB image and the 1 MB Alibaba prompt, and refuses 100,000 LoRAs,
    100,000 unknown keys and 10,000-deep JSON (every provider) in its own words, each in bounded time, never a 5xx."""
    mock = Mock(MockConfig(lifecycle="steps"))
    with BackgroundServer(mock) as url, httpx.Client(timeout=CEILING) as http:
        for name, provider, body, wanted in hostile_bodies():
            request = raw_request(provider, body, mock.credentials(provider), url)
            response, seconds = timed(lambda request=request: http.send(request))
            verdict = accepted(provider, response) if wanted else rejected_as_invalid(provider, response)
            assert (True, True) == (verdict, seconds < CEILING), (name, seconds, response.text[:300])
    assert 0 == sum(mock.journal.count(status=status) for status in range(500, 600))
