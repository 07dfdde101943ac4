"""Tensor.Art jobs: the documented workflows, valid by construction, and one breaker per rule.

Member contents come from the schema (`value_strategy`); what the rules govern is chosen here:
the workflow (which stages, in which order), ``count`` (1 without a DIFFUSION stage), nested
diffusion where no DIFFUSION stage comes first, a non-latent upscaler after DIFFUSION, an inpaint
mask, an upscaler target, and width x height within the area bound.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from hypothesis import strategies as st

from .._compiler import Node
from .._protojson import snake_name
from ..rules.tensorart import MAX_AREA, MIN_AREA, Job, is_latent_upscaler, members
from ._images import jpeg, png
from ._packed import byte_strings, edge_or_interior
from ._schema import choice, integers_between, per_node, value_strategy

__all__ = ["BREAKERS", "jobs", "preparation_requests", "prepare", "requests"]

WORKFLOWS = (
    ("DIFFUSION",),
    ("DIFFUSION", "IMAGE_TO_UPSCALER"),
    ("DIFFUSION", "IMAGE_TO_ADETAILER"),
    ("DIFFUSION", "IMAGE_TO_INPAINT"),
    ("DIFFUSION", "IMAGE_TO_UPSCALER", "IMAGE_TO_ADETAILER"),
    ("IMAGE_TO_UPSCALER",),
    ("IMAGE_TO_ADETAILER",),
    ("IMAGE_TO_INPAINT",),
)
_WITHOUT_DIFFUSION = tuple(w for w in WORKFLOWS if "DIFFUSION" not in w)
# built once: a strategy made inside a draw is validated inside every draw
_IDS = st.uuids()
_COIN = st.booleans()


def _node(root: Node, name: str) -> Node:
    stage = root.properties["stages"].items
    assert stage is not None
    return stage.properties[name]


def _range(node: Node) -> tuple[int, int]:
    """An integer field's documented inclusive bounds."""
    assert node.minimum is not None and node.maximum is not None, node.location
    return int(node.minimum), int(node.maximum)


def _key(draw: st.DrawFn, name: str) -> str:
    """A field name in either protobuf JSON spelling."""
    alias = snake_name(name)
    return name if alias == name else draw(choice((name, alias)))


def _size_pair(draw: st.DrawFn, low: int, high: int, min_area: int, max_area: int) -> tuple[int, int]:
    """width, height: multiples of 64 in [low, high] with min_area <= width*height <= max_area."""
    width = draw(_grid(low, high))  # the ends as often as the interior
    need = -(-min_area // width)  # the smallest height reaching min_area, rounded up to the grid
    smallest = max(low, -(-need // 64) * 64)
    largest = min(high, max_area // width // 64 * 64)
    return width, draw(_grid(smallest, largest))


@functools.cache
def _grid(low: int, high: int) -> st.SearchStrategy[int]:
    """Multiples of 64 from ``low`` to ``high``, the two ends drawn as often as the interior, in one choice."""
    count = (high - low) // 64 + 1
    return byte_strings(8).map(lambda data: low + 64 * edge_or_interior(data, count))


def diffusions(root: Node, lenient: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """A DIFFUSION member (or a nested ``diffusion``) inside the area bound; built once per schema
    (``lenient``: in the forms only a disputed reading accepts too)."""
    return per_node("tensorart-diffusions", root, lenient, lambda: _diffusions(root, lenient))


def _diffusions(root: Node, lenient: bool) -> st.SearchStrategy[dict[str, Any]]:
    node = _node(root, "diffusion")

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        body: dict[str, Any] = draw(value_strategy(node, lenient=lenient))
        low, high = _range(node.properties["width"])
        width, height = _size_pair(draw, low, high, low * low, MAX_AREA)
        _with(draw, body, "width", width)
        _with(draw, body, "height", height)
        return body

    return build()


def _without(body: dict[str, Any], *names: str) -> None:
    """Remove fields, in whichever spelling they have."""
    for name in names:
        body.pop(name, None)
        body.pop(snake_name(name), None)


def _with(draw: st.DrawFn, body: dict[str, Any], name: str, value: Any) -> None:
    """Set a field, replacing it in whichever spelling it had."""
    body.pop(name, None)
    body.pop(snake_name(name), None)
    body[_key(draw, name)] = value


def requests(root: Node, lenient: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """Valid jobs (the strategies' hook, see `sdcontracts.strategies`)."""
    return jobs(root, lenient=lenient)


@st.composite
def jobs(draw: st.DrawFn, root: Node, workflow: tuple[str, ...] | None = None, lenient: bool = False) -> dict[str, Any]:
    """A valid job: INPUT_INITIALIZE, then one of the documented workflows (``lenient``: its
    members sometimes in the forms only a disputed reading accepts, valid with a warning)."""
    chosen = workflow or draw(choice(WORKFLOWS))
    has_diffusion = "DIFFUSION" in chosen
    first: dict[str, Any] = draw(value_strategy(_node(root, "inputInitialize"), lenient=lenient))
    low, high = _range(_node(root, "inputInitialize").properties["count"])
    _with(draw, first, "count", draw(integers_between(low, high)) if has_diffusion else 1)
    stages: list[dict[str, Any]] = [{"type": "INPUT_INITIALIZE", _key(draw, "inputInitialize"): first}]
    seen_diffusion = False
    for kind in chosen:
        member = members()[kind]
        if kind == "DIFFUSION":
            body = draw(diffusions(root, lenient))
            seen_diffusion = True
        else:
            body = draw(value_strategy(_node(root, member), lenient=lenient))
            body.pop("diffusion", None)  # the schema's own draw may break the area rule
            if not seen_diffusion:  # no DIFFUSION stage before: the original image's parameters go here
                body["diffusion"] = draw(diffusions(root, lenient))
            if kind == "IMAGE_TO_UPSCALER":
                _upscaler_target(draw, root, body, seen_diffusion)
            if kind == "IMAGE_TO_INPAINT":
                _with(draw, body, "maskImageResourceId", draw(_IDS).hex)
        stages.append({"type": kind, _key(draw, member): body})
    job: dict[str, Any] = {_key(draw, "requestId"): draw(_IDS).hex, "stages": stages}
    if draw(_COIN):
        job[_key(draw, "notifyUrl")] = "https://example.com/hook"
    return job


def _upscaler_target(draw: st.DrawFn, root: Node, body: dict[str, Any], after_diffusion: bool) -> None:
    _without(body, "hrScale", "hrResizeX", "hrResizeY")
    if draw(_COIN):
        _with(draw, body, "hrScale", draw(integers_between(1, 4)))
    else:
        x, y = _size_pair(draw, 128, 2048, MIN_AREA, MAX_AREA)
        _with(draw, body, "hrResizeX", x)
        _with(draw, body, "hrResizeY", y)
    # where the latent-upscaler rule allows a latent one (no DIFFUSION before), about half the draws
    # take one: six names among nineteen, they were drawn too rarely to reach each of them
    latent = [] if after_diffusion else _upscalers(root, latent=True)
    upscaler = draw(choice((*latent, *latent, *_upscalers(root, latent=False))))
    _with(draw, body, "hrUpscaler", upscaler)


def _upscalers(root: Node, *, latent: bool) -> list[Any]:
    """The schema's hrUpscaler names, latent or not (as the latent-upscaler rule tells them apart)."""
    enum = _node(root, "imageToUpscaler").properties["hrUpscaler"].enum
    assert enum is not None
    return [name for name in enum if is_latent_upscaler(name) == latent]


# -- breakers: one job per rule, breaking that rule only ---------------------------------------------


def _member(job: dict[str, Any], kind: str | None = None, index: int = 0) -> dict[str, Any]:
    """The member of the job's first stage of type ``kind`` (of its ``index``-th stage when None),
    the job's own object: editing it edits the job."""
    view = Job.of(job)
    assert view is not None
    stage = view.first(kind) if kind is not None else view.stages[index]
    assert stage is not None and isinstance(stage.member, dict)
    return stage.member


@st.composite
def _input_not_first(draw: st.DrawFn, root: Node) -> dict[str, Any]:
    job = draw(jobs(root, ("DIFFUSION",)))
    job["stages"].reverse()
    return job


@st.composite
def _extra_member(draw: st.DrawFn, root: Node) -> dict[str, Any]:
    job = draw(jobs(root, ("DIFFUSION",)))
    job["stages"][1][_key(draw, "imageToAdetailer")] = {}
    return job


@st.composite
def _two_diffusions(draw: st.DrawFn, root: Node) -> dict[str, Any]:
    job = draw(jobs(root, ("DIFFUSION",)))
    job["stages"].append({"type": "DIFFUSION", "diffusion": draw(diffusions(root))})
    return job


@st.composite
def _count_without_diffusion(draw: st.DrawFn, root: Node) -> dict[str, Any]:
    job = draw(jobs(root, draw(choice(_WITHOUT_DIFFUSION))))
    _with(draw, _member(job, "INPUT_INITIALIZE"), "count", draw(integers_between(2, 4)))
    return job


@st.composite
def _no_nested_diffusion(draw: st.DrawFn, root: Node) -> dict[str, Any]:
    job = draw(jobs(root, draw(choice(_WITHOUT_DIFFUSION))))
    member = _member(job, index=1)
    member.pop("diffusion", None)
    return job


@st.composite
def _latent_after_diffusion(draw: st.DrawFn, root: Node) -> dict[str, Any]:
    job = draw(jobs(root, ("DIFFUSION", "IMAGE_TO_UPSCALER")))
    _with(
        draw,
        _member(job, "IMAGE_TO_UPSCALER"),
        "hrUpscaler",
        draw(choice(tuple(_upscalers(root, latent=True)))),
    )
    return job


@st.composite
def _no_mask(draw: st.DrawFn, root: Node) -> dict[str, Any]:
    job = draw(jobs(root, draw(choice((("IMAGE_TO_INPAINT",), ("DIFFUSION", "IMAGE_TO_INPAINT"))))))
    _without(_member(job, "IMAGE_TO_INPAINT"), "maskImageResourceId")
    return job


@st.composite
def _no_target(draw: st.DrawFn, root: Node) -> dict[str, Any]:
    job = draw(jobs(root, ("DIFFUSION", "IMAGE_TO_UPSCALER")))
    _without(_member(job, "IMAGE_TO_UPSCALER"), "hrScale", "hrResizeY")
    return job


@st.composite
def _upscaler_area(draw: st.DrawFn, root: Node) -> dict[str, Any]:
    job = draw(jobs(root, ("DIFFUSION", "IMAGE_TO_UPSCALER")))
    member = _member(job, "IMAGE_TO_UPSCALER")
    _without(member, "hrScale")
    # below the minimum; above the spec's cap (an error in the strict profile, a warning otherwise);
    # above async-tensorart's, which both readings reject
    x, y = draw(choice(((128, 128), (128, 1984), (1536, 1408), (2048, 1088), (2944, 2880), (4096, 2048))))
    _with(draw, member, "hrResizeX", x)
    _with(draw, member, "hrResizeY", y)
    return job


@st.composite
def _diffusion_area(draw: st.DrawFn, root: Node) -> dict[str, Any]:
    job = draw(jobs(root, ("DIFFUSION",)))
    member = _member(job, "DIFFUSION")
    width, height = draw(choice(((1536, 1408), (1472, 1472), (1536, 1536))))
    _with(draw, member, "width", width)
    _with(draw, member, "height", height)
    return job


BREAKERS = {
    "tensorart.input-initialize-first": _input_not_first,
    "tensorart.stage-member": _extra_member,
    "tensorart.single-diffusion": _two_diffusions,
    "tensorart.count-without-diffusion": _count_without_diffusion,
    "tensorart.nested-diffusion": _no_nested_diffusion,
    "tensorart.latent-upscaler": _latent_after_diffusion,
    "tensorart.inpaint-mask": _no_mask,
    "tensorart.upscaler-target": _no_target,
    "tensorart.upscaler-area": _upscaler_area,
    "tensorart.diffusion-area": _diffusion_area,
}


# -- conformance: what a valid job needs before it is sent --------------------------------------------


def prepare(client: Any, payload: Any) -> Any:
    """A copy of the job with a real source image and a JPEG mask of its size uploaded through
    ``client`` (a `TensorArtClient`) for each resource it names: generated resource ids name
    nothing, and Tensor.Art (and the mock) refuse ids never uploaded."""
    job = copy.deepcopy(payload)
    view = Job.of(job)
    for stage, key, name in view.resources() if view is not None else ():
        stage.member[key] = client.upload_image(png(512, 512) if name == "imageResourceId" else jpeg(512, 512))
    return job


def preparation_requests(payload: Any) -> int:
    """Requests `prepare` sends for ``payload``: two per upload (the resource, then the PUT)."""
    view = Job.of(payload)
    return 2 * len(view.resources()) if view is not None else 0
