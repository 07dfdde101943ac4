"""PICPIK GenerateImg2Img rules: what the doc's prose says about which fields go together.

PICPIK's server is Go: a field sent as ``null`` or ``""`` is indistinguishable from one left
out, so "filled in" means present, not null and not an empty string.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from .._catalogue import raw_schema
from .._pointer import join
from ._registry import Finding, RuleSet

__all__ = ["RULES"]

RULES = RuleSet("picpik")

CUSTOM_FIELDS = (
    "ControlNetImg", "ControlWeight", "ModelId", "PreProcessorId", "StartingControlStep", "EndingControlStep",
    "ControlMode", "ResizeMode", "PreProcessorResolution", "Param1Value", "Param2Value",
)  # fmt: skip
PRESET_FIELDS = ("ControlNetImg", "ControlWeight")


@functools.cache
def presets() -> dict[Any, int]:
    """ControlPreSetId as sent -> the preset it names: the schema's values (strings, as the table
    types them) and those its dispute accepts (numbers, as the doc's examples send them)."""
    field = raw_schema("picpik", "img2img.request")["$defs"]["ControlNetParam"]["properties"]["ControlPreSetId"]
    disputed = [v for d in field.get("x-disputes", ()) if d["keyword"] == "enum" for v in d["lenient"]]
    return {value: int(value) for value in (*field["enum"], *disputed)}


@RULES.rule(
    "submodels-need-custom-model",
    doc="SubModelIds | []int | Submodel list, do not fill in if ModelType is combined_model",
    note="SubModelParams weights the SubModelIds, so it goes with them.",
)
def _submodels(payload: Any) -> Iterator[Finding]:
    if not isinstance(payload, dict) or payload.get("ModelType") != "combined_model":
        return
    for key in ("SubModelIds", "SubModelParams"):
        if _filled(payload.get(key)):
            yield Finding(
                join("", key),
                f"{key} is for self-trained or uploaded models; with ModelType combined_model leave it out "
                "(or use ModelType custom_model)",
            )


@RULES.rule(
    "controlnet-preset-fields",
    doc="Note: If ControlPreSetId is not 0, you only need to fill in the ControlNetImg and ControlWeight "
    "parameter. Otherwise, all parameters need to be filled in.",
    note="An absent ControlPreSetId is read as 0 (custom) by the Go server.",
)
def _controlnet_fields(payload: Any) -> Iterator[Finding]:
    units = payload.get("ControlNetParams") if isinstance(payload, dict) else None
    if not isinstance(units, list):
        return
    for index, unit in enumerate(units):
        if not isinstance(unit, dict):
            continue
        raw = unit.get("ControlPreSetId", 0)
        try:
            preset = presets().get(raw) if not isinstance(raw, bool) else None
        except TypeError:  # an unhashable value: the schema reports it
            preset = None
        if preset is None:
            continue
        needed = PRESET_FIELDS if preset else CUSTOM_FIELDS
        if preset:
            how = f"preset {preset}"
        else:
            how = (
                "custom (ControlPreSetId 0)" if "ControlPreSetId" in unit else "custom (no ControlPreSetId, read as 0)"
            )
        for name in needed:
            if not _filled(unit.get(name)):
                yield Finding(
                    join("", "ControlNetParams", index),
                    f"ControlNetParams[{index}] is {how} and must fill in {name}"
                    + (" (an empty string counts as not filled in)" if unit.get(name) == "" else ""),
                )


def _filled(value: Any) -> bool:
    return value is not None and value != ""
