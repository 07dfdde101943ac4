"""One canonical request through several providers' clients in one call: `generate_all` and its
asyncio twin `agenerate_all`.

Each provider's outcome is kept apart: a provider that cannot take the request (`Untranslatable`)
or fails (any `sdcontracts.ProviderError`: refused, rate-limited, the task failed or timed out)
is reported next to the ones that succeeded, never hiding them. Anything else is a bug and is raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Unpack

from .._exceptions import ProviderError
from ._translate import Translation, Untranslatable

if TYPE_CHECKING:
    from ..clients._base import AsyncClient, SyncClient, Task, WaitOptions
    from ..models.canonical import CanonicalRequest

__all__ = ["Outcome", "agenerate_all", "generate_all"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one provider made of the request: its ``translation`` (None when `Untranslatable`),
    the finished ``task``, or the ``error`` that stopped it."""

    provider: str
    translation: Translation | None = None
    task: Task[Any] | None = None
    error: Untranslatable | ProviderError | None = None

    @property
    def ok(self) -> bool:
        """The task finished with images."""
        return self.task is not None

    def __str__(self) -> str:
        """``tensorart: succeeded, 2 images; adapted width 1100 → 1088``, or the error."""
        if self.task is None:
            return f"{self.provider}: {type(self.error).__name__}: {self.error}"
        count = len(self.task.images)
        line = f"{self.provider}: {self.task.state}, {count} image{'' if count == 1 else 's'}"
        translation = self.translation
        if translation is not None and translation.adaptations:
            line += "; adapted " + ", ".join(f"{a.field} {a.original} → {a.adapted}" for a in translation.adaptations)
        if translation is not None and translation.warnings:
            n = len(translation.warnings)
            line += f"; {n} warning{'' if n == 1 else 's'}"
        return line


def _providers(clients: Iterable[Any]) -> list[Any]:
    listed = list(clients)
    seen: set[str] = set()
    for client in listed:
        if client.provider in seen:
            raise ValueError(f"two clients for {client.provider}: give one per provider")
        seen.add(client.provider)
    return listed


def generate_all(
    request: CanonicalRequest | Mapping[str, Any],
    clients: Iterable[SyncClient[Any]],
    *,
    models: Mapping[str, str] | None = None,
    adapt: bool = False,
    **wait: Unpack[WaitOptions],
) -> dict[str, Outcome]:
    """Translate ``request`` for each client's provider (its image transport done, ``models`` and
    ``adapt`` as in `translate`), generate, and wait; one `Outcome` per provider, in the clients'
    order. The providers run one after another; `agenerate_all` runs them at once.
    """
    outcomes: dict[str, Outcome] = {}
    for client in _providers(clients):
        translation: Translation | None = None
        try:
            translation = client.translate(request, models=models, adapt=adapt)
            task = client.generate(translation, **wait)
        except (Untranslatable, ProviderError) as error:
            outcomes[client.provider] = Outcome(client.provider, translation, error=error)
        else:
            outcomes[client.provider] = Outcome(client.provider, translation, task)
    return outcomes


async def agenerate_all(
    request: CanonicalRequest | Mapping[str, Any],
    clients: Iterable[AsyncClient[Any]],
    *,
    models: Mapping[str, str] | None = None,
    adapt: bool = False,
    **wait: Unpack[WaitOptions],
) -> dict[str, Outcome]:
    """`generate_all` with asynchronous clients, the providers concurrently."""

    async def one(client: AsyncClient[Any]) -> Outcome:
        translation: Translation | None = None
        try:
            translation = await client.translate(request, models=models, adapt=adapt)
            task = await client.generate(translation, **wait)
        except (Untranslatable, ProviderError) as error:
            return Outcome(client.provider, translation, error=error)
        return Outcome(client.provider, translation, task)

    listed = _providers(clients)
    done = await asyncio.gather(*(one(client) for client in listed))
    return {outcome.provider: outcome for outcome in done}
