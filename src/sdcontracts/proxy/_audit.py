"""Replaying a proxy's recording: the provider judged by the traffic it served.

A recording (``sdcontracts proxy --record calls.json``) holds real exchanges, not generated cases, so
``sdcontracts conformance --target replay:calls.json`` cannot send them again; it judges them. Each
exchange the provider answered (not those the proxy answered itself) is a case:

- **accepted although invalid**: the request broke the contract (recorded in report mode), and the
  provider did not refuse it as invalid;
- **refused although valid**: the request kept the contract, and the provider refused it as invalid
  (an error its ``provider.json`` files as ``invalid``);
- **drifting answer**: the answer departs from the response schemas, checked again now, with today's
  schemas (`_answers`), so a recording made before a schema fix is judged by the fix.

Requests are judged by the verdict recorded with them: a cassette shortens long strings (images) and
redacts credentials, so the bodies it holds are not the bodies that were sent. The table has a row
per operation; the run conforms (exit 0) when no exchange disagrees, else it does not (exit 1).
The same file is an ordinary cassette too: `ReplayTransport` answers a client's requests from it,
in order (a client replaying the calls it made through the proxy gets the same answers, offline).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

import httpx

from .._exceptions import RequestRejected
from ..conformance._cassette import Cassette
from ._answers import AnswerChecker
from ._routes import Routes

__all__ = ["Row", "audit", "judge"]

_EXAMPLES = 3
_BY_PROXY = frozenset({"rejected", "budget", "upstream-error"})  # outcomes the proxy answered itself


@dataclass
class Row:
    """One operation's exchanges in a recording."""

    provider: str
    operation: str
    exchanges: int = 0
    by_proxy: int = 0  # answered by the proxy itself: not the provider's answers
    accepted_invalid: list[str] = field(default_factory=list)
    refused_valid: list[str] = field(default_factory=list)
    drifting: list[str] = field(default_factory=list)

    @property
    def disagreements(self) -> int:
        return len(self.accepted_invalid) + len(self.refused_valid) + len(self.drifting)


def judge(cassette: Cassette, providers: Iterable[str] | None = None) -> list[Row]:
    """Every recorded exchange judged, as rows by provider and operation."""
    rows: dict[tuple[str, str], Row] = {}
    wanted = set(providers) if providers is not None else None
    for provider, entries in cassette.interactions.items():
        if wanted is not None and provider not in wanted:
            continue
        routes, checker = Routes(provider), AnswerChecker(provider)
        for index, entry in enumerate(entries):
            verdict = entry.get("proxy") or {}
            name = verdict.get("operation") or "unmatched"
            row = rows.setdefault((provider, name), Row(provider, name))
            row.exchanges += 1
            outcome = verdict.get("outcome")
            operation = routes.operations.get(name)
            if outcome in _BY_PROXY:
                row.by_proxy += 1
                continue
            if operation is None:  # none of the contract's operations: nothing to judge it by
                continue
            where = f"#{index} {entry['request']['method']} {httpx.URL(entry['request']['url']).path}"
            answer = entry["response"]
            status = int(answer["status"])
            response = httpx.Response(status, headers=answer.get("headers", {}))
            read = checker.check(operation, entry["request"]["method"], response, _body(answer))
            invalid = type(read.error) is RequestRejected  # an error provider.json files as "invalid"
            if outcome == "invalid" and not invalid:
                rules = ", ".join(sorted({v["rule"] for v in verdict.get("violations", [])}))
                row.accepted_invalid.append(f"{where}: breaks {rules}, answered HTTP {status} without refusing it")
            elif outcome in ("ok", "warnings") and invalid:
                assert read.error is not None
                row.refused_valid.append(f"{where}: refused as invalid ({read.error.code}): {read.error.message}")
            if read.drift:
                found = "; ".join(f"[{d.rule}] {d.path or '/'}: {d.message}" for d in read.drift[:3])
                row.drifting.append(f"{where}: {found}")
    return sorted(rows.values(), key=lambda row: (row.provider, row.operation))


def audit(cassette: Cassette, providers: Iterable[str] | None, out: TextIO) -> int:
    """Print the judgement of a proxy's recording; 0 when the provider agrees with the contract, else 1."""
    rows = judge(cassette, providers)
    out.write("Recorded traffic judged against the contract (a proxy's recording: its requests are not sent again)\n")
    for provider in sorted({row.provider for row in rows}):
        out.write(f"\n{provider} (recorded from {cassette.base_urls.get(provider, '?')})\n")
        out.write(f"  {'operation':<12}{'exchanges':>10}{'by proxy':>10}{'accepted invalid':>18}"
                  f"{'refused valid':>15}{'drifting':>10}\n")  # fmt: skip
        for row in (r for r in rows if r.provider == provider):
            out.write(f"  {row.operation:<12}{row.exchanges:>10}{row.by_proxy:>10}{len(row.accepted_invalid):>18}"
                      f"{len(row.refused_valid):>15}{len(row.drifting):>10}\n")  # fmt: skip
            for label, found in (("accepted invalid", row.accepted_invalid), ("refused valid", row.refused_valid),
                                 ("drifting", row.drifting)):  # fmt: skip
                for example in found[:_EXAMPLES]:
                    out.write(f"      {label}: {example}\n")
    judged = sum(row.exchanges - row.by_proxy for row in rows)
    wrong = sum(row.disagreements for row in rows)
    if wrong:
        out.write(f"\nNOT CONFORMING: {wrong} disagreement(s) in {judged} exchange(s) the provider answered\n")
        return 1
    out.write(f"\nconforming: the {judged} exchange(s) the provider answered agree with the contract\n")
    return 0


def _body(answer: dict[str, Any]) -> bytes:
    if "json" in answer:
        return json.dumps(answer["json"], ensure_ascii=False).encode("utf-8")
    if "text" in answer:
        return str(answer["text"]).encode("utf-8")
    if "base64" in answer:
        return base64.b64decode(answer["base64"])
    return b""
