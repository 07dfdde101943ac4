"""The interpreter: walk a compiled `Node` tree over a payload and explain every violation.

It runs only when jsonschema-rs has already said "invalid" (or could not read the payload),
so it is written for clarity of its messages, not speed. ``python_checks`` is the other
entry point: the few checks jsonschema-rs cannot run (image headers, JSON-ness of free-form
values), run even when the payload is otherwise valid.

One defect, one violation: a value of the wrong type is reported once and not descended
into; a misspelt key is reported as unknown and its value left alone.

Verdicts are graded. A value breaking a constraint that the sources dispute (``x-disputes``,
decided "warning") but within what the lenient reading accepts is a *warning*; anything else
is an *error*, described by what is accepted by default (the lenient reading). A violation of a
disputed constraint carries the dispute.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from . import _pointer
from ._compiler import INT64_MAX, INT64_MIN, Node, enum_key, json_text, parse_int64
from ._images import check_base64_image
from ._report import Violation
from ._suggest import same_name, suggest

if TYPE_CHECKING:
    from ._disputes import Dispute

__all__ = ["VIOLATION_LIMIT", "Enough", "Findings", "Interpreter", "json_kind"]

_ARTICLE = {
    "null": "null",
    "boolean": "a boolean",
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "array": "an array",
    "object": "an object",
}
_ENUM_SHOWN = 24
VIOLATION_LIMIT = 100  # violations a report holds, then one ``too-many-violations`` (`_validation`)


def json_kind(value: Any) -> str | None:
    """The JSON type of a Python value, or None when it is not JSON.

    Integral floats are integers (JSON Schema counts ``1.0`` as an integer); NaN and the
    infinities are not JSON. ``tuple`` counts as an array and a finite ``Decimal`` as a number,
    as they do for jsonschema-rs, so both engines agree.
    """
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float | Decimal):
        # is_nan first: float(Decimal("sNaN")), which isfinite needs, raises instead of answering
        if (isinstance(value, Decimal) and value.is_nan()) or not math.isfinite(value):
            return None
        return "integer" if value == int(value) else "number"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return None  # any other Python type


def show(value: Any, node: Node | None = None, limit: int = 60) -> str:
    """A short, safe rendering of a value for messages."""
    if node is not None and node.secret:
        return "(value withheld)"
    if isinstance(value, str):
        text = json.dumps(value if len(value) <= limit else value[:limit], ensure_ascii=False)
        return text if len(value) <= limit else text[:-1] + f'…" ({len(value):,} characters)'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int) and abs(value) >= 10**limit:
        return f"an integer of {_digits(abs(value)):,} digits"
    if isinstance(value, dict | list | tuple):
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
        except (TypeError, ValueError, RecursionError):
            text = ""
        if text and len(text) <= limit:
            return text
        return _count(len(value), "field" if isinstance(value, dict) else "item")
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _digits(n: int) -> int:
    """Decimal digits of ``n`` > 0; not len(str(n)): Python refuses to print integers of more than
    4,300 digits. The float logarithm can be one off next to a power of ten (10**64 - 1)."""
    digits = math.floor(math.log10(n)) + 1
    if n < 10 ** (digits - 1):
        return digits - 1
    return digits + 1 if n >= 10**digits else digits


def _bounds(minimum: Any, maximum: Any, exclusive_minimum: Any, exclusive_maximum: Any) -> str:
    low = high = ""
    if minimum is not None:
        low = f"at least {minimum}"
    if exclusive_minimum is not None:
        low = f"greater than {exclusive_minimum}"
    if maximum is not None:
        high = f"at most {maximum}"
    if exclusive_maximum is not None:
        high = f"less than {exclusive_maximum}"
    if minimum is not None and maximum is not None:
        return f"{minimum} to {maximum}"
    return " and ".join(part for part in (low, high) if part)


class Enough(Exception):
    """Raised by a full `Findings`: the walk stops there."""


class Findings(list[Violation]):
    """A list of violations that ends the walk once it holds ``limit``: a payload with a hundred
    thousand bad items or unknown keys costs a hundred violations' work, not a hundred thousand.

    ``Findings()`` holds `VIOLATION_LIMIT` and one more (telling "exactly the limit" from "more"),
    and is made without running any Python (every valid request with an image makes one);
    ``Findings.up_to(limit)`` holds another number.
    """

    limit = VIOLATION_LIMIT + 1

    @classmethod
    def up_to(cls, limit: int) -> Findings:
        found = cls()
        found.limit = limit
        return found

    def append(self, violation: Violation) -> None:
        if len(self) >= self.limit:
            raise Enough
        super().append(violation)

    def extend(self, violations: Iterable[Violation]) -> None:
        for violation in violations:
            self.append(violation)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def disputed(message: str, dispute: Dispute) -> str:
    """A violation's message, saying that the sources disagree on the constraint it breaks."""
    return f"{message}; the sources disagree: {dispute.summary}"


def graded(path: str, rule: str, message: str, doc: str, expected: Any = None, *,
           dispute: Dispute | None = None, warn: bool = False) -> Violation:  # fmt: skip
    """A violation: a warning when ``warn`` (the value is within the lenient reading of
    ``dispute``), else an error, carrying ``dispute`` when the constraint is disputed."""
    if dispute is None:
        return Violation(path, rule, message, doc, expected)
    return Violation(
        path, rule, disputed(message, dispute), doc, expected, "warning" if warn else "error", dispute
    )  # fmt: skip


class _Adder:
    """Appends violations about one value: ``add(rule, "is 4096, above …")`` prefixes the label."""

    __slots__ = ("node", "out", "ptr")

    def __init__(self, node: Node, ptr: str, out: list[Violation]) -> None:
        self.node, self.ptr, self.out = node, ptr, out

    def __call__(self, rule: str, message: str, expected: Any = None, *, sep: str = " ",
                 keyword: str = "", warn: bool = False) -> None:  # fmt: skip
        """``keyword``: the schema keyword broken, whose dispute (if any) the violation carries;
        ``warn``: the value is within the dispute's lenient reading."""
        dispute = self.node.disputes.get(keyword) if keyword else None
        text = f"{_pointer.label(self.ptr)}{sep}{message}"
        self.out.append(graded(self.ptr, rule, text, self.node.doc, expected, dispute=dispute, warn=warn))


# keyword -> (rule id, the value breaks the bound, the message after "is <value>")
_LIMITS: dict[str, tuple[str, Callable[[Any, Any], bool], str]] = {
    "minimum": ("minimum", lambda v, b: v < b, ", below the minimum {bound} (allowed: {allowed})"),
    "maximum": ("maximum", lambda v, b: v > b, ", above the maximum {bound} (allowed: {allowed})"),
    "exclusiveMinimum": (
        "exclusive-minimum", lambda v, b: v <= b, "; it must be greater than {bound} (allowed: {allowed})"
    ),
    "exclusiveMaximum": (
        "exclusive-maximum", lambda v, b: v >= b, "; it must be less than {bound} (allowed: {allowed})"
    ),
}  # fmt: skip


def _numeric(add: _Adder, node: Node, value: Any) -> None:
    bounds = {
        "minimum": node.minimum,
        "maximum": node.maximum,
        "exclusiveMinimum": node.exclusive_minimum,
        "exclusiveMaximum": node.exclusive_maximum,
    }
    _graded_numeric(add, node, value, bounds, node.lenient.bounds if node.lenient is not None else {})
    if node.multiple_of is not None and (value != int(value) or int(value) % node.multiple_of):
        add("multiple-of", f"is {show(value, node)}, not a multiple of {node.multiple_of}", node.multiple_of)


def _graded_numeric(add: _Adder, node: Node, value: Any, strict: dict[str, Any], lenient: dict[str, Any]) -> None:
    """Numeric bounds, graded where disputed (``lenient``: keyword -> the bound its dispute accepts):
    within the lenient bound a warning (described by the strict bounds), beyond it an error
    (described by the bounds accepted by default); an undisputed bound is an error as stated."""
    accepted = {keyword: lenient.get(keyword, bound) for keyword, bound in strict.items()}
    for keyword, bound in strict.items():
        if bound is None:
            continue
        rule, broken, text = _LIMITS[keyword]
        if not broken(value, bound):
            continue
        loose = accepted[keyword]
        if loose is None or not broken(value, loose):
            message = f"is {show(value, node)}" + text.format(bound=bound, allowed=_bounds(*strict.values()))
            add(rule, message, bound, keyword=keyword, warn=True)
        else:  # beyond what either reading accepts: an error, described by the bounds accepted by default
            message = f"is {show(value, node)}" + text.format(bound=loose, allowed=_bounds(*accepted.values()))
            add(rule, message, loose, keyword="" if keyword in lenient else keyword)


def _length(add: _Adder, node: Node, count: int, noun: str, limits: tuple[tuple[str, str, int | None], ...]) -> None:
    """Length and item-count limits (``minLength`` … ``maxItems``), graded where disputed."""
    lenient = node.lenient.bounds if node.lenient is not None else {}
    for keyword, rule, bound in limits:
        if bound is None:
            continue
        least = keyword.startswith("min")
        if not (count < bound if least else count > bound):
            continue
        loose = lenient.get(keyword, bound)
        warn = keyword in lenient and (loose is None or not (count < loose if least else count > loose))
        shown = bound if warn or loose is None else loose
        wanted = f"at least {shown:,} required" if least else f"at most {shown:,} allowed"
        disputed = keyword if warn or keyword not in lenient else ""  # beyond both readings: no dispute to cite
        add(rule, f"has {_count(count, noun)}; {wanted}", shown, keyword=disputed, warn=warn)


def _typed(kind: str, types: frozenset[str]) -> bool:
    """A value of JSON type ``kind`` has one of ``types`` (an integer is a number)."""
    return kind in types or (kind == "integer" and "number" in types)


def _not_in_enum(node: Node, value: Any, extra: tuple[Any, ...]) -> str:
    """Why ``value`` is not allowed; ``extra``: the values a dispute's lenient reading adds."""
    assert node.enum is not None
    values = (*node.enum, *extra)
    allowed = ", ".join(show(v) for v in values[:_ENUM_SHOWN])
    if len(values) > _ENUM_SHOWN:
        allowed += f", … ({len(values)} in all)"
    message = f"is {show(value, node)}, not one of the allowed values: {allowed}"
    if isinstance(value, str):
        close = suggest(value, [v for v in values if isinstance(v, str)])
        if close is not None:
            message += f"; did you mean {show(close)}?"
    return message


def _nested_home(node: Node, key: str, depth: int = 3) -> str | None:
    """Where ``key`` is a field, in the objects below ``node`` (breadth first): "alwayson_scripts.sd_vae"."""
    level: list[tuple[str, Node]] = [("", node)]
    for _ in range(depth):
        below: list[tuple[str, Node]] = []
        for path, parent in level:
            for name, child in parent.properties.items():
                here = f"{path}{name}"
                if child.items is not None and child.items.properties:
                    here, child = f"{here}[]", child.items
                if not child.properties:
                    continue
                found = same_name(key, child.names)
                if found is not None:
                    return f"{here}.{found}"
                below.append((f"{here}.", child))
        level = below
    return None


def _bad_key(key: Any, ptr: str, node: Node) -> Violation:
    kind = type(key).__name__
    message = f"{_pointer.label(ptr)} has the key {show(key)} of type {kind}; JSON object keys are strings"
    return Violation(ptr, "not-json", message, node.doc)


class Interpreter:
    """Checks payloads against one compiled schema tree."""

    def __init__(self, root: Node) -> None:
        self.root = root
        self._python_walk = _walker(root, {})

    def violations(self, payload: Any, out: list[Violation] | None = None) -> list[Violation]:
        """Every violation in ``payload``, appended to ``out`` (a `Findings` ends the walk when full)."""
        out = [] if out is None else out
        try:
            self._check(self.root, payload, "", out)
        except Enough:
            return out  # full: the walk ends here
        return out

    def python_checks(self, payload: Any, out: list[Violation] | None = None) -> list[Violation]:
        """Only the checks jsonschema-rs cannot run, on a payload it found schema-valid."""
        out = [] if out is None else out
        if self._python_walk is not None:
            try:
                self._python_walk(payload, [], out)
            except Enough:
                return out  # full: the walk ends here
        return out

    # -- full check ------------------------------------------------------------------------

    def _check(self, node: Node, value: Any, ptr: str, out: list[Violation]) -> None:
        if node.free:
            out.extend(_json_problems(value, ptr, node))
            return
        kind = json_kind(value)
        if kind is None:
            out.append(_not_json(value, ptr, node))
            return
        add = _Adder(node, ptr, out)
        if node.types is not None and not _typed(kind, node.types):
            lenient = node.lenient.types if node.lenient is not None else None
            warn = lenient is not None and _typed(kind, lenient)
            types = node.types if warn or lenient is None else lenient
            wanted = "an integer or a decimal string" if node.int64 else _kinds(types)
            message = f"must be {wanted}, not {_ARTICLE[kind]} ({show(value, node)})"
            add("type", message, sorted(types), keyword="type" if warn or lenient is None else "", warn=warn)
            if not warn:
                return
        if node.const is not None and enum_key(value) != enum_key(node.const[0]):
            add("const", f"must be {show(node.const[0])}, not {show(value, node)}", node.const[0])
            return
        if node.enum_keys is not None and enum_key(value) not in node.enum_keys:
            added = node.lenient.enum_keys if node.lenient is not None else frozenset()
            if enum_key(value) in added:
                message = f"is {show(value, node)}, which is not one of the {len(node.enum or ())} documented values"
                add("enum", message, list(node.enum or ()), keyword="enum", warn=True)
            else:
                extra = node.lenient.enum if node.lenient is not None else ()
                add("enum", _not_in_enum(node, value, extra), [*(node.enum or ()), *extra],
                    keyword="" if extra else "enum")  # fmt: skip
                return
        if kind in ("integer", "number"):
            if node.int64 and not INT64_MIN <= value <= INT64_MAX:  # a protobuf int64, whichever spelling
                add("format", f"is {show(value, node)}, outside the int64 range", "int64")
                return
            _numeric(add, node, value)
        elif kind == "string":
            self._string(add, node, value, out)
        elif kind == "array":
            self._array(add, node, value, ptr, out)
        elif kind == "object":
            self._object(node, value, ptr, out)

    def _string(self, add: _Adder, node: Node, value: str, out: list[Violation]) -> None:
        if node.int64:
            number = parse_int64(value)
            if number is None:
                add("format", f"is {show(value, node)}, not a decimal int64 string", "int64")
                return
            _numeric(add, node, number)
        if node.min_length is not None or node.max_length is not None:
            limits = (("minLength", "min-length", node.min_length), ("maxLength", "max-length", node.max_length))
            _length(add, node, len(value), "character", limits)
        if node.pattern is not None and not node.pattern.search(value):
            add("pattern", f"is {show(value, node)}, which is not {node.pattern_hint}", node.pattern_text)
        if node.image is not None:
            problem = check_base64_image(value, node.image)
            if problem is not None:
                add(problem[0], problem[1], node.image.to_dict(), sep=": ")

    def _array(
        self, add: _Adder, node: Node, value: list[Any] | tuple[Any, ...], ptr: str, out: list[Violation]
    ) -> None:
        if node.min_items is not None or node.max_items is not None:
            limits = (("minItems", "min-items", node.min_items), ("maxItems", "max-items", node.max_items))
            _length(add, node, len(value), "item", limits)
        if node.unique_items:
            seen: dict[str, int] = {}
            for index, item in enumerate(value):
                key = json_text(item)
                if key in seen:
                    here = _pointer.join(ptr, index)
                    message = f"{_pointer.label(here)} repeats item {seen[key]}; items must be unique"
                    out.append(Violation(here, "unique-items", message, node.doc, True))
                seen.setdefault(key, index)
        if node.items is not None:
            for index, item in enumerate(value):
                self._check(node.items, item, _pointer.join(ptr, index), out)

    def _object(self, node: Node, value: dict[Any, Any], ptr: str, out: list[Violation]) -> None:
        seen: dict[str, str] = {}  # canonical name -> spelling used
        lenient = node.lenient
        for key, item in value.items():
            if not isinstance(key, str):
                out.append(_bad_key(key, ptr, node))
                continue
            here = _pointer.join(ptr, key)
            canonical = node.names.get(key)
            if canonical is None:
                if lenient is not None and key in lenient.names:
                    self._undocumented(node, lenient.names[key], key, item, ptr, out)
                elif node.closed:
                    out.append(self._unknown(node, key, here))
                elif node.additional is not None:
                    self._check(node.additional, item, here, out)
                continue
            if canonical in seen:
                message = (
                    f"{_pointer.label(ptr)} gives {canonical!r} twice, as {seen[canonical]!r} and {key!r}; "
                    "give each field once, in either spelling"
                )
                out.append(Violation(here, "duplicate-field", message, node.doc, canonical))
                continue
            seen[canonical] = key
            child = node.properties[canonical]
            optional = canonical not in node.required or (lenient is not None and canonical in lenient.required)
            if item is None and lenient is not None and lenient.null and optional and not _accepts_null(child):
                # read as absent, as the provider reads it: a warning, and nothing inside to check
                label = _pointer.label(here)
                message = f"{label} is null, where the doc gives {_kinds(child.types)}; null is read as absent"
                out.append(graded(here, "type", message, child.doc, "null", dispute=node.disputes["null"], warn=True))
                continue
            self._check(child, item, here, out)
        for name in node.required:
            if name not in seen:
                spelt = " or ".join(repr(s) for s in node.spellings[name])
                message = f"{_pointer.label(ptr)} is missing the required field {spelt}"
                doc = node.properties[name].doc or node.doc
                dispute = node.disputes.get(f"required:{name}")
                warn = lenient is not None and name in lenient.required
                out.append(graded(ptr, "required", message, doc, name, dispute=dispute, warn=warn))

    def _undocumented(self, node: Node, name: str, key: str, item: Any, ptr: str, out: list[Violation]) -> None:
        """A field no doc lists but a dispute's lenient reading accepts (an SDK sends it): a
        warning, and its value checked against what the lenient reading says of it."""
        assert node.lenient is not None
        here = _pointer.join(ptr, key)
        message = f"{_pointer.label(ptr)} has the field {_pointer.shown_key(key)}, which no doc lists"
        out.append(
            graded(here, "unknown-field", message, node.doc, None, dispute=node.disputes["properties"], warn=True)
        )
        self._check(node.lenient.properties[name], item, here, out)

    def _unknown(self, node: Node, key: str, here: str) -> Violation:
        """unknown-field, with the most likely intent: the same name in another case or style,
        then the same field one level down (a nested field given at the wrong level), then
        another provider's name for it, or a near spelling."""
        parent = _pointer.label(here.rsplit("/", 1)[0])
        message = f"{parent} has no field {_pointer.shown_key(key)}"
        close = same_name(key, node.names)
        if close is None:
            home = _nested_home(node, key)
            if home is not None:
                return Violation(here, "unknown-field", f"{message}; it belongs in {home}", node.doc, home)
            close = suggest(key, node.names)
        if close is not None:
            canonical = node.names[close]
            also = f" (also spelt {canonical!r})" if close != canonical else ""
            message += f"; did you mean {close!r}{also}?"
        else:
            allowed = ", ".join(node.properties)
            message += f"; allowed fields: {allowed}" if len(allowed) < 400 else ""
        return Violation(here, "unknown-field", message, node.doc, close)


# -- python-only checks ------------------------------------------------------------------------

# (a value, the path to it so far, where violations go): one node's Python-only checks, and its
# children's. The path is a stack the walk pushes and pops; a pointer is only built for a violation.
Walk = Callable[[Any, list[str | int], list[Violation]], None]


def _walker(node: Node, memo: dict[int, Walk]) -> Walk | None:
    """The walk under ``node`` to its images and free-form values, as nested closures: one per node
    leading to a check (`Node.python`), none for the rest of the schema (None: nothing under ``node``
    to check). Closures, not a method walking a tree: a closure reads its node's parts without a lookup."""
    if not node.python:
        return None
    if id(node) in memo:  # a shared $ref (recursive ones are refused by the compiler)
        return memo[id(node)]
    if node.free:

        def walk_free(value: Any, tokens: list[str | int], out: list[Violation]) -> None:
            out.extend(_json_problems(value, _pointer.join("", *tokens), node))

        memo[id(node)] = walk_free
        return walk_free
    image, names = node.image, node.names
    children = tuple(
        (spelling, sub)
        for name, child in node.properties.items()
        if (sub := _walker(child, memo)) is not None
        for spelling in node.spellings[name]
    )
    each = _walker(node.items, memo) if node.items is not None else None
    rest = _walker(node.additional, memo) if node.additional is not None else None

    def walk(value: Any, tokens: list[str | int], out: list[Violation]) -> None:
        if image is not None and isinstance(value, str):
            problem = check_base64_image(value, image)
            if problem is not None:
                ptr = _pointer.join("", *tokens)
                out.append(
                    Violation(ptr, problem[0], f"{_pointer.label(ptr)}: {problem[1]}", node.doc, image.to_dict())
                )
        if isinstance(value, dict):
            for spelling, child in children:
                if spelling in value:
                    tokens.append(spelling)
                    child(value[spelling], tokens, out)
                    tokens.pop()
            if rest is not None:
                for key, item in value.items():
                    if not isinstance(key, str):  # jsonschema-rs never read this object: it lies under a free schema
                        out.append(_bad_key(key, _pointer.join("", *tokens), node))
                    elif key not in names:
                        tokens.append(key)
                        rest(item, tokens, out)
                        tokens.pop()
        elif each is not None and isinstance(value, list | tuple):
            for index, item in enumerate(value):
                tokens.append(index)
                each(item, tokens, out)
                tokens.pop()

    memo[id(node)] = walk
    return walk


def _not_json(value: Any, ptr: str, node: Node) -> Violation:
    if isinstance(value, float | Decimal):
        what = f"{value!r}, which JSON cannot represent"
    else:
        what = f"a Python {type(value).__name__}, which is not a JSON value"
    return Violation(ptr, "not-json", f"{_pointer.label(ptr)} is {what}", node.doc)


def _json_problems(value: Any, ptr: str, node: Node) -> Iterator[Violation]:
    """Every non-JSON value inside a free-form value.

    Iterative, and each entry links to its parent instead of carrying a pointer string, so a
    value nested a million levels deep costs linear time and no stack; a pointer is spelt
    out only for a problem found.
    """
    Link = tuple[Any, "str | int"] | None  # (parent link, token)
    stack: list[tuple[Any, Link]] = [(value, None)]

    def where(link: Link) -> str:
        tokens: list[str | int] = []
        while link is not None:
            link, token = link
            tokens.append(token)
        return _pointer.join(ptr, *reversed(tokens))

    while stack:
        item, link = stack.pop()
        kind = json_kind(item)
        if kind is None:
            yield _not_json(item, where(link), node)
        elif kind == "object":
            for key, child in item.items():
                if isinstance(key, str):
                    stack.append((child, (link, key)))
                else:
                    yield _bad_key(key, where(link), node)
        elif kind == "array":
            stack.extend((child, (link, index)) for index, child in enumerate(item))


def _accepts_null(node: Node) -> bool:
    """Null is a value ``node`` accepts (the free schema accepts anything)."""
    if node.free:
        return True
    if node.types is not None and "null" not in node.types:
        return False
    if node.enum_keys is not None and ("null", None) not in node.enum_keys:
        return False
    return node.const is None or node.const[0] is None


def _kinds(types: frozenset[str] | None) -> str:
    """JSON types in words: "an integer or a string"."""
    return " or ".join(_ARTICLE[t] for t in sorted(types or (), key=_type_order)) or "a value"


def _type_order(name: str) -> int:
    return ["integer", "number", "string", "boolean", "array", "object", "null"].index(name)
