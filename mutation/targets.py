"""What `make mutation` mutates, and which tests judge each module: the one table to extend.

A target is a module of the installed package (the wheel maps ``mock_server/`` to
``sdcontracts.mock`` and ``generated/`` to ``sdcontracts.models``, and the tests import what is
installed, so that is the file mutated), the file in this repository it is installed from, and
its focused tests: only the test files that exercise it, the most direct first, since the run
stops at the first failure. ``score`` is the mutation score the module is held to (killed over
killed plus survived, with the mutants listed in `equivalents` left out).

To add a module (the verdicts module, a provider registry): one `Target` line here, then
``python -m mutation --only NAME`` until its survivors are killed or listed as equivalent.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TARGETS", "Target"]


@dataclass(frozen=True)
class Target:
    name: str  # short, for --only and the report
    module: str  # the installed module that is mutated
    source: str  # the repository file it is installed from (identical bytes, checked before a run)
    tests: tuple[str, ...]  # the focused test files, the most direct first
    score: float  # the score the module is held to


TARGETS: tuple[Target, ...] = (
    Target("state", "sdcontracts.mock._state", "mock_server/_state.py",
           ("tests/test_state.py", "tests/test_mock.py"), 0.90),
    Target("picpik", "sdcontracts.rules.picpik", "src/sdcontracts/rules/picpik.py",
           ("tests/test_picpik.py", "tests/test_corpus.py"), 0.95),
    Target("tensorart", "sdcontracts.rules.tensorart", "src/sdcontracts/rules/tensorart.py",
           ("tests/test_tensorart.py", "tests/test_corpus.py", "tests/test_quick.py"), 0.95),
    Target("compiler", "sdcontracts._compiler", "src/sdcontracts/_compiler.py",
           ("tests/test_compiler.py", "tests/test_engine.py", "tests/test_schemas.py",
            "tests/test_fast_paths.py", "tests/test_disputes.py"), 0.90),
    Target("engine", "sdcontracts._engine", "src/sdcontracts/_engine.py",
           ("tests/test_engine.py", "tests/test_compiler.py", "tests/test_hostile.py", "tests/test_disputes.py"), 0.90),
    Target("auth", "sdcontracts.auth", "src/sdcontracts/auth.py",
           ("tests/test_auth.py", "tests/test_clients.py"), 0.95),
    Target("disputes", "sdcontracts._disputes", "src/sdcontracts/_disputes.py",
           ("tests/test_disputes.py", "tests/test_corpus.py"), 0.90),
    Target("translate", "sdcontracts.canonical._translate", "src/sdcontracts/canonical/_translate.py",
           ("tests/test_canonical.py",), 0.90),
    Target("quick", "sdcontracts._quick", "src/sdcontracts/_quick.py",
           ("tests/test_quick.py", "tests/test_tensorart_engine.py"), 0.90),
)  # fmt: skip
