"""Tensor.Art jobs: the documented workflows, valid by construction, and one breaker per rule.

Member contents come from the schema (`value_strategy`); what the rules govern is chosen here:
the workflow (which stages, in which order), ``count`` (1 without a DIFFUSION stage), nested
diffusion where no DIFFUSION stage comes first, a non-latent upscaler after DIFFUSION, an inpaint
mask, an upscaler target, and width x height within the area bound.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from .._compiler import Node
from .._protojson import snake_name
from ..rules.tensorart import MAX_AREA, MIN_AREA, Job, is_latent_upscaler, members
from ._images import jpeg, png
from ._packed import Reader, edge_or_interior, read_with
from ._schema import per_node, reading

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
_ID_WIDTH = 16  # bytes of a generated id (a UUID's worth)


def _node(root: Node, name: str) -> Node:
    stage = root.properties["stages"].items
    assert stage is not None
    return stage.properties[name]


def _range(node: Node) -> tuple[int, int]:
    """An integer field's documented inclusive bounds."""
    assert node.minimum is not None and node.maximum is not None, node.location
    return int(node.minimum), int(node.maximum)


def _key(reader: Reader, name: str) -> str:
    """A field name in either protobuf JSON spelling, as the job spells its other fields
    (`Reader.spellings`; camelCase for zero bytes)."""
    alias = snake_name(name)
    return alias if alias != name and reader.spellings(1) else name


def _between(reader: Reader, low: int, high: int) -> int:
    """An integer from ``low`` to ``high``, each end a quarter of the time."""
    return low + edge_or_interior(reader.take(8), high - low + 1)


def _id(reader: Reader) -> str:
    return reader.take(_ID_WIDTH).hex()


def _size_pair(reader: Reader, low: int, high: int, min_area: int, max_area: int) -> tuple[int, int]:
    """width, height: multiples of 64 in [low, high] with min_area <= width*height <= max_area."""
    width = _grid(reader, low, high)  # the ends as often as the interior
    need = -(-min_area // width)  # the smallest height reaching min_area, rounded up to the grid
    smallest = max(low, -(-need // 64) * 64)
    largest = min(high, max_area // width // 64 * 64)
    return width, _grid(reader, smallest, largest)


def _grid(reader: Reader, low: int, high: int) -> int:
    """A multiple of 64 from ``low`` to ``high``, the two ends drawn as often as the interior."""
    return low + 64 * edge_or_interior(reader.take(8), (high - low) // 64 + 1)


def diffusions(root: Node, lenient: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """A DIFFUSION member (or a nested ``diffusion``) inside the area bound; built once per schema
    (``lenient``: in the forms only a disputed reading accepts too)."""
    return per_node("tensorart-diffusions", root, lenient, lambda: read_with(_diffusions(root, lenient)))


def _diffusions(root: Node, lenient: bool) -> Callable[[Reader], dict[str, Any]]:
    """`diffusions` as a `Reader` read, built once per schema."""
    return per_node("tensorart-diffusion-reading", root, lenient, lambda: _diffusion_reading(root, lenient))


def _diffusion_reading(root: Node, lenient: bool) -> Callable[[Reader], dict[str, Any]]:
    node = _node(root, "diffusion")
    body_of = reading(node, lenient=lenient)
    low, high = _range(node.properties["width"])

    def read(reader: Reader) -> dict[str, Any]:
        body: dict[str, Any] = body_of(reader)
        width, height = _size_pair(reader, low, high, low * low, MAX_AREA)
        _with(reader, body, "width", width)
        _with(reader, body, "height", height)
        return body

    return read


def _without(body: dict[str, Any], *names: str) -> None:
    """Remove fields, in whichever spelling they have."""
    for name in names:
        body.pop(name, None)
        body.pop(snake_name(name), None)


def _with(reader: Reader, body: dict[str, Any], name: str, value: Any) -> None:
    """Set a field, replacing it in whichever spelling it had."""
    body.pop(name, None)
    body.pop(snake_name(name), None)
    body[_key(reader, name)] = value


def requests(root: Node, lenient: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """Valid jobs (the strategies' hook, see `sdcontracts.strategies`)."""
    return jobs(root, lenient=lenient)


@st.composite
def jobs(draw: st.DrawFn, root: Node, workflow: tuple[str, ...] | None = None, lenient: bool = False) -> dict[str, Any]:
    """A valid job: INPUT_INITIALIZE, then one of the documented workflows (``lenient``: its
    members sometimes in the forms only a disputed reading accepts, valid with a warning).

    The whole job is read off one `Reader`: each of its decisions (workflow, members, spellings,
    sizes, ids) is a few bytes, not a Hypothesis choice."""
    return _job(Reader(draw), root, workflow, lenient)


def _job(reader: Reader, root: Node, workflow: tuple[str, ...] | None, lenient: bool) -> dict[str, Any]:
    chosen = workflow or reader.pick(WORKFLOWS)
    has_diffusion = "DIFFUSION" in chosen
    first: dict[str, Any] = reading(_node(root, "inputInitialize"), lenient=lenient)(reader)
    low, high = _range(_node(root, "inputInitialize").properties["count"])
    _with(reader, first, "count", _between(reader, low, high) if has_diffusion else 1)
    stages: list[dict[str, Any]] = [{"type": "INPUT_INITIALIZE", _key(reader, "inputInitialize"): first}]
    seen_diffusion = False
    for kind in chosen:
        member = members()[kind]
        if kind == "DIFFUSION":
            body = _diffusions(root, lenient)(reader)
            seen_diffusion = True
        else:
            # no nested diffusion from the schema: its own would break the area rule
            body = reading(_node(root, member), lenient=lenient, without=_NESTED)(reader)
            if not seen_diffusion:  # no DIFFUSION stage before: the original image's parameters go here
                body["diffusion"] = _diffusions(root, lenient)(reader)
            if kind == "IMAGE_TO_UPSCALER":
                _upscaler_target(reader, root, body, seen_diffusion)
            if kind == "IMAGE_TO_INPAINT":
                _with(reader, body, "maskImageResourceId", _id(reader))
        stages.append({"type": kind, _key(reader, member): body})
    job: dict[str, Any] = {_key(reader, "requestId"): _id(reader), "stages": stages}
    if reader.bit():
        job[_key(reader, "notifyUrl")] = "https://example.com/hook"
    return job


_NESTED = frozenset({"diffusion"})


def _upscaler_target(reader: Reader, root: Node, body: dict[str, Any], after_diffusion: bool) -> None:
    _without(body, "hrScale", "hrResizeX", "hrResizeY")
    if reader.bit():
        _with(reader, body, "hrScale", _between(reader, 1, 4))
    else:
        x, y = _size_pair(reader, 128, 2048, MIN_AREA, MAX_AREA)
        _with(reader, body, "hrResizeX", x)
        _with(reader, body, "hrResizeY", y)
    # where the latent-upscaler rule allows a latent one (no DIFFUSION before), about half the draws
    # take one: six names among nineteen, they were drawn too rarely to reach each of them
    latent = [] if after_diffusion else _upscalers(root, latent=True)
    upscaler = reader.pick((*latent, *latent, *_upscalers(root, latent=False)))
    _with(reader, body, "hrUpscaler", upscaler)


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


def _input_not_first(reader: Reader, root: Node) -> dict[str, Any]:
    job = _job(reader, root, ("DIFFUSION",), False)
    job["stages"].reverse()
    return job


def _extra_member(reader: Reader, root: Node) -> dict[str, Any]:
    job = _job(reader, root, ("DIFFUSION",), False)
    job["stages"][1][_key(reader, "imageToAdetailer")] = {}
    return job


def _two_diffusions(reader: Reader, root: Node) -> dict[str, Any]:
    job = _job(reader, root, ("DIFFUSION",), False)
    job["stages"].append({"type": "DIFFUSION", "diffusion": _diffusions(root, False)(reader)})
    return job


def _count_without_diffusion(reader: Reader, root: Node) -> dict[str, Any]:
    job = _job(reader, root, reader.pick(_WITHOUT_DIFFUSION), False)
    _with(reader, _member(job, "INPUT_INITIALIZE"), "count", _between(reader, 2, 4))
    return job


def _no_nested_diffusion(reader: Reader, root: Node) -> dict[str, Any]:
    job = _job(reader, root, reader.pick(_WITHOUT_DIFFUSION), False)
    member = _member(job, index=1)
    member.pop("diffusion", None)
    return job


def _latent_after_diffusion(reader: Reader, root: Node) -> dict[str, Any]:
    job = _job(reader, root, ("DIFFUSION", "IMAGE_TO_UPSCALER"), False)
    _with(reader, _member(job, "IMAGE_TO_UPSCALER"), "hrUpscaler", reader.pick(_upscalers(root, latent=True)))
    return job


def _no_mask(reader: Reader, root: Node) -> dict[str, Any]:
    job = _job(reader, root, reader.pick((("IMAGE_TO_INPAINT",), ("DIFFUSION", "IMAGE_TO_INPAINT"))), False)
    _without(_member(job, "IMAGE_TO_INPAINT"), "maskImageResourceId")
    return job


def _no_target(reader: Reader, root: Node) -> dict[str, Any]:
    job = _job(reader, root, ("DIFFUSION", "IMAGE_TO_UPSCALER"), False)
    _without(_member(job, "IMAGE_TO_UPSCALER"), "hrScale", "hrResizeY")
    return job


def _upscaler_area(reader: Reader, root: Node) -> dict[str, Any]:
    job = _job(reader, root, ("DIFFUSION", "IMAGE_TO_UPSCALER"), False)
    member = _member(job, "IMAGE_TO_UPSCALER")
    _without(member, "hrScale")
    # below the minimum; above the spec's cap (an error in the strict profile, a warning otherwise);
    # above async-tensorart's, which both readings reject
    x, y = reader.pick(((128, 128), (128, 1984), (1536, 1408), (2048, 1088), (2944, 2880), (4096, 2048)))
    _with(reader, member, "hrResizeX", x)
    _with(reader, member, "hrResizeY", y)
    return job


def _diffusion_area(reader: Reader, root: Node) -> dict[str, Any]:
    job = _job(reader, root, ("DIFFUSION",), False)
    member = _member(job, "DIFFUSION")
    width, height = reader.pick(((1536, 1408), (1472, 1472), (1536, 1536)))
    _with(reader, member, "width", width)
    _with(reader, member, "height", height)
    return job


def _breaker(
    breaks: Callable[[Reader, Node], dict[str, Any]],
) -> Callable[[Node], st.SearchStrategy[dict[str, Any]]]:
    """A rule's breaker as the strategies' hook wants it (root -> strategy), the strategy built once
    per schema: one job read off one `Reader`, then broken."""
    return lambda root: per_node(
        f"tensorart-{breaks.__name__}", root, False, lambda: read_with(lambda r: breaks(r, root))
    )


BREAKERS = {
    "tensorart.input-initialize-first": _breaker(_input_not_first),
    "tensorart.stage-member": _breaker(_extra_member),
    "tensorart.single-diffusion": _breaker(_two_diffusions),
    "tensorart.count-without-diffusion": _breaker(_count_without_diffusion),
    "tensorart.nested-diffusion": _breaker(_no_nested_diffusion),
    "tensorart.latent-upscaler": _breaker(_latent_after_diffusion),
    "tensorart.inpaint-mask": _breaker(_no_mask),
    "tensorart.upscaler-target": _breaker(_no_target),
    "tensorart.upscaler-area": _breaker(_upscaler_area),
    "tensorart.diffusion-area": _breaker(_diffusion_area),
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
