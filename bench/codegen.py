"""Codegen: the wall time of ``sdcontracts generate`` (what ``make generate`` runs), beside the
naive way: one ``datamodel-codegen`` process per schema file with the same options.

Both write to scratch folders; the committed ``generated/`` is not touched.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sdcontracts._codegen import GENERATOR_OPTIONS

from ._stats import Sample

__all__ = ["Codegen", "run"]

_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Codegen:
    ours: Sample  # seconds for all five providers
    naive: Sample  # seconds, one datamodel-codegen run per schema file
    files: int  # schema files the naive way runs on


def _time(commands: list[list[str]]) -> float:
    started = time.perf_counter()
    for command in commands:
        subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - started


def run(*, quick: bool = False) -> Codegen:
    rounds = 1 if quick else 3
    generator = str(Path(sys.executable).with_name("datamodel-codegen"))
    schema_files = sorted((_ROOT / "schemas").glob("*/*.schema.json"))
    ours, naive = [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as scratch:
            command = [
                sys.executable,
                "-m",
                "sdcontracts",
                "generate",
                "--schemas",
                str(_ROOT / "schemas"),
                "--out",
                scratch,
            ]
            ours.append(_time([command]))
            naive.append(
                _time(
                    [
                        [
                            generator,
                            "--input",
                            str(path),
                            "--output",
                            str(Path(scratch) / f"{index}.py"),
                            *GENERATOR_OPTIONS,
                        ]
                        for index, path in enumerate(schema_files)
                    ]
                )
            )
    return Codegen(Sample(tuple(ours)), Sample(tuple(naive)), len(schema_files))
