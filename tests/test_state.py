"""The mock's state on its own: task lifecycle, queue ranks, the memory bounds of tasks and uploads
(time, count and bytes, each at its exact limit), the journal, the rate limiter and the nonce store.

These drive `Store` and friends directly with a `ManualClock`, so every limit is met exactly;
test_mock.py holds the same rules seen through the wire."""

from __future__ import annotations

import json
import threading
import tracemalloc
from collections import deque
from collections.abc import Callable
from typing import Any

import pytest
from sdcontracts.mock import ManualClock, Mock, MockConfig, MockRequest
from sdcontracts.mock._state import Clock, Journal, JournalEntry, MockTask, NonceStore, RateLimiter, Resource, Store


def store(clock: ManualClock | None = None, **settings: Any) -> Store:
    options: dict[str, Any] = dict(mode="steps", queue_seconds=1.0, run_seconds=2.0, task_ttl=60.0, max_tasks=100,
                                   max_task_bytes=10_000)  # fmt: skip
    options.update(settings)
    return Store(clock or ManualClock(), **options)


def task(task_id: str, provider: str = "novita", **fields: Any) -> MockTask:
    return MockTask(provider, task_id, 0.0, {}, images=1, width=64, height=64, format="png", **fields)


def held(s: Store) -> list[str]:
    return [t.id for t in s.tasks()]


def growth(step: Callable[[int, int], None], warm: int, more: int) -> int:
    """Bytes still allocated after ``step(more, warm)`` beyond what ``step(warm, 0)`` left: ``step(count,
    first)`` does ``count`` operations numbered from ``first``."""
    tracemalloc.start()
    try:
        step(warm, 0)
        before = tracemalloc.get_traced_memory()[0]
        step(more, warm)
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


# -- lifecycle ------------------------------------------------------------------------------------


def test_the_lifecycle_mode_must_be_clock_or_steps() -> None:
    """Any other mode is refused with the two allowed names."""
    with pytest.raises(ValueError, match="lifecycle mode must be 'clock' or 'steps', not 'fast'"):
        store(mode="fast")


def test_in_steps_mode_each_poll_moves_a_task_one_phase_and_a_look_moves_it_not_at_all() -> None:
    """Queued at the first poll, running (half done) at the second, succeeded at the third; a query without poll changes nothing."""
    s = store()
    t = s.add(task("a"))
    phases = [s.phase(t), s.phase(t, poll=True), s.phase(t, poll=True), s.phase(t), s.phase(t, poll=True)]
    assert [("queued", 0.0), ("queued", 0.0), ("running", 0.5), ("running", 0.5), ("succeeded", 1.0)] == phases


def test_in_clock_mode_the_phase_follows_the_clock_with_progress_while_running() -> None:
    """queue_seconds 1, run_seconds 2: queued before 1 s, running from 1 s with progress (elapsed - 1) / 2, done at 3 s."""
    clock = ManualClock(start=0.0)
    s = store(clock, mode="clock")
    t = s.add(task("a"))
    seen = []
    for at in (0.0, 0.999, 1.0, 2.0, 2.5, 3.0):
        clock.advance(at - clock.now())
        seen.append(s.phase(t))
    assert [("queued", 0.0), ("queued", 0.0), ("running", 0.0), ("running", 0.5), ("running", 0.75),
            ("succeeded", 1.0)] == seen  # fmt: skip


def test_a_task_with_a_fail_reason_ends_failed_with_no_progress_and_stays_failed() -> None:
    """A fault makes the task end FAILED (progress 0); it is counted as finished once, however often it is asked about."""
    clock = ManualClock(start=0.0)
    s = store(clock, mode="clock")
    t = s.add(task("a", fail_reason="boom"))
    clock.advance(5)
    assert [("failed", 0.0)] * 3 == [s.phase(t, poll=True) for _ in range(3)]
    assert (1, 5.0, True) == (s.finished["novita"], t.ended, t.done)


def test_a_zero_run_time_goes_straight_from_queued_to_done() -> None:
    """run_seconds 0 has no running phase (and no division by zero)."""
    clock = ManualClock(start=0.0)
    s = store(clock, mode="clock", run_seconds=0.0)
    t = s.add(task("a"))
    clock.advance(1.0)
    assert ("succeeded", 1.0) == s.phase(t)


def test_cancel_ends_an_unfinished_task_once_and_never_a_finished_one() -> None:
    """cancel is True the first time (the task is CANCELED from then on), False after; a succeeded task cannot be canceled."""
    s = store()
    t, done = s.add(task("a")), s.add(task("b"))
    for _ in range(3):
        s.phase(done, poll=True)
    assert (True, False, False) == (s.cancel(t), s.cancel(t), s.cancel(done))
    assert (("canceled", 0.0), ("succeeded", 1.0)) == (s.phase(t, poll=True), s.phase(done))
    assert (True, False) == (t.canceled, done.canceled)
    assert (2, 1) == (s.finished["novita"], s.succeeded["novita"])  # both ended; only one made its images


# -- queue ranks ----------------------------------------------------------------------------------


def test_queue_rank_counts_only_earlier_unfinished_tasks_of_the_same_provider() -> None:
    """A canceled, a finished and another provider's task ahead of a job do not count toward its rank."""
    s = store()
    first, second, third, other, fourth = (s.add(task(i, p)) for i, p in
                                           [("1", "x"), ("2", "x"), ("3", "x"), ("o", "y"), ("4", "x")])  # fmt: skip
    assert [0, 1, 2, 0, 3] == [s.queue_rank(t) for t in (first, second, third, other, fourth)]
    s.cancel(second)  # from the middle of the queue
    assert [0, 1, 2] == [s.queue_rank(t) for t in (first, third, fourth)]
    s.cancel(first)  # from its head
    assert [0, 1] == [s.queue_rank(t) for t in (third, fourth)]
    for _ in range(3):
        s.phase(third, poll=True)
    assert 0 == s.queue_rank(fourth)


def test_queue_ranks_stay_exact_after_a_thousand_tasks_finish_in_order() -> None:
    """2,000 jobs: the oldest 1,025 canceled in order (the store then compacts its queue), then 100 from the middle: each rank is the count of unfinished jobs before it."""
    s = store(max_tasks=10_000)
    tasks = [s.add(task(str(i))) for i in range(2_000)]
    for t in tasks[:1_025]:
        s.cancel(t)
    for t in tasks[1_500:1_600]:
        s.cancel(t)
    assert [0, 474, 874] == [s.queue_rank(tasks[i]) for i in (1_025, 1_499, 1_999)]


def test_cancelling_a_task_already_forgotten_leaves_the_other_ranks_alone() -> None:
    """A handler still holding a task the store evicted may cancel it: the jobs queued behind keep their ranks."""
    s = store(max_tasks=3)
    first, second, third, fourth = (s.add(task(str(i))) for i in range(4))  # the fourth evicts the first, unfinished
    s.cancel(first)
    assert (["1", "2", "3"], [0, 1, 2]) == (held(s), [s.queue_rank(t) for t in (second, third, fourth)])


def test_a_waiting_tensorart_job_is_ranked_behind_the_unfinished_jobs_only() -> None:
    """On the wire: of three queued jobs, once the first is canceled the third's waitingInfo.queueRank is "1"."""
    mock = Mock(MockConfig(providers=("tensorart",), lifecycle="clock", queue_seconds=60), clock=ManualClock())
    client = mock.client("tensorart")
    diffusion = {"width": 512, "height": 512, "prompts": [{"text": "a cat"}], "negativePrompts": [{"text": "blur"}],
                 "sampler": "Euler", "sdVae": "Automatic", "steps": 20, "cfgScale": 7, "sdModel": "600423083519508503"}  # fmt: skip
    job = {"stages": [{"type": "INPUT_INITIALIZE", "inputInitialize": {"seed": "1", "count": 1}},
                      {"type": "DIFFUSION", "diffusion": diffusion}]}  # fmt: skip
    first, _, third = (client.submit(job) for _ in range(3))
    client.cancel(first)
    waiting = client.get_task(third).raw["job"]
    assert ("WAITING", {"queueRank": "1"}) == (waiting["status"], waiting["waitingInfo"])


# -- task memory bounds ---------------------------------------------------------------------------


def test_a_task_is_kept_exactly_task_ttl_after_its_last_use_and_forgotten_just_after() -> None:
    """At task_ttl seconds after the last request about it a task is still there; a moment later it is gone and counted."""
    clock = ManualClock(start=0.0)
    s = store(clock)
    s.add(task("a"))
    clock.advance(60.0)
    kept = s.get("novita", "a") is not None  # this look is a use: the ttl starts again
    clock.advance(60.001)
    assert (True, None, 1) == (kept, s.get("novita", "a"), s.expired)


def test_exactly_max_tasks_are_kept_and_one_more_evicts_the_least_recently_used() -> None:
    """max_tasks 3: three are held; a fourth evicts the one least recently asked about."""
    s = store(max_tasks=3)
    for name in "abc":
        s.add(task(name))
    full = held(s)
    s.get("novita", "a")
    s.add(task("d"))
    assert (["a", "b", "c"], ["a", "c", "d"], 1) == (full, held(s), s.expired)


def test_reading_the_tasks_held_leaves_the_store_free_for_other_threads() -> None:
    s = store()
    s.add(task("a"))
    reading = s.tasks()
    first = next(reading)  # a reader part-way through: it holds no lock
    adder = threading.Thread(target=lambda: s.add(task("b")), daemon=True)
    adder.start()
    adder.join(timeout=5)
    assert (False, "a", [], ["a", "b"]) == (adder.is_alive(), first.id, list(reading), held(s))


def test_tasks_exactly_filling_max_task_bytes_are_all_kept() -> None:
    """Bodies adding up to exactly max_task_bytes are within the bound; one byte more evicts the oldest."""
    s = store(max_task_bytes=300)
    for name in "abc":
        s.add(task(name, held_bytes=100))
    full = (held(s), s.task_bytes)
    s.add(task("d", held_bytes=1))
    assert ((["a", "b", "c"], 300), (["b", "c", "d"], 201)) == (full, (held(s), s.task_bytes))


def test_a_single_task_larger_than_max_task_bytes_is_kept_until_another_arrives() -> None:
    """Its submitter can still poll a lone over-size task; the next submit evicts it."""
    s = store(max_task_bytes=100)
    s.add(task("big", held_bytes=500))
    alone = (held(s), s.get("novita", "big") is not None)
    s.add(task("small", held_bytes=10))
    assert ((["big"], True), (["small"], 10)) == (alone, (held(s), s.task_bytes))


def test_forgetting_tasks_returns_their_bytes() -> None:
    """task_bytes is the sum of the bodies held now: expiry takes the forgotten ones off."""
    clock = ManualClock(start=0.0)
    s = store(clock)
    s.add(task("a", held_bytes=70))
    clock.advance(30)
    s.add(task("b", held_bytes=5))
    clock.advance(31)
    s.get("novita", "b")
    assert (["b"], 5) == (held(s), s.task_bytes)


def test_an_idempotency_key_returns_the_task_that_has_it_per_provider_until_it_is_forgotten() -> None:
    """The same key returns the first task (for that provider only); once that task expires, the key makes a new one."""
    clock = ManualClock(start=0.0)
    s = store(clock)
    first = s.add(task("1", key="k"))
    again = s.add(task("2", key="k"))
    other = s.add(task("3", provider="zhiqite", key="k"))
    clock.advance(61)
    fresh = s.add(task("4", key="k"))
    assert (True, "3", "4", ["4"]) == (again is first, other.id, fresh.id, held(s))


def test_submitting_again_with_a_used_key_counts_as_a_use_of_its_task() -> None:
    """A retried submit (same idempotency key) at 50 s restarts the task's task_ttl: at 100 s it is still there."""
    clock = ManualClock(start=0.0)
    s = store(clock)
    first = s.add(task("1", key="k"))
    clock.advance(50)
    s.add(task("2", key="k"))
    clock.advance(50)
    assert first is s.get("novita", "1")


def test_a_client_chosen_id_used_again_replaces_the_task_that_had_it() -> None:
    """A second task with the same id (Zhiqite id_task without its key) replaces the first, whose bytes and queue place go."""
    s = store()
    old = s.add(task("same", held_bytes=40))
    new = s.add(task("same", held_bytes=7))
    later = s.add(task("next"))
    assert ([new, later], 7, 1, 1, None) == (list(s.tasks()), s.task_bytes, s.queue_rank(later), s.expired, old.final)


def test_memory_stays_flat_however_many_keyed_tasks_come_and_go() -> None:
    """10,000 keyed tasks submitted and expired one after another leave the store no bigger than 2,000 did: nothing of a forgotten task (its key included) is kept."""
    clock = ManualClock(start=0.0)
    s = store(clock, task_ttl=10.0)

    def submit(count: int, first: int) -> None:
        for i in range(first, first + count):
            s.add(task(f"id{i}", key=f"key{i}", held_bytes=10))
            clock.advance(1.0)

    grown = growth(submit, 2_000, 10_000)
    assert (True, 11_989) == (grown < 100_000, s.expired)


def test_memory_stays_flat_while_thousands_wait_and_the_oldest_are_canceled() -> None:
    """With 3,000 tasks always waiting, 20,000 more submitted and the oldest canceled as each comes, the store keeps no trace of the canceled ones."""
    s = store(max_tasks=3_500)  # the canceled tasks held beside the waiting ones reach the cap in the first round
    waiting = deque(s.add(task(f"w{i}")) for i in range(3_000))

    def churn(count: int, first: int) -> None:
        for i in range(first, first + count):
            waiting.append(s.add(task(f"n{i}")))
            s.cancel(waiting.popleft())

    grown = growth(churn, 5_000, 15_000)
    assert (True, 3_000) == (grown < 150_000, s.queue_rank(waiting[-1]) + 1)


# -- upload slots ---------------------------------------------------------------------------------


def resource(resource_id: str, size: int = 0) -> Resource:
    return Resource(resource_id, 0.0, data=b"x" * size if size else None)


def test_an_upload_slot_is_kept_task_ttl_after_its_last_use() -> None:
    """Reading a slot is a use; at task_ttl after it, the slot is still there, a moment later it is gone."""
    clock = ManualClock(start=0.0)
    s = store(clock)
    s.new_resource(resource("r"))
    clock.advance(60.0)
    kept = s.resource("r") is not None
    clock.advance(60.0)
    still = s.resource("r") is not None
    clock.advance(60.001)
    assert (True, True, None) == (kept, still, s.resource("r"))


def test_upload_slots_are_bounded_in_number_least_recently_used_first() -> None:
    """max_tasks also bounds the slots: with three held, a fourth evicts the least recently read."""
    s = store(max_tasks=3)
    for name in "abc":
        s.new_resource(resource(name))
    s.resource("a")
    s.new_resource(resource("d"))
    assert [True, False, True, True] == [s.resource(n) is not None for n in "abcd"]


def test_uploaded_bytes_are_bounded_and_a_replaced_upload_counts_once() -> None:
    """Uploads up to exactly max_task_bytes are kept (uploading to a slot again replaces its bytes); one byte more evicts the oldest."""
    s = store(max_task_bytes=100)
    s.new_resource(resource("a"))
    s.put_resource(resource("a", 60))
    s.put_resource(resource("a", 60))  # the same slot again: still 60 bytes
    s.put_resource(resource("b", 40))
    full = [s.resource(n) is not None for n in "ab"]
    s.put_resource(resource("c", 1))
    assert ([True, True], [False, True, True]) == (full, [s.resource(n) is not None for n in "abc"])


def test_a_single_upload_larger_than_the_byte_bound_is_kept_until_another_arrives() -> None:
    """A lone over-size upload can still be used by the job that needs it; the next upload evicts it."""
    s = store(max_task_bytes=10)
    s.put_resource(resource("big", 50))
    alone = s.resource("big") is not None
    s.put_resource(resource("small", 5))
    assert (True, None, 5) == (alone, s.resource("big"), len(s.resource("small").data or b""))  # type: ignore[union-attr]


def test_evicted_uploads_give_their_bytes_back() -> None:
    """After the bytes bound evicts an upload, the room it took is free again: two 40-byte uploads fit beside a 20-byte one."""
    s = store(max_task_bytes=100)
    s.put_resource(resource("a", 90))
    s.put_resource(resource("b", 20))  # evicts a
    s.put_resource(resource("c", 40))
    s.put_resource(resource("d", 40))
    assert [False, True, True, True] == [s.resource(n) is not None for n in "abcd"]


# -- the journal ----------------------------------------------------------------------------------


def entry(provider: str = "novita", operation: str = "img2img", status: int = 200, body: bytes = b"") -> JournalEntry:
    return JournalEntry(0.0, provider, operation, "POST", "/", status, None, json_body=body, body_size=len(body))


def test_the_journal_lists_exactly_max_entries_and_drops_the_oldest_beyond() -> None:
    """max_entries 3: three are listed; a fourth drops the first; all four are counted."""
    journal = Journal(max_bytes=10_000, max_entries=3)
    for status in (201, 202, 203):
        journal.record(entry(status=status))
    full = [e.status for e in journal.entries()]
    journal.record(entry(status=204))
    assert ([201, 202, 203], [202, 203, 204], 4) == (full, [e.status for e in journal.entries()], len(journal))


def test_the_journal_holds_bodies_up_to_exactly_max_bytes() -> None:
    """Bodies and paths adding up to max_bytes are all kept; one byte more drops the oldest entry and its bytes."""
    journal = Journal(max_bytes=22)  # two entries of a 10-byte body and the path "/"
    journal.record(entry(body=b"0123456789"))
    journal.record(entry(body=b"1234567890"))
    full = (len(journal.entries()), journal.body_bytes)
    journal.record(entry(body=b"1"))
    assert ((2, 22), (2, 13)) == (full, (len(journal.entries()), journal.body_bytes))


def test_a_single_journal_body_larger_than_max_bytes_is_kept_alone() -> None:
    """The newest entry is always listed, however large its body."""
    journal = Journal(max_bytes=5)
    journal.record(entry(body=b"x" * 50))
    assert (1, 51) == (len(journal.entries()), journal.body_bytes)  # the body and the path "/"


def test_the_journal_filters_entries_and_counts_by_provider_operation_and_status() -> None:
    """entries() filters by provider and operation; count() also by status, and counts every request ever recorded."""
    journal = Journal(max_bytes=10_000)
    for provider, operation, status in [("novita", "img2img", 200), ("novita", "task", 200), ("novita", "img2img", 400),
                                        ("zhiqite", "img2img", 200), ("aliyun", "img2img", 200),
                                        ("aliyun", "cancel", 200)]:  # fmt: skip
        journal.record(entry(provider, operation, status))
    listed = [(e.provider, e.operation, e.status) for e in journal.entries("novita", "img2img")]
    assert [("novita", "img2img", 200), ("novita", "img2img", 400)] == listed
    assert [("novita", "task", 200)] == [(e.provider, e.operation, e.status) for e in journal.entries(operation="task")]
    assert [("aliyun", "cancel", 200)] == [
        (e.provider, e.operation, e.status) for e in journal.entries("aliyun", "cancel")
    ]
    assert (6, 3, 2, 1, 5, 2, 0) == (
        journal.count(), journal.count("novita"), journal.count("novita", "img2img"),
        journal.count("novita", "img2img", 400), journal.count(status=200), journal.count("aliyun"),
        journal.count("picpik"),
    )  # fmt: skip


def test_clearing_the_journal_forgets_entries_bytes_and_counts() -> None:
    """After clear() the journal is as new: nothing listed, no bytes held, nothing counted."""
    journal = Journal(max_bytes=10_000)
    for _ in range(3):
        journal.record(entry(body=b'{"a": 1}'))
    journal.clear()
    assert ([], 0, 0, 0) == (journal.entries(), journal.body_bytes, journal.count(), len(journal))
    journal.record(entry(body=b"{}"))
    assert (1, 3) == (journal.count(), journal.body_bytes)  # the body and the path "/"


def test_the_journal_lists_the_last_100000_requests_by_default() -> None:
    """Without max_entries, 100,000 entries are listed; the 100,001st drops the first."""
    journal = Journal(max_bytes=10**9)
    for status in range(100_000):
        journal.record(entry(status=status))
    full = (len(journal.entries()), journal.entries()[0].status)
    journal.record(entry(status=-1))
    assert ((100_000, 0), (100_000, 1)) == (full, (len(journal.entries()), journal.entries()[0].status))


def test_the_mock_journals_bodies_up_to_one_mebibyte_and_only_measures_longer_ones() -> None:
    """A JSON body of exactly 1,048,576 bytes is kept in the journal; one byte more is counted and measured, not kept."""
    mock = Mock(MockConfig(providers=("novita",)))
    headers = {"authorization": "Bearer sk_mock_novita_key", "content-type": "application/json"}
    for size in (1_048_576, 1_048_577):
        body = json.dumps({"p": "x" * (size - 9)}).encode()  # {"p": ""} is 9 bytes
        mock.handle(MockRequest("POST", "/v3/async/img2img", "", headers, body, "https://api.novita.ai"))
    assert [(True, 1_048_576), (False, 1_048_577)] == [
        (e.body is not None, e.body_size) for e in mock.journal.entries()
    ]


def test_a_journal_entry_repr_shows_neither_its_raw_nor_its_parsed_body() -> None:
    """The raw body may hold credentials (a PICPIK Signature): a journal entry's repr shows neither body, before or after it is read."""
    record = entry(body=json.dumps({"Signature": "hush-hush"}).encode())
    before = repr(record)
    assert {"Signature": "REDACTED"} == record.body
    assert ["hush-hush" in before, "hush-hush" in repr(record), "REDACTED" in repr(record)] == [False, False, False]


def test_a_journal_entry_made_without_a_body_has_none_and_size_zero() -> None:
    """Leaving out the body means no body, of 0 bytes."""
    record = JournalEntry(0.0, "novita", "task", "GET", "/", 200, None)
    assert (None, 0) == (record.body, record.body_size)


def test_a_journal_entry_holds_the_bytes_of_its_body_path_fault_and_warnings() -> None:
    """held, what journal_bytes counts, adds up everything the client chose: body 7, path 8, fault 7, warnings 5 + 6."""
    record = JournalEntry(0.0, "novita", "task", "POST", "/v3/task", 200, None, json_body=b'{"a":1}',
                          fault="timeout", body_size=7, warnings=("[r] /", "[q] /x"))  # fmt: skip
    assert 7 + 8 + 7 + 5 + 6 == record.held


@pytest.mark.parametrize(
    ("raw", "body"),
    [(b"", None), (b"not json", None), (b"[" * 100_000, None), (b'{"a": [1, null]}', {"a": [1, None]})],
)
def test_a_journal_entry_body_is_its_parsed_json_or_none(raw: bytes, body: Any) -> None:
    """No body, a body that is not JSON or nests too deep to parse: None; JSON: its value."""
    assert body == entry(body=raw).body


def test_a_journal_entry_body_hides_secrets_and_shortens_strings_longer_than_256_characters() -> None:
    """The parsed body redacts credentials; a string of 256 characters is kept whole, one of 257 is cut to 32 and its length."""
    raw = json.dumps({"Signature": "hush", "kept": "k" * 256, "cut": "c" * 257}).encode()
    assert {"Signature": "REDACTED", "kept": "k" * 256, "cut": "c" * 32 + "…(257 characters)"} == entry(body=raw).body


# -- rate limiter and nonces ----------------------------------------------------------------------


def test_the_rate_limit_allows_exactly_limit_units_per_window_and_says_how_long_to_wait() -> None:
    """limit 3 per 10 s: three single units pass, the fourth waits until the first leaves the window, then passes."""
    clock = ManualClock(start=0.0)
    limiter = RateLimiter(clock, limit=3, window=10.0)
    answers = []
    for at in (0.0, 2.0, 4.0, 6.0):
        clock.advance(at - clock.now())
        answers.append(limiter.take("k"))
    clock.advance(4.0)  # t = 10: the unit spent at 0 leaves the window
    answers.append(limiter.take("k"))
    assert [None, None, None, 4.0, None] == answers


def test_the_rate_limit_counts_units_and_keys_apart() -> None:
    """A request worth two units spends two; another key has its own budget; more than the limit at once waits a whole window."""
    limiter = RateLimiter(ManualClock(start=0.0), limit=3, window=10.0)
    assert [None, 10.0, None, 10.0] == [limiter.take("a", 2), limiter.take("a", 2), limiter.take("b", 3),
                                         limiter.take("c", 4)]  # fmt: skip


def test_a_nonce_is_refused_within_its_window_and_accepted_from_its_end() -> None:
    """A nonce seen 299.9 s ago is a replay; one seen exactly a window ago is not."""
    now = [0.0]
    nonces = NonceStore(lambda: now[0], window=300)
    nonces.seen_before("a")
    now[0] = 299.9
    replay = nonces.seen_before("a")
    now[0] = 599.9
    assert (True, False) == (replay, nonces.seen_before("a"))


def test_a_rate_limited_caller_is_told_the_exact_wait_even_under_a_second() -> None:
    """limit 1 per 10 s: a second unit at 9.5 s waits 0.5 s, not a rounded-up second."""
    clock = ManualClock(start=0.0)
    limiter = RateLimiter(clock, limit=1, window=10.0)
    limiter.take("k")
    clock.advance(9.5)
    assert 0.5 == limiter.take("k")


def test_a_nonce_seen_again_is_forgotten_a_window_after_its_last_use_and_older_ones_on_time() -> None:
    """Seen at 0 and again at 2, a nonce is kept until 302; one seen at 1 is forgotten at 301 all the same."""
    now = [0.0]
    nonces = NonceStore(lambda: now[0], window=300)
    for at, nonce in [(0.0, "a"), (1.0, "b"), (2.0, "a")]:
        now[0] = at
        nonces.seen_before(nonce)
    now[0] = 301.5
    assert (False, 2, True) == (nonces.seen_before("c"), len(nonces), nonces.seen_before("a"))


def test_a_nonce_is_a_replay_even_when_the_clock_steps_back() -> None:
    """The wall clock may go back: a nonce seen "later" than now is still a replay, and the store keeps every nonce of the window."""
    now = [1_000.0]
    nonces = NonceStore(lambda: now[0], window=300)
    nonces.seen_before("a")
    now[0] = 900.0
    assert (True, False, 2) == (nonces.seen_before("a"), nonces.seen_before("b"), len(nonces))


# -- clocks ---------------------------------------------------------------------------------------


def test_the_real_clock_never_goes_back_and_the_manual_one_moves_only_when_told() -> None:
    """Clock is monotonic; ManualClock starts where it is told and moves by exactly what advance() says."""
    real = Clock()
    manual = ManualClock(start=5.0)
    first, second = real.now(), real.now()
    before = manual.now()
    manual.advance(2.5)
    assert (True, 5.0, 7.5) == (second >= first, before, manual.now())


def test_adding_a_task_forgets_those_that_outlived_task_ttl_keyed_or_not() -> None:
    """An unkeyed task added after task_ttl has passed forgets the old ones at once (not at the next query), as a
    keyed one does: held tasks, their bytes and the expired count say so without a lookup."""
    clock = ManualClock(start=0.0)
    s = store(clock, task_ttl=10.0)
    s.add(task("old", held_bytes=7))
    s.add(task("old-keyed", key="k", held_bytes=5))
    clock.advance(10.5)
    s.add(task("new", held_bytes=3))
    assert (["new"], 3, 2) == (held(s), s.task_bytes, s.expired)


def test_a_mode_read_at_run_time_works_as_the_literal_does() -> None:
    """The lifecycle mode compared by value, not identity: "steps" built at run time (as a config file or the
    command line gives it) moves a task a phase per poll."""
    s = store(mode="".join(["st", "eps"]))
    t = s.add(task("a"))
    assert [("queued", 0.0), ("running", 0.5)] == [s.phase(t, poll=True), s.phase(t, poll=True)]


def test_memory_stays_flat_however_many_upload_slots_are_made_and_never_used() -> None:
    """10,000 uploads of 100 bytes, none ever looked up again, leave the store no bigger than 2,000 did: each
    upload evicts what the bounds (100 slots, 10,000 bytes) exceed, without waiting for a lookup."""
    s = store(max_tasks=100)

    def upload(count: int, first: int) -> None:
        for i in range(first, first + count):
            s.put_resource(resource(f"r{i}", 100))

    assert growth(upload, 2_000, 10_000) < 100_000
