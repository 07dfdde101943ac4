"""Where each canonical field goes in a provider's request: ``schemas/<provider>/canonical.json``,
read once and resolved against the request schema's compiled tree.

The canonical fields themselves are read off ``schemas/canonical/img2img.request.schema.json``:
its properties, and the properties of its list items (``loras[].name``). A provider's file places
each field at a JSON Pointer into its request body (``*`` is a list item), or says why it is
``absent``; ``fixed`` values are the translation's own (Tensor.Art's stage types), each with why.
The schema node at a field's pointer holds its constraints: the capabilities and the translation
read them there, so a schema edit moves both.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from .._catalogue import check_provider
from .._compiler import FREE, Node
from .._pointer import parts
from .._registry import get as registered
from .._validation import compiled

__all__ = ["CANONICAL_FIELDS", "Fixed", "Placement", "ProviderMap", "canonical_schema", "provider_map"]

Token = str | None  # a property name, or None for "each item of the list here"
# a pointer compiled for writing: (key: a name, a list position, or None for "the item given"; what
# to make there when missing: list or dict, None at the last step)
Step = tuple[str | int | None, Callable[[], Any] | None]


def steps(tokens: tuple[Token, ...]) -> tuple[Step, ...]:
    """``tokens`` compiled for `sdcontracts.canonical._translate._put`."""
    out: list[Step] = []
    for position, token in enumerate(tokens):
        key: str | int | None = None if token is None else int(token) if token.isdigit() else token
        following = tokens[position + 1] if position + 1 < len(tokens) else ""
        make: Callable[[], Any] | None = None
        if position + 1 < len(tokens):
            make = list if following is None or following.isdigit() else dict
        out.append((key, make))
    return tuple(out)


def _read(*path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files("sdcontracts").joinpath("schemas", *path).read_text("utf-8"))
    return data


@cache
def canonical_schema() -> dict[str, Any]:
    """The canonical request's JSON Schema (shared: do not mutate)."""
    return _read("canonical", "img2img.request.schema.json")


@dataclass(frozen=True, slots=True)
class CanonicalField:
    """A field of the canonical request: ``width``, ``init_image``, ``loras[].weight``."""

    path: str
    schema: Mapping[str, Any]  # its subschema in the canonical schema ($ref resolved)
    list_root: str | None  # "loras" for "loras[].weight", else None
    image: bool  # an Image object (base64, url or resource id)

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


def _fields() -> tuple[CanonicalField, ...]:
    schema = canonical_schema()
    defs = schema["$defs"]

    def resolve(subschema: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = subschema.get("$ref")
        return defs[ref.rsplit("/", 1)[-1]] if isinstance(ref, str) else subschema

    found: list[CanonicalField] = []
    for name, subschema in schema["properties"].items():
        body = resolve(subschema)
        if body.get("type") == "array":
            item = resolve(body["items"])
            for sub, child in item["properties"].items():
                child = {**resolve(child), **{k: v for k, v in child.items() if k != "$ref"}}
                found.append(CanonicalField(f"{name}[].{sub}", child, name, child.get("title") == "Image"))
        else:
            merged = {**body, **{k: v for k, v in subschema.items() if k != "$ref"}}
            found.append(CanonicalField(name, merged, None, body.get("title") == "Image"))
    return tuple(found)


CANONICAL_FIELDS: tuple[CanonicalField, ...] = _fields()
_BY_PATH = {f.path: f for f in CANONICAL_FIELDS}
_LIST_ROOTS = frozenset(f.list_root for f in CANONICAL_FIELDS if f.list_root)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one canonical field goes in a provider's body, and the schema node that takes it."""

    canonical: CanonicalField
    pointer: str  # as written: "/request/loras/*/model_name"
    tokens: tuple[Token, ...]
    steps: tuple[Step, ...]  # the pointer compiled for writing
    keys: tuple[tuple[str, ...], ...]  # per step, the spellings a payload may use (protobuf JSON has two)
    node: Node  # the schema node the value lands in
    required: bool  # the provider requires it (in the caller's view)
    array: Node | None = None  # a list field's array node (its item limits)
    transport: str | None = None  # images: "base64", "url" or "resource-id"
    values: Mapping[Any, Any] = field(default_factory=dict)  # canonical value -> the provider's
    random: Any = None  # the provider's value meaning "a random seed" (a canonical seed cannot take it)
    as_integer: bool = False  # a canonical string the provider takes as an integer (PICPIK's MainModelId)
    unset: tuple[Any, str] | None = None  # what the provider gets when the request leaves the field out, and why
    note: str = ""


@dataclass(frozen=True, slots=True)
class Fixed:
    """A value the translation sets itself, and why."""

    pointer: str
    tokens: tuple[Token, ...]
    steps: tuple[Step, ...]
    value: Any
    why: str


@dataclass(frozen=True, slots=True)
class Limit:
    """A constraint over several fields, stated by a provider rule: Tensor.Art's width x height."""

    kind: str  # "area"
    fields: tuple[str, ...]
    maximum: int
    rule: str


@dataclass(frozen=True, slots=True)
class ProviderMap:
    provider: str
    placements: dict[str, Placement]  # canonical path -> placement
    fixed: tuple[Fixed, ...]
    absent: dict[str, str]  # canonical path (or list root) -> why the provider cannot express it
    limits: tuple[Limit, ...]
    per_item: tuple[tuple[str, Fixed], ...] = ()  # (list root, a fixed value each of its items gets)

    def why_absent(self, path: str) -> str | None:
        """Why ``path`` (or its list) has no place, or None when it has one."""
        if path in self.placements:
            return None
        known = _BY_PATH[path]
        return self.absent.get(path) or self.absent.get(known.list_root or "") or "no field of the request takes it"


def _tokens(pointer: str) -> tuple[Token, ...]:
    return tuple(None if token == "*" else token for token in parts(pointer))


def _walk(root: Node, tokens: tuple[Token, ...], where: str) -> Iterator[tuple[Node, Node | None, Token]]:
    """Each node along ``tokens`` from ``root``, with its parent and the token that led there."""
    node: Node = root
    for token in tokens:
        parent = node
        if token is None or token.isdigit():
            if node.items is None:
                raise ValueError(f"{where}: {node.location} is not a list")
            node = node.items
        else:
            name = node.names.get(token)
            if name is None:
                raise ValueError(f"{where}: {node.location} has no field {token!r}")
            node = node.properties[name]
        yield node, parent, token


@cache
def provider_map(provider: str) -> ProviderMap:
    """The canonical placements of a provider, checked against its request schema."""
    data = registered(check_provider(provider)).canonical
    root = compiled(provider, "img2img.request", "caller").root
    where = f"schemas/{provider}/canonical.json"
    placements: dict[str, Placement] = {}
    for path, entry in data.get("fields", {}).items():
        known = _BY_PATH.get(path)
        if known is None:
            raise ValueError(f"{where}: {path!r} is not a canonical field")
        tokens = _tokens(entry["at"])
        walked = list(_walk(root, tokens, where))
        node, parent, last = walked[-1]
        required = parent is not None and isinstance(last, str) and parent.names.get(last) in parent.required
        array = None
        if known.list_root is not None:
            array = walked[tokens.index(None)][1]
        keys = tuple(
            parent.spellings.get(parent.names.get(token, token), (token,)) if parent is not None and token else ()
            for _, parent, token in walked
        )
        placements[path] = Placement(
            canonical=known, pointer=entry["at"], tokens=tokens, steps=steps(tokens), keys=keys, node=node,
            required=required, array=array,
            transport=entry.get("transport"), values=dict(entry.get("values", {})),
            random=entry.get("random"), as_integer=entry.get("as") == "integer", note=entry.get("note", ""),
            unset=(entry["unset"]["value"], entry["unset"]["why"]) if "unset" in entry else None,
        )  # fmt: skip
    fixed = []
    for entry in data.get("fixed", ()):
        tokens = _tokens(entry["at"])
        list(_walk(root, tokens, where))  # the place must exist in the schema
        fixed.append(Fixed(entry["at"], tokens, steps(tokens), entry["value"], entry["why"]))
    absent = dict(data.get("absent", {}))
    unknown = [p for p in absent if p not in _BY_PATH and p not in _LIST_ROOTS]
    if unknown:
        raise ValueError(f"{where}: absent names no canonical field: {unknown}")
    unplaced = [f.path for f in CANONICAL_FIELDS if f.path not in placements and not _is_absent(f, absent)]
    if unplaced:
        raise ValueError(f"{where}: place these canonical fields or say why they are absent: {unplaced}")
    limits = tuple(_limit(provider, entry, where) for entry in data.get("limits", ()))
    lists = {p.canonical.list_root: p.pointer.split("/*/")[0] for p in placements.values() if p.canonical.list_root}
    per_item = tuple(
        (root, f) for f in fixed if None in f.tokens for root, prefix in lists.items()
        if prefix == f.pointer.split("/*/")[0]
    )  # fmt: skip
    return ProviderMap(provider, placements, tuple(fixed), absent, limits, per_item)


def _is_absent(known: CanonicalField, absent: Mapping[str, str]) -> bool:
    return known.path in absent or (known.list_root is not None and known.list_root in absent)


def _limit(provider: str, entry: Mapping[str, Any], where: str) -> Limit:
    """A limit whose bound is the rule module's own constant (stated once, there)."""
    import importlib

    module = importlib.import_module(f"sdcontracts.rules.{provider}")
    maximum = getattr(module, entry["maximum"], None)
    if not isinstance(maximum, int):
        raise ValueError(f"{where}: sdcontracts.rules.{provider} has no constant {entry['maximum']!r}")
    return Limit(entry["kind"], tuple(entry["of"]), maximum, entry["rule"])


def free(node: Node) -> bool:
    """The node takes any value (no constraint to read)."""
    return node is FREE or node.free
