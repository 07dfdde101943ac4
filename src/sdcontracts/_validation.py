"""``validate(provider, payload)``: the one validator the library, the mock and the strategies share.

Two engines read the same compiled schema. jsonschema-rs decides validity in microseconds;
only when it says "invalid" (rare on a service's request path) does the Python interpreter
walk the payload to explain each violation. jsonschema-rs first reads the quick form (`_quick`):
the schema, every rule JSON Schema states exactly (`rules.Rule.engine`) or a condition under
which it holds (`rules.Rule.holds_if`), free-form values read as JSON, small images' headers,
one spelling per object. A payload it accepts needs nothing more but the rules with neither
(none but PICPIK's two today). Any other payload takes the exact route: jsonschema-rs on the exact form
(the schema and the exact rules), then the checks only Python can run (image headers, JSON-ness
of free-form values) and every rule it does not state exactly; when it rejects, every check runs
in Python, to explain. Whatever the payload is, the answer is a `Report`: bad input is reported,
never raised.

Verdicts are graded: a constraint the sources dispute gives a *warning* where the value is
within the lenient reading (``Report.warnings``; ``ok`` stays true), an *error* otherwise;
``strict=True`` makes every warning an error. A request that is valid by every reading takes
the fast path above unchanged: jsonschema-rs checks the strict form, and only a payload it
rejects is walked to tell warnings from errors.

A report holds at most `VIOLATION_LIMIT` violations and warnings, then one
``too-many-violations``: the walk stops there, so a hostile payload (a hundred thousand bad
items or unknown keys) costs bounded time and memory, and nobody reads the ten-thousandth
violation anyway.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from typing import Any, Literal

from . import _catalogue
from ._compiler import add_fragments, caller_document, compile_engine_schema, compile_nodes
from ._engine import VIOLATION_LIMIT, Enough, Findings, Interpreter, graded, show
from ._quick import quick_form
from ._report import Report, Violation
from .rules import Rule, ruleset
from .rules._registry import Check

__all__ = ["VIEWS", "VIOLATION_LIMIT", "View", "compiled", "validate"]

View = Literal["wire", "caller"]
VIEWS: tuple[View, ...] = ("wire", "caller")


class CompiledSchema:
    """One provider schema, compiled for both engines, with its rules.

    ``rules_in_engine=False`` leaves the rules out of jsonschema-rs's schema and the quick form
    unused, every rule and every Python-only check then running in Python on every payload: the
    reference the differential tests hold the default to.
    """

    def __init__(self, provider: str, name: str, view: View = "wire", *, rules_in_engine: bool = True) -> None:
        import jsonschema_rs  # deferred: keeps `import sdcontracts` cheap

        self.provider = provider
        self.name = name
        self.view = view
        raw = _catalogue.raw_schema(provider, name)
        self.schema = raw if view == "wire" else caller_document(raw)

        def doc_for(subschema: Mapping[str, Any]) -> str:
            quote = subschema.get("x-doc")
            if quote is None and "x-source" not in subschema:
                return ""
            return _catalogue.doc_reference(provider, quote, subschema.get("x-source"))

        self.root = compile_nodes(self.schema, doc_for, provider=provider, name=name)
        self.interpreter = Interpreter(self.root)
        rules = ruleset(provider)
        self.rules: tuple[Rule, ...] = rules.for_schema(name)
        engine_schema, formats = compile_engine_schema(self.schema)
        exact: list[Any] = []  # the rules' fragments, stating each exactly
        holds: list[Any] = []  # conditions under which the others hold
        for rule in self.rules if rules_in_engine else ():
            if rule.engine is not None:
                exact.append((rule.id, rule.engine(self.schema)))
            elif rule.holds_if is not None:
                holds.append((rule.id, rule.holds_if(self.schema)))
        for _, fragment in exact:
            add_fragments(engine_schema, fragment)
        self.engine_schema = engine_schema
        self.formats = formats
        self._exact = jsonschema_rs.validator_for(engine_schema, formats=formats, validate_formats=True)
        self._quick: Any = _Rejects()
        if rules_in_engine:
            quick, quick_formats = quick_form(self.schema, [f for _, f in exact + holds])
            self._quick = jsonschema_rs.validator_for(quick, formats=quick_formats, validate_formats=True)
        self._prepare = rules.prepare.get(name)
        self._checks = tuple((r.id, r.check, _catalogue.doc_reference(provider, r.doc, r.source)) for r in self.rules)
        # what a payload the exact form accepts still needs: the rules it does not state
        in_engine = {rule for rule, _ in exact}
        self._python_checks = tuple(check for check in self._checks if check[0] not in in_engine)
        # and one the quick form accepts: the rules it does not state either
        in_quick = in_engine | {rule for rule, _ in holds}
        self._quick_checks = tuple(check for check in self._checks if check[0] not in in_quick)
        self._valid = Report(provider, name)

    def validate(self, payload: Any, strict: bool = False) -> Report:
        try:
            quick = bool(self._quick.is_valid(payload))
        except Exception:  # what jsonschema-rs cannot read (non-str keys, bytes, sets…): the exact route says
            quick = False
        if quick and not self._quick_checks:
            return self._valid
        readable = exact = True
        found = Findings()  # VIOLATION_LIMIT and one over: telling "exactly the limit" from "more"
        if quick:
            checks = self._quick_checks
        else:
            try:
                exact = bool(self._exact.is_valid(payload))
            except Exception:  # what jsonschema-rs cannot read (non-str keys, bytes, sets, lone surrogates…)
                exact = readable = False
            if exact:
                self.interpreter.python_checks(payload, found)
                checks = self._python_checks
            else:
                self.interpreter.violations(payload, found)  # every check, the Python-only ones too
                checks = self._checks
        if checks and len(found) <= VIOLATION_LIMIT:
            self._run_rules(payload, found, checks)
        if not found and not exact and readable:
            self._fallback(payload, found)
        if not found:
            return self._valid
        if len(found) > VIOLATION_LIMIT:
            stop = Violation(
                "", "too-many-violations",
                f"validation stopped after {VIOLATION_LIMIT} violations; fix these and validate again",
                expected=VIOLATION_LIMIT,
            )  # fmt: skip
            del found[VIOLATION_LIMIT:]
            found.append(stop)
        errors = tuple(v for v in found if v.severity == "error")
        report = Report(self.provider, self.name, errors, tuple(v for v in found if v.severity != "error"))
        return report.strict() if strict else report

    def _run_rules(self, payload: Any, found: Findings, checks: tuple[tuple[str, Check, str], ...]) -> None:
        subject = payload
        if self._prepare is not None:
            try:
                subject = self._prepare(payload)
            except Exception as error:
                found.append(self._internal_error("prepare", error))
                return
        if subject is None:  # nothing the rules can read
            return
        try:
            # checks called directly, not through Rule.findings: this loop runs on every request
            for rule, check, doc in checks:
                try:
                    for finding in check(subject):
                        dispute = finding.dispute
                        if dispute is None:
                            found.append(Violation(finding.path, rule, finding.message, doc))
                        else:
                            warn = dispute.decision == "warning"
                            found.append(graded(finding.path, rule, finding.message, doc, dispute=dispute, warn=warn))
                except Enough:
                    raise
                except Exception as error:  # a bug in a rule must not break the caller's request path
                    found.append(self._internal_error(rule, error))
        except Enough:
            return  # full: the report is what it holds

    def _internal_error(self, where: str, error: Exception) -> Violation:
        return Violation(
            "", "internal-error",
            f"{self.provider} rule {where} failed on this payload ({type(error).__name__}: {error}); "
            "this is a bug in sdcontracts, please report it",
        )  # fmt: skip

    def _fallback(self, payload: Any, found: Findings) -> None:
        """jsonschema-rs said invalid but neither the interpreter nor the rules found anything: report what it saw.

        This is a disagreement between the engines, which the differential tests exist to
        prevent; reporting it beats silently calling the payload valid. (When jsonschema-rs
        could not read the payload at all, the interpreter's verdict stands: it runs every check.)
        """
        try:
            errors = list(itertools.islice(self._exact.iter_errors(payload), found.limit))
        except Exception as error:
            found.append(Violation("", "not-json", f"the payload could not be read: {show(str(error))}"))
            return
        found.extend(Violation("/" + "/".join(str(p) for p in e.instance_path), "schema", e.message) for e in errors)


class _Rejects:
    """A quick form that accepts nothing: every payload takes the exact route."""

    def is_valid(self, payload: Any) -> bool:
        return False


_LOCK = threading.Lock()
_COMPILED: dict[tuple[str, str, str], CompiledSchema] = {}


def compiled(provider: str, schema: str = "img2img.request", view: View = "wire") -> CompiledSchema:
    """The compiled form of a schema: compiled once, on first use, under a lock."""
    key = (provider, schema, view)
    try:
        return _COMPILED[key]
    except (KeyError, TypeError):
        pass
    _catalogue.check_schema(_catalogue.check_provider(provider), schema)
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r} (known: {', '.join(VIEWS)})")
    with _LOCK:
        if key not in _COMPILED:
            _COMPILED[key] = CompiledSchema(provider, schema, view)
        return _COMPILED[key]


# schema, strict and view are meant as keywords; they are not keyword-only because filling a missing
# keyword-only argument costs a dict lookup per call, measurable on a small valid request (callgrind:
# three keyword-only defaults cost 300 instructions a call more than positional ones)
def validate(
    provider: str, payload: Any, schema: str = "img2img.request", strict: bool = False, view: View = "wire"
) -> Report:
    """Check a payload against a provider's documented contract.

    ``payload`` is the parsed JSON body (any value at all: bad input gives violations, never
    an exception). ``schema`` names the message, ``img2img.request`` by default; see
    ``sdcontracts.schemas(provider)``. An unknown provider, schema or view raises ValueError.

    ``report.violations`` are errors (``report.ok`` is false when there is one);
    ``report.warnings`` are values only a disputed reading of the docs rejects, each carrying
    the dispute and its sources. ``strict=True`` makes every warning an error.

    ``view="caller"`` checks a request as a caller hands it to a client, which then fills in
    what the schema marks ``x-filled-by`` (Tensor.Art's ``requestId``, Zhiqite's ``id_task``,
    PICPIK's ``Action``, ``PublicKey`` and ``Signature``): those may be absent, and are checked
    when given. The default, ``"wire"``, is the body as the provider receives it.

    >>> report = validate("novita", {"request": {"prompt": ""}})
    >>> report.ok
    False
    >>> sorted(report.rules)
    ['min-length', 'required']
    """
    try:  # the lookup `compiled` makes, inline: this is every request's path
        target = _COMPILED[provider, schema, view]
    except (KeyError, TypeError):
        target = compiled(provider, schema, view)
    return target.validate(payload, strict)
