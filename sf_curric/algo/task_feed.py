"""Tasks for env resets in worker processes: a prefetched queue per worker, refilled on request by a thread.

The runner process runs one `TaskServer` thread next to the `CurriculumHost`. It primes every worker's task queue
with `--curriculum_prefetch` tasks per env; a worker's `WorkerTaskFeed` hands them out at env resets and, when its
stock falls to half, asks for more with a `TaskRequest` that says how many tasks it still holds. A worker has at
most one request pending and asks only after it received every batch sent to it, so the server tops it up to
exactly its target (a replaced worker simply starts with a stock of 0). Resets never wait on the curriculum unless
the curriculum is slower than the envs. Only `(code, task)` pairs and counts cross the queues.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any, Callable, List, NamedTuple, Tuple

from sf_curric.algo.parallel.queues import QueueStopped, get_all_nowait, get_many_blocking, make_queue, put_blocking

log = logging.getLogger(__name__)


class TaskRequest(NamedTuple):
    """A worker asks to be topped up.

    Attributes:
        worker_idx: the worker.
        stock: tasks it holds and has not used yet.
    """

    worker_idx: int
    stock: int


class TaskBatch(NamedTuple):
    """Tasks for one worker, `(code, task)` pairs (possibly none: a request that needed nothing is answered too)."""

    tasks: List[Tuple[int, Any]]


class TaskFeedQueues(NamedTuple):
    """The queues a worker needs (sent to it at start).

    Attributes:
        tasks: this worker's task queue (`TaskBatch` messages).
        requests: the shared request queue (`TaskRequest` messages).
        target: tasks the server keeps ready for this worker.
    """

    tasks: Any
    requests: Any
    target: int


class WorkerTaskFeed:
    """The worker side: `feed(env_id) -> (code, task)` is the `task_sampler` of a `RolloutWorker`.

    Args:
        worker_idx: index of this worker.
        queues: the worker's `TaskFeedQueues`.
        should_stop: checked while waiting; when it returns True, `QueueStopped` is raised.
        timing: dict where the seconds spent waiting for tasks are added under "task_wait".
    """

    def __init__(
        self, worker_idx: int, queues: TaskFeedQueues, should_stop: Callable[[], bool], timing: dict | None = None
    ) -> None:
        self.worker_idx = worker_idx
        self.queues = queues
        self.should_stop = should_stop
        self.timing = timing if timing is not None else {}
        self.low_water = max(1, queues.target // 2)
        self.local: deque = deque()
        self.consumed = 0
        self._request_pending = False

    def _take(self, msgs: List[Any]) -> None:
        for msg in msgs:
            self.local.extend(msg.tasks)
            self._request_pending = False  # every batch after the first answers the one pending request

    def __call__(self, env_id: int) -> Tuple[int, Any]:
        if len(self.local) <= self.low_water:
            self._take(get_all_nowait(self.queues.tasks))
            if len(self.local) <= self.low_water and not self._request_pending:
                request = TaskRequest(self.worker_idx, len(self.local))
                put_blocking(self.queues.requests, request, self.should_stop)
                self._request_pending = True
        if not self.local:
            start = time.perf_counter()
            while not self.local:
                self._take(get_many_blocking(self.queues.tasks, self.should_stop))
            self.timing["task_wait"] = self.timing.get("task_wait", 0.0) + time.perf_counter() - start
        self.consumed += 1
        return self.local.popleft()


class TaskServer:
    """The runner side: a thread that answers `TaskRequest`s with tasks sampled from the `CurriculumHost`.

    Args:
        host: the `CurriculumHost`.
        num_workers: worker processes.
        envs_per_worker: envs per worker.
        prefetch_per_env: tasks kept ready per env.

    Example:
        >>> server = TaskServer(host, num_workers=2, envs_per_worker=8, prefetch_per_env=2)
        >>> server.start()  # after the workers got `server.queues_for(w)`
    """

    def __init__(self, host: Any, num_workers: int, envs_per_worker: int, prefetch_per_env: int = 2) -> None:
        self.host = host
        self.target = max(1, prefetch_per_env) * envs_per_worker
        self.requests = make_queue(1 << 20)
        # each queue holds at most `target` tasks at a time; room for large tasks (e.g. arrays) too
        self.task_queues = [make_queue(8 << 20) for _ in range(num_workers)]
        self.sent = [0] * num_workers
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def queues_for(self, worker_idx: int) -> TaskFeedQueues:
        """What worker `worker_idx` needs to build its `WorkerTaskFeed`."""
        return TaskFeedQueues(self.task_queues[worker_idx], self.requests, self.target)

    def _send(self, worker_idx: int, count: int) -> None:
        tasks = self.host.take_tasks(count) if count > 0 else []
        put_blocking(self.task_queues[worker_idx], TaskBatch(tasks), self._stop.is_set)
        self.sent[worker_idx] += len(tasks)

    def start(self) -> None:
        """Prime every worker's queue with `target` tasks and start answering requests."""
        for w in range(len(self.task_queues)):
            self._send(w, self.target)
        self._thread = threading.Thread(target=self._serve, name="sf_curric-task-server", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            while not self._stop.is_set():
                for msg in get_many_blocking(self.requests, self._stop.is_set):
                    self._send(msg.worker_idx, self.target - msg.stock)
        except QueueStopped:
            pass
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
