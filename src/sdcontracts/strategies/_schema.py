"""Hypothesis strategies read off the compiled schema tree: valid values, and one-rule mutations.

Valid values are built, never filtered: an integer is drawn inside its bounds on its
``multipleOf`` grid (the bounds themselves drawn often), a string inside its length range or from
its pattern, an enum value from the enum, an object with every required field and a random
selection of the optional ones (spelt camelCase or snake_case at random where the schema is
protobuf JSON), an image as a real image inside the documented limits.

Where the sources dispute a constraint (``x-disputes``), valid values take the lenient forms too,
unless the strict profile is asked for: a Zhiqite seed as a string, a Tensor.Art diffusion without
``negativePrompts``, Novita's optional fields null and its SDK's ``request.extra``, as real
senders send them. Such a value is valid with a warning.

Mutations take a valid payload and break exactly one constraint at one place: one step past a
bound, a value of another type, a value outside an enum, a missing required field, an unknown
field, a field given in both spellings, too many items, a bad image. By default a mutation breaks
what both readings of a disputed constraint reject (an error, not a warning); in the strict
profile the strict reading. The caller re-validates each mutant and keeps it only when it breaks
exactly the labelled rule.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from hypothesis import strategies as st

from .._compiler import FREE, Node, json_text
from .._pointer import join
from ._images import image_strings, packed_images
from ._packed import Packed, Reader, edge_or_interior, read_with, unsigned

__all__ = [
    "PLAUSIBLE",
    "Mutation",
    "Overrides",
    "choice",
    "integers_between",
    "mutations",
    "per_node",
    "reading",
    "value_strategy",
]

T = TypeVar("T")
Overrides = dict[str, Callable[[Node], st.SearchStrategy[Any]]]  # schema location -> strategy builder
TEXT = st.characters(exclude_categories=("Cs", "Cc"))  # no surrogates: every string encodes as UTF-8
_INT = (-1_000, 1_000_000)  # where the docs give an integer no bounds
_INT64 = (-(2**31), 2**31)
# An image count or size the docs leave unbounded is drawn from a range a provider can serve
# (sdcontracts' choice, not a documented limit): a million images is valid to the schema but
# tells a test nothing, and no provider makes a -5-pixel image.
PLAUSIBLE = {"count": (1, 4), "width": (64, 1024), "height": (64, 1024)}
_EXAMPLE_OF: dict[str, Any] = {"string": "text", "integer": 12345, "object": {"a": 1}, "array": ["a"]}


def _integer_bounds(node: Node) -> tuple[int | None, int | None]:
    low = node.minimum if node.minimum is not None else None
    if node.exclusive_minimum is not None:
        low = math.floor(node.exclusive_minimum) + 1
    high = node.maximum if node.maximum is not None else None
    if node.exclusive_maximum is not None:
        high = math.ceil(node.exclusive_maximum) - 1
    return (None if low is None else math.ceil(low)), (None if high is None else math.floor(high))


def packed_integers(node: Node, default: tuple[int, int] = _INT) -> Packed:
    """Integers in the node's bounds and on its grid, each bound drawn as often as the interior."""
    low, high = _integer_bounds(node)
    low = default[0] if low is None else low
    high = max(low, default[1]) if high is None else high
    step = node.multiple_of or 1
    first, last = -(-low // step), high // step  # the grid points within [low, high]
    if first > last:
        raise ValueError(f"{node.location}: no integer fits its bounds")
    return Packed(8, lambda data: (first + edge_or_interior(data, last - first + 1)) * step)


def integers(node: Node, default: tuple[int, int] = _INT) -> st.SearchStrategy[int]:
    """`packed_integers`, as a strategy."""
    return packed_integers(node, default).strategy()


def packed_numbers(node: Node) -> Packed:
    """Numbers in the node's bounds: each closed bound a quarter of the time, a round fraction of the
    range (eighths) an eighth, otherwise anywhere inside (an open bound's next float at worst)."""
    low = node.minimum if node.minimum is not None else node.exclusive_minimum
    high = node.maximum if node.maximum is not None else node.exclusive_maximum
    low = -1e6 if low is None else float(low)
    high = 1e6 if high is None else float(high)
    open_low, open_high = node.exclusive_minimum is not None, node.exclusive_maximum is not None
    inner_low = math.nextafter(low, math.inf) if open_low else low
    inner_high = math.nextafter(high, -math.inf) if open_high else high

    def decode(data: bytes) -> float:
        word = unsigned(data)
        kind, rest = word & 7, word >> 3
        if kind < 2 and not open_low:
            return low
        if 2 <= kind < 4 and not open_high:
            return high
        fraction = (rest % 9) / 8 if kind == 4 else (rest & ((1 << 52) - 1)) / (1 << 52)
        return min(max(low + (high - low) * fraction, inner_low), inner_high)

    return Packed(8, decode)


def numbers(node: Node) -> st.SearchStrategy[float]:
    """`packed_numbers`, as a strategy."""
    return packed_numbers(node).strategy()


_PIECE = re.compile(r"\[([^\]\\]+)\]\{(\d+)(?:,(\d+))?\}|([^\[\]\\{}()*+?.|^$])")


def _simple_pattern(pattern: str) -> Packed | None:
    """Texts for an anchored pattern of character classes with counts and literals
    (``^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}…$``, ``^[0-9]{1,20}$``), a byte a character; None for
    anything else.

    ``from_regex`` handles every pattern but costs a few milliseconds a draw, and ``st.text`` a
    choice a character; the schemas' patterns are all of this simple kind.
    """
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return None
    body, position, parts = pattern[1:-1], 0, []
    for match in _PIECE.finditer(body):
        if match.start() != position:
            return None
        position = match.end()
        if match.group(4) is not None:
            parts.append((match.group(4), 1, 1))
            continue
        chars = _expand_class(match.group(1))
        if chars is None:
            return None
        low = int(match.group(2))
        parts.append((chars, low, int(match.group(3)) if match.group(3) is not None else low))
    if position != len(body) or not parts:
        return None

    def decode(data: bytes) -> str:
        text, index = [], 0
        for chars, low, high in parts:
            size = low + data[index] % (high - low + 1)
            text += [chars[byte % len(chars)] for byte in data[index + 1 : index + 1 + size]]
            index += 1 + high
        return "".join(text)

    return Packed(sum(1 + high for _, _, high in parts), decode)


def _expand_class(spec: str) -> str | None:
    """The characters of a bracket class body like ``0-9a-fA-F``; None for negations and escapes."""
    if spec.startswith("^"):
        return None
    chars, index = [], 0
    while index < len(spec):
        if index + 2 < len(spec) and spec[index + 1] == "-":
            chars += [chr(c) for c in range(ord(spec[index]), ord(spec[index + 2]) + 1)]
            index += 3
        else:
            chars.append(spec[index])
            index += 1
    return "".join(sorted(set(chars)))


def packed_strings(node: Node) -> Packed | None:
    """Texts inside the node's length range (each limit a quarter of the time where there is a
    maximum) or of its pattern; None for a pattern `_simple_pattern` cannot read."""
    if node.pattern is not None:
        return _simple_pattern(node.pattern_text)
    low = node.min_length or 0
    high = node.max_length if node.max_length is not None else max(low, 24)
    short, bounded = min(high, low + 24), node.max_length is not None

    def decode(data: bytes) -> str:
        word = unsigned(data)
        kind = word & 3 if bounded else 0
        if kind == 2:
            return "x" * high
        if kind == 3:
            return "y" * low
        text = TEXTS[(word >> 2) % len(TEXTS)]
        return (text + "x" * (low - len(text)))[:short]

    return Packed(4, decode)


def strings(node: Node) -> st.SearchStrategy[str]:
    packed = packed_strings(node)
    if packed is not None:
        return packed.strategy()
    assert node.pattern is not None
    return st.from_regex(node.pattern, fullmatch=True)


# Free text, chosen in one draw: a character-by-character `st.text` costs a Hypothesis draw per
# character, most of the time spent generating a request. What a provider can trip over in a
# prompt is here instead: scripts, emoji and combining marks, quotes, backslashes, markup,
# whitespace, weights in A1111 syntax, look-alikes of JSON and of SQL. No control characters,
# as `TEXT` has none.
TEXTS = (
    "a cat", "1girl, masterpiece, best quality", "(worst quality, low quality:1.4)", "一只可爱的猫，高清",  # noqa: RUF001
    "猫 🐱 on a sofa", "café naïve résumé", "Ünïcödé ẞ ǅ ﬁ", "مرحبا بالعالم", "שלום", "Привет, мир",
    "e\u0301 combining: é", "👩‍👩‍👧‍👦 family", "\"quoted\" and 'single'", "back\\slash \\n not a newline",
    "<b>markup</b> &amp; entities", "{\"json\": [1, 2]}", "'; DROP TABLE tasks; --", "   leading and trailing   ",
    "non\u00a0breaking\u3000spaces", "", " ", "0", "-1", "null", "true", "NaN", "x" * 24, "%s %d {0} ${x}",
    "lora:<lora:detail:0.8>", "[from:to:0.5]", "a, b,, c,", "\u200bzero\u200bwidth", "🎨" * 6,
)  # fmt: skip


# ``st.integers(low, high)``, built once per pair of bounds (see `choice`)
integers_between: Callable[[int, int], st.SearchStrategy[int]] = functools.cache(st.integers)


@functools.cache
def choice(options: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """``sampled_from(options)``, built once: a strategy made inside every draw is validated
    inside every draw, which is most of what drawing a small choice costs."""
    return st.sampled_from(options)


Read = Callable[[Reader], Any]  # a value read off a `Reader`'s bytes


def objects(node: Node, overrides: Overrides, lenient: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """An object of the node's fields, nested objects and lists included, read off one `Reader`
    (`sdcontracts._keywords` names it as what generates ``required`` and ``additionalProperties``)."""
    return read_with(_object_reading(node, overrides, lenient, frozenset()))


def _object_reading(node: Node, overrides: Overrides, lenient: bool, without: frozenset[str]) -> Read:
    """Every required field and a random selection of the optional ones (but those ``without``),
    each in a random spelling where it has two; where ``lenient``, sometimes in a lenient form."""
    relaxed = node.lenient if lenient else None
    soft = relaxed.required if relaxed is not None else frozenset()
    required = [n for n in node.properties if n in node.required]
    assert not without & set(required), node.location
    optional = [n for n in node.properties if n not in node.required and n not in without]
    reads = {name: reading(child, overrides, lenient=lenient) for name, child in node.properties.items()}
    keys = {name: node.spellings.get(name, (name,)) for name in node.properties}
    aliased = {name for name, spellings in keys.items() if len(spellings) > 1}
    # the lenient forms an object may take: its absent optional fields null, as an SDK sends them,
    # and each field an SDK adds that no doc lists
    nullable = relaxed is not None and relaxed.null
    extras = list(relaxed.properties.items()) if relaxed is not None else []
    extra_reads = {name: reading(child, overrides, lenient=True) for name, child in extras}
    softened = [n for n in required if n in soft]
    forms = int(nullable) + len(extras) + len(softened)

    def read(reader: Reader) -> dict[str, Any]:
        present = reader.mask(len(optional))  # a bit each; none and all each one time in 32
        # a lenient-form mask: a quarter of the objects take any, the rest none, so three objects
        # in four are valid by every reading
        taken = reader.maybe_mask(forms)
        left_out = {n for i, n in enumerate(softened) if taken >> (forms - 1 - i) & 1}
        chosen = [n for n in required if n not in left_out] + [n for i, n in enumerate(optional) if present >> i & 1]
        spelt = [n for n in chosen if n in aliased]
        style = reader.spellings(len(spelt))
        snake = {n for i, n in enumerate(spelt) if style >> i & 1}
        built = {(keys[n][1] if n in snake else keys[n][0]): reads[n](reader) for n in chosen}
        if taken:
            if nullable and taken & 1:
                built.update((n, None) for n in optional if n not in chosen)
            for index, (name, _) in enumerate(extras, start=int(nullable)):
                if taken >> index & 1:
                    built[name] = extra_reads[name](reader)
        return built

    return read


def _array_reading(node: Node, overrides: Overrides, lenient: bool) -> Read:
    """Lists of the node's items: up to three more than the least, or (half the time, where the
    schema caps the size further out) exactly the most."""
    low = node.min_items or 0
    high = node.max_items if node.max_items is not None else max(low, 3)
    top = min(high, low + 3)
    at_most = node.max_items is not None and high > top
    item = reading(node.items or FREE, overrides, lenient=lenient)

    def read(reader: Reader) -> list[Any]:
        byte = reader.take(1)[0]
        size = high if at_most and byte & 1 else low + (byte >> 1) % (top - low + 1)
        return [item(reader) for _ in range(size)]

    return read


_PER_NODE: dict[tuple[str, int, bool], tuple[Node, Any]] = {}


def per_node(kind: str, node: Node, lenient: bool, build: Callable[[], T]) -> T:
    """``build()``, once per (``kind``, ``node``, ``lenient``). The entry holds the node as well: keyed
    by its ``id`` alone, a node that was freed (a schema compiled for one test) handed its strategy to
    whatever node was later made at the same address."""
    key = (kind, id(node), lenient)
    entry = _PER_NODE.get(key)
    if entry is None:
        entry = _PER_NODE[key] = (node, build())
    return entry[1]


def value_strategy(node: Node, overrides: Overrides | None = None, *, lenient: bool = False) -> st.SearchStrategy[Any]:
    """Valid values for a schema node (``overrides`` replace the strategy at given locations);
    ``lenient``: the values only a disputed reading accepts are drawn too (valid with a warning).

    Strategies are built once per node (compiled nodes live as long as the process), so drawing a
    payload costs draws, not strategy construction.
    """
    if not overrides:
        return per_node("value", node, lenient, lambda: _value_strategy(node, {}, lenient))
    return _value_strategy(node, overrides, lenient)


def reading(
    node: Node, overrides: Overrides | None = None, *, lenient: bool = False, without: frozenset[str] = frozenset()
) -> Read:
    """`value_strategy` as a `Read`, to read a value inside another off the same bytes (``without``:
    an object's optional fields never drawn, where the caller sets them itself)."""
    if not overrides:
        kind = "reading " + " ".join(sorted(without))
        return per_node(kind, node, lenient, lambda: _reading(node, {}, lenient, without))
    return _reading(node, overrides, lenient, without)


def _kind_packed(node: Node, kind: str) -> Packed | None:
    """The node's values of one scalar JSON type as a `Packed`; None for objects, lists and
    patterns `_simple_pattern` cannot read."""
    if kind == "null":
        return _NULL
    if kind == "boolean":
        return Packed(1, lambda data: bool(data[0] & 1))
    if kind == "integer":
        return packed_integers(node, PLAUSIBLE.get(node.role or "", _INT64 if node.int64 else _INT))
    if kind == "number":
        return packed_numbers(node)
    if kind == "string" and node.int64:
        return _as_text(packed_integers(node, _INT64))
    if kind == "string" and node.image is not None:
        return packed_images(node.image)
    return packed_strings(node) if kind == "string" else None


_NULL = Packed(0, lambda _: None)


def _as_text(number: Packed) -> Packed:
    """A number's decimal text (an int64 as protobuf JSON spells it, a seed as a string)."""
    return Packed(number.width, lambda data: str(number.decode(data)))


def _packed(node: Node, overrides: Overrides, lenient: bool) -> Packed | None:
    """The node's values as a `Packed` scalar: a constant, an enum, or a value of one scalar type
    with no lenient form; None for anything else."""
    if node.location in overrides or node is FREE or node.free:
        return None
    if node.const is not None:
        const = node.const[0]
        return Packed(0, lambda _: const)
    relaxed = node.lenient if lenient else None
    if node.enum is not None:
        values = (*node.enum, *relaxed.enum) if relaxed is not None else node.enum
        return Packed(2, lambda data: values[unsigned(data) % len(values)])
    if relaxed is not None or node.types is None or len(node.types) != 1:
        return None
    (kind,) = node.types
    return _kind_packed(node, kind)


def _value_strategy(node: Node, overrides: Overrides, lenient: bool) -> st.SearchStrategy[Any]:
    if node.location in overrides:
        return overrides[node.location](node)
    if node is FREE or node.free:
        return st.dictionaries(
            st.text(TEXT, min_size=1, max_size=8), st.integers() | st.text(TEXT, max_size=8), max_size=3
        )
    packed = _packed(node, overrides, lenient)
    if packed is not None:
        return packed.strategy()  # one choice of just its width
    return read_with(_reading(node, overrides, lenient, frozenset()))


def _read_packed(packed: Packed) -> Read:
    width, decode = packed.width, packed.decode
    return lambda reader: decode(reader.take(width))


def _read_drawn(strategy: st.SearchStrategy[Any]) -> Read:
    return lambda reader: reader.draw(strategy)


def _reading(node: Node, overrides: Overrides, lenient: bool, without: frozenset[str]) -> Read:
    """The node's values read off a `Reader`: one of its forms (a lenient one, or one per JSON
    type) taken evenly, objects and lists read field by field and item by item off the same bytes."""
    if node.location in overrides or node is FREE or node.free:
        return _read_drawn(_value_strategy(node, overrides, lenient))
    packed = _packed(node, overrides, lenient)
    if packed is not None:
        return _read_packed(packed)
    relaxed = node.lenient if lenient else None
    forms = _lenient_forms(node, relaxed) if relaxed is not None else []
    for kind in sorted(node.types or ("object",)):
        if kind == "number" and "integer" in (node.types or ()):
            continue  # the integers are numbers already
        scalar = _kind_packed(node, kind)
        if scalar is not None:
            forms.append(_read_packed(scalar))
        elif kind == "string" and node.image is not None:
            forms.append(_read_drawn(image_strings(node.image)))
        elif kind == "string":
            assert node.pattern is not None
            forms.append(_read_drawn(st.from_regex(node.pattern, fullmatch=True)))
        elif kind == "array" and node.unique_items:
            forms.append(_read_drawn(_unique_lists(node, overrides, lenient)))
        elif kind == "array":
            forms.append(_array_reading(node, overrides, lenient))
        elif kind == "object":
            forms.append(_object_reading(node, overrides, lenient, without))
    if len(forms) == 1:
        return forms[0]
    return lambda reader: reader.pick(forms)(reader)


def _unique_lists(node: Node, overrides: Overrides, lenient: bool) -> st.SearchStrategy[list[Any]]:
    """Lists of JSON-distinct items (the engine's equality), drawn by Hypothesis, which keeps them apart."""
    low = node.min_items or 0
    high = node.max_items if node.max_items is not None else max(low, 3)
    each = value_strategy(node.items or FREE, overrides, lenient=lenient)
    sized = st.lists(each, min_size=low, max_size=min(high, low + 3), unique_by=json_text)
    if node.max_items is not None and high > low + 3:
        sized = st.one_of(sized, st.lists(each, min_size=high, max_size=high, unique_by=json_text))
    return sized


_BOUND_SLOTS = {
    "minimum": "minimum", "maximum": "maximum", "exclusiveMinimum": "exclusive_minimum",
    "exclusiveMaximum": "exclusive_maximum", "minLength": "min_length", "maxLength": "max_length",
    "minItems": "min_items", "maxItems": "max_items",
}  # fmt: skip


def _lenient_forms(node: Node, relaxed: Any) -> list[Read]:
    """Values only the lenient reading of a node's disputes accepts: another type (a seed as a
    decimal string, a fraction where the strict reading says integer), or a value between the
    strict and the lenient bound."""
    forms: list[Read] = []
    for kind in sorted((relaxed.types or frozenset()) - (node.types or frozenset())):
        if kind == "string" and node.types and "integer" in node.types:
            forms.append(_read_packed(_as_text(packed_integers(node))))
        elif kind == "number":
            forms.append(_read_packed(packed_numbers(node)))
        elif kind == "null":
            forms.append(_read_packed(_NULL))
    if relaxed.bounds:
        loose = dataclasses.replace(node, **{_BOUND_SLOTS[k]: v for k, v in relaxed.bounds.items()}, lenient=None)
        kinds = node.types or frozenset()
        if "string" in kinds and not node.image:
            text = packed_strings(loose)
            forms.append(_read_packed(text) if text is not None else _read_drawn(strings(loose)))
        elif "integer" in kinds:
            forms.append(_read_packed(packed_integers(loose)))
        elif "number" in kinds:
            forms.append(_read_packed(packed_numbers(loose)))
    return forms


# -- mutations -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mutation:
    """Break ``rule`` at ``path``: ``apply(payload)`` returns the broken copy.

    The place is kept as reference tokens (``at``) and joined into a JSON Pointer only when asked
    for: a payload yields hundreds of mutations, and one of them is used."""

    rule: str
    at: tuple[str | int, ...]
    apply: Callable[[Any], Any]

    @property
    def path(self) -> str:
        return join("", *self.at)


def _set(path: list[str | int], value: Any) -> Callable[[Any], Any]:
    def apply(payload: Any) -> Any:
        broken = copy.deepcopy(payload)
        if not path:
            return value
        target = broken
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return broken

    return apply


def _edit(path: list[str | int], change: Callable[[Any], None]) -> Callable[[Any], Any]:
    def apply(payload: Any) -> Any:
        broken = copy.deepcopy(payload)
        target = broken
        for key in path:
            target = target[key]
        change(target)
        return broken

    return apply


def _drop(value: dict[str, Any], *, key: str) -> None:
    del value[key]


def _copy_field(value: dict[str, Any], *, source: str, target: str) -> None:
    value[target] = value[source]


def _accepted(node: Node, keyword: str, strict: bool) -> Any:
    """The bound ``keyword`` sets for ``node``: the strict one, or (not ``strict``) the one a
    warning-decided dispute accepts instead, None when that reading has none."""
    bound = getattr(node, _BOUND_SLOTS[keyword])
    if strict or node.lenient is None or keyword not in node.lenient.bounds:
        return bound
    return node.lenient.bounds[keyword]


# -- one function per keyword: the mutations breaking it (`sdcontracts._keywords` names each) --------

Breaks = Iterator["Mutation"]


def _numeric(node: Node, value: Any) -> bool:
    return not isinstance(value, bool) and (isinstance(value, int | float) or (node.int64 and isinstance(value, str)))


def _past(node: Node, value: Any, bound: float, direction: int) -> Any:
    """One step past ``bound``: on the value's grid (integers, multiples), else the next float."""
    step = node.multiple_of or 1
    integral = (node.types is not None and "number" not in node.types) or node.int64 or node.multiple_of
    beyond = bound + direction * step if integral else math.nextafter(bound, direction * math.inf)
    beyond = int(beyond) if integral else beyond
    return str(beyond) if node.int64 and isinstance(value, str) else beyond


def break_type(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
    relaxed = None if strict else node.lenient
    allowed = set(node.types or ()) | set(relaxed.types or () if relaxed is not None else ())
    allowed |= {"integer"} if "number" in allowed else set()
    kind = next(t for t in ("string", "integer", "object", "array") if t not in allowed)
    yield Mutation("type", (*path,), _set(path, _EXAMPLE_OF[kind]))


def break_const(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
    yield Mutation("const", (*path,), _set(path, f"{node.const[0]}X"))  # type: ignore[index]


def break_enum(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
    values = node.enum or ()
    strings_ = [v for v in values if isinstance(v, str)]
    numbers_ = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    outside = f"{strings_[0]}X" if strings_ else max(numbers_) + 1 if numbers_ else "X"
    yield Mutation("enum", (*path,), _set(path, outside))


def _beyond(keyword: str, rule: str, direction: int) -> Callable[[Node, Any, list[str | int], bool], Breaks]:
    def breaks(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
        bound = _accepted(node, keyword, strict)
        if bound is not None and _numeric(node, value):
            yield Mutation(rule, (*path,), _set(path, _past(node, value, bound, direction)))

    return breaks


def _at(keyword: str, rule: str) -> Callable[[Node, Any, list[str | int], bool], Breaks]:
    def breaks(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
        bound = _accepted(node, keyword, strict)
        if bound is not None and _numeric(node, value):
            yield Mutation(rule, (*path,), _set(path, bound))

    return breaks


break_minimum = _beyond("minimum", "minimum", -1)
break_maximum = _beyond("maximum", "maximum", +1)
break_exclusive_minimum = _at("exclusiveMinimum", "exclusive-minimum")
break_exclusive_maximum = _at("exclusiveMaximum", "exclusive-maximum")


def break_multiple_of(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
    if node.multiple_of and isinstance(value, int) and not isinstance(value, bool):
        off = value + 1 if node.maximum is None or value + 1 <= node.maximum else value - 1
        yield Mutation("multiple-of", (*path,), _set(path, off))


def break_format(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
    if node.int64 and isinstance(value, str):
        yield Mutation("format", (*path,), _set(path, "12a"))


def _text(node: Node, value: Any) -> bool:
    return isinstance(value, str) and not node.int64


def break_min_length(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
    shortest = _accepted(node, "minLength", strict)
    if shortest and _text(node, value):
        yield Mutation("min-length", (*path,), _set(path, "z" * (shortest - 1)))


def break_max_length(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
    longest = _accepted(node, "maxLength", strict)
    if longest is not None and _text(node, value):
        yield Mutation("max-length", (*path,), _set(path, "z" * (longest + 1)))


def break_pattern(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
    if node.pattern is not None and _text(node, value):
        yield Mutation("pattern", (*path,), _set(path, "~not~matching~"))


def break_image(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
    from ._images import broken_images

    if node.image is not None and _text(node, value):
        for rule, text in broken_images(node.image):
            yield Mutation(rule, (*path,), _set(path, text))


def break_max_items(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
    most = _accepted(node, "maxItems", strict)
    if most is None or not isinstance(value, list) or not value:
        return
    grown = [value[0]] * (most + 1) if not node.unique_items else _distinct(value, most + 1)
    if grown is not None:
        yield Mutation("max-items", (*path,), _set(path, grown))


def _distinct(value: list[Any], size: int) -> list[Any] | None:
    """``size`` different items made from the list's own (numbers counted up, text numbered), or
    None when its items are neither."""
    first = value[0]
    if isinstance(first, str):
        return [f"{first}{index}" for index in range(size)]
    if isinstance(first, int) and not isinstance(first, bool):
        return [first + index for index in range(size)]
    return None


def break_min_items(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
    least = _accepted(node, "minItems", strict)
    if least and isinstance(value, list):
        yield Mutation("min-items", (*path,), _set(path, value[: least - 1]))


def break_unique_items(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
    """The list's first item repeated at its end (replacing its last where the list is full)."""
    if not node.unique_items or not isinstance(value, list) or not value:
        return
    most = _accepted(node, "maxItems", strict)
    repeated = [*value, value[0]] if most is None or len(value) < most else [*value[:-1], value[0]]
    if len(repeated) > 1:
        yield Mutation("unique-items", (*path, len(repeated) - 1), _set(path, repeated))


def break_required(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
    if not isinstance(value, dict):
        return
    relaxed = None if strict else node.lenient
    for name in node.required:
        if relaxed is not None and name in relaxed.required:
            continue  # its absence is a warning only
        spelling = next((s for s in node.spellings[name] if s in value), None)
        if spelling is not None:
            yield Mutation("required", (*path,), _edit(path, functools.partial(_drop, key=spelling)))


def break_additional_properties(node: Node, value: Any, path: list[str | int], strict: bool) -> Breaks:
    if node.closed and isinstance(value, dict):
        yield Mutation(
            "unknown-field", (*path, "unexpected_field"), _edit(path, lambda d: d.update(unexpected_field=1))
        )


_VALUELESS = frozenset({"type", "const", "enum"})  # an enum node is broken by these alone


def mutations(
    node: Node, value: Any, path: list[str | int] | None = None, *, strict: bool = False
) -> Iterator[Mutation]:
    """Every one-constraint mutation of ``value`` (valid for ``node``), anywhere inside it: each
    breaks what every reading of a disputed constraint rejects, or (``strict``) the strict one.
    Each keyword's own function (`sdcontracts._keywords`) breaks it; this walks the value."""
    found: list[Mutation] = []
    _mutate(node, value, path or [], strict, found)
    return iter(found)


def _mutate(node: Node, value: Any, path: list[str | int], strict: bool, found: list[Mutation]) -> None:
    """`mutations`, appended to ``found`` (one list for the whole walk, not a generator a level)."""
    if node.free:
        return
    for breaks in _applicable(node):
        found.extend(breaks(node, value, path, strict))
    if node.enum is not None:
        return
    if isinstance(value, list) and node.items is not None:
        for index, item in enumerate(value):
            _mutate(node.items, item, [*path, index], strict, found)
    elif isinstance(value, dict):
        for key, item in value.items():
            canonical = node.names.get(key)
            if canonical is None:
                continue
            others = [s for s in node.spellings[canonical] if s != key]
            if others:
                found.append(
                    Mutation(
                        "duplicate-field",
                        (*path, others[0]),
                        _edit(path, functools.partial(_copy_field, source=key, target=others[0])),
                    )
                )
            _mutate(node.properties[canonical], item, [*path, key], strict, found)
        for name, child in node.properties.items():  # an absent optional field, added broken
            if not any(s in value for s in node.spellings[name]):
                placeholder = _placeholder(child)
                if placeholder is not None:
                    _mutate(child, placeholder, [*path, name], strict, found)


_APPLICABLE: dict[int, tuple[Node, tuple[Callable[..., Breaks], ...]]] = {}


def _applicable(node: Node) -> tuple[Callable[..., Breaks], ...]:
    """The mutate functions of the keywords ``node`` has (an enum node's: type, const and enum
    only), in `KEYWORDS` order; found once per node (held with it, as `per_node` does)."""
    entry = _APPLICABLE.get(id(node))
    if entry is None or entry[0] is not node:
        from .._keywords import KEYWORDS

        breaks = _breaks()
        chosen = tuple(
            breaks[k.name] for k in KEYWORDS if k.present(node) and (node.enum is None or k.name in _VALUELESS)
        )
        entry = _APPLICABLE[id(node)] = (node, chosen)
    return entry[1]


def _placeholder(node: Node) -> Any:
    """A stand-in value of a scalar node's type, to add a field that is absent and break it: the
    breaks that do not depend on the value (a bound, the int64 format, a length, the pattern,
    the broken images) then apply; each mutant is re-validated, so a stand-in that breaks more
    is only discarded."""
    if node.types is None or node.properties or node.items is not None:
        return None
    if node.int64 or "integer" in node.types:
        low, _ = _integer_bounds(node)
        step = node.multiple_of or 1
        smallest = 0 if low is None else -(-low // step) * step  # the lowest value on the grid
        return str(smallest) if node.int64 else smallest
    if "number" in node.types:
        return float(node.minimum if node.minimum is not None else 0)
    return "" if "string" in node.types else None


@functools.cache
def _breaks() -> dict[str, Callable[..., Breaks]]:
    """Keyword name -> its mutate function, as the keyword objects name them."""
    from .._keywords import KEYWORDS

    return {keyword.name: keyword.mutator() for keyword in KEYWORDS}
