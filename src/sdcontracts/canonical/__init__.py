"""One request, five providers: a canonical img2img request, what each provider can express of
it, and faithful translation.

    >>> import base64
    >>> from sdcontracts.canonical import CanonicalRequest, image, translate
    >>> png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQ"
    ...                        "AAAABJRU5ErkJggg==")  # a 1 x 1 PNG
    >>> request = CanonicalRequest(prompt="a cat", init_image=image(png), width=512, height=512,
    ...                            steps=20, guidance=7.0, sampler="Euler a", count=1, model="sd_xl_base_1.0")
    >>> translate(request, "novita").payload["request"]["guidance_scale"]
    7.0

- `CanonicalRequest` (and `Image`, `Lora`, `ControlNetUnit`): the request in no provider's
  words, generated from ``schemas/canonical/img2img.request.schema.json`` like every model.
- `capabilities(provider)`: what the provider can express of it (ranges, steps, enums, list
  limits, image transport), read off its schemas; `matrix` puts the five side by side.
- `translate(request, provider)`: the provider's payload, or `Untranslatable` naming every field
  it cannot take and why; ``adapt=True`` adapts what it can and reports each `Adaptation`.
- `canonicalize(provider, payload)`: back to the canonical request.
- `generate_all(request, clients)` (`agenerate_all` with async clients, concurrently): the request
  through every client given, one `Outcome` per provider. A single client takes a canonical
  request too: ``client.generate(request)``, ``client.translate(request)`` (image uploads done).

Where each field goes is ``schemas/<provider>/canonical.json``.
"""

from __future__ import annotations

import base64

from ..models.canonical import CanonicalRequest, ControlNetUnit, Image, Lora
from ._capabilities import Capabilities, Capability, capabilities
from ._fanout import Outcome, agenerate_all, generate_all
from ._mapping import CANONICAL_FIELDS, canonical_schema
from ._matrix import matrix, render
from ._translate import Adaptation, Problem, Translation, Untranslatable, canonicalize, translate

__all__ = [
    "CANONICAL_FIELDS", "Adaptation", "CanonicalRequest", "Capabilities", "Capability", "ControlNetUnit", "Image",
    "Lora", "Outcome", "Problem", "Translation", "Untranslatable", "agenerate_all", "canonical_schema",
    "canonicalize", "capabilities", "generate_all", "image", "matrix", "render", "translate",
]  # fmt: skip


def image(data: bytes | None = None, *, url: str | None = None, resource_id: str | None = None) -> Image:
    """An `Image` from the file's bytes (sent base64-encoded), a URL, an uploaded resource id, or
    several of them (the same image, for providers taking different forms)."""
    encoded = base64.b64encode(data).decode("ascii") if data is not None else None
    return Image(base64=encoded, url=url, resource_id=resource_id)


for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type) and _value.__module__.startswith(f"{__name__}._"):
        _value.__module__ = __name__  # sdcontracts.canonical.Untranslatable, as it is imported
del _name, _value
