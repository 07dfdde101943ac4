"""bench/RESULTS.md after ``python -m bench --only X``: section X and its targets replaced, every other
section, and its rows of the targets table, kept from the report before."""

from __future__ import annotations

from types import SimpleNamespace

from bench._results import Results, merge
from bench._stats import Sample


def _startup(import_seconds: float) -> SimpleNamespace:
    cold, warm = Sample((0.02,) * 5), Sample((20e-6,) * 5)
    return SimpleNamespace(
        imported=Sample((import_seconds,) * 5), bare=Sample((0.018,) * 5), first={"novita": (cold, warm)}
    )


def _codegen(seconds: float) -> SimpleNamespace:
    return SimpleNamespace(files=27, ours=Sample((seconds,) * 5), naive=Sample((17.0,) * 5))


def _lines_under(text: str, title: str) -> list[str]:
    block, inside = [], False
    for line in text.splitlines():
        if line.startswith("## "):
            inside = line == f"## {title}"
        elif inside:
            block.append(line)
    return block


def test_a_run_of_one_section_keeps_the_other_sections_and_their_targets() -> None:
    """--only codegen after a run of startup and codegen: startup's block and target rows are the old ones."""
    before = Results(startup=_startup(0.071), codegen=_codegen(4.0))
    previous = before.markdown(("startup", "codegen"))
    after = Results(codegen=_codegen(2.5))

    merged = merge(after.markdown(("codegen",)), previous, ("codegen",))

    assert _lines_under(previous, "Start-up") == _lines_under(merged, "Start-up")
    assert "| sdcontracts generate | 2.50 s ±0% | 1.00 |" in _lines_under(merged, "Codegen")
    old_rows = [line for line in _lines_under(previous, "Targets") if line.startswith("| startup |")]
    assert ["| startup | python -c \"import sdcontracts\" under 150 ms | 71.0 ms | met |",
            "| startup | novita: first validate() under 50 ms | 20.0 ms | met |"] == old_rows  # fmt: skip
    assert old_rows == [line for line in _lines_under(merged, "Targets") if line.startswith("| startup |")]
    assert ["## Targets", "## Start-up", "## Codegen"] == [
        line for line in merged.splitlines() if line.startswith("## ")
    ]


def test_a_section_run_again_replaces_its_block_and_its_targets() -> None:
    """--only startup twice: the second run's figures and target rows only, none of the first's."""
    first = Results(startup=_startup(0.071)).markdown(("startup",))
    second = Results(startup=_startup(0.200)).markdown(("startup",))

    merged = merge(second, first, ("startup",))

    rows = [line for line in _lines_under(merged, "Targets") if line.startswith("| startup |")]
    assert ['| startup | python -c "import sdcontracts" under 150 ms | 200.0 ms | **MISSED** |',
            "| startup | novita: first validate() under 50 ms | 20.0 ms | met |"] == rows  # fmt: skip
    assert _lines_under(second, "Start-up") == _lines_under(merged, "Start-up")


def test_without_a_previous_report_the_run_is_the_report() -> None:
    """No RESULTS.md yet: the run's own report, unchanged."""
    report = Results(codegen=_codegen(2.5)).markdown(("codegen",))
    assert report == merge(report, None, ("codegen",))


def test_every_heading_of_a_merged_report_follows_a_blank_line() -> None:
    """A section run alone, placed before a kept one, still ends with a blank line (Markdown needs it
    after a table)."""
    previous = Results(startup=_startup(0.071), codegen=_codegen(4.0)).markdown(("startup", "codegen"))
    merged = merge(Results(startup=_startup(0.09)).markdown(("startup",)), previous, ("startup",))
    lines = merged.splitlines()
    assert all(lines[i - 1] == "" for i, line in enumerate(lines) if line.startswith("## ") and i > 0)
