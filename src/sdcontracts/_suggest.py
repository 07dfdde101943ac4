"""'Did you mean ...?' for unknown fields and enum values.

Three tries, best first: the same name in another case or word style (``CfgScale`` for
``cfg_scale``), the same concept in another provider's vocabulary (``guidance_scale`` for
``cfg_scale``: users moving between providers bring the old names along), then plain
spelling similarity.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["same_name", "suggest"]

# One group per concept: the names the five providers (and the A1111 and ComfyUI APIs they
# borrow from) give it. Written once here; the schemas say which name each provider uses.
_CONCEPTS: tuple[frozenset[str], ...] = tuple(
    frozenset(_norm)
    for _norm in (
        {"cfgscale", "guidancescale", "promptguidancefactor", "cfg"},
        {"negativeprompt", "negtiveprompt", "negativeprompts"},
        {"prompt", "prompts", "positiveprompts", "positiveprompt"},
        {"sampler", "samplername", "samplerindex"},
        {"imagenum", "batchsize", "count", "niter", "numimages", "n", "samples"},
        {"seed"},
        {"steps"},
        {"modelname", "sdmodelcheckpoint", "stablediffusionmodel", "sdmodel", "mainmodelid", "model", "ckptname"},
        {"sdvae", "vae", "vaename"},
        {"imagebase64", "initimages", "initimage", "imagelink", "referenceimage", "imageresourceid", "image"},
        {"strength", "denoisingstrength", "referencescale", "denoise"},
        {"clipskip"},
        {"loras", "lora", "submodelids"},
        {"taskid", "idtask", "taskuid", "businesstaskid", "jobid"},
    )
)


# No field name or enum value is near this long; a longer name (a hostile payload's megabyte
# key) gets no suggestion instead of a megabyte-sized similarity search, and never reaches the cache.
_LONGEST = 256


def _normal(name: str) -> str:
    return name.replace("_", "").replace("-", "").replace(" ", "").lower()


@lru_cache(maxsize=4096)
def _suggest(name: str, candidates: tuple[str, ...]) -> str | None:
    if not candidates:
        return None
    wanted = _normal(name)
    by_normal = {_normal(c): c for c in candidates}
    if wanted in by_normal:
        return by_normal[wanted]
    for concept in _CONCEPTS:
        if wanted in concept:
            for normal, original in by_normal.items():
                if normal in concept:
                    return original
    close = difflib.get_close_matches(wanted, list(by_normal), n=1, cutoff=0.75)
    return by_normal[close[0]] if close else None


def same_name(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate that is ``name`` in another case or word style (``CfgScale``, ``cfg_scale``)."""
    if len(name) > _LONGEST:
        return None
    wanted = _normal(name)
    return next((c for c in candidates if _normal(c) == wanted), None)


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate ``name`` was most likely meant to be, or None when nothing is close."""
    if len(name) > _LONGEST:
        return None
    return _suggest(name, tuple(candidates))
