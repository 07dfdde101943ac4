"""How a request budget is spent: the plan a budgeted run announces, and the order it sends cases in.

A budget (``--budget``, 20 requests per provider by default on a live target) is too small for
the cases a run generates, so a budgeted run answers *which documented constraints does the
target enforce?* first:

1. one valid request through its whole lifecycle (uploads, submit, status queries, download): it
   proves the credentials, the payload and the lifecycle work, so the rejections that follow
   mean something;
2. one invalid case per rule, in rule-id order: one request each;
3. the other valid cases, then the other invalid ones, while the budget lasts.

When the budget cannot pay for a lifecycle at all, the rules go first. The plan is worked out
before anything is sent, from the case counts and the target's expected status queries, and says
which rules the budget reaches; the run's table then says, for every rule, whether it was judged.
An unbudgeted run sends its cases in their generated order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ._cases import VALID, Case, shares, valid_cases
from ._checks import preparation_requests
from ._targets import Target

__all__ = ["Plan", "order", "plan_for"]


@dataclass(frozen=True)
class Plan:
    """What a provider's run will send: its budget, what one valid lifecycle is expected to cost,
    the rules with cases (in the order their first case goes), and those without any."""

    provider: str
    budget: int | None  # requests; None: unlimited
    lifecycle: int  # requests one valid case is expected to take
    polls: int  # of which status queries (an estimate: a live task takes the time it takes)
    preparation: int  # and requests before its submit (Tensor.Art image uploads)
    valid: int  # valid cases generated
    rules: tuple[str, ...]  # rules with at least one case, in sending order
    without_case: tuple[str, ...]  # rules no case was generated for (too few --examples)

    @property
    def lifecycle_first(self) -> bool:
        """Whether the first valid case goes before the rules (it does unless the budget cannot pay for it)."""
        return self.valid > 0 and (self.budget is None or self.budget >= self.lifecycle)

    @property
    def reached(self) -> tuple[str, ...]:
        """The rules the budget is expected to reach (each one request)."""
        if self.budget is None:
            return self.rules
        left = self.budget - (self.lifecycle if self.lifecycle_first else 0)
        return self.rules[: max(0, left)]

    @property
    def unreached(self) -> tuple[str, ...]:
        """Rules the plan does not expect to judge: beyond the budget, or without a case."""
        return self.rules[len(self.reached) :] + self.without_case

    def describe(self) -> str:
        """One line: what the budget pays for and what it does not."""
        preparation = self.preparation
        parts = ([f"{preparation} to upload images"] if preparation else []) + [
            "submit", f"~{self.polls} status queries", "download",
        ]  # fmt: skip
        lifecycle = f"1 valid lifecycle (~{self.lifecycle} requests: {', '.join(parts)})"
        total = len(self.rules) + len(self.without_case)
        reached = f"{len(self.reached)} of {total} rules at 1 request each"
        if not self.valid:
            steps = [reached]
        elif self.lifecycle_first:
            steps = [lifecycle, reached]
        else:
            steps = [
                reached,
                f"then the valid cases (a lifecycle needs ~{self.lifecycle}; the budget is {self.budget})",
            ]
        line = ", then ".join(steps)
        if self.budget is not None:
            spare = self.budget - (self.lifecycle if self.lifecycle_first else 0) - len(self.reached)
            if spare > 0 and self.valid > 1:
                line += f", then ~{spare} request{'s' if spare > 1 else ''} for more cases"
        unreached = self.unreached
        line += f"; not reached: {', '.join(unreached)}" if unreached else "; every rule reached"
        return line


def plan_for(provider: str, examples: int, seed: int, target: Target) -> Plan:
    """The plan for ``examples`` cases of ``provider`` drawn from ``seed`` (the provider's own) at
    ``target`` (with its budget and expected polls)."""
    share = shares(provider, examples)
    valid = share.pop(VALID)
    # The first valid case is Hypothesis' simplest, whatever the count: one draw says what it uploads
    budgeted = target.budget is not None and valid
    first = valid_cases(provider, 1, seed, strict=target.strict)[0] if budgeted else None
    preparation = preparation_requests(provider, first.payload) if first is not None else 0
    return Plan(
        provider=provider,
        budget=target.budget,
        lifecycle=2 + target.polls + preparation,  # submit, status queries, download; uploads
        polls=target.polls,
        preparation=preparation,
        valid=valid,
        rules=tuple(rule for rule, count in share.items() if count),
        without_case=tuple(rule for rule, count in share.items() if not count),
    )


def order(cases: Sequence[Case], plan: Plan) -> list[Case]:
    """``cases`` in the order ``plan`` sends them (unchanged without a budget); numbers are kept."""
    if plan.budget is None:
        return list(cases)
    valid = [case for case in cases if case.kind == "valid"]
    first: dict[str, Case] = {}
    for case in cases:
        if case.kind == "invalid":
            first.setdefault(case.rule, case)
    head = [first[rule] for rule in plan.rules if rule in first]
    chosen = {id(case) for case in head}
    rest = [case for case in cases if case.kind == "invalid" and id(case) not in chosen]
    if plan.lifecycle_first:
        return valid[:1] + head + valid[1:] + rest
    return head + valid + rest
