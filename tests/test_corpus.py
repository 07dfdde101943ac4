"""The doc-example corpus: every example keeps its recorded verdict, violation for violation."""

from __future__ import annotations

import pytest

import sdcontracts
from sdcontracts._corpus import Example, check, examples

CORPUS = examples()


@pytest.mark.parametrize("example", CORPUS, ids=[f"{e.provider}/{e.name}" for e in CORPUS])
def test_example_holds_its_recorded_verdict(example: Example) -> None:
    """The validator finds exactly the recorded violations (rule and pointer), no more, no fewer."""
    outcome = check(example)
    assert example.expected == outcome.found, str(outcome.report)
    assert example.verdict == ("valid" if outcome.report.ok else "invalid")


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
