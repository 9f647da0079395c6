"""Tasks for env resets, one route in every mode: a `TaskFeed` at the envs, a `TaskServer` at the curriculum.

A `TaskFeed` hands prefetched `(code, task)` pairs out at env resets and, when its stock falls low, sends one
`TaskRequest(requester, count)` (curricula/feedback.py) for what tops it up to its target (`--curriculum_prefetch`
tasks per env); the `TaskServer` answers with a `TaskBatch` sampled from the `CurriculumHost`. A feed has at most
one request pending and asks only after it received every batch sent to it (a replaced worker simply starts with a
stock of 0). Only `(code, task)` pairs and counts cross the queues.

- Parallel mode: one feed per worker process, on the queues of its `WorkerLink` (worker_link.py): requests ride its
  results queue and reach the server's thread through the link's reader thread, tasks go out through the link's
  writer thread, so the server thread never touches a queue that a killed worker may have left locked. A replaced
  worker gets a new link (`attach`); requests still arriving from the old one are ignored. The server primes every
  worker's queue at start, so resets never wait on the curriculum unless it is slower than the envs.
- Serial mode (`in_process_feed`): the same feed and server joined by an `InProcessLink`, whose in-process queues
  answer a request at once in the caller's thread (a seeded serial run samples the same tasks every time); the
  feed asks only when it is out of tasks.

The sync wrappers for other trainers (sf_curric/sync) send the same `TaskRequest` to their curriculum server.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from typing import Any, Callable, List, NamedTuple, Tuple

from sf_curric.algo.parallel.queues import get_all_nowait, get_many_blocking, put_blocking
from sf_curric.algo.parallel.worker_link import WorkerLink, WorkerQueues
from sf_curric.curricula.feedback import TaskRequest

log = logging.getLogger(__name__)


class TaskBatch(NamedTuple):
    """Tasks for one worker, `(code, task)` pairs (possibly none: a request that needed nothing is answered too)."""

    tasks: List[Tuple[int, Any]]


class TaskFeedQueues(NamedTuple):
    """The queues a worker needs (sent to it at start).

    Attributes:
        tasks: this worker's task queue (`TaskBatch` messages).
        requests: the queue its `TaskRequest` messages go to (the worker's own results queue).
        target: tasks the server keeps ready for this worker.
    """

    tasks: Any
    requests: Any
    target: int


class TaskFeed:
    """The env side: `feed(env_id) -> (code, task)` is the `task_sampler` of a `RolloutWorker` (a `TaskSource`).

    Args:
        worker_idx: index of this worker (0 in serial mode).
        queues: the worker's `TaskFeedQueues`.
        should_stop: checked while waiting; when it returns True, `QueueStopped` is raised.
        timing: dict where the seconds spent waiting for tasks are added under "task_wait".
        low_water: ask for more when the stock is down to this many (default: half the target, so a worker process
            rarely waits; 0 in serial mode, where a request is answered at once).
    """

    def __init__(
        self,
        worker_idx: int,
        queues: TaskFeedQueues,
        should_stop: Callable[[], bool],
        timing: dict | None = None,
        low_water: int | None = None,
    ) -> None:
        self.worker_idx = worker_idx
        self.queues = queues
        self.should_stop = should_stop
        self.timing = timing if timing is not None else {}
        self.low_water = max(1, queues.target // 2) if low_water is None else int(low_water)
        self.local: deque = deque()
        self.consumed = 0
        self._request_pending = False
        self._lock = threading.Lock()  # the env groups of a split worker (split_rollout.py) share one feed

    def _take(self, msgs: List[Any]) -> None:
        for msg in msgs:
            self.local.extend(msg.tasks)
            self._request_pending = False  # every batch after the first answers the one pending request

    def __call__(self, env_id: int) -> Tuple[int, Any]:
        with self._lock:
            return self._next()

    def _next(self) -> Tuple[int, Any]:
        if len(self.local) <= self.low_water:
            self._take(get_all_nowait(self.queues.tasks))
            if len(self.local) <= self.low_water and not self._request_pending:
                request = TaskRequest(self.worker_idx, self.queues.target - len(self.local))
                put_blocking(self.queues.requests, request, self.should_stop)
                self._request_pending = True
        if not self.local:
            start = time.perf_counter()
            while not self.local:
                self._take(get_many_blocking(self.queues.tasks, self.should_stop))
            self.timing["task_wait"] = self.timing.get("task_wait", 0.0) + time.perf_counter() - start
        self.consumed += 1
        return self.local.popleft()

    def pending(self) -> List[Tuple[int, Any]]:
        """Tasks received and not handed out yet (in order)."""
        with self._lock:
            self._take(get_all_nowait(self.queues.tasks))
            return list(self.local)


class TaskServer:
    """The runner side: answers `TaskRequest`s with tasks sampled from the `CurriculumHost` (a thread in parallel
    mode; at once, in the caller's thread, on an `InProcessLink` in serial mode).

    Args:
        host: the `CurriculumHost`.
        num_workers: worker processes.
        envs_per_worker: envs per worker.
        prefetch_per_env: tasks kept ready per env.

    Example:
        >>> server = TaskServer(host, num_workers=2, envs_per_worker=8, prefetch_per_env=2)
        >>> link = WorkerLink(0, 0, inbox, route=server.route, with_tasks=True); server.attach(link)  # each worker
        >>> server.start()  # primes every worker's task queue
    """

    def __init__(self, host: Any, num_workers: int, envs_per_worker: int, prefetch_per_env: int = 2) -> None:
        self.host = host
        self.target = max(1, prefetch_per_env) * envs_per_worker
        self.links: List[Any] = [None] * num_workers  # the current link of every worker
        self._own_links: List[WorkerLink] = []  # links made here for workers nobody attached (in-process use)
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()  # (link, TaskRequest) from the links' reader threads
        self.sent = [0] * num_workers
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def route(self, link: WorkerLink, msg: Any) -> bool:
        """Take `msg` if it is a `TaskRequest` (called by `link`'s reader thread); True when taken."""
        if isinstance(msg, TaskRequest):
            self.inbox.put((link, msg))
            return True
        return False

    def attach(self, link: WorkerLink) -> None:
        """Serve worker `link.worker_idx` through `link` from now on (a new process of that worker)."""
        self.links[link.worker_idx] = link

    def _link(self, worker_idx: int) -> WorkerLink:
        link = self.links[worker_idx]
        if link is None:
            link = WorkerLink(worker_idx, 0, queue.SimpleQueue(), route=self.route, with_tasks=True)
            link.start()
            self._own_links.append(link)
            self.links[worker_idx] = link
        return link

    def queues_for(self, worker_idx: int) -> TaskFeedQueues:
        """What worker `worker_idx` needs to build its `TaskFeed` (the queues of its current link)."""
        link = self._link(worker_idx)
        return TaskFeedQueues(link.queues.tasks, link.queues.results, self.target)

    def answer(self, link: Any, msg: TaskRequest) -> None:
        """Send the tasks `msg` asks for through `link`, unless a newer link replaced it (a dead process's request:
        its replacement asks anew)."""
        if link is self.links[msg.requester]:
            self._send(msg.requester, msg.count)

    def _send(self, worker_idx: int, count: int) -> None:
        link = self._link(worker_idx)
        tasks = self.host.take_tasks(count) if count > 0 else []
        link.send(link.queues.tasks, TaskBatch(tasks))  # never blocks: the link's writer thread puts it
        self.sent[worker_idx] += len(tasks)

    def start(self) -> None:
        """Prime every worker's queue with `target` tasks and start answering requests."""
        for w in range(len(self.links)):
            self._send(w, self.target)
        self._thread = threading.Thread(target=self._serve, name="sf_curric-task-server", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    link, msg = self.inbox.get(timeout=0.2)
                except queue.Empty:
                    continue
                self.answer(link, msg)
        except Exception as exc:  # noqa: BLE001 - re-raised in the runner's thread by raise_if_failed()
            log.exception("the task server stopped")
            self.error = exc

    def raise_if_failed(self) -> None:
        """Re-raise, in the caller's thread, an exception that stopped the server (e.g. from the curriculum)."""
        if self.error is not None:
            raise RuntimeError(f"the curriculum task server failed: {self.error!r}") from self.error

    def stop(self) -> None:
        """Stop the thread (tasks still queued are dropped with the queues)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        for link in self._own_links:
            link.retire()
            link.join(1.0)


class _InProcessQueue:
    """A queue inside one thread, with the faster-fifo methods the feed and the server use."""

    max_size_bytes = 1 << 62

    def __init__(self, on_put: Callable[[Any], None] | None = None) -> None:
        self._items: deque = deque()
        self._on_put = on_put

    def put(self, msg: Any, block: bool = True, timeout: float | None = None) -> None:
        if self._on_put is not None:
            self._on_put(msg)
        else:
            self._items.append(msg)

    def get_many(self, block: bool = True, timeout: float | None = None) -> List[Any]:
        if not self._items:
            raise queue.Empty  # nothing can arrive while the only thread waits: the feed asked first
        out = list(self._items)
        self._items.clear()
        return out


class InProcessLink:
    """Serial mode's route between one `TaskFeed` and the `TaskServer`: in-process queues, requests answered at once
    in the caller's thread (so a seeded serial run samples the same tasks every time).

    Args:
        server: the `TaskServer` (this link is attached to it as worker 0).
    """

    worker_idx = 0
    generation = 0

    def __init__(self, server: TaskServer) -> None:
        # a worker's results queue carries its task requests: here they go straight to the server
        self.queues = WorkerQueues(_InProcessQueue(lambda msg: server.answer(self, msg)), None, _InProcessQueue())
        server.attach(self)

    def send(self, q: Any, msg: Any) -> None:
        q.put(msg)

    def retire(self) -> None:
        pass

    def join(self, timeout: float) -> None:
        pass


def in_process_feed(host: Any, num_envs: int, prefetch_per_env: int = 2) -> TaskFeed:
    """Serial mode's task feed: the parallel mode's feed and server, joined by an `InProcessLink`.

    Args:
        host: the `CurriculumHost`.
        num_envs: envs of the run (all in this process).
        prefetch_per_env: tasks kept ready per env (`--curriculum_prefetch`).
    """
    server = TaskServer(host, num_workers=1, envs_per_worker=num_envs, prefetch_per_env=prefetch_per_env)
    InProcessLink(server)
    # asks only when out of tasks (an answer takes no time here): one sample() of the whole target each time
    return TaskFeed(0, server.queues_for(0), lambda: False, low_water=0)
