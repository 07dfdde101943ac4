"""The doc-example corpus: every example keeps its recorded verdict, violation for violation."""

from __future__ import annotations

import pytest

import sdcontracts
from sdcontracts._corpus import Example, check, examples
from sdcontracts._disputes import disputes

CORPUS = examples()


@pytest.mark.parametrize("example", CORPUS, ids=[f"{e.provider}/{e.name}" for e in CORPUS])
def test_example_holds_its_recorded_verdict(example: Example) -> None:
    """The validator finds exactly the recorded violations and warnings (rule, pointer, dispute)."""
    outcome = check(example)
    assert example.expected == outcome.found, str(outcome.report)
    assert example.warnings == outcome.warned, str(outcome.report)
    assert example.verdict == ("valid" if outcome.report.ok else "invalid")
    assert outcome.holds


@pytest.mark.parametrize("example", CORPUS, ids=[f"{e.provider}/{e.name}" for e in CORPUS])
def test_strict_validation_turns_each_recorded_warning_into_an_error(example: Example) -> None:
    """With strict=True an example's errors are its recorded violations plus its warnings: an
    example with warnings is rejected, one without keeps its verdict."""
    report = check(example, strict=True).report
    assert () == report.warnings
    expected = sorted([*example.expected, *((rule, path) for rule, path, _ in example.warnings)])
    assert expected == sorted((v.rule, v.path) for v in report.violations)


REQUESTS = [e for e in CORPUS if e.schema.endswith(".request") and e.record["source"] != "constructed"]


@pytest.mark.parametrize("example", REQUESTS, ids=[f"{e.provider}/{e.name}" for e in REQUESTS])
def test_every_plausible_doc_or_recorded_request_is_accepted(example: Example) -> None:
    """A request from a doc or a real client is ok (warnings allowed) unless it is a placeholder
    template or a fragment, which nobody sends: a false rejection would block real traffic."""
    assert example.verdict == "valid" or example.record.get("kind") in ("placeholder", "fragment")
    assert check(example).report.ok == (example.verdict == "valid")


@pytest.mark.parametrize("example", CORPUS, ids=[f"{e.provider}/{e.name}" for e in CORPUS])
def test_every_recorded_warning_names_a_known_dispute_and_why(example: Example) -> None:
    """Each warning in the corpus names a dispute the provider records, and explains itself."""
    known = {d.id for d in disputes(example.provider)}
    for warning in example.record.get("warnings", ()):
        assert warning["dispute"] in known
        assert warning.get("defect", "").strip()


@pytest.mark.parametrize("example", [e for e in CORPUS if "provenance" in e.record], ids=lambda e: e.name)
def test_recorded_bodies_say_which_library_sent_them(example: Example) -> None:
    """A body recorded from a client library names the package, its version and the call."""
    provenance = example.record["provenance"]
    assert {"package", "version", "call"} <= set(provenance)
    assert all(str(provenance[key]).strip() for key in ("package", "version", "call"))


@pytest.mark.parametrize("example", CORPUS, ids=[f"{e.provider}/{e.name}" for e in CORPUS])
def test_every_expected_violation_explains_the_doc_defect(example: Example) -> None:
    """An invalid example says, for each violation, why the doc's example breaks the doc's rule."""
    assert [] == [v for v in example.record["violations"] if not v.get("defect", "").strip()]
    assert example.schema in sdcontracts.schemas(example.provider)
    assert example.record["source"] in sdcontracts._catalogue.provider_info(example.provider)["sources"]


@pytest.mark.parametrize("provider", sdcontracts.providers())
def test_every_provider_has_examples_for_its_submit_request(provider: str) -> None:
    """Each provider's corpus covers the img2img request (from the doc, or constructed where it has none)."""
    assert any(e.schema == "img2img.request" for e in examples(provider))
