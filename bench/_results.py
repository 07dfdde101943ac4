"""Everything one ``make bench`` run measured, its targets, and the Markdown of bench/RESULTS.md."""

from __future__ import annotations

import dataclasses
import datetime
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any

from ._stats import Sample

__all__ = ["TITLES", "Results", "Target", "merge"]

_PACKAGES = (
    "sdcontracts",
    "jsonschema-rs",
    "jsonschema",
    "pydantic",
    "hypothesis",
    "httpx",
    "respx",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "datamodel-code-generator",
)


@dataclass(frozen=True)
class Target:
    what: str
    measured: str
    met: bool
    section: str = ""  # the bench section that measured it (SECTIONS), set by `Results.targets`


# Each section's heading in RESULTS.md, in the report's order: a run of some sections keeps the others'
# figures from the file (`merge`), so the headings name the blocks.
TITLES = {
    "validation": "Validation", "translation": "Translation", "mock": "Mock throughput", "proxy": "Proxy",
    "generation": "Generation", "startup": "Start-up", "codegen": "Codegen",
}  # fmt: skip


# The share of the bare endpoint's rate the HTTP mock must reach (issue 19): a Tensor.Art job costs the
# mock more (its job view, its uploads looked up) than the bare endpoint's one parse.
_BARE_SHARE = {"novita submit": 0.7, "tensorart job": 0.6}


def _us(sample: Sample) -> str:
    return f"{sample.median * 1e6:,.1f} µs ±{sample.spread:.0%}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.1f} ms"


def _load_generator() -> str:
    from . import _wrk

    return _wrk.version() if _wrk.available() else "the Python load generator in bench/_load.py; wrk is not installed"


def _machine() -> list[str]:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), model)
    except OSError:
        pass
    versions = []
    for name in _PACKAGES:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    node = shutil.which("node")
    node_version = (
        subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip() if node else "none"
    )
    return [
        f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.system()} {platform.release()} {platform.machine()}, {model}, {os.cpu_count()} cores",
        f"- Python {platform.python_version()} ({sys.implementation.name}); node {node_version}",
        f"- packages: {', '.join(versions)}",
    ]


@dataclass
class Results:
    quick: bool = False
    seconds: float = 0.0
    validation: list[Any] | None = None  # bench.validation.Row
    translation: list[Any] | None = None  # bench.translation.Row
    mock: list[Any] | None = None  # bench.mock.Result
    generation: list[Any] | None = None  # bench.generation.Row
    startup: Any = None  # bench.startup.Startup
    codegen: Any = None  # bench.codegen.Codegen
    proxy: Any = None  # bench.proxy.ProxyBench
    notes: list[str] = field(default_factory=list)

    # -- targets ---------------------------------------------------------------------------

    def targets(self) -> list[Target]:
        """Every target the sections that ran measured, each tagged with its section."""
        by_section = {
            "validation": self._validation_targets(), "translation": self._translation_targets(),
            "mock": self._mock_targets() if self.mock else [],
            "proxy": self._proxy_targets() if self.proxy is not None else [],
            "generation": self._generation_targets(),
            "startup": self._startup_targets(),
        }  # fmt: skip
        return [dataclasses.replace(t, section=section) for section, found in by_section.items() for t in found]

    def _validation_targets(self) -> list[Target]:
        found: list[Target] = []
        for row in self.validation or []:
            if row.image is not None and row.image >= 512 * 1024:
                found.append(self._image_target(row))
            if row.case != "valid":
                continue
            ours = row.results["sdcontracts.validate"]
            fast = row.results["jsonschema-rs is_valid"]
            reused = row.results["jsonschema reused is_valid"]
            found.append(
                Target(
                    f"{row.provider}: validate() within 3x of jsonschema-rs is_valid",
                    f"{ours.ratio(fast):.2f}x",
                    ours.ratio(fast) <= 3,
                )
            )
            found.append(
                Target(
                    f"{row.provider}: validate() at least 30x faster than reused jsonschema",
                    f"{reused.ratio(ours):,.0f}x",
                    reused.ratio(ours) >= 30,
                )
            )
        return found

    def _translation_targets(self) -> list[Target]:
        found: list[Target] = []
        for row in self.translation or []:
            seconds = row.translate.median
            found.append(
                Target(
                    f"{row.provider}: translate and validate a request under 50 µs", _us(row.translate), seconds < 50e-6
                )
            )
        return found

    def _generation_targets(self) -> list[Target]:
        found: list[Target] = []
        for gen in self.generation or []:
            slowest = min(gen.valid_rate, gen.invalid_rate)
            found.append(
                Target(
                    f"{gen.provider}: at least 200 generated cases/s (valid and invalid)",
                    f"{slowest:,.0f}/s",
                    slowest >= 200,
                )
            )
            if gen.conformance_seconds is not None or not self.quick:
                seconds = gen.conformance_seconds
                found.append(
                    Target(
                        f"{gen.provider}: 1,000 cases through the in-process mock under 10 s",
                        "failed" if seconds is None else f"{seconds:.1f} s",
                        seconds is not None and seconds < 10,
                    )
                )
        return found

    def _startup_targets(self) -> list[Target]:
        found: list[Target] = []
        if self.startup is not None:
            imported = self.startup.imported.median
            found.append(Target('python -c "import sdcontracts" under 150 ms', _ms(imported), imported < 0.150))
            for provider, (cold, _) in self.startup.first.items():
                found.append(Target(f"{provider}: first validate() under 50 ms", _ms(cold.median), cold.median < 0.050))
        return found

    @staticmethod
    def _image_target(row: Any) -> Target:
        from .validation import FLOOR, NO_IMAGE

        ours = row.results["sdcontracts.validate"].median
        floor = row.results[FLOOR].median + row.results[NO_IMAGE].median
        return Target(
            f"{row.provider}: validate() {row.case.removeprefix('valid + ')} within 2x of the pybase64 floor "
            "plus validate() without it",
            f"{ours / floor:.2f}x",
            ours / floor <= 2,
        )

    def _mock_targets(self) -> list[Target]:
        found = []
        by = {(r.operation, r.server): r for r in self.mock or [] if r.rate is not None}
        for operation in sorted({r.operation for r in self.mock or []}):
            ours, bare, prism = by.get((operation, "HTTP mock")), by.get((operation, "bare Starlette")), None
            prism = next((r for (op, server), r in by.items() if op == operation and server.startswith("Prism")), None)
            if ours and bare:
                share, wanted = ours.rate.median / bare.rate.median, _BARE_SHARE.get(operation, 0.8)
                found.append(
                    Target(
                        f"{operation}: HTTP mock at least {wanted:.0%} of the bare endpoint's rate",
                        f"{share:.0%}",
                        share >= wanted,
                    )
                )
            if ours and prism:
                ratio = ours.rate.median / prism.rate.median
                found.append(
                    Target(f"{operation}: HTTP mock at least 1.5x Prism's rate", f"{ratio:.2f}x", ratio >= 1.5)
                )
                p99 = ours.p99.median / prism.p99.median
                found.append(
                    Target(
                        f"{operation}: HTTP mock p99 at most a third of Prism's", f"{p99:.2f} of Prism's", p99 <= 1 / 3
                    )
                )
        return found

    def _proxy_targets(self) -> list[Target]:
        from .proxy import DIRECT, LAYOUTS, OURS, PRISM

        found = []
        for layout in LAYOUTS:
            load = {r.server: r for r in self.proxy.load[layout] if r.rate is not None}
            latency = {r.server: r for r in self.proxy.latency[layout] if r.rate is not None}
            direct, ours, prism = load.get(DIRECT), load.get(OURS), load.get(PRISM)
            where = f"novita submit, {layout}"
            if direct and ours:
                share = ours.rate.median / direct.rate.median
                found.append(Target(f"{where}: through sdcontracts proxy at least 70% of direct", f"{share:.0%}",
                                    share >= 0.7))  # fmt: skip
            if DIRECT in latency and OURS in latency:
                added = latency[OURS].p50.median - latency[DIRECT].p50.median
                found.append(Target(f"{where}: sdcontracts proxy adds at most 1 ms to p50 (one connection)",
                                    _ms(added), added <= 0.001))  # fmt: skip
            if ours and prism:
                ratio = ours.rate.median / prism.rate.median
                found.append(Target(f"{where}: sdcontracts proxy at least 1.5x Prism proxy's rate", f"{ratio:.2f}x",
                                    ratio >= 1.5))  # fmt: skip
        return found

    # -- report ----------------------------------------------------------------------------

    def markdown(self, sections: tuple[str, ...] = tuple(TITLES)) -> str:
        """The report of this run; ``sections`` are the ones it ran (each says when it was measured)."""
        lines = [
            "# Benchmark results",
            "",
            "Written by `make bench` (`python -m bench`); every figure is a median over",
            "repeated rounds with its spread (half the interquartile range), beside a baseline from the same",
            "run. Absolute times vary between machines and runs; the ratios are what to compare. A run of some",
            "sections (`--only`) keeps the others' figures and targets from the previous report; each section",
            "says when it was measured.",
            "",
        ]
        lines += _machine()
        ran = ", ".join(sections)
        lines.append(f"- run: {'quick (smoke figures only)' if self.quick else 'full'}, {self.seconds:,.0f} s: {ran}")
        lines += ["", "## Targets", "", "| section | target | measured | |", "|---|---|---|---|"]
        lines += [
            f"| {t.section} | {t.what} | {t.measured} | {'met' if t.met else '**MISSED**'} |" for t in self.targets()
        ]
        stamp = f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC ({'quick' if self.quick else 'full'} rounds)"
        blocks = {
            "validation": self._validation_md(), "translation": self._translation_md(), "mock": self._mock_md(),
            "proxy": self._proxy_md(), "generation": self._generation_md(), "startup": self._startup_md(),
            "codegen": self._codegen_md(),
        }  # fmt: skip
        for section, block in blocks.items():
            if block:
                lines += ["", f"## {TITLES[section]}", "", f"Measured {stamp}.", "", *block]
        lines += ["", *self.notes]
        return "\n".join(lines).rstrip() + "\n"

    def _validation_md(self) -> list[str]:
        if not self.validation:
            return []
        lines = [
            "Seconds per call on the same payload; the ratio is each engine's time over `sdcontracts.validate`'s",
            "(above 1: slower than ours). `sdcontracts.validate` does the full job: schema, prose rules, image",
            "headers, and explanations when invalid; jsonschema-rs and jsonschema see the same schema file.",
            "",
            "| provider | request | engine | time per call | ratio to validate() |",
            "|---|---|---|---:|---:|",
        ]
        for row in self.validation:
            ours = row.results["sdcontracts.validate"]
            for engine, sample in row.results.items():
                lines.append(f"| {row.provider} | {row.case} | {engine} | {_us(sample)} | {sample.ratio(ours):,.2f} |")
        return lines

    def _translation_md(self) -> list[str]:
        if not self.translation:
            return []
        lines = [
            "`sdcontracts.canonical.translate` of one canonical request (it places, converts and validates),",
            "beside `validate()` alone on the payload it makes (the caller's view).",
            "",
            "| provider | translate | validate alone | translate / validate |",
            "|---|--:|--:|--:|",
        ]
        for row in self.translation:
            ratio = row.translate.ratio(row.validate)
            lines.append(f"| {row.provider} | {_us(row.translate)} | {_us(row.validate)} | {ratio:.1f}x |")
        return [*lines, ""]

    def _mock_md(self) -> list[str]:
        if not self.mock:
            return []
        lines = [
            "Requests per second and latency under load on 127.0.0.1, the server on one core and the load",
            f"generator on the other ({_load_generator()}, 32 connections); the in-process rows are one",
            "client calling in a loop. The ratio is each server's rate over the HTTP mock's.",
            "",
            "| operation | server | requests/s | p50 | p99 | ratio to HTTP mock | note |",
            "|---|---|---:|---:|---:|---:|---|",
        ]
        ours = {r.operation: r for r in self.mock if r.server == "HTTP mock" and r.rate is not None}
        for r in self.mock:
            if r.rate is None:
                lines.append(f"| {r.operation} | {r.server} | - | - | - | - | {r.note} |")
                continue
            base = ours.get(r.operation)
            ratio = f"{r.rate.median / base.rate.median:.2f}" if base else "-"
            lines.append(
                f"| {r.operation} | {r.server} | {r.rate.median:,.0f} ±{r.rate.spread:.0%} | "
                f"{_ms(r.p50.median)} | {_ms(r.p99.median)} | {ratio} | {r.note} |"
            )
        return lines

    def _proxy_md(self) -> list[str]:
        if self.proxy is None:
            return []
        from .proxy import DIRECT, LAYOUTS

        lines = [
            "A valid Novita submit straight to the HTTP mock, through `sdcontracts proxy novita` (enforce mode,",
            "`--log-level warning`) in front of it, through the same proxy sending with httpx's pooled transport",
            "(`create_app(..., transport=httpx.AsyncHTTPTransport())`: its forwarder before this run's), and through",
            "Prism's proxy mode (`prism proxy --errors` on our OpenAPI export) in front of it. Two layouts of the",
            "machine's two cores, each with its own direct rows: **shared core**, the mock and the proxy on CPU 0",
            "(the proxy's cost comes out of the mock's share), the load generator on CPU 1; **proxy on its own",
            "core**, the mock alone on CPU 0, the proxy on CPU 1 beside the load generator. Load generator:",
            f"{_load_generator()}; under load: 32 connections; one connection: one request at a time.",
            "",
            "| layout | load | path | requests/s | p50 | p99 | ratio to direct | note |",
            "|---|---|---|---:|---:|---:|---:|---|",
        ]
        for layout in LAYOUTS:
            for label, rows in (
                ("32 connections", self.proxy.load[layout]),
                ("one connection", self.proxy.latency[layout]),
            ):
                base = next((r for r in rows if r.server == DIRECT and r.rate is not None), None)
                for r in rows:
                    if r.rate is None:
                        lines.append(f"| {layout} | {label} | {r.server} | - | - | - | - | {r.note} |")
                        continue
                    ratio = f"{r.rate.median / base.rate.median:.2f}" if base else "-"
                    lines.append(
                        f"| {layout} | {label} | {r.server} | {r.rate.median:,.0f} ±{r.rate.spread:.0%} | "
                        f"{_ms(r.p50.median)} | {_ms(r.p99.median)} | {ratio} | {r.note} |"
                    )
        if self.proxy.profile:
            lines += [
                "",
                f"Where the proxy's time goes under load (cProfile, one {self.proxy.profiled_seconds:.1f} s of CPU "
                "profiled; own time, and time including callees, as shares of it):",
                "",
                "| own | with callees | calls | function | where |",
                "|---:|---:|---:|---|---|",
                *self.proxy.profile,
            ]
        return lines

    def _generation_md(self) -> list[str]:
        if not self.generation:
            return []
        lines = [
            "Cases per second from `sdcontracts.strategies`, drawn as the conformance suite draws them, beside",
            "hypothesis-jsonschema's `from_schema` on the same schema file (in a side environment with the last",
            "Hypothesis it works with); and the wall time of `sdcontracts conformance --examples 1000` per",
            "provider against the in-process mock, in a fresh process.",
            "",
            "| provider | valid cases/s | invalid cases/s | from_schema examples/s | ours / from_schema (valid) |"
            " 1,000 cases through the mock |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for g in self.generation:
            base = f"{g.baseline_rate:,.1f} ({g.baseline_note})" if g.baseline_rate is not None else g.baseline_note
            ratio = f"{g.valid_rate / g.baseline_rate:,.1f}x" if g.baseline_rate else "-"
            mock = f"{g.conformance_seconds:.1f} s" if g.conformance_seconds is not None else "-"
            lines.append(f"| {g.provider} | {g.valid_rate:,.0f} | {g.invalid_rate:,.0f} | {base} | {ratio} | {mock} |")
        return lines

    def _startup_md(self) -> list[str]:
        s = self.startup
        if s is None:
            return []
        lines = [
            "Fresh interpreters. The import's baseline is `python -c pass`; the first `validate()`'s is the",
            "second call in the same process (the first compiles the schema for both engines).",
            "",
            "| measurement | time | baseline | ratio |",
            "|---|---:|---:|---:|",
            f'| `python -c "import sdcontracts"` | {_ms(s.imported.median)} ±{s.imported.spread:.0%} | '
            f"{_ms(s.bare.median)} (`python -c pass`) | {s.imported.ratio(s.bare):.1f}x |",
        ]
        for provider, (cold, warm) in s.first.items():
            lines.append(
                f"| {provider}: first `validate()` | {_ms(cold.median)} ±{cold.spread:.0%} | "
                f"{_us(warm)} (second call) | {cold.ratio(warm):,.0f}x |"
            )
        return lines

    def _codegen_md(self) -> list[str]:
        c = self.codegen
        if c is None:
            return []
        return [
            "`sdcontracts generate` (what `make generate` runs, without the reinstall) for all five providers,",
            f"beside one `datamodel-codegen` process per schema file ({c.files} files) with the same options.",
            "",
            "| run | wall time | ratio |",
            "|---|---:|---:|",
            f"| sdcontracts generate | {c.ours.median:.2f} s ±{c.ours.spread:.0%} | 1.00 |",
            f"| datamodel-codegen per file | {c.naive.median:.2f} s ±{c.naive.spread:.0%} | "
            f"{c.naive.ratio(c.ours):.2f} |",
        ]


def merge(report: str, previous: str | None, sections: tuple[str, ...]) -> str:
    """``report`` (a run of ``sections``) with what ``previous`` (the report file before it) holds of
    the other sections: their blocks and their rows of the targets table, in the report's order."""
    if not previous:
        return report
    new, old = _blocks(report), _blocks(previous)
    kept = [row for row in old.get("Targets", []) if _row_section(row) in set(TITLES) - set(sections)]
    targets = new["Targets"] + kept
    order = {section: index for index, section in enumerate(TITLES)}
    head, rows = [line for line in targets if not _row_section(line)], [line for line in targets if _row_section(line)]
    rows.sort(key=lambda row: order[_row_section(row)])  # stable: each section's rows stay in their order
    lines = [*new[""], "## Targets", *_table(head, rows)]
    for section, title in TITLES.items():
        block = new.get(title) if section in sections else old.get(title)
        if block is not None:
            while block and not block[-1].strip():
                block = block[:-1]
            lines += [f"## {title}", *block, ""]  # one blank line before the next heading, whichever run wrote it
    return "\n".join(lines).rstrip() + "\n"


def _blocks(text: str) -> dict[str, list[str]]:
    """The lines under each ``## `` heading, by its title; "" holds those before the first."""
    blocks: dict[str, list[str]] = {"": []}
    current = blocks[""]
    for line in text.splitlines():
        if line.startswith("## "):
            current = blocks.setdefault(line[3:].strip(), [])
        else:
            current.append(line)
    return blocks


def _row_section(line: str) -> str:
    """The section of a targets-table row ("" for any other line)."""
    cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
    return cells[0] if line.startswith("|") and cells and cells[0] in TITLES else ""


def _table(head: list[str], rows: list[str]) -> list[str]:
    """The targets block: its lines before the rows (blank line, header, rule), the rows, a blank line."""
    before = [line for line in head if line.startswith("|")]
    return ["", *before, *rows, ""]
