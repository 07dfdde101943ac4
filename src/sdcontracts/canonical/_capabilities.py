"""What a provider can express of the canonical request, read off its schema: `capabilities`.

Nothing here is stated twice: each range, step, enum, list limit and image limit is the schema
node's at the field's place (``schemas/<provider>/canonical.json``), an area limit is the rule
module's constant, and the reason a field is absent is the mapping file's. A schema edit moves
the capabilities, and so the matrix and the translation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from .._compiler import Node
from ._mapping import CANONICAL_FIELDS, Limit, Placement, free, provider_map

__all__ = ["Capabilities", "Capability", "capabilities"]


@dataclass(frozen=True, slots=True)
class Capability:
    """How one provider takes one canonical field, or why it cannot."""

    field: str
    supported: bool
    at: str = ""  # JSON Pointer in the provider's body ("*": each list item)
    why: str = ""  # why it is not supported
    required: bool = False  # the provider needs it
    types: tuple[str, ...] = ()
    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusive_minimum: int | float | None = None
    exclusive_maximum: int | float | None = None
    multiple_of: int | None = None
    max_length: int | None = None
    enum: tuple[Any, ...] | None = None  # the canonical values it takes
    max_items: int | None = None  # a list field: how many items
    transport: str | None = None  # an image: "base64", "url" or "resource-id"
    image: dict[str, Any] | None = None  # an image's documented limits (maxWidth, maxHeight, maxBytes)
    random: Any = None  # the provider's "random seed" value, which a canonical seed cannot be
    doc: str = ""  # the doc sentence the constraints come from

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping, without the empty parts."""
        out: dict[str, Any] = {"field": self.field, "supported": self.supported}
        for name in (
            "at", "why", "required", "types", "minimum", "maximum", "exclusive_minimum", "exclusive_maximum",
            "multiple_of", "max_length", "enum", "max_items", "transport", "image", "random", "doc",
        ):  # fmt: skip
            value = getattr(self, name)
            if value not in (None, "", (), False):
                out[name] = list(value) if isinstance(value, tuple) else value
        return out


@dataclass(frozen=True, slots=True)
class Capabilities:
    """Everything a provider can express of the canonical request: ``caps["width"].maximum``."""

    provider: str
    fields: dict[str, Capability]
    limits: tuple[Limit, ...]

    def __getitem__(self, field: str) -> Capability:
        return self.fields[field]

    def supported(self) -> list[str]:
        """The canonical fields the provider takes."""
        return [name for name, capability in self.fields.items() if capability.supported]

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "fields": {name: c.to_dict() for name, c in self.fields.items()},
            "limits": [
                {"kind": limit.kind, "fields": list(limit.fields), "maximum": limit.maximum, "rule": limit.rule}
                for limit in self.limits
            ],
        }


@cache
def capabilities(provider: str) -> Capabilities:
    """What ``provider`` can express of the canonical request, read off its schemas.

    >>> from sdcontracts.canonical import capabilities
    >>> caps = capabilities("tensorart")
    >>> (caps["width"].minimum, caps["width"].maximum, caps["width"].multiple_of)
    (512, 1536, 64)
    >>> caps["output_format"].why
    'a job names no output format'
    """
    mapping = provider_map(provider)
    found: dict[str, Capability] = {}
    for known in CANONICAL_FIELDS:
        placement = mapping.placements.get(known.path)
        if placement is None:
            found[known.path] = Capability(known.path, False, why=mapping.why_absent(known.path) or "")
        else:
            found[known.path] = _capability(placement)
    return Capabilities(provider, found, mapping.limits)


def _capability(placement: Placement) -> Capability:
    node = placement.node
    required = placement.required and placement.unset is None  # a field whose absence means something is not needed
    if free(node):
        return Capability(placement.canonical.path, True, placement.pointer, required=required, doc=node.doc)
    back = {provider: canonical for canonical, provider in placement.values.items()}
    enum = None
    if node.enum is not None:
        enum = tuple(back.get(value, value) for value in node.enum if isinstance(value, str | int | float))
    return Capability(
        field=placement.canonical.path,
        supported=True,
        at=placement.pointer,
        required=required,
        types=tuple(sorted(node.types or ())),
        minimum=node.minimum,
        maximum=node.maximum,
        exclusive_minimum=node.exclusive_minimum,
        exclusive_maximum=node.exclusive_maximum,
        multiple_of=node.multiple_of,
        max_length=node.max_length,
        enum=enum,
        max_items=_max_items(placement.array),
        transport=placement.transport,
        image=node.image.to_dict() if node.image is not None else None,
        random=placement.random,
        doc=node.doc,
    )


def _max_items(array: Node | None) -> int | None:
    return array.max_items if array is not None else None
