"""The typed clients against the mock injecting faults: 429s, 5xx, dropped connections, cut and
garbled bodies, on submits and on polls, in any order.

A model says what a client must do with each schedule of faults: retry what is safe within its
budget (reads always; a submit only when it carries the idempotency key the client set), raise the
documented error otherwise, and never send an unkeyed submit twice. Hypothesis draws schedules;
the client's outcome and the mock's journal must match the model exactly. Waiting is checked
against a driven clock: whatever the faults, polling stops at the deadline.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from payloads import KEYED, PROVIDERS, valid_request
from sdcontracts.mock import FaultRule, ManualClock, Mock, MockConfig
from sdcontracts.mock.asgi import BackgroundServer

from sdcontracts import ProviderError, RateLimited, ServerError, TaskFailed, TaskTimeout, TransportError
from sdcontracts.clients import Retry, TaskState

ATTEMPTS = 2  # retries after the first try
FAULTS = ["status=429", "status=500", "status=502", "status=503", "status=504", "drop", "truncate", "malformed", "fail"]
RETRYABLE = {"status=429", "status=502", "status=503", "status=504", "drop", "truncate", "malformed"}
REACHES_HANDLER = {None, "fail", "drop", "truncate", "malformed"}  # a status fault answers before the handler runs
ERRORS: dict[str, type[ProviderError]] = {
    "status=429": RateLimited, "status=500": ServerError, "status=502": ServerError, "status=503": ServerError,
    "status=504": ServerError, "drop": TransportError, "truncate": TransportError, "malformed": TransportError,
}  # fmt: skip
STEPS_TO_DONE = 3  # lifecycle "steps": queued, running, done, one phase per status query that reaches the handler


@dataclass
class Prediction:
    """What a `generate` must do under a schedule: its outcome and the requests the mock receives."""

    outcome: type[ProviderError] | None = None  # None: the task succeeds
    sent: dict[str, int] = field(default_factory=lambda: {"img2img": 0, "task": 0})


def predict(provider: str, submit: list[str | None], polls: list[str | None]) -> Prediction:
    """The model: each request takes the next fault of its operation's schedule (none when it runs out)."""
    prediction = Prediction()
    schedules = {"img2img": iter(submit), "task": iter(polls)}
    state = {"created": False, "failing": False, "advanced": 0}

    def call(operation: str, retryable: bool) -> str | None:
        """One client call with its retries: the fault it ended on (None or "fail": success)."""
        for _ in range(1 + (ATTEMPTS if retryable else 0)):
            fault = next(schedules[operation], None)
            prediction.sent[operation] += 1
            if fault in REACHES_HANDLER:
                if operation == "img2img" and not state["created"]:  # keyed resends find the first task
                    state["created"], state["failing"] = True, fault == "fail"
                if operation == "task":
                    state["advanced"] += 1
            if fault not in RETRYABLE:
                return fault
        return fault

    fault = call("img2img", retryable=provider in KEYED)
    if fault not in (None, "fail"):
        prediction.outcome = ERRORS[fault]
        return prediction
    while True:
        fault = call("task", retryable=True)
        if fault not in (None, "fail"):
            prediction.outcome = ERRORS[fault]
            return prediction
        if state["advanced"] >= STEPS_TO_DONE:
            prediction.outcome = TaskFailed if state["failing"] else None
            return prediction


def rules(provider: str, operation: str, schedule: list[str | None]) -> list[FaultRule]:
    # one rule per request, in order; "latency=0" is a fault that changes nothing
    return [FaultRule(fault or "latency=0", provider=provider, operation=operation, times=1) for fault in schedule]


SCHEDULE = st.lists(st.none() | st.sampled_from(FAULTS), max_size=4)


@settings(max_examples=150, deadline=None)  # deadline: the first example of each provider builds its mock
@given(provider=st.sampled_from(PROVIDERS), submit=SCHEDULE, polls=SCHEDULE, asynchronous=st.booleans())
def test_every_call_succeeds_within_its_budget_or_raises_the_documented_error(
    provider: str, submit: list[str | None], polls: list[str | None], asynchronous: bool
) -> None:
    """Under any schedule of faults the client's outcome and the requests the mock received are what the model
    says; an unkeyed submit is never sent twice; a keyed one, however often resent, makes one task."""
    faults = rules(provider, "img2img", submit) + rules(provider, "task", polls)
    mock = Mock(MockConfig(providers=(provider,), lifecycle="steps", faults=faults), clock=ManualClock())
    retry = Retry(attempts=ATTEMPTS, backoff=0, jitter=False)
    outcome: type[ProviderError] | None = None
    try:
        if asynchronous:
            asyncio.run(generate_async(mock, provider, retry))
        else:
            with mock.client(provider, retry=retry, sleep=lambda seconds: None) as client:
                client.generate(valid_request(provider), poll_interval=0)
    except ProviderError as error:
        outcome = type(error)
    expected = predict(provider, submit, polls)
    sent = {op: mock.journal.count(provider, op) for op in ("img2img", "task")}
    assert (expected.outcome, expected.sent) == (outcome, sent)
    if provider not in KEYED:
        assert sent["img2img"] <= 1
    assert len(list(mock.store.tasks())) <= 1


async def generate_async(mock: Mock, provider: str, retry: Retry) -> None:
    async def no_sleep(seconds: float) -> None:
        return None

    async with mock.client(provider, asynchronous=True, retry=retry, sleep=no_sleep) as client:
        await client.generate(valid_request(provider), poll_interval=0)


# -- resets over real HTTP -------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_connection_resets_over_http_are_retried_or_reported_and_never_resend_an_unkeyed_submit(provider: str) -> None:
    """Over 127.0.0.1 a dropped submit is resent only with its idempotency key (one task either way); two dropped
    polls are retried and the task completes."""
    faults = [FaultRule("drop", provider=provider, operation=op, times=n) for op, n in (("img2img", 1), ("task", 2))]
    mock = Mock(MockConfig(providers=(provider,), lifecycle="steps", faults=faults))
    retry = Retry(attempts=ATTEMPTS, backoff=0, jitter=False)
    with BackgroundServer(mock) as url, mock.client(provider, base_url=url, transport=None, retry=retry) as client:
        if provider in KEYED:
            state = client.generate(valid_request(provider), poll_interval=0).state
        else:
            with pytest.raises(TransportError, match="may have reached the provider"):
                client.submit(valid_request(provider))
            (task,) = mock.store.tasks()  # the dropped submit did reach the mock: resending it would pay twice
            state = client.wait(task.id, poll_interval=0).state
    assert (TaskState.SUCCEEDED, 1) == (state, len(list(mock.store.tasks())))
    assert (1 + (provider in KEYED), STEPS_TO_DONE) == (  # a dropped poll was answered: it moved the task on
        mock.journal.count(provider, "img2img"), mock.journal.count(provider, "task")
    )  # fmt: skip


# -- polling stops at its deadline -----------------------------------------------------------------------


class Driven:
    """A client whose sleeps advance the mock's manual clock, which is also the client's clock."""

    def __init__(self, mock: Mock, provider: str, **options: Any) -> None:
        assert isinstance(mock.clock, ManualClock)
        self.clock = mock.clock
        self.client = mock.client(provider, clock=mock.clock, sleep=self.sleep, **options)
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(seconds)


def polling(fault: str | None) -> Mock:
    """A Novita mock whose tasks take a minute, with ``fault`` on every poll."""
    faults = [FaultRule(fault, operation="task")] if fault else []
    return Mock(MockConfig(providers=("novita",), queue_seconds=30, run_seconds=30, faults=faults), clock=ManualClock())


DEADLINES: list[tuple[str | None, type[ProviderError], int]] = [
    (None, TaskTimeout, 11),  # the task needs a minute: polled each second, it times out at 10 s
    ("status=429; retry-after=30", RateLimited, 1),  # 30 s more is past the deadline: not waited for
    ("status=503", ServerError, 3),  # backoff 2, 4, then 8 s would end past the deadline
    ("truncate", TransportError, 3),
]


@pytest.mark.parametrize(("fault", "error", "polls"), DEADLINES, ids=["slow-task", "retry-after", "503", "garbled"])
def test_polling_stops_at_its_deadline_whatever_the_faults(
    fault: str | None, error: type[ProviderError], polls: int
) -> None:
    """wait(timeout=10) never waits past 10 s of (driven) clock time, even when faults ask for retries."""
    mock = polling(fault)
    retry = Retry(attempts=10, backoff=2, max_backoff=8, jitter=False)
    driven = Driven(mock, "novita", retry=retry)
    with driven.client as client:
        submitted = client.submit(valid_request("novita"))
        started = mock.clock.now()
        with pytest.raises(error):
            client.wait(submitted, poll_interval=1, timeout=10)
    assert (True, polls) == (mock.clock.now() - started <= 10, mock.journal.count("novita", "task"))


def test_an_async_wait_stops_at_its_deadline_too() -> None:
    """The async twin honours the same deadline against a Retry-After longer than it."""
    mock = polling("status=429; retry-after=30")
    started = mock.clock.now()

    async def run() -> None:
        async def sleep(seconds: float) -> None:
            mock.clock.advance(seconds)  # type: ignore[attr-defined]

        async with mock.client("novita", asynchronous=True, retry=Retry(attempts=10), clock=mock.clock,
                               sleep=sleep) as client:  # fmt: skip
            submitted = await client.submit(valid_request("novita"))
            await client.wait(submitted, poll_interval=1, timeout=10)

    with pytest.raises(RateLimited):
        asyncio.run(run())
    assert mock.clock.now() - started <= 10


def test_a_task_finishing_before_the_deadline_is_returned() -> None:
    """Driven by the same clock, a task that needs 60 s is returned by wait(timeout=120) after about 60 s."""
    mock = polling(None)
    driven = Driven(mock, "novita")
    with driven.client as client:
        task = client.wait(client.submit(valid_request("novita")), poll_interval=5, timeout=120)
    assert (TaskState.SUCCEEDED, True) == (task.state, 60 <= sum(driven.slept) <= 65)
