"""A run's results for people and for CI: a table per provider, Markdown, JUnit, failing-case files.

The table has one row per rule, every rule of the provider: how many cases were sent, how many
valid requests were accepted, how many invalid ones rejected, how many disagreed with the
contract, and whether the rule was judged at all (or why not: the budget, too few cases). The
verdict line is "conforming", "NOT CONFORMING" or "INCONCLUSIVE" (nothing disagreed, but some
rule was not judged: the line names them). Each failing case is
saved as ``<provider>-<rule>-<n>.json`` (what was sent, what came back, what was wrong, the
command that regenerates it) with the exact body beside it and a ``curl`` line that resends it.
Credentials never reach a file: a live run's are redacted and the ``curl`` line reads them from
the ``SDCONTRACTS_…`` variables; the mock's are the published test values and are kept, so the
line works as is against ``sdcontracts mock serve``.
"""

from __future__ import annotations

import json
import shlex
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .._catalogue import provider_info
from .._catalogue import providers as all_providers
from .._redact import REDACTED, redact_body, scrub, secret_headers, sent_credentials
from .._registry import get as registered
from ._budget import Plan
from ._cases import VALID
from ._checks import Verdict
from ._run import BUDGET_SPENT, CONFORMING, NOT_CONFORMING, TOO_FEW_CASES, Exchange, ProviderResult, RunResult
from ._targets import LIVE_CREDENTIALS

__all__ = ["Row", "junit", "markdown", "plans_text", "rows", "save_failures", "table", "verdict_line"]

MOCK_URL = "${SDCONTRACTS_MOCK_URL:-http://127.0.0.1:8000}"
_EXAMPLES = 3  # disagreement examples shown per rule
_SKIPPED_HEADERS = {"host", "content-length", "accept-encoding", "connection", "user-agent", "accept"}


@dataclass(frozen=True)
class Row:
    """One rule's line in a provider's table."""

    rule: str
    cases: int
    accepted: int  # valid requests the target accepted
    rejected: int  # invalid requests the target rejected
    disagreements: int
    examples: tuple[Verdict, ...]  # a few disagreeing cases
    unjudged: str | None = None  # why no case of this rule was judged; None: judged

    @property
    def valid(self) -> bool:
        return self.rule == VALID

    @property
    def judged(self) -> str:
        return "yes" if self.unjudged is None else f"no: {self.unjudged}"

    def counts(self) -> tuple[str, str, str]:
        """The valid accepted, invalid rejected and disagreements cells ("-" where they do not apply)."""
        if not self.cases:
            return "-", "-", "-"
        tally = f"{self.accepted if self.valid else self.rejected}/{self.cases}"
        return (tally, "-", str(self.disagreements)) if self.valid else ("-", tally, str(self.disagreements))


def rows(outcome: ProviderResult) -> list[Row]:
    """The provider's table: valid requests first, then every rule in name order (those no case
    was judged for too, saying why)."""
    by_rule: dict[str, list[Verdict]] = {}
    for verdict in outcome.verdicts:
        by_rule.setdefault(verdict.case.rule, []).append(verdict)
    unjudged = outcome.unjudged()
    order = sorted({*by_rule, *unjudged}, key=lambda rule: (rule != VALID, rule))
    table = []
    for rule in order:
        verdicts = by_rule.get(rule, [])
        wrong = [v for v in verdicts if not v.agreed]
        table.append(
            Row(
                rule,
                len(verdicts),
                sum(1 for v in verdicts if v.accepted),
                sum(1 for v in verdicts if v.accepted is False),
                len(wrong),
                tuple(wrong[:_EXAMPLES]),
                unjudged.get(rule),
            )
        )
    return table


def _reproduce(result: RunResult, provider: str | None = None) -> str:
    """The command that runs ``result`` again (its providers, or just ``provider``)."""
    ran = [provider] if provider else list(result.providers)
    chosen = f" --provider {' '.join(ran)}" if sorted(ran) != sorted(all_providers()) else ""
    target = f" --target {shlex.quote(result.spec)}" if result.spec else ""
    replay = bool(result.spec and result.spec.startswith("replay:"))
    budget = f" --budget {result.budget}" if result.budget is not None and not replay else ""
    lax = "".join(f" --unenforced {p}:{r}" for p, rules in result.unenforced.items() for r in rules)
    strict = " --strict" if result.strict else ""
    cases = f"--examples {result.examples} --seed {result.seed}"
    return f"sdcontracts conformance{chosen}{target}{budget}{lax}{strict} {cases}"


def verdict_line(result: RunResult) -> str:
    """The run's verdict in one line: conforming, NOT CONFORMING, or INCONCLUSIVE naming the
    rules not judged and what would judge them."""
    sent = sum(len(o.verdicts) for o in result.providers.values())
    wrong = result.disagreements()
    unjudged = _unjudged_text(result)
    if result.verdict == NOT_CONFORMING:
        failing_rules = sorted({f"{v.case.provider}:{v.case.rule}" for v in wrong})
        line = f"NOT CONFORMING: {len(wrong)} of {sent} cases disagree ({', '.join(failing_rules)})"
        return line + (f"; also {unjudged}" if unjudged else "")
    if result.verdict == CONFORMING:
        return f"conforming: all {sent} cases agree, every rule judged"
    return f"INCONCLUSIVE: the {sent} cases sent agree, but {unjudged}"


def _unjudged_text(result: RunResult) -> str:
    """Why rules went unjudged, e.g. "not enough budget to judge rules novita:maximum, …", with
    what would judge them all."""
    by_reason: dict[str, list[str]] = {}
    for provider, why in result.unjudged().items():
        for rule, reason in why.items():
            kind = {BUDGET_SPENT: "budget", TOO_FEW_CASES: "cases"}.get(reason, "other")
            by_reason.setdefault(kind, []).append(f"{provider}:{rule}")
    parts = []
    plans = [o.plan for o in result.providers.values() if o.plan is not None and o.unjudged()]
    if "budget" in by_reason:
        needed = max(p.lifecycle + len(p.rules) for p in plans)
        parts.append(
            f"not enough budget to judge rules {', '.join(by_reason['budget'])} "
            f"(--budget {needed} would pay for one lifecycle and every rule)"
        )
    if "cases" in by_reason:
        needed = max(2 * (len(p.rules) + len(p.without_case)) for p in plans)
        parts.append(
            f"not enough cases to judge rules {', '.join(by_reason['cases'])} "
            f"(--examples {needed} gives every rule a case)"
        )
    if "other" in by_reason:
        parts.append(f"the run stopped before judging rules {', '.join(by_reason['other'])}")
    return "; ".join(parts)


# -- the terminal table --------------------------------------------------------------------------


def table(result: RunResult, failures: dict[tuple[str, int], Path] | None = None) -> str:
    """The run as text: one table per provider, the disagreements, a verdict line."""
    lines = [f"sdcontracts conformance: {result.target}, {result.examples} cases per provider, seed {result.seed}", ""]
    for provider, outcome in result.providers.items():
        lines += _provider_text(provider, outcome, result.is_mock)
    wrong = result.disagreements()
    if wrong:
        lines.append("Disagreements")
        for provider, outcome in result.providers.items():
            for row in rows(outcome):
                for verdict in row.examples:
                    where = failures.get((provider, verdict.case.number)) if failures else None
                    lines.append(f"  {provider} {row.rule} #{verdict.case.number} at {verdict.case.path or '/'}")
                    lines += [f"      {problem}" for problem in verdict.problems]
                    if where:
                        lines.append(f"      saved: {where}")
                if row.disagreements > len(row.examples):
                    lines.append(f"  {provider} {row.rule}: {row.disagreements - len(row.examples)} more like these")
        lines.append("")
    lines.append(verdict_line(result))
    if result.verdict != CONFORMING:
        lines.append(f"rerun with: {_reproduce(result)}")
    return "\n".join(lines) + "\n"


def plans_text(plans: dict[str, Plan]) -> str:
    """What each budget pays for, one line per provider (empty when nothing is budgeted)."""
    budgeted = {p: plan for p, plan in plans.items() if plan.budget is not None}
    budgets = sorted({plan.budget for plan in budgeted.values() if plan.budget is not None})
    if not budgets:
        return ""
    lines = [f"Budget: {', '.join(map(str, budgets))} requests per provider; the plan:"]
    width = max(map(len, budgeted))
    lines += [f"  {provider:<{width}}  {plan.describe()}" for provider, plan in budgeted.items()]
    return "\n".join(lines) + "\n\n"


def _provider_text(provider: str, outcome: ProviderResult, is_mock: bool) -> list[str]:
    name = provider_info(provider).get("name", provider)
    if outcome.skipped:
        return [f"{provider} ({name}): skipped, {outcome.skipped}", ""]
    plan = outcome.plan
    budget = f" (budget {plan.budget})" if plan is not None and plan.budget is not None else ""
    unjudged = outcome.unjudged()
    judged = f", {len(unjudged)} not judged" if unjudged else ""
    head = (
        f"{provider} ({name}): {len(outcome.verdicts)} cases, {len(outcome.disagreements)} disagreements"
        f"{judged}, {outcome.requests} requests{budget}"
    )
    lines = [head]
    if outcome.stopped:
        lines.append(f"  stopped early, {outcome.unsent} cases not sent: {outcome.stopped}")
    header = ("rule", "cases", "valid accepted", "invalid rejected", "disagreements", "judged")
    body = [(row.rule, str(row.cases), *row.counts(), row.judged) for row in rows(outcome)]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    for cells in [header, *body]:
        first = cells[0].ljust(widths[0])
        rest = "  ".join(c.rjust(w) for c, w in zip(cells[1:-1], widths[1:-1], strict=True))
        lines.append(f"  {first}  {rest}  {cells[-1]}".rstrip())
    return [*lines, ""]


# -- Markdown ------------------------------------------------------------------------------------


def markdown(result: RunResult, failures: dict[tuple[str, int], Path] | None = None) -> str:
    """The run as a Markdown report (what a CI job attaches, what a person reads)."""
    out = [
        "# sdcontracts conformance report",
        "",
        f"- target: {result.target}",
        f"- cases per provider: {result.examples} (half valid, the rest spread over the rules), seed {result.seed}",
        f"- reproduce: `{_reproduce(result)}`",
        f"- verdict: **{result.verdict}**: {_md(verdict_line(result).partition(': ')[2])}",
        "",
        "A valid request must be accepted, finish, and return what it asked for; a request breaking one "
        "rule must be rejected with the provider's error shape"
        + (" and, on the mock, an error naming the rule." if result.is_mock else ".")
        + " On a live provider the rejected column is the answer to *which documented constraints it enforces*.",
        "",
    ]
    for provider, outcome in result.providers.items():
        name = provider_info(provider).get("name", provider)
        out.append(f"## {provider} ({name})")
        out.append("")
        if outcome.skipped:
            out += [f"Skipped: {outcome.skipped}.", ""]
            continue
        if outcome.plan is not None and outcome.plan.budget is not None:
            out += [f"Budget {outcome.plan.budget} requests: {_md(outcome.plan.describe())}.", ""]
        if outcome.stopped:
            out += [f"Stopped early, {outcome.unsent} cases not sent: {outcome.stopped}", ""]
        out += [
            "| rule | cases | valid accepted | invalid rejected | disagreements | judged |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for row in rows(outcome):
            accepted, rejected, wrong = row.counts()
            flag = f"**{wrong}**" if row.disagreements else wrong
            out.append(f"| `{row.rule}` | {row.cases} | {accepted} | {rejected} | {flag} | {row.judged} |")
        out.append("")
        for row in rows(outcome):
            for verdict in row.examples:
                where = failures.get((provider, verdict.case.number)) if failures else None
                saved = f" ([case file]({where.name}))" if where else ""
                out.append(f"- `{row.rule}` case {verdict.case.number} at `{verdict.case.path or '/'}`{saved}:")
                out += [f"  - {_md(problem)}" for problem in verdict.problems]
        out.append("")
    return "\n".join(out)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


# -- JUnit ---------------------------------------------------------------------------------------


def junit(result: RunResult) -> str:
    """JUnit XML: a test suite per provider, a test case per rule (failed if any case disagreed)."""
    suites = ET.Element("testsuites", name="sdcontracts conformance", time=f"{result.seconds:.3f}")
    for provider, outcome in result.providers.items():
        table_rows = rows(outcome)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"conformance.{provider}",
            tests=str(len(table_rows) or 1),
            failures=str(sum(1 for r in table_rows if r.disagreements)),
            skipped="1" if outcome.skipped else "0",
        )
        if outcome.skipped:
            case = ET.SubElement(suite, "testcase", classname=f"conformance.{provider}", name="all")
            ET.SubElement(case, "skipped", message=outcome.skipped)
            continue
        for row in table_rows:
            case = ET.SubElement(suite, "testcase", classname=f"conformance.{provider}", name=row.rule)
            if row.unjudged is not None:
                ET.SubElement(case, "skipped", message=f"not judged: {row.unjudged}")
                continue
            detail = (
                f"{row.cases} cases; valid accepted {row.accepted}; invalid rejected {row.rejected}; "
                f"disagreements {row.disagreements}"
            )
            ET.SubElement(case, "system-out").text = detail
            if row.disagreements:
                failure = ET.SubElement(
                    case, "failure", message=f"{row.disagreements} of {row.cases} cases disagree with the contract"
                )
                failure.text = "\n".join(
                    f"case {v.case.number} at {v.case.path or '/'}: " + "; ".join(v.problems) for v in row.examples
                )
        suite.set("skipped", str(sum(1 for r in table_rows if r.unjudged is not None)))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


# -- failing-case files --------------------------------------------------------------------------


def save_failures(result: RunResult, directory: Path) -> dict[tuple[str, int], Path]:
    """Write one JSON file (and the exact body) per disagreeing case; return where each went."""
    saved: dict[tuple[str, int], Path] = {}
    for provider, outcome in result.providers.items():
        for verdict in outcome.disagreements:
            directory.mkdir(parents=True, exist_ok=True)
            name = f"{provider}-{verdict.case.rule}-{verdict.case.number}"
            path = directory / f"{name}.json"
            document = _case_document(result, verdict, outcome.exchanges.get(verdict.case.number, []), directory, name)
            path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            saved[(provider, verdict.case.number)] = path
    return saved


def _case_document(result: RunResult, verdict: Verdict, exchanges: list[Exchange], directory: Path,
                   name: str) -> dict[str, Any]:  # fmt: skip
    case = verdict.case
    live = not result.is_mock
    document: dict[str, Any] = {
        "provider": case.provider,
        "case": case.number,
        "kind": case.kind,
        "rule": case.rule,
        "path": case.path,
        "target": result.target,
        "regenerate": _reproduce(result, case.provider),
        "outcome": verdict.outcome,
        "problems": verdict.problems,
    }
    submit = _submit_exchange(case.provider, exchanges)
    if submit is not None:
        body_file = directory / f"{name}.body.json"
        body_file.write_bytes(_body_bytes(submit.body, live))
        document["request"] = {
            "method": submit.method,
            "url": submit.url,
            "headers": _headers(case.provider, submit.headers, live, for_shell=False),
            "body_file": body_file.name,
        }
        document["response"] = {"status": submit.status, "body": _parsed(submit, live)}
        document["curl"], note = _curl(
            case.provider, submit, body_file.as_posix(), live, result.target.startswith("in-process")
        )
        if note:
            document["curl_note"] = note
    document["exchanges"] = [
        {"method": e.method, "url": e.url, "status": e.status, "response": _parsed(e, live)} for e in exchanges
    ]
    return document


def _submit_exchange(provider: str, exchanges: list[Exchange]) -> Exchange | None:
    operation = registered(provider).submit
    for exchange in exchanges:
        if exchange.method == operation.method and urlsplit(exchange.url).path == operation.path:
            return exchange
    return None


def _body_bytes(body: bytes, live: bool) -> bytes:
    if not live:
        return body
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        return body
    return json.dumps(redact_body(parsed), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _parsed(exchange: Exchange, live: bool) -> Any:
    """The response, as it goes in a file: secrets redacted and, on a live run, without the
    credentials the request carried, which a provider may echo (Alibaba's string to sign)."""
    content = exchange.response
    try:
        parsed = json.loads(content) if content else None
    except (ValueError, RecursionError):
        return f"({len(content):,} bytes, not JSON)"
    echoed = sent_credentials(exchange.headers, exchange.body) if live else frozenset()
    return scrub(redact_body(parsed, shorten=512), echoed)


def _env_for(provider: str, header: str, value: str, for_shell: bool) -> str:
    """A live credential header's value as a reference to the variable holding it (or REDACTED: a
    signature, or a header the provider's profile does not tie to a credential)."""
    credential = registered(provider).profile.secret_headers.get(header.lower())
    variable = LIVE_CREDENTIALS[provider].get(credential) if credential is not None else None
    if variable is None:
        return REDACTED
    reference = f"${variable}" if for_shell else f"<${variable}>"
    return f"Bearer {reference}" if header.lower() == "authorization" and value.startswith("Bearer ") else reference


def _headers(provider: str, headers: dict[str, str], live: bool, *, for_shell: bool) -> dict[str, str]:
    kept = {k: v for k, v in headers.items() if k.lower() not in _SKIPPED_HEADERS}
    if not live:
        return kept
    secret = secret_headers()
    return {k: (_env_for(provider, k, v, for_shell) if k.lower() in secret else v) for k, v in kept.items()}


def _curl(provider: str, exchange: Exchange, body_file: str, live: bool, in_process: bool) -> tuple[str, str | None]:
    url = exchange.url
    if in_process:  # the in-process mock answered for the provider's own host: point at `mock serve`
        parts = urlsplit(url)
        url = f"{MOCK_URL}{parts.path}" + (f"?{parts.query}" if parts.query else "")
    words = ["curl", "-sS", "-X", exchange.method, _quote(url)]
    for header, value in _headers(provider, exchange.headers, live, for_shell=True).items():
        words += ["-H", _quote(f"{header}: {value}")]
    words += ["--data-binary", f"@{shlex.quote(body_file)}"]
    note = None
    # signatures cover the time, a nonce or the body: curl cannot renew them (a body's, only redacted)
    if _signature_headers(provider) & {h.lower() for h in exchange.headers} or (live and _signs_body(provider)):
        note = (
            "this provider signs each request (time and nonce, or the body); the recorded signature is "
            + ("redacted" if live else "valid only within the mock's signature window, once")
            + ": resend it through the client instead, e.g. by rerunning the command in 'regenerate'"
        )
    return " ".join(words), note


def _signature_headers(provider: str) -> set[str]:
    """The headers carrying a signature rather than a credential (the profile ties them to none)."""
    return {header for header, credential in registered(provider).profile.secret_headers.items() if credential is None}


def _signs_body(provider: str) -> bool:
    """Whether the provider's submits carry credentials in the body (fields its schema marks ``x-secret``)."""
    spec = registered(provider)
    fields = spec.raw_schema(spec.submit.request).get("properties", {}) if spec.submit.request else {}
    return any(isinstance(child, dict) and child.get("x-secret") for child in fields.values())


def _quote(text: str) -> str:
    """Double quotes, so $VARIABLES expand: everything else that is special to the shell is escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
    return f'"{escaped}"'
