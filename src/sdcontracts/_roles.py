"""What a request's fields mean, read through the schemas' ``x-role`` annotations.

The number of images (``count`` fields, multiplied: Zhiqite makes n_iter x batch_size), their
width, height and format are stated once, as roles on the request schema's fields; the mock
produces what they say and the conformance checks expect it. A missing count factor counts as 1.
``request-id`` marks the value a caller makes unique per request (Tensor.Art's idempotency key,
Zhiqite's task id, PICPIK's request UUID); `with_fresh_ids` renews them, so a re-run of the same
generated cases is a new request, not a replay the provider deduplicates. A ``request-id`` the
client fills in (``x-filled-by``) is the request's idempotency key: the same key, the same task
(Tensor.Art's ``requestId``, Zhiqite's ``id_task``); `idempotency_key` reads it and `with_key`
sets one.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from ._catalogue import raw_schema
from ._pointer import join
from ._protojson import snake_name

__all__ = ["Output", "idempotency_key", "keyed", "output_of", "output_values", "with_fresh_ids", "with_key"]

_KEY = "key"  # the role `_paths` gives a request-id the client fills in: the idempotency key

Path = tuple[str, ...]  # property names; "*" steps into array items


@dataclass(frozen=True, slots=True)
class Output:
    count: int
    width: int | None
    height: int | None
    format: str | None


@cache
def _paths(provider: str, schema: str) -> tuple[tuple[str, Path], ...]:
    document = raw_schema(provider, schema)
    defs = document.get("$defs", {})
    found: list[tuple[str, Path]] = []

    def walk(node: Any, path: Path, depth: int) -> None:
        if not isinstance(node, dict) or depth > 12:
            return
        if "$ref" in node:
            walk(defs.get(node["$ref"].rsplit("/", 1)[-1]), path, depth + 1)
            return
        if "x-role" in node:
            found.append((node["x-role"], path))
            if node["x-role"] == "request-id" and "x-filled-by" in node:
                found.append((_KEY, path))
        for name, child in node.get("properties", {}).items():
            walk(child, (*path, name), depth + 1)
        if "items" in node:
            walk(node["items"], (*path, "*"), depth + 1)

    walk(document, (), 0)
    return tuple(found)


Steps = tuple[tuple[str, ...] | None, ...]  # per step, the key's spellings; None steps into array items


@cache
def _readers(provider: str, schema: str) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """Each role's path with the spellings of every step worked out once (protobuf JSON accepts
    a field's lowerCamel name and its snake_case one)."""
    protojson = bool(raw_schema(provider, schema).get("x-protojson"))

    def spellings(step: str) -> tuple[str, ...] | None:
        if step == "*":
            return None
        alias = snake_name(step) if protojson else step
        return (step,) if alias == step else (step, alias)

    return tuple((role, _getter(tuple(spellings(step) for step in path))) for role, path in _paths(provider, schema))


def _getter(steps: Steps) -> Callable[[Any], Any]:
    """A function reading the value at ``steps``: the first value other than None at their end
    (every array item tried in order), or None. At an object step the first spelling the object
    has is taken, whatever its value.

    Compiled once into a chain of closures, one per step, each knowing its own keys: the mock
    reads these on every submit, and a generic walk of the steps (a loop over them, a recursion
    per array item) cost as much as all the rest of making a task."""
    read: Callable[[Any], Any] | None = None  # the steps after this one; None: the value is the answer
    for keys in reversed(steps):
        read = _step(keys, read)
    return read if read is not None else _itself


def _itself(value: Any) -> Any:
    return value


def _step(keys: tuple[str, ...] | None, rest: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """One step of a `_getter` chain: into every item of an array (``keys`` None), or into an
    object's key (its spellings, tried in order), then ``rest``."""
    if keys is None:
        then = rest or _itself  # the array is the last step: its first item other than None

        def each(value: Any) -> Any:
            if not isinstance(value, list):
                return None
            for item in value:
                found = then(item)
                if found is not None:
                    return found
            return None

        return each
    if len(keys) == 1:  # one spelling: absent and null alike end the walk
        (only,) = keys
        if rest is None:
            return lambda value: value.get(only) if isinstance(value, dict) else None

        def one(value: Any) -> Any:
            inner = value.get(only) if isinstance(value, dict) else None
            return None if inner is None else rest(inner)

        return one

    def spelt(value: Any) -> Any:
        if not isinstance(value, dict):
            return None
        for key in keys:
            if key in value:
                inner = value[key]
                return inner if rest is None or inner is None else rest(inner)
        return None

    return spelt


def _int(value: Any) -> int | None:
    """An integer field's value (int64 fields may be strings); None for anything else."""
    if type(value) is int:  # the usual case, answered before anything is tried
        return value
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf)
        return None


def output_of(provider: str, payload: Any, schema: str = "img2img.request") -> Output:
    """The images a request asks for: how many, how large, in which format (None: not said).

    Values of the wrong type are read as not given, so an invalid request still has an answer.
    """
    return Output(*output_values(provider, payload, schema))


def output_values(
    provider: str, payload: Any, schema: str = "img2img.request"
) -> tuple[int, int | None, int | None, str | None]:
    """`output_of` as a plain tuple (count, width, height, format): the mock reads it on every
    submit, and a frozen Output costs as much to make as the reading."""
    count, width, height, fmt = 1, None, None, None
    for role, read in _output_readers(provider, schema):
        value = read(payload)
        if value is None:
            continue
        if role == "format":
            if fmt is None and isinstance(value, str):
                fmt = value
            continue
        number = value if type(value) is int else _int(value)  # the usual value, without a call
        if role == "count":
            if number is not None:
                count *= number
        elif role == "width":
            if width is None:
                width = number
        elif height is None:  # the one role left: height
            height = number
    return count, width, height, fmt


_OUTPUT_ROLES = frozenset({"count", "width", "height", "format"})


@cache
def _output_readers(provider: str, schema: str) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """The readers of the roles `output_of` reads, only: the mock reads them on every submit, and a
    request id read for nothing (and then tried as an integer) costs as much as the rest."""
    return tuple((role, read) for role, read in _readers(provider, schema) if role in _OUTPUT_ROLES)


@cache
def _key_reader(provider: str, schema: str) -> Callable[[Any], Any] | None:
    """The reader of the idempotency key, or None when the provider's requests carry none."""
    return next((read for role, read in _readers(provider, schema) if role == _KEY), None)


def keyed(provider: str, schema: str = "img2img.request") -> bool:
    """Whether the provider's requests carry an idempotency key (a submit may then be resent)."""
    return any(role == _KEY for role, _ in _paths(provider, schema))


def idempotency_key(provider: str, payload: Any, schema: str = "img2img.request") -> str | None:
    """The idempotency key ``payload`` carries (a non-empty string), or None."""
    read = _key_reader(provider, schema)
    if read is None:
        return None
    value = read(payload)
    return value if isinstance(value, str) and value else None


def with_key(provider: str, payload: Any, schema: str = "img2img.request") -> tuple[Any, str | None]:
    """``payload`` with an idempotency key, and the key: the one it carries, or a new one set where
    the schema puts it (the objects on the way copied, never ``payload`` itself). Where the way
    is not there (no ``alwayson_scripts`` object), or the provider has no key, ``payload`` as it is
    and None: validation reports what is missing."""
    key = idempotency_key(provider, payload, schema)
    path = next((path for role, path in _paths(provider, schema) if role == _KEY), None)
    if key is not None or path is None:
        return payload, key
    protojson = bool(raw_schema(provider, schema).get("x-protojson"))
    key = uuid.uuid4().hex

    def put(value: Any, steps: Path) -> Any:
        if not isinstance(value, dict):
            raise LookupError
        if len(steps) == 1:
            return {**{k: v for k, v in value.items() if _spelling({k: None}, steps[0], protojson) is None},
                    steps[0]: key}  # fmt: skip
        found = _spelling(value, steps[0], protojson)
        if found is None:
            raise LookupError
        return {**value, found: put(value[found], steps[1:])}

    try:
        return put(payload, path), key
    except LookupError:
        return payload, None


def with_fresh_ids(provider: str, payload: Any, *, keep: str | None = None, schema: str = "img2img.request") -> Any:
    """A copy of ``payload`` with a new UUID in every ``request-id`` field it has (``payload``
    itself when the schema has no such field).

    A field at or under the JSON Pointer ``keep`` is left alone (the field a case breaks on purpose).
    """
    paths = [path for role, path in _paths(provider, schema) if role == "request-id" and "*" not in path]
    if not paths:
        return payload
    protojson = bool(raw_schema(provider, schema).get("x-protojson"))
    fresh = copy.deepcopy(payload)
    for path in paths:
        parent, pointer = fresh, ""
        for step in path[:-1]:
            key = _spelling(parent, step, protojson)
            if key is None:
                break
            parent, pointer = parent[key], join(pointer, key)
        else:
            key = _spelling(parent, path[-1], protojson)
            here = join(pointer, key) if key is not None else None
            if here is not None and not (keep and (keep == here or keep.startswith(here + "/"))):
                parent[key] = str(uuid.uuid4())
    return fresh


def _spelling(value: Any, name: str, protojson: bool) -> str | None:
    """The key ``name`` has in the object ``value``, if it is there (in either protobuf spelling)."""
    if not isinstance(value, dict):
        return None
    for key in (name, snake_name(name)) if protojson else (name,):
        if key in value:
            return key
    return None
