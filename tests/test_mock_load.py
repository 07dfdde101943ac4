"""The mock under load: 64 clients in flight at once (32 threads, 32 asyncio tasks) over HTTP on
127.0.0.1, every provider at the same time, with server faults injected on some polls.

What must hold: every accepted task ends exactly once and succeeds; the journal holds exactly
the requests the clients sent (method and path, retries included); the only 5xx answers are the
injected ones; and the store stays within its bounds while it works (the least recently used
finished tasks make room, the tasks in flight are never the ones to go).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from payloads import PROVIDERS, valid_request
from sdcontracts.mock import FaultRule, Mock, MockConfig
from sdcontracts.mock.asgi import BackgroundServer

from sdcontracts.clients import Retry, TaskState

THREADS = ASYNC_TASKS = 32  # 64 in flight
CYCLES = 2  # submit, wait, download: per client
FAULTS = 20  # task polls answered 503 (retried by the clients)
MAX_TASKS = 112  # fewer than the 128 tasks made; far enough above the 64 in flight that a client left
# without the GIL for a while is not the least recent user of its task
RETRY = Retry(attempts=5, backoff=0.01, max_backoff=0.05)


class Counting(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Real HTTP, counting every request sent (retries too) by method and path.

    verify=False: the mock is plain HTTP on 127.0.0.1, and loading the CA bundle for each of
    64 clients costs more than all their requests."""

    def __init__(self, sent: Counter[tuple[str, str]], lock: threading.Lock) -> None:
        self.sent, self.lock = sent, lock
        self._sync = httpx.HTTPTransport(verify=False)
        self._async = httpx.AsyncHTTPTransport(verify=False)

    def _count(self, request: httpx.Request) -> None:
        with self.lock:
            self.sent[(request.method, request.url.path)] += 1

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self._count(request)
        return self._sync.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._count(request)
        return await self._async.handle_async_request(request)

    def close(self) -> None:
        self._sync.close()

    async def aclose(self) -> None:
        await self._async.aclose()


def test_64_clients_in_flight_end_every_task_exactly_once_and_the_journal_matches() -> None:
    """32 threads and 32 asyncio tasks, all five providers, 128 tasks: all succeed, each ends once, the journal holds
    exactly what was sent, the only 5xx are the 20 injected, and the store never exceeds max_tasks."""
    faults = [FaultRule("status=503", operation="task", times=FAULTS)]
    mock = Mock(MockConfig(lifecycle="steps", faults=faults, max_tasks=MAX_TASKS))
    sent: Counter[tuple[str, str]] = Counter()
    lock = threading.Lock()
    largest = [0]

    def watch() -> None:
        with lock:
            largest[0] = max(largest[0], len(list(mock.store.tasks())))

    def sync_worker(index: int, url: str) -> list[tuple[str, Any]]:
        provider = PROVIDERS[index % len(PROVIDERS)]
        done = []
        with mock.client(provider, base_url=url, transport=Counting(sent, lock), retry=RETRY) as client:
            for _ in range(CYCLES):
                task = client.generate(valid_request(provider), poll_interval=0)
                client.download(task.images[0])
                done.append((provider, task))
                watch()
        return done

    async def async_worker(index: int, url: str) -> list[tuple[str, Any]]:
        provider = PROVIDERS[index % len(PROVIDERS)]
        done = []
        async with mock.client(
            provider, asynchronous=True, base_url=url, transport=Counting(sent, lock), retry=RETRY
        ) as client:
            for _ in range(CYCLES):
                task = await client.generate(valid_request(provider), poll_interval=0)
                await client.download(task.images[0])
                done.append((provider, task))
                watch()
        return done

    async def all_async(url: str) -> list[list[tuple[str, Any]]]:
        return list(await asyncio.gather(*(async_worker(i, url) for i in range(ASYNC_TASKS))))

    with BackgroundServer(mock) as url, ThreadPoolExecutor(max_workers=THREADS + 1) as pool:
        in_async = pool.submit(asyncio.run, all_async(url))
        in_threads = [pool.submit(sync_worker, i, url) for i in range(THREADS)]
        results = [t for future in in_threads for t in future.result()] + [t for r in in_async.result() for t in r]

    tasks = len(results)
    assert (THREADS + ASYNC_TASKS) * CYCLES == tasks
    assert {TaskState.SUCCEEDED} == {task.state for _, task in results}
    assert tasks == len({(provider, task.id) for provider, task in results})  # no two submits got one task
    per_provider = Counter(provider for provider, _ in results)
    assert dict(per_provider) == dict(mock.store.finished)  # each task reached its terminal state exactly once
    assert per_provider == Counter({p: mock.journal.count(p, "img2img") for p in PROVIDERS})
    assert sent == Counter((e.method, e.path) for e in mock.journal.entries())  # what was sent, all of it, once
    assert sum(sent.values()) == mock.journal.count()
    server_errors = [e for e in mock.journal.entries() if e.status >= 500]
    assert (FAULTS, True) == (len(server_errors), all(e.fault is not None for e in server_errors))
    assert largest[0] <= MAX_TASKS and len(list(mock.store.tasks())) <= MAX_TASKS
    assert tasks - MAX_TASKS <= mock.store.expired
