"""Tensor.Art job rules: the stage workflow constraints the doc states in prose, and the view of a
job they read.

A payload is parsed once into a `Job` (stages, their types and members, in the spelling the payload
used: every field may be lowerCamel or snake_case in protobuf JSON), and each rule reads that. Stages
whose ``type`` is missing or unknown are left out of the view: the schema reports them, and a rule
guessing at them would report one defect twice. The view is public: the mock sizes a job's images,
checks its uploads and prices it through it, conformance uploads the images a job names, and the
strategies edit the jobs they draw.

Every rule but the two that depend on the stages' order (nested-diffusion, latent-upscaler) is
also stated in JSON Schema (``engine``, built below from the same constants and the schema's own
ranges), so jsonschema-rs checks it and a valid job skips its Python check. A fragment only has
to agree with its check where the schema and the rules declared before it hold (stages an array
of objects of known types, each field within its documented range, one INPUT_INITIALIZE first):
anywhere else jsonschema-rs says invalid anyway, and every check runs in Python to explain it.
The two order-dependent rules give a condition under which they hold (``holds_if``): exact
whenever the DIFFUSION stage, if any, is among the first `ORDER_STATED` stages, stricter beyond,
where the Python check decides.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .. import _catalogue
from .._engine import show
from .._pointer import join, parts
from .._protojson import snake_name
from ._access import field, number, proto_value
from ._registry import Finding, RuleSet

__all__ = ["RULES", "Job", "Stage"]

DIFFUSION = "DIFFUSION"
INPUT = "INPUT_INITIALIZE"
UPSCALER = "IMAGE_TO_UPSCALER"
INPAINT = "IMAGE_TO_INPAINT"
DIFFUSION_MEMBER = "diffusion"  # the Stage field holding diffusion parameters, nested ones too
NEEDS_OWN_DIFFUSION = frozenset({"IMAGE_TO_ADETAILER", UPSCALER, INPAINT})
MAX_AREA = 2_073_600  # SDXL; 512 and 768 engines stop at 1,048,576, but the request does not name the engine
MIN_AREA = 262_144
ORDER_STATED = 8  # the DIFFUSION stage positions the order rules' holds_if names one by one


@lru_cache(maxsize=1)
def members() -> dict[str, str]:
    """Stage type -> the member it populates, as the schema's ``x-members`` states it."""
    stage = _catalogue.raw_schema("tensorart", "img2img.request")["$defs"]["Stage"]
    mapping: dict[str, str] = stage["x-members"]
    return mapping


@lru_cache(maxsize=1)
def _member_spellings() -> dict[str, tuple[str, ...]]:
    """Stage type -> its member's spellings: lowerCamel, then snake_case when that differs."""
    return {t: _spellings(m) for t, m in members().items()}


def _spellings(name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((name, snake_name(name))))


@lru_cache(maxsize=1)
def _foreign_keys() -> dict[str, tuple[str, ...]]:
    """Stage type -> every spelling of the other types' members (what it must not carry)."""
    spellings = _member_spellings()
    return {kind: tuple(k for other, keys in spellings.items() if other != kind for k in keys) for kind in spellings}


@dataclass(slots=True)
class Stage:
    """One stage of a job with a known type, as the payload spells it."""

    index: int  # its position in the payload's stage list
    stages_key: str  # "stages" as the payload spells it
    type: str  # a known type (stages with a missing or unknown type are not in the view)
    body: dict[str, Any]  # the stage object itself
    member_key: str | None  # this stage's own member, in the spelling used
    member: Any  # its value (the payload's own object: editing it edits the payload)
    after_diffusion: bool  # a DIFFUSION stage comes before this one

    @property
    def path(self) -> str:  # built only for a finding
        return join("", self.stages_key, self.index)

    @property
    def member_path(self) -> str:
        return join(self.path, self.member_key or "")

    def get(self, name: str) -> Any:
        """A field of the member, in either spelling (None when absent, or the member is no object)."""
        return proto_value(self.member, name)

    @property
    def diffusion(self) -> Any:
        """The diffusion parameters this stage runs with: a DIFFUSION stage's member, or the
        ``diffusion`` nested in another stage's member (None when it has none)."""
        return self.member if self.type == DIFFUSION else self.get("diffusion")


@dataclass(slots=True)
class Job:
    """A Tensor.Art job as the rules, the mock, conformance and the strategies read it."""

    stages_path: str
    stages: list[Stage]  # the stages with a known type, in order
    complete: bool  # every stage is an object with a known type
    diffusions: int
    count: int  # stages in the payload, whatever their type

    @classmethod
    def of(cls, payload: Any) -> Job | None:
        """The view of ``payload``; None when it has no stage list."""
        found = field(payload, "stages", protojson=True)
        if found is None or not isinstance(found[1], list):
            return None
        key, value = found
        spellings = _member_spellings()
        stages: list[Stage] = []
        complete = True
        diffusions = 0
        for index, body in enumerate(value):
            kind = body.get("type") if isinstance(body, dict) else None
            if not isinstance(kind, str) or (kind != "DEFAULT" and kind not in spellings):
                complete = False
                continue
            member_key = None
            for spelling in spellings.get(kind, ()):
                if spelling in body:
                    member_key = spelling
                    break
            stages.append(Stage(index, key, kind, body, member_key, body.get(member_key), diffusions > 0))
            if kind == DIFFUSION:
                diffusions += 1
        # "/" + key is join("", key): the key is "stages" in either spelling, nothing in it to escape
        return cls("/" + key, stages, complete, diffusions, len(value))

    def first(self, kind: str) -> Stage | None:
        """The first stage of type ``kind``."""
        return next((stage for stage in self.stages if stage.type == kind), None)

    def resources(self) -> list[tuple[Stage, str, str]]:
        """The image resources the job names: (stage, the key as spelt, "imageResourceId" or
        "maskImageResourceId"), the source image first."""
        found = []
        for stage in self.stages:
            if not isinstance(stage.member, dict):
                continue
            for name in RESOURCE_FIELDS:
                found += [(stage, key, name) for key in dict.fromkeys((name, snake_name(name))) if key in stage.member]
        return found


RESOURCE_FIELDS = ("imageResourceId", "maskImageResourceId")  # an uploaded source image, an inpaint mask

RULES = RuleSet("tensorart", prepare={"img2img.request": Job.of})


@RULES.rule(
    "input-initialize-first",
    doc='"stages": [{"type": "INPUT_INITIALIZE", "inputInitialize": {"image_resource_id": …, "count": …}}, …]',
    note="No sentence states it: every example, in the doc and in the spec's SDK, starts with one "
    "INPUT_INITIALIZE stage, which gives the job its input image, seed and count.",
    # the first stage is one, and no later stage is (cheaper for jsonschema-rs than counting them)
    engine=lambda schema: _stages(
        {"minItems": 1, "prefixItems": [_stage_of(INPUT)], "items": {"not": _stage_of(INPUT)}}
    ),
)
def _input_first(job: Job) -> Iterator[Finding]:
    inputs = [s for s in job.stages if s.type == INPUT]
    if not inputs:
        if job.complete:
            yield Finding(job.stages_path, "the job has no INPUT_INITIALIZE stage; it must start with exactly one")
        return
    first, *extra = inputs
    if first.index != 0:
        yield Finding(first.path, f"INPUT_INITIALIZE must be the first stage; here it is stage {first.index}")
    for stage in extra:
        yield Finding(stage.path, f"stage {stage.index} is a second INPUT_INITIALIZE; a job has exactly one")


@RULES.rule(
    "stage-member",
    doc="CreateJobRequestStage { type: TamsApiStageTypeT; inputInitialize?; diffusion?; imageToUpscaler?; "
    "imageToAdetailer?; imageToInpaint? }",
    source="spec",
    note="A stage is a tagged union: its type names the one member it carries (the schema's x-members).",
    engine=lambda schema: {_definition(schema): _carries_only()},
)
def _stage_member(job: Job) -> Iterator[Finding]:
    for stage in job.stages:
        if stage.type == "DEFAULT":
            yield Finding(
                join(stage.path, "type"),
                f"stage {stage.index} has type DEFAULT, the unset value; use one of {', '.join(members())}",
            )
            continue
        own = members()[stage.type]
        others = [key for key in _foreign_keys()[stage.type] if key in stage.body]
        if stage.member_key is None:
            carried = f"carries {', '.join(map(repr, others))} instead" if others else "does not carry it"
            yield Finding(
                stage.path, f"stage {stage.index} is {stage.type}, whose parameters go in {own!r}, but it {carried}"
            )
            continue
        for key in others:
            yield Finding(
                join(stage.path, key),
                f"stage {stage.index} is {stage.type} and carries only {own!r}; {key!r} belongs to another stage type",
            )


@RULES.rule(
    "single-diffusion",
    doc="if has diffusion stage, this diffusion will be ignored, else need to be specified",
    source="spec",
    note="Post-processing stages refer to 'the' diffusion stage: a job has at most one.",
    engine=lambda schema: _stages({"contains": _stage_of(DIFFUSION), "minContains": 0, "maxContains": 1}),
)
def _single_diffusion(job: Job) -> Iterator[Finding]:
    for stage in [s for s in job.stages if s.type == DIFFUSION][1:]:
        yield Finding(stage.path, f"stage {stage.index} is a second DIFFUSION stage; a job has at most one")


@RULES.rule(
    "count-without-diffusion",
    doc="Do not perform the Diffusion operation, therefore inputInitialize.count can only be 1",
    # count is 1, or there is a DIFFUSION stage; the one INPUT_INITIALIZE stage is the first
    # (input-initialize-first holds), and the count, the cheaper test, comes first
    engine=lambda schema: _stages(
        {
            "anyOf": [
                {"prefixItems": [_fields(members()[INPUT], _fields("count", {"const": 1}))]},
                {"contains": _stage_of(DIFFUSION)},
            ]
        }
    ),
)
def _count_without_diffusion(job: Job) -> Iterator[Finding]:
    if job.diffusions or not job.complete:
        return
    for stage in job.stages:
        if stage.type != INPUT:
            continue
        count = field(stage.member, "count", protojson=True)
        if count is not None and number(count[1]) is not None and count[1] != 1:
            yield Finding(
                join(stage.member_path, count[0]),
                f"inputInitialize.count is {show(count[1])}, but the job has no DIFFUSION stage, so it can only be 1",
            )


@RULES.rule(
    "nested-diffusion",
    doc="Although not using Diffusion, image_to_adetailer still needs parameters with the original image "
    "diffusion / image_to_upscaler still requires parameters with the original image diffusion",
    # every such stage carries its diffusion, or none comes before the DIFFUSION stage
    holds_if=lambda schema: _stages(
        {"anyOf": [{"items": _carrying_diffusion()}, *_diffusion_at(_carrying_diffusion())]}
    ),
)
def _nested_diffusion(job: Job) -> Iterator[Finding]:
    for stage in job.stages:
        if stage.type not in NEEDS_OWN_DIFFUSION or stage.after_diffusion or not isinstance(stage.member, dict):
            continue
        if field(stage.member, "diffusion", protojson=True) is None:
            yield Finding(
                stage.member_path,
                f"stage {stage.index} ({stage.type}) has no DIFFUSION stage before it, so "
                f"{stage.member_key}.diffusion must give the original image's diffusion parameters",
            )


def is_latent_upscaler(name: object) -> bool:
    """The doc's "late[nt]" upscalers: the six whose names start with "Latent"."""
    return isinstance(name, str) and name.startswith("Latent")


@RULES.rule(
    "latent-upscaler",
    doc="When using Image to Upscaler, image_to_upscaler.hr_upscaler prohibits the use of late, as late only "
    "takes effect during the Diffusion phase of txt2img",
    # no upscaler comes after the DIFFUSION stage with a latent upscaler (or there is no DIFFUSION stage)
    holds_if=lambda schema: _stages(
        {
            "anyOf": [
                {"not": {"contains": _stage_of(DIFFUSION)}},
                {"items": _no_latent()},
                *({**at, "items": _no_latent()} for at in _diffusion_at(True)),
            ]
        }
    ),
)
def _latent_upscaler(job: Job) -> Iterator[Finding]:
    for stage in job.stages:
        if stage.type != UPSCALER or not stage.after_diffusion:
            continue
        upscaler = field(stage.member, "hrUpscaler", protojson=True)
        if upscaler is not None and is_latent_upscaler(upscaler[1]):
            yield Finding(
                join(stage.member_path, upscaler[0]),
                f"hrUpscaler {show(upscaler[1])} is a latent upscaler, which works only inside the Diffusion phase; "
                "after a DIFFUSION stage use an image upscaler such as '4x-UltraSharp'",
            )


@RULES.rule(
    "inpaint-mask",
    doc="Then we need a mask image",
    note="Inpainting redraws the mask's white area, so IMAGE_TO_INPAINT needs maskImageResourceId.",
    engine=lambda schema: {_definition(schema, members()[INPAINT]): _given("maskImageResourceId")},
)
def _inpaint_mask(job: Job) -> Iterator[Finding]:
    for stage in job.stages:
        if stage.type != INPAINT or not isinstance(stage.member, dict):
            continue
        if field(stage.member, "maskImageResourceId", protojson=True) is None:
            yield Finding(
                stage.member_path,
                f"stage {stage.index} inpaints but gives no maskImageResourceId; upload the mask (a JPEG "
                "of the source image's size) and pass its resource id",
            )


@RULES.rule(
    "upscaler-target",
    doc="hr_scale or hr_resize_x must be specified. If hr_scale is specified, hr_resize_x will be ignored. / "
    "hr_scale or hr_resize_y must be specified. If hr_scale is specified, hr_resize_y will be ignored.",
    source="spec",
    engine=lambda schema: {
        _definition(schema, members()[UPSCALER]): {
            "anyOf": [_given("hrScale"), {"allOf": [_given("hrResizeX"), _given("hrResizeY")]}]
        }
    },
)
def _upscaler_target(job: Job) -> Iterator[Finding]:
    for stage, upscaler in _upscalers(job):
        missing = [n for n in ("hrResizeX", "hrResizeY") if field(upscaler, n, protojson=True) is None]
        if missing:
            yield Finding(
                stage.member_path,
                f"the upscaler gives neither hrScale nor {' and '.join(missing)}; "
                "give hrScale, or both hrResizeX and hrResizeY",
            )


UPSCALER_AREA = RULES.dispute(
    "upscaler-area-limit",
    rule="upscaler-area",
    strict=MAX_AREA,
    lenient=8_294_400,
    summary="the spec caps hrResizeX x hrResizeY at 2,073,600 pixels; async-tensorart's docstrings say 8,294,400, "
    "and the doc's inpaint example asks for 1536 x 2304 (3,538,944)",
    readings=(
        ("spec", "262,144 ≤ hr_resize_x * hr_resize_y ≤ 2,073,600"),
        ("async-tensorart", "262,144 ≤ hr_resize_x * hr_resize_y ≤ 8,294,400"),
        ("doc", '"hrResizeX": 1536, "hrResizeY": 2304 (the inpaint example, step 1)'),
    ),
    why="The provider's own example exceeds the spec's cap and a client mirroring a newer spec states a larger one: "
    "the cap has grown. Between the two a warning, above 8,294,400 an error; in strict mode the spec's cap.",
)


@RULES.rule(
    "upscaler-area",
    doc="262,144 ≤ hr_resize_x * hr_resize_y ≤ 2,073,600",
    source="spec",
    # the strict bound: between it and the dispute's, jsonschema-rs says invalid and the check warns
    engine=lambda schema: {
        _definition(schema, members()[UPSCALER]): {
            "anyOf": [
                _given("hrScale"),
                _area(schema, members()[UPSCALER], "hrResizeX", "hrResizeY", MIN_AREA, MAX_AREA),
            ]
        }
    },
)
def _upscaler_area(job: Job) -> Iterator[Finding]:
    for stage, upscaler in _upscalers(job):
        x = _size(upscaler, "hrResizeX", 128, None)
        y = _size(upscaler, "hrResizeY", 128, None)
        if x is None or y is None or MIN_AREA <= x * y <= MAX_AREA:
            continue
        within = MAX_AREA < x * y <= UPSCALER_AREA.lenient
        yield Finding(
            stage.member_path,
            f"hrResizeX x hrResizeY is {show(x)} x {show(y)} = {_pixels(x * y)} pixels; "
            f"it must be {MIN_AREA:,} to {MAX_AREA if within else UPSCALER_AREA.lenient:,}",
            UPSCALER_AREA if within else None,
        )


@RULES.rule(
    "diffusion-area",
    doc="For 512 engines: 262,144 ≤ height * width ≤ 1,048,576, Maximum 1024 … For SDXL v1.0: "
    "262,144 ≤ height * width ≤ 2,073,600, Maximum 1536",
    source="spec",
    note="The request does not say which engine the model is, so the widest (SDXL) bound is enforced.",
    engine=lambda schema: {
        _definition(schema, DIFFUSION_MEMBER): _area(schema, DIFFUSION_MEMBER, "width", "height", 0, MAX_AREA)
    },
)
def _diffusion_area(job: Job) -> Iterator[Finding]:
    for stage, key, diffusion in _diffusions(job):
        width = _size(diffusion, "width", 512, 1536)
        height = _size(diffusion, "height", 512, 1536)
        if width is not None and height is not None and width * height > MAX_AREA:
            yield Finding(
                stage.member_path if key is None else join(stage.member_path, key),
                f"width x height is {width} x {height} = {width * height:,} pixels; at most {MAX_AREA:,} "
                "(SDXL; 1,048,576 on 512 and 768 engines)",
            )


def _pixels(count: int) -> str:
    """``1,048,576``; a hostile size too long to print (its digits) as `show` says it."""
    return f"{count:,}" if count < 10**60 else show(count)


def _size(obj: dict[str, Any], name: str, low: int, high: int | None) -> int | None:
    """A dimension when it is individually valid (otherwise the schema has reported it)."""
    found = field(obj, name, protojson=True)
    value = number(found[1]) if found else None
    if value is None or value != int(value) or value < low or (high is not None and value > high) or value % 64:
        return None
    return int(value)


def _upscalers(job: Job) -> Iterator[tuple[Stage, dict[str, Any]]]:
    """Upscaler members whose target size is given by hrResizeX/Y (hrScale absent)."""
    for stage in job.stages:
        upscaler = stage.member if stage.type == UPSCALER else None
        if isinstance(upscaler, dict) and field(upscaler, "hrScale", protojson=True) is None:
            yield stage, upscaler


def _diffusions(job: Job) -> Iterator[tuple[Stage, str | None, dict[str, Any]]]:
    """Every diffusion parameter object: DIFFUSION stages' (key None: the member itself) and
    those nested in other members (under ``key``)."""
    for stage in job.stages:
        if not isinstance(stage.member, dict):
            continue
        if stage.type == DIFFUSION:
            yield stage, None, stage.member
            continue
        nested = field(stage.member, "diffusion", protojson=True)
        if nested is not None and isinstance(nested[1], dict):
            yield stage, nested[0], nested[1]


# -- the rules in JSON Schema (Rule.engine) -----------------------------------------------------------


def _given(name: str) -> dict[str, Any]:
    """The field is there, in either spelling."""
    return {"anyOf": [{"required": [spelling]} for spelling in _spellings(name)]}


def _fields(name: str, schema: Any) -> dict[str, Any]:
    """The field, in whichever spelling it is given, meets ``schema``."""
    return {"properties": {spelling: schema for spelling in _spellings(name)}}


def _stage_of(kind: str) -> dict[str, Any]:
    return {"properties": {"type": {"const": kind}}, "required": ["type"]}


def _stages(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The job's stage list meets ``schema`` (in a fragment of its own: ``prefixItems`` beside the
    schema's ``items`` would change what ``items`` applies to)."""
    return {"": {"properties": {"stages": schema}}}


def _carries_only() -> dict[str, Any]:
    """Every stage carries its own type's member and no other type's. The schema allows only
    ``type`` (required) and the members in a stage, and no member in both spellings, so: a stage
    has a member (two fields or more), and each member it has names the stage's type. jsonschema-rs
    then looks up the members a stage has, not every type's."""
    names = {spelling: kind for kind, member in members().items() for spelling in _spellings(member)}
    return {"minProperties": 2, "dependentSchemas": {name: _stage_of(kind) for name, kind in names.items()}}


def _carrying_diffusion() -> dict[str, Any]:
    """A stage whose member, if it is one that needs its own, carries diffusion parameters."""
    carries = {"required": [DIFFUSION_MEMBER]}  # one word: one spelling
    kinds = sorted(NEEDS_OWN_DIFFUSION)
    return {"properties": {spelling: carries for kind in kinds for spelling in _spellings(members()[kind])}}


def _no_latent() -> dict[str, Any]:
    """A stage that is no upscaler with a latent upscaler (the names `is_latent_upscaler` reads)."""
    latent = {"not": {"type": "string", "pattern": "^Latent"}}
    return {"properties": {s: _fields("hrUpscaler", latent) for s in _spellings(members()[UPSCALER])}}


def _diffusion_at(before: Any) -> list[dict[str, Any]]:
    """The DIFFUSION stage at each position from 1 to `ORDER_STATED` - 1 (0 is INPUT_INITIALIZE's),
    the stages before it meeting ``before``: JSON Schema has no "before" for a position it does not name."""
    return [{"minItems": k + 1, "prefixItems": [before] * k + [_stage_of(DIFFUSION)]} for k in range(1, ORDER_STATED)]


def _definition(schema: Mapping[str, Any], member: str | None = None) -> str:
    """The JSON Pointer of the ``$defs`` entry of a stage, or of the stage field ``member``."""
    stage = str(schema["properties"]["stages"]["items"]["$ref"])[1:]
    return stage if member is None else str(_at(schema, stage)["properties"][member]["$ref"])[1:]


def _at(schema: Mapping[str, Any], pointer: str) -> Any:
    for token in parts(pointer):
        schema = schema[token]
    return schema


def _area(schema: Mapping[str, Any], member: str, x: str, y: str, low: int, high: int) -> dict[str, Any]:
    """``low`` ≤ x * y ≤ ``high`` where x and y are given, for x and y on the grids the schema gives
    them (minimum, multipleOf, maximum): for each run of x values, the y range allowed."""
    properties = _at(schema, _definition(schema, member))["properties"]
    (x_start, x_step, x_stop), (y_start, y_step, y_stop) = (
        (int(p["minimum"]), int(p["multipleOf"]), p.get("maximum")) for p in (properties[x], properties[y])
    )
    runs: list[list[Any]] = []  # [first x, last x (None: no end), (lowest y, highest y) or None: no y]
    width = x_start
    while x_stop is None or width <= x_stop:
        lowest = max(y_start, -(-low // (width * y_step)) * y_step)
        highest = high // (width * y_step) * y_step
        highest = highest if y_stop is None else min(highest, y_stop)
        allowed = (lowest, highest) if lowest <= highest else None
        if runs and runs[-1][2] == allowed:
            runs[-1][1] = width
        else:
            runs.append([width, width, allowed])
        if highest < y_start:  # and so for every wider x: no y is allowed from here on
            runs[-1][1] = x_stop
            break
        width += x_step
    found = []
    for first, last, allowed in runs:
        if allowed is None:
            bound: Any = False
        else:
            bound = {"minimum": allowed[0]} if allowed[0] > y_start else {}
            bound |= {"maximum": allowed[1]} if y_stop is None or allowed[1] < y_stop else {}
        if bound == {}:
            continue
        run = {"minimum": first} | ({} if last is None else {"maximum": last})
        found.append({"if": _fields(x, run), "then": _fields(y, bound)})
    return {"anyOf": [{"not": _given(x)}, {"allOf": found}]} if found else {}
