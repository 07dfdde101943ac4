"""The public door: sdcontracts.validate, providers, schemas, Report and Violation."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sdcontracts
from sdcontracts import Report, Violation
from sdcontracts._corpus import examples

PROVIDERS = ("aliyun", "novita", "picpik", "tensorart", "zhiqite")


def test_public_names_are_exactly_the_curated_ones() -> None:
    """__all__ is the supported surface, and the classes present themselves as sdcontracts.X."""
    errors = ["AuthError", "ProviderError", "RateLimited", "RequestInvalid", "RequestRejected", "ServerError"]
    errors += ["TaskFailed", "TaskNotFound", "TaskTimeout", "TransportError"]
    verdicts = ["Dispute", "Reading", "Report", "Violation", "disputes"]
    registry = ["DuplicateProvider", "Provider", "ProviderInvalid", "provider"]
    canonical = ["Untranslatable", "canonicalize", "capabilities", "translate"]
    assert sorted(
        [*errors, *verdicts, *registry, *canonical, "__version__", "providers", "schemas", "validate"]
    ) == sorted(sdcontracts.__all__)
    assert "sdcontracts.canonical.Untranslatable" == (
        f"{sdcontracts.Untranslatable.__module__}.{sdcontracts.Untranslatable.__qualname__}"
    )
    assert sdcontracts.translate is sdcontracts.canonical.translate
    assert f"{Report.__module__}.{Report.__qualname__}" == "sdcontracts.Report"
    assert f"{Violation.__module__}.{Violation.__qualname__}" == "sdcontracts.Violation"
    assert "sdcontracts.Dispute" == f"{sdcontracts.Dispute.__module__}.{sdcontracts.Dispute.__qualname__}"
    assert "sdcontracts.Provider" == f"{sdcontracts.Provider.__module__}.{sdcontracts.Provider.__qualname__}"


def test_providers_lists_the_five_ids_sorted() -> None:
    """providers() is the sorted tuple of provider ids."""
    assert sdcontracts.providers() == PROVIDERS


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_provider_has_the_core_messages(provider: str) -> None:
    """Each provider has the submit request and response, the task response and the error."""
    names = set(sdcontracts.schemas(provider))
    assert {"img2img.request", "img2img.response", "task.response", "error"} <= names


def test_unknown_provider_raises_value_error_listing_known_ones() -> None:
    """A misspelt provider is a ValueError with a suggestion and the list of ids."""
    with pytest.raises(ValueError) as caught:
        sdcontracts.validate("novitta", {})
    message = str(caught.value)
    assert "did you mean 'novita'?" in message
    assert "aliyun, novita, picpik, tensorart, zhiqite" in message


@pytest.mark.parametrize("name", ["img2img", "task.request", None, 3])
def test_unknown_schema_raises_value_error_listing_the_providers_schemas(name: Any) -> None:
    """An unknown schema name (novita has no task.request: its query is a GET) is a ValueError."""
    with pytest.raises(ValueError) as caught:
        sdcontracts.validate("novita", {}, schema=name)
    assert "img2img.request" in str(caught.value)


def test_unhashable_provider_is_a_value_error_too() -> None:
    """Even a list as the provider name gives ValueError, not TypeError."""
    with pytest.raises(ValueError):
        sdcontracts.validate(["novita"], {})  # type: ignore[arg-type]


def test_report_is_data() -> None:
    """A Report has ok, violations, rules, len, iteration and a JSON-ready dict."""
    report = sdcontracts.validate("novita", {"request": {}, "bogus": 1})
    assert not report.ok
    assert len(report) == len(report.violations) == len(list(report))
    assert {"required", "unknown-field"} == report.rules
    document = json.loads(json.dumps(report.to_dict()))
    assert {"provider", "schema", "ok", "violations", "warnings"} == set(document)
    assert {"path", "rule", "severity", "message", "doc", "expected"} == set(document["violations"][0])


def test_valid_report_is_ok_and_prints_valid() -> None:
    """An ok report has no violations and says so."""
    report = sdcontracts.validate(
        "tensorart", {"request_id": "x", "stages": [{"type": "INPUT_INITIALIZE", "inputInitialize": {}}]}
    )
    assert report.ok and report.violations == ()
    assert "tensorart img2img.request: valid" == str(report)


def test_violations_carry_the_doc_quote_and_its_source() -> None:
    """Every violation of a documented field quotes the doc sentence and names the source."""
    report = sdcontracts.validate("novita", {"request": {"width": 4096}})
    width = next(v for v in report.violations if v.path == "/request/width")
    assert "PPInfra v3 img2img reference" in width.doc
    assert "生成图片的宽度,取值范围:[128, 2048]。" in width.doc


def test_import_is_cheap_and_does_not_load_the_engines() -> None:
    """`import sdcontracts` loads neither jsonschema-rs nor any schema file."""
    code = "import sys, sdcontracts; print('jsonschema_rs' in sys.modules, len(sdcontracts._registry._LOADED))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert ["False", "0"] == out


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=30,
)
ANYTHING = (
    JSON | st.binary(max_size=8) | st.sets(st.integers(), max_size=3) | st.dictionaries(st.integers(), JSON, max_size=2)
)


@pytest.mark.parametrize(
    ("provider", "schema"), [(p, s) for p in PROVIDERS for s in ("img2img.request", "img2img.response", "error")]
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=ANYTHING)
def test_validate_never_raises_whatever_the_payload(provider: str, schema: str, payload: Any) -> None:
    """Any value at all (JSON, NaN, bytes, sets, int keys) gives a Report, never an exception."""
    report = sdcontracts.validate(provider, payload, schema=schema)
    assert isinstance(report, Report)
    assert all(v.rule != "internal-error" for v in report.violations), report
    if isinstance(payload, float) and math.isnan(payload):
        assert not report.ok


# -- the caller's view ------------------------------------------------------------------------------

CALLER_FILLS = [
    ("tensorart", "inpaint-complete", ["/requestId"], [("required", "")]),
    ("picpik", "request", ["/Action", "/PublicKey", "/Signature"], [("required", "")] * 3),
    ("zhiqite", "controlnet-request", ["/alwayson_scripts/id_task"], [("required", "/alwayson_scripts")]),
]


@pytest.mark.parametrize(("provider", "name", "removed", "wire"), CALLER_FILLS, ids=[c[0] for c in CALLER_FILLS])
def test_the_callers_view_lets_the_fields_a_client_fills_be_absent(
    provider: str, name: str, removed: list[str], wire: list[tuple[str, str]]
) -> None:
    """Ids, credentials and signatures (x-filled-by) are required on the wire, optional in the caller's view."""
    payload = copy.deepcopy(next(e for e in examples(provider) if e.name == name).payload)
    for pointer in removed:
        *parents, last = pointer.strip("/").split("/")
        target = payload
        for step in parents:
            target = target[step]
        del target[last]
    assert wire == [(v.rule, v.path) for v in sdcontracts.validate(provider, payload).violations]
    assert [] == list(sdcontracts.validate(provider, payload, view="caller").violations)


def test_the_callers_view_still_checks_a_filled_field_that_is_given() -> None:
    """A requestId the caller does give must still be a string, in either view."""
    payload = copy.deepcopy(next(e for e in examples("tensorart") if e.name == "inpaint-complete").payload)
    payload["requestId"] = 7
    assert [("type", "/requestId")] == [
        (v.rule, v.path) for v in sdcontracts.validate("tensorart", payload, view="caller")
    ]


def test_an_unknown_view_is_a_value_error_naming_the_views() -> None:
    """view must be "wire" or "caller"."""
    with pytest.raises(ValueError, match="wire, caller"):
        sdcontracts.validate("novita", {}, view="sdk")  # type: ignore[arg-type]
