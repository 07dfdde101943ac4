"""A provider: everything sdcontracts knows about one API, read from its folder.

A provider is one folder (the five built in ship as ``sdcontracts/schemas/<id>/``; a plugin's is a
package it names by entry point, see `sdcontracts._registry`):

- ``provider.json``: names, doc sources, base URLs, auth, the operations (method, path, request and
  response schemas, parameters and where their values come from), the error codes, and the task
  lifecycle: where a task's status is (a JSON Pointer) and the values of each phase, where its
  images, id, progress and failure reason are;
- one ``<name>.schema.json`` per message, and ``examples/``;
- ``profile.json``: what implements it in Python (client classes, mock handler, rules, strategy hooks,
  models, each a dotted ``module:attribute`` imported on first use) and how it authenticates
  (credential fields with the mock's default values, which headers carry secrets, the signers).

`Provider` is that folder, parsed and checked; every list in sdcontracts that differs per provider
is read from it. Nothing is imported from the profile until it is used, so reading a provider costs
two small JSON files.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from typing import Any

from ._suggest import suggest

__all__ = ["PHASES", "Lifecycle", "Operation", "Parameter", "Profile", "Provider", "ProviderInvalid"]

PHASES = ("queued", "running", "succeeded", "failed", "canceled")
_SUFFIX = ".schema.json"
_CANONICAL = "canonical.json"  # kept beside the parsed schemas, under a name no schema has


class ProviderInvalid(ValueError):
    """A provider folder that cannot be read: a missing or malformed file, an unknown key."""


@dataclass(frozen=True, slots=True)
class Parameter:
    """A value an operation takes (a task id), and the response field it comes from."""

    name: str
    location: str  # "query", "path" or "body"
    required: bool
    source: str  # "<schema>#/properties/a/properties/b": the field of that schema's instances it is read from
    description: str

    @property
    def schema(self) -> str:
        """The schema whose instances hold the value (the submit response)."""
        return self.source.partition("#")[0]

    @property
    def pointer(self) -> str:
        """Where the value is in such an instance, as a JSON Pointer: ``/job/id``."""
        steps = self.source.partition("#")[2].split("/")[1:]
        return "".join(f"/{name}" for name in steps[1::2])


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of ``provider.json``: ``img2img`` (the submit), ``task`` (the status query)…"""

    name: str
    method: str
    path: str  # exact, or ending in one "{name}" segment (a path parameter)
    request: str | None  # the request body's schema, when there is a body
    response: str
    action: str | None = None  # the body's ``Action`` choosing it, where one path serves several
    parameters: tuple[Parameter, ...] = ()
    headers: tuple[str, ...] = ()  # optional headers of provider.json's ``headers``
    entry: Mapping[str, Any] = field(default_factory=dict, repr=False)  # the provider.json entry as written


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """Where a task's status is, and what each phase calls it; where its images are.

    ``images`` holds JSON Pointers: ``each`` the list of images in a task response, and, within
    one item, ``url`` (``""``: the item is the URL) and optionally ``format``, ``expires_in`` and
    ``id``. ``task_id``, ``progress`` (0 to 100) and ``reason`` (why it failed) point into the task
    response where the provider reports them.
    """

    status: str
    phases: Mapping[str, tuple[Any, ...]]  # phase -> the provider's values for it, in the order it moves through them
    statuses: tuple[Any, ...]
    images: Mapping[str, str]
    task_id: str | None = None
    progress: str | None = None
    reason: str | None = None

    def reported(self, phase: str) -> Any:
        """The value a task reports while in ``phase``: the last of the phase's values (a task settles
        there before it moves on: Tensor.Art CREATED, PENDING, WAITING); a provider with no canceled
        status reports a canceled task as failed."""
        values = self.phases.get(phase) or self.phases["failed"]
        return values[-1]


_PROFILE_KEYS = frozenset(
    {"label", "client", "async_client", "handler", "rules", "strategies", "models", "base_url", "credentials",
     "credential_sets", "live_base_url", "secret_headers", "signers"}
)  # fmt: skip


@dataclass(frozen=True)
class Profile:
    """``profile.json``: what implements a provider in Python and how it authenticates.

    Hooks are dotted ``module:attribute`` names (``module`` alone for a module), imported on first
    use; each may be absent: a provider without ``client`` gets the generic client, without
    ``handler`` the generic mock handler, without ``rules`` no prose rules, without ``strategies``
    requests drawn from the schema alone, without ``models`` untyped task responses.

    ``credentials``: each credential a client takes, with the value the mock accepts by default.
    ``credential_sets``: the credentials each way of authenticating takes (``default``, and e.g.
    Tensor.Art's ``rsa``); a name missing from ``credentials`` is one the mock handler makes (a
    private key). ``secret_headers``: header (lower case) -> the credential it carries, or None
    for a signature (redacted in files, never resent by curl). ``signers``: the `sdcontracts.auth`
    classes that sign requests, for the OpenAPI export.
    """

    label: str
    client: str | None = None
    async_client: str | None = None
    handler: str | None = None
    rules: str | None = None
    strategies: str | None = None
    models: str | None = None
    base_url: str | None = None  # the key of provider.json base_urls clients use (default: the first)
    credentials: Mapping[str, str] = field(default_factory=dict)
    credential_sets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    live_base_url: bool = False  # a live run needs SDCONTRACTS_<ID>_BASE_URL (each account has its own host)
    secret_headers: Mapping[str, str | None] = field(default_factory=dict)
    signers: tuple[str, ...] = ()

    @classmethod
    def parse(cls, data: Any, where: str) -> Profile:
        if not isinstance(data, Mapping):
            raise ProviderInvalid(f"{where}: a profile is a JSON object")
        unknown = set(data) - _PROFILE_KEYS
        if unknown:
            known = ", ".join(sorted(_PROFILE_KEYS))
            raise ProviderInvalid(f"{where}: unknown keys {sorted(unknown)} (known: {known})")
        if "label" not in data:
            raise ProviderInvalid(f"{where}: 'label' (the provider's name in messages) is required")
        credentials = dict(data.get("credentials", {}))
        sets = {name: tuple(fields) for name, fields in data.get("credential_sets", {}).items()}
        sets.setdefault("default", tuple(credentials))
        headers = {name.lower(): value for name, value in data.get("secret_headers", {}).items()}
        for credential in [*(v for v in headers.values() if v is not None), *sets["default"]]:
            if credential not in credentials:
                raise ProviderInvalid(f"{where}: {credential!r} is not one of the credentials {sorted(credentials)}")
        return cls(
            label=data["label"],
            client=data.get("client"),
            async_client=data.get("async_client"),
            handler=data.get("handler"),
            rules=data.get("rules"),
            strategies=data.get("strategies"),
            models=data.get("models"),
            base_url=data.get("base_url"),
            credentials=credentials,
            credential_sets=sets,
            live_base_url=bool(data.get("live_base_url", False)),
            secret_headers=headers,
            signers=tuple(data.get("signers", ())),
        )


class Provider:
    """One provider, as its folder states it: ``sdcontracts.provider("novita").operations["task"].path``.

    Read-only: every part of sdcontracts shares the one instance the registry holds.
    """

    def __init__(self, provider_id: str, folder: Traversable, info: dict[str, Any], profile: Profile,
                 origin: str = "sdcontracts") -> None:  # fmt: skip
        self.id = provider_id
        self.folder = folder
        self.info = info
        self.profile = profile
        self.origin = origin  # the distribution that declares it
        where = f"provider {provider_id!r} ({origin})"
        if info.get("id") != provider_id:
            raise ProviderInvalid(f"{where}: provider.json says id {info.get('id')!r}")
        try:
            self.name: str = info["name"]
            self.sources: Mapping[str, str] = info["sources"]
            self.base_urls: Mapping[str, str] = info["base_urls"]
            self.auth: Mapping[str, Any] = info["auth"]
            self.error: str = info["error"]
            self.error_codes: Mapping[str, Mapping[str, Any]] = info.get("errors", {}).get("codes", {})
            self.operations: Mapping[str, Operation] = {
                name: _operation(name, entry) for name, entry in info["operations"].items()
            }
            self.lifecycle = _lifecycle(info["lifecycle"])
        except (KeyError, TypeError, ValueError) as error:
            raise ProviderInvalid(f"{where}: provider.json is malformed ({type(error).__name__}: {error})") from None
        if "img2img" not in self.operations or "task" not in self.operations:
            raise ProviderInvalid(f"{where}: provider.json needs the operations 'img2img' (submit) and 'task' (query)")
        key = profile.base_url or next(iter(self.base_urls))
        if key not in self.base_urls:
            raise ProviderInvalid(f"{where}: profile base_url {key!r} is not one of {sorted(self.base_urls)}")
        self.base_url: str = self.base_urls[key]  # what clients call unless told otherwise
        self._schemas: dict[str, dict[str, Any]] = {}
        self._names: tuple[str, ...] | None = None
        self._hooks: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Provider {self.id} ({self.origin})>"

    @classmethod
    def load(cls, provider_id: str, folder: Traversable, origin: str = "sdcontracts") -> Provider:
        """Read the provider in ``folder`` (``provider.json``, ``profile.json``)."""
        where = f"provider {provider_id!r} ({origin})"
        info = _json(folder, "provider.json", where)
        profile = Profile.parse(_json(folder, "profile.json", where), f"{where}, profile.json")
        return cls(provider_id, folder, info, profile, origin)

    # -- schemas ----------------------------------------------------------------------------------

    def schema_names(self) -> tuple[str, ...]:
        """The messages it has schemas for: ``img2img.request``, ``task.response``…"""
        if self._names is None:
            self._names = tuple(
                sorted(f.name[: -len(_SUFFIX)] for f in self.folder.iterdir() if f.name.endswith(_SUFFIX))
            )
        return self._names

    def check_schema(self, schema: object) -> str:
        """``schema`` if the provider has it, else a ValueError listing what it has."""
        known = self.schema_names()
        if not isinstance(schema, str) or schema not in known:
            raise unknown(f"schema for {self.id}:", schema, known)
        return schema

    def raw_schema(self, schema: str) -> dict[str, Any]:
        """The hand-written JSON Schema document, parsed (shared: do not mutate)."""
        found = self._schemas.get(schema)
        if found is None:
            self.check_schema(schema)
            found = self._schemas[schema] = json.loads(self.folder.joinpath(schema + _SUFFIX).read_text("utf-8"))
        return found

    @property
    def canonical(self) -> Mapping[str, Any]:
        """``canonical.json``: where each field of the canonical request goes in this provider's
        request (`sdcontracts.canonical`); empty for a provider whose folder has none (then no
        canonical field translates to it). Parsed once; shared: do not mutate."""
        found = self._schemas.get(_CANONICAL)
        if found is None:
            entry = self.folder.joinpath(_CANONICAL)
            found = _json(self.folder, _CANONICAL, f"provider {self.id!r} ({self.origin})") if entry.is_file() else {}
            self._schemas[_CANONICAL] = found
        return found

    def doc_reference(self, quote: str | None, source: str | None) -> str:
        """A doc reference: the source's title and the quoted sentence."""
        key = source or "doc"
        if key not in self.sources:
            raise KeyError(f"{self.id}: unknown doc source {key!r} (known: {', '.join(self.sources)})")
        title = self.sources[key]
        return f'{title}: "{quote}"' if quote else title

    # -- what the rest of sdcontracts reads --------------------------------------------------------

    @property
    def submit(self) -> Operation:
        return self.operations["img2img"]

    @property
    def query(self) -> Operation:
        return self.operations["task"]

    @property
    def task_parameter(self) -> Parameter:
        """The status query's parameter naming the task: where the submit response holds its id."""
        for parameter in self.query.parameters:
            if parameter.required and parameter.schema == self.submit.response:
                return parameter
        raise ProviderInvalid(f"{self.id}: the task operation takes no parameter from {self.submit.response}")

    @property
    def live_credentials(self) -> dict[str, str]:
        """Credential -> the environment variable a live run reads it from (``SDCONTRACTS_NOVITA_API_KEY``)."""
        names = [*self.profile.credential_sets["default"], *(["base_url"] if self.profile.live_base_url else [])]
        return {name: f"SDCONTRACTS_{self.id.upper()}_{name.upper()}" for name in names}

    def hook(self, name: str) -> Any:
        """The profile's ``name`` hook (``client``, ``handler``, ``rules``…), imported on first use;
        None when the profile names none."""
        with self._lock:
            if name not in self._hooks:
                self._hooks[name] = _import(getattr(self.profile, name), f"{self.id} profile {name}")
            return self._hooks[name]


def unknown(kind: str, name: object, known: tuple[str, ...]) -> ValueError:
    """The error for a name that is not one of ``known``, with a did-you-mean."""
    close = suggest(name, known) if isinstance(name, str) else None
    hint = f"; did you mean {close!r}?" if close else ""
    return ValueError(f"unknown {kind} {name!r}{hint} (known: {', '.join(known)})")


def _json(folder: Traversable, name: str, where: str) -> Any:
    try:
        return json.loads(folder.joinpath(name).read_text("utf-8"))
    except FileNotFoundError:
        raise ProviderInvalid(f"{where}: {name} is missing from {folder}") from None
    except ValueError as error:
        raise ProviderInvalid(f"{where}: {name} is not JSON: {error}") from None


def _operation(name: str, entry: Mapping[str, Any]) -> Operation:
    parameters = tuple(
        Parameter(key, p["in"], bool(p["required"]), p["from"], p.get("description", ""))
        for key, p in entry.get("parameters", {}).items()
    )
    return Operation(
        name=name,
        method=entry["method"],
        path=entry["path"],
        request=entry.get("request"),
        response=entry["response"],
        action=entry.get("action"),
        parameters=parameters,
        headers=tuple(entry.get("headers", ())),
        entry=entry,
    )


def _lifecycle(entry: Mapping[str, Any]) -> Lifecycle:
    phases = {phase: tuple(entry.get(phase, ())) for phase in PHASES}
    for phase in ("queued", "running", "succeeded", "failed"):
        if not phases[phase]:
            raise ValueError(f"the lifecycle names no {phase} status")
    images = dict(entry["images"])
    if "each" not in images or "url" not in images:
        raise ValueError("lifecycle.images needs 'each' and 'url'")
    return Lifecycle(
        status=entry["status"],
        phases=phases,
        statuses=tuple(entry["statuses"]),
        images=images,
        task_id=entry.get("task_id"),
        progress=entry.get("progress"),
        reason=entry.get("reason"),
    )


def _import(target: str | None, what: str) -> Any:
    if target is None:
        return None
    module, _, attribute = target.partition(":")
    try:
        loaded = importlib.import_module(module)
        return getattr(loaded, attribute) if attribute else loaded
    except (ImportError, AttributeError) as error:
        raise ProviderInvalid(f"{what}: cannot import {target!r}: {error}") from error
