"""PICPIK requests: sub-models only with custom models, ControlNet units filled as their preset
requires, and a breaker for each of the two rules."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import strategies as st

from .._compiler import Node
from ..rules.picpik import CUSTOM_FIELDS, PRESET_FIELDS, presets
from ._images import image_strings
from ._schema import choice, per_node, value_strategy

__all__ = ["BREAKERS", "requests"]

_COIN = st.booleans()  # built once: a strategy made inside a draw is validated inside every draw


def _bodies(root: Node, lenient: bool) -> st.SearchStrategy[dict[str, Any]]:
    """The schema's bodies with ControlNetParams left empty, built once per schema: `requests` draws
    the units as their preset requires, and units drawn by the schema alone were thrown away (a
    third of the draws of a request)."""
    units = root.properties["ControlNetParams"].location
    return per_node(
        "picpik-bodies", root, lenient, lambda: value_strategy(root, {units: lambda node: st.just([])}, lenient=lenient)
    )


def _presets(root: Node, lenient: bool) -> tuple[Any, ...]:
    """ControlPreSetId values: the schema's strings, and (``lenient``) the numbers its dispute accepts."""
    strict = _unit_node(root).properties["ControlPreSetId"].enum or ()
    return tuple(presets()) if lenient else tuple(strict)


def _unit_lists(root: Node, lenient: bool = False) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Zero to three ControlNet units (the documented maximum), built once per schema."""
    return per_node("picpik-units", root, lenient, lambda: st.lists(units(root, lenient=lenient), max_size=3))


def _unit_node(root: Node) -> Node:
    units = root.properties["ControlNetParams"].items
    assert units is not None
    return units


@st.composite
def units(draw: st.DrawFn, root: Node, preset: Any = None, lenient: bool = False) -> dict[str, Any]:
    """A ControlNet unit: preset 0 with every custom field, or 1-4 with at least image and weight."""
    node = _unit_node(root)
    unit: dict[str, Any] = draw(value_strategy(node, lenient=lenient))
    chosen = draw(choice(_presets(root, lenient))) if preset is None else preset
    unit["ControlPreSetId"] = chosen
    needed = PRESET_FIELDS if presets()[chosen] else CUSTOM_FIELDS
    limits = node.properties["ControlNetImg"].image
    assert limits is not None
    for name in needed:
        if name == "ControlNetImg":
            unit[name] = draw(image_strings(dataclasses.replace(limits, allow_empty=False)))  # "" is not filled in
        elif name not in unit or unit[name] in (None, ""):
            unit[name] = draw(value_strategy(node.properties[name], lenient=lenient))
    return unit


@st.composite
def requests(draw: st.DrawFn, root: Node, lenient: bool = False) -> dict[str, Any]:
    """A valid GenerateImg2Img body (PublicKey and Signature are placeholders the client replaces)."""
    body: dict[str, Any] = draw(_bodies(root, lenient))
    if body["ModelType"] == "combined_model":
        body.pop("SubModelIds", None)
        body.pop("SubModelParams", None)
    body["ControlNetParams"] = draw(_unit_lists(root, lenient))
    if not body["ControlNetParams"] and draw(_COIN):
        del body["ControlNetParams"]
    return body


@st.composite
def _submodels_with_combined(draw: st.DrawFn, root: Node) -> dict[str, Any]:
    body = draw(requests(root))
    body["ModelType"] = "combined_model"
    body["SubModelIds"] = draw(st.lists(st.integers(1, 10_000), min_size=1, max_size=3))
    body.pop("SubModelParams", None)
    return body


@st.composite
def _unit_missing_a_field(draw: st.DrawFn, root: Node) -> dict[str, Any]:
    body = draw(requests(root))
    preset = draw(choice(_presets(root, lenient=False)))
    unit = draw(units(root, preset))
    needed = PRESET_FIELDS if presets()[preset] else CUSTOM_FIELDS
    missing = draw(choice(tuple(needed)))
    if missing == "ControlNetImg" and draw(st.booleans()):
        unit[missing] = ""  # present but not filled in
    else:
        unit.pop(missing)
    body["ControlNetParams"] = [unit]
    return body


BREAKERS = {
    "picpik.submodels-need-custom-model": _submodels_with_combined,
    "picpik.controlnet-preset-fields": _unit_missing_a_field,
}
