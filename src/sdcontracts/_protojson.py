"""Protobuf-JSON field names: every field has a lowerCamel JSON name and a snake_case proto name.

Tensor.Art's API is grpc-gateway over protobuf, whose JSON parser accepts both spellings of
every field at every level. Schemas are written with the lowerCamel names (what the server
emits); the snake_case names are derived here, never written twice.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["snake_name"]

_UPPER = re.compile(r"[A-Z]")


@lru_cache(maxsize=1024)
def snake_name(json_name: str) -> str:
    """The proto field name for a lowerCamel JSON name: ``imageToUpscaler`` -> ``image_to_upscaler``."""
    return _UPPER.sub(lambda m: "_" + m.group(0).lower(), json_name)
