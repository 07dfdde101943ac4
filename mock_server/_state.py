"""The mock's shared state: a clock tests can drive, the tasks, uploaded resources, the journal.

A task's lifecycle is a function of its history, never of a background thread:

- in ``clock`` mode its phase follows the clock: ``queue_seconds`` queued, then ``run_seconds``
  running (with progress), then done;
- in ``steps`` mode each status query moves it one phase on (queued, running, done), which
  exercises every status in a few polls without waiting.

A terminal phase, once reached, never changes.

Memory stays bounded however long the mock runs and whatever its clients abandon. A task is
forgotten ``task_ttl`` seconds (of clock time) after the last request about it (its submit, a
status query, a cancel or an image download), finished or not: a task nobody polls never ends in
``steps`` mode, and in ``clock`` mode it would never be seen to end. Beyond ``max_tasks`` tasks, or
``max_task_bytes`` of what clients chose that they hold, the least recently used go first. A task
holds a fixed part (about 1 KiB with its index entries) and what a client chose: its id and
idempotency key, and what its answers read of the request (a seed, a stage count; all of it only
for Alibaba, whose task query echoes the request), never the parsed request. Tensor.Art upload
slots follow the same rule, with their uploaded bytes counted. The journal keeps the last
``max_entries`` entries holding at most ``max_bytes`` of bodies, paths and fault headers (older
entries go first) and counts every request, so totals stay exact. Nonces are kept for their window
only.
"""

from __future__ import annotations

import bisect
import itertools
import json
import threading
import time
from collections import Counter, OrderedDict, defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from sdcontracts._redact import redact_body

__all__ = ["Clock", "Journal", "JournalEntry", "ManualClock", "MockTask", "RateLimiter", "Resource", "Store"]

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED = "queued", "running", "succeeded", "failed", "canceled"


class Clock:
    """Seconds, monotonic. The real clock; `ManualClock` is the one tests drive."""

    # time.monotonic itself, not a method calling it: the mock reads the clock several times a request
    now: Callable[[], float] = staticmethod(time.monotonic)


class ManualClock(Clock):
    """A clock that moves only when told to: ``clock.advance(2.5)``."""

    def __init__(self, start: float = 1_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


@dataclass(slots=True)  # slots: a task costs a fixed few hundred bytes less, and the mock may hold 10,000
class MockTask:
    """One accepted task and everything its status depends on."""

    provider: str
    id: str
    created: float
    kept: Any  # what its later answers read of the request (see Handler.kept), never the parsed request
    images: int  # how many images it produces
    width: int
    height: int
    format: str  # "png" | "jpeg" | "webp"
    fail_reason: str | None = None  # set by a fault: the task will end FAILED
    key: str | None = None  # idempotency key (Tensor.Art requestId, Zhiqite id_task)
    held_bytes: int = 0  # of what a client chose that it holds (id, key, kept request), counted against max_task_bytes
    polls: int = 0
    ended: float | None = None  # clock time of the terminal phase, once reached
    final: str | None = None  # the terminal phase, once reached
    canceled: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    sequence: int = -1  # submission order, set by the store
    used: float = 0.0  # clock time of the last request about it, set by the store

    @property
    def done(self) -> bool:
        return self.final is not None


@dataclass(frozen=True, slots=True)
class Resource:
    """A Tensor.Art upload slot and, once PUT, what was uploaded."""

    id: str
    created: float
    data: bytes | None = None
    format: str | None = None
    width: int | None = None
    height: int | None = None


class _Pending:
    """Submission numbers of one provider's unfinished tasks, ascending, with O(1) removal of the
    oldest (the usual case: tasks finish, and are evicted, roughly in submission order)."""

    __slots__ = ("_seqs", "_start")

    def __init__(self) -> None:
        self._seqs: list[int] = []
        self._start = 0  # entries before it are removed

    def add(self, sequence: int) -> None:  # always the largest yet
        self._seqs.append(sequence)

    def remove(self, sequence: int) -> None:
        seqs, start = self._seqs, self._start
        if start < len(seqs) and seqs[start] == sequence:  # the oldest: no search (a search touches ~14 cold items)
            index = start
        else:
            index = bisect.bisect_left(seqs, sequence, start)
            if index >= len(seqs) or seqs[index] != sequence:
                return
        if index == start:
            self._start = start = start + 1
            if start > 1024 and start * 2 > len(seqs):  # compact, amortised O(1)
                del seqs[:start]
                self._start = 0
        else:
            del seqs[index]

    def before(self, sequence: int) -> int:
        """How many are below ``sequence``."""
        return bisect.bisect_left(self._seqs, sequence, self._start) - self._start


class Store:
    """Tasks and resources, thread-safe, bounded (see the module docstring for the rule).

    Every operation is O(1) or O(log n) in the number of tasks held, so a mock that has run up
    its ``max_tasks`` answers as fast as a fresh one: tasks are kept least recently used first
    (expiry pops from the front), and each provider's unfinished tasks as a sorted list of
    submission numbers (a queue rank is one bisection; see `_Pending`).
    """

    def __init__(self, clock: Clock, *, mode: str, queue_seconds: float, run_seconds: float,
                 task_ttl: float, max_tasks: int, max_task_bytes: int) -> None:  # fmt: skip
        if mode not in ("clock", "steps"):
            raise ValueError(f"lifecycle mode must be 'clock' or 'steps', not {mode!r}")
        self.clock = clock
        self.mode = mode
        self.queue_seconds = queue_seconds
        self.run_seconds = run_seconds
        self.task_ttl = task_ttl
        self.max_tasks = max_tasks
        self.max_task_bytes = max_task_bytes
        self._tasks: OrderedDict[tuple[str, str], MockTask] = OrderedDict()  # least recently used first
        self._task_bytes = 0
        self._keys: dict[tuple[str, str], str] = {}
        self._resources: OrderedDict[str, tuple[Resource, float]] = OrderedDict()  # least recently used first
        self._resource_bytes = 0
        self._unfinished: defaultdict[str, _Pending] = defaultdict(
            _Pending
        )  # provider -> its unfinished tasks' sequences
        self._sequence = itertools.count()
        self._lock = threading.Lock()  # no method takes it again while holding it: a plain lock is cheaper
        self.finished: Counter[str] = Counter()  # provider -> tasks that reached a terminal phase
        self.succeeded: Counter[str] = Counter()  # provider -> tasks that ended with their images made
        self.expired = 0  # tasks forgotten so far

    # -- tasks -----------------------------------------------------------------------------------

    def add(self, task: MockTask) -> MockTask:
        """Store a task; with an idempotency key already used, return the task that has it."""
        provider = task.provider
        key = (provider, task.id)
        with self._lock:
            now = self.clock.now()
            tasks = self._tasks
            if task.key is not None:
                keyed = (provider, task.key)
                existing = self._keys.get(keyed)
                if existing is not None:
                    held = tasks.get((provider, existing))
                    # one that outlived task_ttl is not found by its key (it goes below, with the others)
                    if held is not None and now - held.used <= self.task_ttl:
                        self._use(held, now)
                        return held
                self._keys[keyed] = task.id
            if key in tasks:  # a client-chosen id used again (Zhiqite id_task without its key)
                self._forget(key)
            task.sequence = sequence = next(self._sequence)
            task.used = now
            tasks[key] = task  # a key not held: it goes last, the most recently used
            self._unfinished[provider].add(sequence)
            self._task_bytes += task.held_bytes
            # what outlived task_ttl goes now (never the new task: it was used now), then what the bounds exceed
            self._evict_tasks(now)
            return task

    def get(self, provider: str, task_id: str) -> MockTask | None:
        with self._lock:
            now = self.clock.now()
            self._evict_tasks(now)
            task = self._tasks.get((provider, task_id))
            if task is not None:
                self._use(task, now)
            return task

    def phase(self, task: MockTask, *, poll: bool = False) -> tuple[str, float]:
        """The task's phase and progress (0 to 1) now; ``poll`` counts a status query."""
        with self._lock:
            final = task.final
            if final is None:
                if poll:
                    task.polls += 1
                if self.mode == "steps":
                    if task.polls <= 1:
                        return QUEUED, 0.0
                    if task.polls == 2:
                        return RUNNING, 0.5
                else:
                    elapsed = self.clock.now() - task.created
                    if elapsed < self.queue_seconds:
                        return QUEUED, 0.0
                    if elapsed < self.queue_seconds + self.run_seconds:  # so run_seconds > 0 here
                        return RUNNING, (elapsed - self.queue_seconds) / self.run_seconds
                final = self._finish(task, FAILED if task.fail_reason else SUCCEEDED)
            return final, 1.0 if final == SUCCEEDED else 0.0

    def cancel(self, task: MockTask) -> bool:
        """Cancel a task that has not ended; False when it already had."""
        with self._lock:
            if task.final is not None:
                return False
            task.canceled = True
            self._finish(task, CANCELED)
            return True

    def _finish(self, task: MockTask, phase: str) -> str:
        task.final = phase
        task.ended = self.clock.now()
        self.finished[task.provider] += 1
        if phase == SUCCEEDED:
            self.succeeded[task.provider] += 1
        self._settle(task)
        return phase

    def _settle(self, task: MockTask) -> None:
        """Take a task off its provider's unfinished list."""
        self._unfinished[task.provider].remove(task.sequence)

    def queue_rank(self, task: MockTask) -> int:
        """How many unfinished tasks of the same provider were submitted before this one."""
        with self._lock:
            return self._unfinished[task.provider].before(task.sequence)

    def tasks(self) -> Iterator[MockTask]:
        """The tasks held, in submission order: those held when it was called (a snapshot, so that
        the store is not locked while the caller reads it)."""
        with self._lock:
            held = sorted(self._tasks.values(), key=attrgetter("sequence"))
        return iter(held)

    @property
    def task_bytes(self) -> int:
        """Bytes of request bodies behind the tasks held now."""
        return self._task_bytes

    def _use(self, task: MockTask, now: float) -> None:
        task.used = now
        self._tasks.move_to_end((task.provider, task.id))

    def _forget(self, key: tuple[str, str]) -> None:
        task = self._tasks.pop(key)
        if task.final is None:  # not done: off its provider's unfinished list
            self._unfinished[task.provider].remove(task.sequence)
        self._task_bytes -= task.held_bytes
        if task.key is not None and self._keys.get((task.provider, task.key)) == task.id:
            del self._keys[(task.provider, task.key)]
        self.expired += 1

    # Each kind is expired by its own operations (tasks by add and get, upload slots by theirs): amortised
    # O(1), the least recently used entry is always first, and the clock never goes back.

    def _evict_tasks(self, now: float) -> None:
        tasks, ttl = self._tasks, self.task_ttl
        while tasks:
            task = next(iter(tasks.values()))
            if (
                now - task.used <= ttl
                and len(tasks) <= self.max_tasks
                and (self._task_bytes <= self.max_task_bytes or len(tasks) == 1)
            ):
                return
            self._forget((task.provider, task.id))

    def _evict_resources(self, now: float) -> None:
        resources = self._resources
        while resources:
            resource_id = next(iter(resources))
            resource, used = resources[resource_id]
            if (
                now - used <= self.task_ttl
                and len(resources) <= self.max_tasks
                and (self._resource_bytes <= self.max_task_bytes or len(resources) == 1)
            ):
                return
            del resources[resource_id]
            self._resource_bytes -= len(resource.data or b"")

    # -- resources (Tensor.Art uploads) ----------------------------------------------------------

    def new_resource(self, resource: Resource) -> None:
        self.put_resource(resource)

    def resource(self, resource_id: str) -> Resource | None:
        with self._lock:
            now = self.clock.now()
            self._evict_resources(now)
            found = self._resources.get(resource_id)
            if found is None:
                return None
            self._resources[resource_id] = (found[0], now)
            self._resources.move_to_end(resource_id)
            return found[0]

    def put_resource(self, resource: Resource) -> None:
        with self._lock:
            old = self._resources.pop(resource.id, None)
            if old is not None:
                self._resource_bytes -= len(old[0].data or b"")
            now = self.clock.now()
            self._resources[resource.id] = (resource, now)
            self._resource_bytes += len(resource.data or b"")
            self._evict_resources(now)


@dataclass(slots=True)
class JournalEntry:
    """One request the mock received and what it answered. Secrets are redacted.

    A record to read, not to change. Not a frozen dataclass: one is made per request, and a
    frozen one costs five times as much to make.
    """

    time: float
    provider: str
    operation: str
    method: str
    path: str
    status: int
    task_id: str | None
    json_body: bytes = field(default=b"", repr=False)  # the raw JSON body (up to JOURNAL_BODY_LIMIT)
    fault: str | None = None
    body_size: int = 0  # bytes received
    warnings: tuple[str, ...] = ()  # what validation warned about: "[rule] pointer (dispute id)"

    @property
    def body(self) -> Any:
        """The parsed JSON body, secrets redacted and long strings cut; None when it was not JSON
        or longer than `JOURNAL_BODY_LIMIT` (``body_size`` still says how long).

        Parsed on each access and not kept: a run sending thousands of large requests pays nothing
        for a journal nobody reads, and a parsed body (up to 16 times its bytes) never outlives its
        reader, so the journal's memory stays what ``journal_bytes`` allows."""
        if not self.json_body:
            return None
        try:
            return redact_body(json.loads(self.json_body), shorten=256)
        except (ValueError, RecursionError):
            return None

    @property
    def held(self) -> int:
        """Bytes of what the client chose that the entry holds: the body, the path, the fault header,
        the warnings (their pointers name the client's keys)."""
        return len(self.json_body) + len(self.path) + len(self.fault or "") + sum(map(len, self.warnings))


JOURNAL_BODY_LIMIT = 1024 * 1024  # larger bodies (oversized-image cases) are counted, not kept


class Journal:
    """What the mock received, in order; bounded, with exact running totals.

    It lists the last ``max_entries`` requests, holding at most ``max_bytes`` of their bodies, paths
    and fault headers in all (the oldest entries go first), so a run of large requests cannot fill
    the memory."""

    def __init__(self, *, max_bytes: int, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: deque[tuple[JournalEntry, int]] = deque()  # each with the bytes it holds
        self._bytes = 0
        self._counts: dict[tuple[str, str, int], int] = {}
        self._lock = threading.Lock()

    def record(self, entry: JournalEntry) -> None:
        held = entry.held  # once: the oldest entries go by what they were counted as
        key = (entry.provider, entry.operation, entry.status)
        with self._lock:
            entries = self._entries
            entries.append((entry, held))
            self._bytes += held
            while len(entries) > self.max_entries or (self._bytes > self.max_bytes and len(entries) > 1):
                self._bytes -= entries.popleft()[1]
            self._counts[key] = self._counts.get(key, 0) + 1

    @property
    def body_bytes(self) -> int:
        """Bytes of what clients sent that the journal holds now (bodies, paths, fault headers)."""
        return self._bytes

    def entries(self, provider: str | None = None, operation: str | None = None) -> list[JournalEntry]:
        with self._lock:
            return [
                e
                for e, _ in self._entries
                if (provider is None or e.provider == provider) and (operation is None or e.operation == operation)
            ]

    def count(self, provider: str | None = None, operation: str | None = None, status: int | None = None) -> int:
        """Requests received so far (every one, even those the bounded log has dropped)."""
        with self._lock:
            return sum(
                n
                for (p, o, s), n in self._counts.items()
                if (provider is None or p == provider)
                and (operation is None or o == operation)
                and (status is None or s == status)
            )

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
            self._counts.clear()

    def __len__(self) -> int:
        return self.count()


class RateLimiter:
    """A sliding window: at most ``limit`` units per ``window`` seconds, per key."""

    def __init__(self, clock: Clock, limit: float, window: float) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self._spent: dict[str, deque[tuple[float, float]]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, units: float = 1.0) -> float | None:
        """Spend ``units``; None when allowed, else the seconds until enough is free again."""
        with self._lock:
            now = self.clock.now()
            spent = self._spent.setdefault(key, deque())
            while spent and now - spent[0][0] >= self.window:
                spent.popleft()
            used = sum(u for _, u in spent)
            if used + units > self.limit:
                return max(0.0, self.window - (now - spent[0][0])) if spent else self.window
            spent.append((now, units))
            return None


class NonceStore:
    """Nonces seen within a window (signature replay protection): each kept for the window only."""

    def __init__(self, clock: Callable[[], float], window: float) -> None:
        self._clock = clock
        self.window = window
        self._seen: OrderedDict[str, float] = OrderedDict()  # oldest first
        self._lock = threading.Lock()

    def seen_before(self, nonce: str) -> bool:
        """Record a nonce; True if it was already used within the window."""
        with self._lock:
            now = self._clock()
            while self._seen:  # amortised O(1): expired nonces are at the front
                oldest, when = next(iter(self._seen.items()))
                if now - when < self.window:
                    break
                del self._seen[oldest]
            used = nonce in self._seen and now - self._seen[nonce] < self.window  # the wall clock may step back
            self._seen[nonce] = now
            self._seen.move_to_end(nonce)
            return used

    def __len__(self) -> int:
        return len(self._seen)
