"""Mutants judged equivalent: they change the code but no answer the module gives.

Each is named by its target, the function or class it is in, and the lines it changes (``before``
as written, ``after`` as mutated, stripped, blank lines left out), so an entry still matches when
code moves and stops matching when the code it judges changes. A listed mutant is still run: if
the tests kill it, the report says the entry is wrong. An entry whose ``before`` lines are no
longer in the module is reported as stale. Mutants that change only time or memory, never an
answer or a bound a test can observe, are listed here too, with that said.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EQUIVALENTS", "Equivalent"]


@dataclass(frozen=True)
class Equivalent:
    target: str
    definition: str  # the enclosing function or class, "" at module level
    before: str
    after: str
    reason: str


def _each(target: str, definition: str, before: str, afters: tuple[str, ...], reason: str) -> list[Equivalent]:
    return [Equivalent(target, definition, before, after, reason) for after in afters]


_CACHE = (
    "lru_cache only saves recomputing a value that never changes: without it, or another size, every answer is the same"
)
_SLOTS = "slots=False only gives the instances a __dict__ (memory); nothing sets an attribute a slot would refuse"
_SAME_SPELLING = (
    "the name has no other protojson spelling (snake_name of it is itself), so protojson=False reads the same key"
)
_REWRITTEN = "every compiled node gets this field set by the compiler; the default is only ever seen on FREE, which is free and returns before using it"
_COMPACTION = ("when the queue of unfinished tasks compacts changes only its memory and the time of one removal; "
               "every variant still compacts, and ranks are counted from the live start either way")  # fmt: skip
_FALLS_THROUGH = "the function ends right after: deleting the return gives the same None"

EQUIVALENTS: tuple[Equivalent, ...] = (
    # -- mock_server/_state.py ------------------------------------------------------------------
    Equivalent("state", "__init__", "def __init__(self, start: float = 1_000.0) -> None:",
               "def __init__(self, start: float = 999.0) -> None:",
               "a manual clock's default origin is arbitrary: the mock only ever uses differences of its readings"),
    *_each("state", "MockTask", "sequence: int = -1  # submission order, set by the store",
           ("sequence: int = - 2  # submission order, set by the store",
            "sequence: int = 1  # submission order, set by the store", "sequence: int = - 0  # submission order, set by the store",
            "sequence: int = ~1  # submission order, set by the store",
            "sequence: int = +1  # submission order, set by the store",
            "sequence: int = not 1  # submission order, set by the store"),
           "Store.add sets every task's sequence before anything reads it"),
    Equivalent("state", "", "@dataclass(frozen=True, slots=True)", "@dataclass(frozen=False, slots=True)",
               "nothing assigns to a Resource (it is replaced whole); frozen only refuses what no code does"),
    Equivalent("state", "", "@dataclass(frozen=True, slots=True)", "@dataclass(frozen=True, slots=False)", _SLOTS),
    Equivalent("state", "", "@dataclass(slots=True)", "@dataclass(slots=False)", _SLOTS),
    Equivalent("state", "remove", "if index >= len(seqs) or seqs[index] != sequence:",
               "if index == len(seqs) or seqs[index] != sequence:", "bisect_left never returns more than len(seqs)"),
    Equivalent("state", "remove", "if index >= len(seqs) or seqs[index] != sequence:",
               "if index >= len(seqs) or seqs[index] > sequence:",
               "bisect_left returns the first index whose item is >= sequence, so != and > agree there"),
    Equivalent("state", "remove", "if index == start:", "if index < start:",
               "bisect_left from start never returns less than start: the head is then deleted from the list instead of "
               "skipped, the same queue at a linear cost (time only)"),
    *_each("state", "remove", "if start > 1024 and start * 2 > len(seqs):  # compact, amortised O(1)",
           ("if start > 1024 and start * 3 > len(seqs):  # compact, amortised O(1)",
            "if start > 1025 and start * 2 > len(seqs):  # compact, amortised O(1)",
            "if start > 1023 and start * 2 > len(seqs):  # compact, amortised O(1)",
            "if start > 1024 or start * 2 > len(seqs):  # compact, amortised O(1)",
            "if start > 1024 and start << 2 > len(seqs):  # compact, amortised O(1)",
            "if start > 1024 and start * 2 is not len(seqs):  # compact, amortised O(1)",
            "if start > 1024 and start * 2 != len(seqs):  # compact, amortised O(1)",
            "if start > 1024 and start * 2 >= len(seqs):  # compact, amortised O(1)",
            "if start != 1024 and start * 2 > len(seqs):  # compact, amortised O(1)",
            "if start >= 1024 and start * 2 > len(seqs):  # compact, amortised O(1)"),
           _COMPACTION),
    Equivalent("state", "remove",
               "if start < len(seqs) and seqs[start] == sequence:  # the oldest: no search (a search touches ~14 cold items)",
               "if start != len(seqs) and seqs[start] == sequence:  # the oldest: no search (a search touches ~14 cold items)",
               "start never passes len(seqs) (it moves past one item at a time, and compaction moves both back)"),
    Equivalent("state", "phase", "return final, 1.0 if final == SUCCEEDED else 0.0",
               "return final, 1.0 if final >= SUCCEEDED else 0.0",
               'of the final phases "succeeded", "failed" and "canceled" only "succeeded" sorts at or after "succeeded"'),
    Equivalent("state", "phase", "return final, 1.0 if final == SUCCEEDED else 0.0",
               "return final, 1.0 if final is SUCCEEDED else 0.0",
               "a final phase is always one of this module's own phase constants (_finish is given them), so is "
               "and == agree"),
    Equivalent("state", "phase", 'if self.mode == "steps":', 'if self.mode >= "steps":',
               'the mode is "clock" or "steps" (checked in __init__), and only "steps" sorts at or after "steps"'),
    *_each("state", "_forget", "if task.key is not None and self._keys.get((task.provider, task.key)) == task.id:",
           ("if task.key is not None or self._keys.get((task.provider, task.key)) == task.id:",
            "if task.key is not None and self._keys.get((task.provider, task.key)) >= task.id:"),
           "a keyed task's key always names that task while it is held (a second submit with the key returns the "
           "first task), so the comparison is always equality, and an unkeyed task never has (provider, None) taken"),
    Equivalent("state", "body", "return None", "pass",
               "an empty body then reaches json.loads(b''), whose ValueError is caught into the same None"),
    Equivalent("state", "_parse", "return None", "pass",
               "both returns end the function; without the first, json.loads(b'') raises ValueError, caught into the same None"),
    Equivalent("state", "take", "return max(0.0, self.window - (now - spent[0][0])) if spent else self.window",
               "return max( -1.0, self.window - (now - spent[0][0])) if spent else self.window",
               "units older than the window were just dropped, so the wait computed is always above 0"),
    Equivalent("state", "take", "return None", "pass", _FALLS_THROUGH),
    # -- src/sdcontracts/rules/picpik.py -------------------------------------------------------
    Equivalent("picpik", "", "@functools.cache", "",
               "the cache only saves re-reading the schema for a table that never changes, and no caller changes "
               "the dict it returns: every answer is the same without it"),
    # -- src/sdcontracts/rules/tensorart.py ----------------------------------------------------
    *_each("tensorart", "", "@lru_cache(maxsize=1)", ("", "@lru_cache(maxsize= 0)", "@lru_cache(maxsize= 2)"), _CACHE),
    Equivalent("tensorart", "", "@dataclass(slots=True)", "@dataclass(slots=False)", _SLOTS),
    Equivalent("tensorart", "of", 'found = field(payload, "stages", protojson=True)',
               'found = field(payload, "stages", protojson=False)', _SAME_SPELLING),
    Equivalent("tensorart", "_count_without_diffusion", 'count = field(stage.member, "count", protojson=True)',
               'count = field(stage.member, "count", protojson=False)', _SAME_SPELLING),
    Equivalent("tensorart", "_nested_diffusion", 'if field(stage.member, "diffusion", protojson=True) is None:',
               'if field(stage.member, "diffusion", protojson=False) is None:', _SAME_SPELLING),
    Equivalent("tensorart", "_diffusions", 'nested = field(stage.member, "diffusion", protojson=True)',
               'nested = field(stage.member, "diffusion", protojson=False)', _SAME_SPELLING),
    *(Equivalent("tensorart", "_upscaler_area", f'{side} = _size(upscaler, "hrResize{side.upper()}", 128, None)',
                 f'{side} = _size(upscaler, "hrResize{side.upper()}", 127, None)',
                 "a side counts only as a multiple of 64, and none lies between 127 and 128") for side in "xy"),
    *_each("tensorart", "_diffusion_area", 'width = _size(diffusion, "width", 512, 1536)',
           ('width = _size(diffusion, "width", 513, 1536)', 'width = _size(diffusion, "width", 511, 1536)'),
           "a side below 512 beside one of at most 1536 never makes more than 2,073,600 pixels, so the lower bound "
           "never changes the answer"),
    *_each("tensorart", "_diffusion_area", 'height = _size(diffusion, "height", 512, 1536)',
           ('height = _size(diffusion, "height", 513, 1536)', 'height = _size(diffusion, "height", 511, 1536)'),
           "a side below 512 beside one of at most 1536 never makes more than 2,073,600 pixels, so the lower bound "
           "never changes the answer"),
    Equivalent("tensorart", "_upscaler_area", "within = MAX_AREA < x * y <= UPSCALER_AREA.lenient",
               "within = MAX_AREA <= x * y <= UPSCALER_AREA.lenient",
               "an area of exactly MAX_AREA is valid and skipped two lines above, so it never reaches this test"),
    Equivalent("tensorart", "_input_first", "if first.index != 0:", "if first.index > 0:",
               "a stage's index is its position in the list, never below 0"),
    *_each("tensorart", "_area",
           'bound |= {"maximum": allowed[1]} if y_stop is None or allowed[1] < y_stop else {}',
           ('bound |= {"maximum": allowed[1]} if y_stop is None or allowed[ 0] < y_stop else {}',
            'bound |= {"maximum": allowed[1]} if y_stop is None or allowed[1] <= y_stop else {}'),
           "allowed[1] is capped at y_stop, so where the two differ it equals y_stop, and a maximum of y_stop is "
           "what y's own schema already says"),
    *_each("tensorart", "_area", 'bound = {"minimum": allowed[0]} if allowed[0] > y_start else {}',
           ('bound = {"minimum": allowed[0]} if allowed[ 1] > y_start else {}',
            'bound = {"minimum": allowed[0]} if allowed[ -1] > y_start else {}'),  # a pair: [-1] is [1]
           "the two differ only when allowed[0] == y_start < allowed[1], and then add minimum y_start, which y's "
           "own schema (minimum y_start, in either spelling) already requires"),
    # -- src/sdcontracts/_compiler.py ------------------------------------------------------------
    Equivalent("compiler", "", "@dataclass(eq=False, slots=True)", "@dataclass(eq=True, slots=True)",
               "nodes are compared by identity everywhere (is, id()), never with =="),
    Equivalent("compiler", "", "@dataclass(eq=False, slots=True)", "@dataclass(eq=False, slots=False)", _SLOTS),
    Equivalent("compiler", "Node", "unique_items: bool = False", "unique_items: bool = True", _REWRITTEN),
    Equivalent("compiler", "Node", "secret: bool = False", "secret: bool = True", _REWRITTEN),
    Equivalent("compiler", "Node", "free: bool = False  # accepts any JSON value: only JSON-ness is checked",
               "free: bool = True  # accepts any JSON value: only JSON-ness is checked", _REWRITTEN),
    Equivalent("compiler", "Node", "python: bool = False  # this node or one below it has checks only Python can run",
               "python: bool = True  # this node or one below it has checks only Python can run", _REWRITTEN),
    *_each("compiler", "enum_key", "return (\"null\", None)", ("pass",),
           'null then gets ("other", "null"), a key no other value has'),
    Equivalent("compiler", "enum_key", 'return ("string", value)', "pass",
               'strings then get ("other", their JSON text), a key no value of another type has'),
    Equivalent("compiler", "enum_key", 'return ("number", value)', "pass",
               'numbers then get ("other", their JSON text, integral ones as integers): 1 and 1.0 still coincide'),
    Equivalent("compiler", "_add_aliases", "if alias == name:", "if alias <= name:",
               'snake_name puts "_" (after every capital letter in ASCII) where a name differs, so an alias is never '
               "less than its name"),
    *_each("compiler", "int64_pattern", "if low <= -1 and min(high, -1) >= low:",
           ("if low <= -1 and min(high, 1) >= low:", "if low <= +1 and min(high, -1) >= low:",
            "if low <= 1 and min(high, -1) >= low:", "if low <= - 0 and min(high, -1) >= low:",
            "if low <= -1 and min(high, not 1) >= low:", "if low <= -1 and min(high, - 0) >= low:"),
           "with low <= -1, min(high, c) >= low means high >= low for any c from -1 to 1; for low 0 or 1 the "
           "second test fails either way"),
    Equivalent("compiler", "ecma_pattern", 'backslashes = len(pattern[:-1]) - len(pattern[:-1].rstrip("\\\\"))',
               'backslashes = len(pattern[:-1]) ^ len(pattern[:-1].rstrip("\\\\"))',
               "only the count's parity is used, and a - b and a ^ b have the same lowest bit"),
    Equivalent("compiler", "ecma_pattern", 'if pattern.endswith("$") and backslashes % 2 == 0:  # an anchor, not an escaped "\\$"',
               'if pattern.endswith("$") and backslashes % 2 <= 0:  # an anchor, not an escaped "\\$"',
               "x % 2 is 0 or 1"),
    Equivalent("compiler", "int64_pattern",
               'branches.append("-0*(?:" + "|".join(_decimal_range(max(1, -min(high, -1)), -low)) + ")")',
               'branches.append("-0*(?:" + "|".join(_decimal_range(max(1, -min(high, not 1)), -low)) + ")")',
               "not 1 is 0: max(1, -min(high, 0)) equals max(1, -min(high, -1)) for every high"),
    Equivalent("compiler", "_decimal_range", "for length in range(len(str(low)), len(str(high)) + 1):",
               "for length in range(len(str(low)), len(str(high)) + 2):",
               "a length longer than high's has no integer in range: its start exceeds its end and adds nothing"),
    *_each("compiler", "_same_length", 'if low[1:] != "0" * rest:  # the partial run starting at low',
           ('if low[ 2:] != "0" * rest:  # the partial run starting at low',
            'if low[ 0:] != "0" * rest:  # the partial run starting at low',
            'if low[1:] is not "0" * rest:  # the partial run starting at low'),
           "taking the partial-run branch when the run is in fact whole splits the same set of integers into other "
           "alternatives: the pattern matches exactly the same strings"),
    *_each("compiler", "_same_length", 'if high[1:] != "9" * rest:  # the partial run ending at high',
           ('if high[ 0:] != "9" * rest:  # the partial run ending at high',
            'if high[ 2:] != "9" * rest:  # the partial run ending at high',
            'if high[1:] is not "9" * rest:  # the partial run ending at high'),
           "taking the partial-run branch when the run is in fact whole splits the same set of integers into other "
           "alternatives: the pattern matches exactly the same strings"),
    Equivalent("compiler", "_same_length", 'if low[1:] != "0" * rest:  # the partial run starting at low',
               'if low[1:] > "0" * rest:  # the partial run starting at low',
               "two digit strings of one length: differing from all zeros is being greater than it"),
    Equivalent("compiler", "_same_length", 'digit = str(first) if first == last else f"[{first}-{last}]"',
               'digit = str(first) if first >= last else f"[{first}-{last}]"',
               "this line runs only when first <= last, so >= holds exactly when == does"),
    *_each("compiler", "_same_length",
           'middle = [prefix + digit + ("" if not rest else "[0-9]" if rest == 1 else f"[0-9]{{{rest}}}")]',
           ('middle = [prefix + digit + ("" if not rest else "[0-9]" if rest == 0 else f"[0-9]{{{rest}}}")]',
            'middle = [prefix + digit + ("" if not rest else "[0-9]" if rest < 1 else f"[0-9]{{{rest}}}")]'),
           '"[0-9]{1}" and "[0-9]" are the same regular expression'),
    # -- src/sdcontracts/_engine.py --------------------------------------------------------------
    Equivalent("engine", "json_kind", "return None  # any other Python type", "pass  # any other Python type", _FALLS_THROUGH),
    Equivalent("engine", "_nested_home", "return None", "pass", _FALLS_THROUGH),
    Equivalent("engine", "violations", "return out  # full: the walk ends here", "pass  # full: the walk ends here",
               "the function returns out on the next line anyway"),
    Equivalent("engine", "python_checks", "return out  # full: the walk ends here", "pass  # full: the walk ends here",
               "the function returns out on the next line anyway"),
    Equivalent("engine", "_check", "if node.const is not None and enum_key(value) != enum_key(node.const[0]):",
               "if node.const is not None and enum_key(value) != enum_key(node.const[ -1]):",
               "const is kept as a 1-tuple: its first item is its last"),
    Equivalent("engine", "_check", 'add("const", f"must be {show(node.const[0])}, not {show(value, node)}", node.const[0])',
               'add("const", f"must be {show(node.const[ -1])}, not {show(value, node)}", node.const[0])',
               "const is kept as a 1-tuple: its first item is its last"),
    Equivalent("engine", "_check", 'add("const", f"must be {show(node.const[0])}, not {show(value, node)}", node.const[0])',
               'add("const", f"must be {show(node.const[0])}, not {show(value, node)}", node.const[ -1])',
               "const is kept as a 1-tuple: its first item is its last"),
    Equivalent("engine", "_walker", "return None", "pass",
               "a node with no Python-only check below it then gets a walk that finds nothing (it has no image, is "
               "not free, and nothing under it has a walk): the same answers, walked for nothing (time only)"),
    Equivalent("engine", "_walker", "return memo[id(node)]", "pass",
               "a node reached twice (a shared $ref) gets its walk built twice: the same answers, built twice "
               "(time only; recursive references are refused by the compiler, so it ends)"),
    Equivalent("engine", "_json_problems", 'Link = tuple[Any, "str | int"] | None  # (parent link, token)',
               "pass  # (parent link, token)",
               "the alias is only used in annotations, which `from __future__ import annotations` never evaluates"),
    Equivalent("engine", "_check", 'elif kind == "array":', 'elif kind <= "array":',
               'the kinds that reach this line are null, boolean, array and object (numbers and strings are taken '
               'above), and of these only "array" is <= "array"'),
    Equivalent("engine", "Findings", "limit = VIOLATION_LIMIT + 1", "limit = VIOLATION_LIMIT + 2",
               "validation keeps VIOLATION_LIMIT violations and says there were more whenever it holds more than "
               "that: one more held (then dropped) changes no report"),
    # -- src/sdcontracts/auth.py -----------------------------------------------------------------
    Equivalent("auth", "", "@dataclass(frozen=True, slots=True)", "@dataclass(frozen=True, slots=False)", _SLOTS),
    # -- src/sdcontracts/_quick.py ---------------------------------------------------------------
    Equivalent("quick", "quick_form",
               "depths = {_DEPTH_NAME.format(depth): _json_to(depth) for depth in range(JSON_DEPTH + 1)}",
               "depths = {_DEPTH_NAME.format(depth): _json_to(depth) for depth in range(JSON_DEPTH + 2)}",
               "one more depth entry in $defs, which nothing refers to"),
    Equivalent("quick", "_quicken", "kinds = [kinds] if isinstance(kinds, str) else kinds", "pass",
               "`in` on one type's name is then a substring test, which agrees with list membership: no JSON "
               "type's name lies inside another's"),
    Equivalent("quick", "_quicken", 'closed = schema.get("additionalProperties", True) is False',
               'closed = schema.get("additionalProperties", True) == False',
               "additionalProperties is a schema or a boolean, and no schema equals False"),
    Equivalent("quick", "_one_spelling", "if all(snake_name(name) == name for name in names):",
               "if all(snake_name(name) is name for name in names):",
               "where is says no and == yes (a cached spelling, another str object), an object none of whose "
               "fields has a second spelling is split into two identical branches: the same verdicts (time only)"),
    # -- src/sdcontracts/canonical/_translate.py -------------------------------------------------
    Equivalent("translate", "_convert", "return _SKIP  # a random seed's value: nothing placed",
               "pass  # a random seed's value: nothing placed",
               "once the random-seed problem is recorded, translate raises Untranslatable with the same problems "
               "whether the seed was placed or not: the payload that would hold it is never returned"),
)  # fmt: skip
