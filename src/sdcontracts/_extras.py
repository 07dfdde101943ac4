"""Optional dependencies: which extra brings which module, and the one error that names it.

``pip install sdcontracts`` gives validation, the clients, the models, the OpenAPI export and the
CLI's ``validate``, ``examples``, ``rules`` and ``openapi``. The rest needs an extra (pyproject.toml
declares them; a test holds this table to it)::

    mock          the mock (sdcontracts.mock, ``mock serve``, the pytest fixtures): uvicorn, respx, Pillow
    conformance   sdcontracts.strategies and ``sdcontracts conformance``: Hypothesis
    proxy         ``sdcontracts proxy`` and sdcontracts.proxy: uvicorn, prometheus-client, httptools
"""

from __future__ import annotations

import importlib.util

__all__ = ["EXTRAS", "MissingExtra", "require"]

# importable module -> (the distribution that provides it, the extra that brings it)
EXTRAS: dict[str, tuple[str, str]] = {
    "hypothesis": ("hypothesis", "conformance"),
    "httptools": ("httptools", "proxy"),
    "PIL": ("pillow", "mock"),
    "prometheus_client": ("prometheus-client", "proxy"),
    "respx": ("respx", "mock"),
    "uvicorn": ("uvicorn", "mock"),
}


class MissingExtra(ImportError):
    """A feature needs an optional dependency that is not installed; the message names the extra."""

    def __init__(self, module: str, purpose: str) -> None:
        distribution, extra = EXTRAS[module]
        super().__init__(
            f"{purpose} needs {distribution}, from the {extra!r} extra: pip install 'sdcontracts[{extra}]'",
            name=module,
        )
        self.extra = extra


def require(module: str, purpose: str) -> None:
    """Raise `MissingExtra` unless ``module`` can be imported; ``purpose`` says what needs it."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise MissingExtra(module, purpose)
