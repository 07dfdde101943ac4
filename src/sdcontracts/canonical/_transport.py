"""Which images of a canonical request a provider needs uploaded first, and the request with them uploaded.

A provider whose mapping takes an image as a ``resource-id`` (Tensor.Art) cannot be sent bytes:
its client uploads them and puts the resource id in their place. The placements say where a
provider takes images and in which form, so nothing here names a provider.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._mapping import provider_map

if TYPE_CHECKING:
    from ..models.canonical import CanonicalRequest, Image

__all__ = ["Upload", "uploads", "with_uploads"]


@dataclass(frozen=True, slots=True)
class Upload:
    """An image to upload: where it is in the request (``init_image``, ``controlnet[0].image``) and its bytes."""

    field: str
    data: bytes


def _images(request: CanonicalRequest) -> list[tuple[str, str, int | None, Image]]:
    """(label, canonical path, list index, image) of every image the request carries."""
    found: list[tuple[str, str, int | None, Image]] = [("init_image", "init_image", None, request.init_image)]
    for index, unit in enumerate(request.controlnet or ()):
        found.append((f"controlnet[{index}].image", "controlnet[].image", index, unit.image))
    return found


def uploads(request: CanonicalRequest, provider: str) -> tuple[Upload, ...]:
    """The images ``provider`` takes as an uploaded resource that the request gives only as bytes.

    An image whose base64 does not decode is left alone: translating it then names the field."""
    placements = provider_map(provider).placements
    needed: list[Upload] = []
    for label, path, _, image in _images(request):
        placement = placements.get(path)
        if placement is None or placement.transport != "resource-id":
            continue
        if image.resource_id is None and image.base64 is not None:
            try:
                data = base64.b64decode(image.base64, validate=True)
            except ValueError:
                continue
            needed.append(Upload(label, data))
    return tuple(needed)


def with_uploads(request: CanonicalRequest, ids: dict[str, str]) -> CanonicalRequest:
    """``request`` with ``ids[label]`` as the resource id of each image uploaded (the bytes kept,
    so the same request still goes to providers taking base64)."""
    update: dict[str, object] = {}
    units = list(request.controlnet or ())
    for label, _, index, image in _images(request):
        if label not in ids:
            continue
        uploaded = image.model_copy(update={"resource_id": ids[label]})
        if index is None:
            update["init_image"] = uploaded
        else:
            units[index] = units[index].model_copy(update={"image": uploaded})
            update["controlnet"] = units
    return request.model_copy(update=update)
