"""The provider registry: the five providers sdcontracts ships, and any an installed package declares.

A built-in provider is a folder of the shipped ``sdcontracts/schemas/``. A plugin is declared by
entry point, the id as its name and, as its value, the package (or an object giving the path of
the folder) holding ``provider.json``, ``profile.json`` and the schemas::

    [project.entry-points."sdcontracts.providers"]
    acme = "acme_sd"

Two providers with one id are an error when the registry loads (`DuplicateProvider`), never a
silent override. Nothing is read at ``import sdcontracts``. A built-in provider is read on its first
use without looking at the installed packages (finding entry points costs more than a first
``validate()``); the plugins are looked up the first time the whole list is needed
(``sdcontracts.providers()``, the mock, conformance, a provider id sdcontracts does not ship).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from ._provider import Provider, ProviderInvalid, unknown

__all__ = ["GROUP", "ByProvider", "DuplicateProvider", "get", "ids", "load_all", "reload"]

V = TypeVar("V")

GROUP = "sdcontracts.providers"


class DuplicateProvider(ProviderInvalid):
    """Two providers declare the same id."""


_LOCK = threading.RLock()
_LOADED: dict[str, Provider] = {}  # built-in providers read so far, and every provider once all are loaded
_ALL: tuple[str, ...] | None = None  # every id, sorted, once the plugins have been looked up


def _shipped() -> Traversable:
    return resources.files("sdcontracts").joinpath("schemas")


@lru_cache(maxsize=1)
def builtin_ids() -> frozenset[str]:
    """The providers sdcontracts ships: the folders of its ``schemas/`` holding a provider.json."""
    return frozenset(d.name for d in _shipped().iterdir() if d.is_dir() and d.joinpath("provider.json").is_file())


def get(provider: object) -> Provider:
    """The provider with this id; an unknown id is a ValueError listing the known ones."""
    found = _LOADED.get(provider) if isinstance(provider, str) else None
    if found is not None:
        return found
    with _LOCK:
        if isinstance(provider, str) and provider in builtin_ids() and provider not in _LOADED:
            _LOADED[provider] = Provider.load(provider, _shipped().joinpath(provider))
        elif _ALL is None:
            load_all()
        found = _LOADED.get(provider) if isinstance(provider, str) else None
        if found is None:
            raise unknown("provider", provider, ids())
        return found


def ids() -> tuple[str, ...]:
    """Every provider id, sorted: ``('aliyun', 'novita', 'picpik', 'tensorart', 'zhiqite')`` and the plugins'."""
    return _ALL if _ALL is not None else load_all()


def load_all() -> tuple[str, ...]:
    """Read every provider: the built-in ones and those installed packages declare."""
    global _ALL
    with _LOCK:
        if _ALL is not None:
            return _ALL
        for provider in builtin_ids():
            if provider not in _LOADED:
                _LOADED[provider] = Provider.load(provider, _shipped().joinpath(provider))
        from importlib.metadata import entry_points  # deferred: finding entry points is the costly part

        origins = {provider: "sdcontracts" for provider in builtin_ids()}
        for point in entry_points(group=GROUP):
            origin = f"{point.dist.name if point.dist else 'an unnamed distribution'} ({point.value})"
            if point.name in origins:
                raise DuplicateProvider(
                    f"two providers are named {point.name!r}: {origins[point.name]} and {origin}; "
                    "uninstall one, or give one another id"
                )
            origins[point.name] = origin
            _LOADED[point.name] = Provider.load(point.name, _folder(point.load(), origin), origin)
        _ALL = tuple(sorted(_LOADED))
        return _ALL


def reload() -> None:
    """Forget the plugins found so far, so that the next listing looks again (tests install some)."""
    global _ALL
    with _LOCK:
        for provider in [p for p in _LOADED if p not in builtin_ids()]:
            del _LOADED[provider]
        _ALL = None


class ByProvider(Mapping[str, V]):
    """Provider id -> what ``read`` makes of its registry entry, for every provider the registry
    holds when asked (plugins included): a table stated once, in each provider's folder."""

    def __init__(self, read: Callable[[Provider], V]) -> None:
        self._read = read

    def __getitem__(self, provider: str) -> V:
        if provider not in ids():
            raise KeyError(provider)
        return self._read(get(provider))

    def __iter__(self) -> Iterator[str]:
        return iter(ids())

    def __len__(self) -> int:
        return len(ids())

    def __repr__(self) -> str:
        return repr(dict(self))


def _folder(target: Any, origin: str) -> Traversable:
    """The folder an entry point's value names: a package (its own folder), a path, or a Traversable."""
    if isinstance(target, ModuleType):
        return resources.files(target)
    if isinstance(target, str | os.PathLike):
        return Path(target)
    if isinstance(target, Traversable):
        return target
    raise ProviderInvalid(f"{origin}: an entry point of {GROUP!r} names a package or a folder, not {target!r}")
