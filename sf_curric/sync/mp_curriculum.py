"""The main-process side of the multiprocessing sync: the curriculum plus a server thread that feeds envs.

Why a thread in the main process and not a separate process: the curriculum state must live in one place, and
the learner updates it directly (`update_curriculum({"update_type": "on_demand", ...})` for PLR, checkpoints via
`state_dict()`). A server process would hold a second copy or forward every learner call over a queue. The thread
spends its time blocked inside faster-fifo's `get_many` with the GIL released, wakes the moment an env sends
something, and handles everything that has arrived in one batch: apply updates, `sample(k)` once for all task
requests, push the tasks. Envs ask for their next task when they take the current one, so a task is waiting in
the queue before the next reset needs it (docs/sync.md has the measurements).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any, List, Tuple

from faster_fifo import Queue

from sf_curric.sync.channel import CRASHED, RUNNING, STOPPED, CurriculumServerError, TaskQueue, UpdateQueue, put_all
from sf_curric.sync.messages import Wake, apply_update

log = logging.getLogger(__name__)

DEFAULT_TASK_QUEUE_BYTES = 1024 * 1024
DEFAULT_UPDATE_QUEUE_BYTES = 16 * 1024 * 1024
# how long the idle server sleeps in get_many before re-checking its stop flag; stop() also wakes it at once
_IDLE_WAIT_S = 1.0


class MultiProcessingCurriculumWrapper:
    """A curriculum served to env processes by a thread of the process that owns it.

    Every call on this object runs on the one curriculum under a lock shared with the server thread, so the
    learner can update it while envs are running. Attribute access falls through to the curriculum.

    Args:
        curriculum: the curriculum to serve.
        task_queue: where encoded tasks go (a `TaskQueue`).
        update_queue: where envs send task requests and updates.
    """

    def __init__(self, curriculum: Any, task_queue: TaskQueue, update_queue: Queue) -> None:
        self.curriculum = curriculum
        self.task_queue = task_queue
        self.update_queue = update_queue
        self.status = task_queue.status
        self._task_space = curriculum.task_space
        self._lock = threading.RLock()
        self._idle = threading.Condition()
        self._flush_tokens = 0
        self._flushed = 0
        self._stop_requested = threading.Event()
        self._undelivered: List[Any] = []  # tasks sampled while the task queue was full
        self._error: BaseException | None = None
        self.num_updates = 0
        self.num_tasks_sent = 0
        self._thread = threading.Thread(target=self._serve, name="curriculum-server", daemon=True)

    # --- lifecycle ------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the server thread (make_multiprocessing_curriculum does this for you)."""
        self.status.set(RUNNING)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Apply every update already sent, then stop the server thread.

        Args:
            timeout: seconds to wait for the thread to finish.
        """
        self._stop_requested.set()
        try:
            self.update_queue.put(Wake(), block=False)
        except queue.Full:
            pass  # the server is busy with a full queue and checks the stop flag after that batch
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"the curriculum server thread did not stop within {timeout} s")
        self._raise_if_crashed()

    close = stop

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every update sent before this call has been applied to the curriculum.

        Args:
            timeout: seconds to wait.
        """
        self._raise_if_crashed()
        with self._idle:
            self._flush_tokens += 1
            token = self._flush_tokens
        # the queue is FIFO: once the server has seen this marker, it has applied everything sent before it
        put_all(self.update_queue, [Wake(token)], self.status, timeout, "a flush marker")
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._flushed < token:
                self._raise_if_crashed()
                if not self._thread.is_alive():
                    raise CurriculumServerError(f"cannot flush: {self.status.why_unavailable()}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"the curriculum server did not catch up with its updates within {timeout} s")
                self._idle.wait(remaining)

    def __enter__(self) -> MultiProcessingCurriculumWrapper:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- the server thread ----------------------------------------------------------------------------------
    def _serve(self) -> None:
        try:
            while True:
                wait = _IDLE_WAIT_S if not self._undelivered else 0.001
                try:
                    msgs = self.update_queue.get_many(block=True, timeout=wait)
                except queue.Empty:
                    msgs = []
                self._handle(msgs)
                flushed = max((m.token for m in msgs if isinstance(m, Wake)), default=0)
                if flushed:
                    with self._idle:
                        self._flushed = max(self._flushed, flushed)
                        self._idle.notify_all()
                if self._stop_requested.is_set() and self.update_queue.qsize() == 0:
                    break
        except Exception as e:  # the error is reported to envs (via shared status) and to the main process
            log.exception("the curriculum server thread crashed")
            self._error = e
            self.status.set(CRASHED, f"{type(e).__name__}: {e}")
            with self._idle:
                self._idle.notify_all()
            return
        self.status.set(STOPPED)

    def _handle(self, msgs: List[Any]) -> None:
        requested = 0
        if msgs:
            with self._lock:
                for msg in msgs:
                    requested += apply_update(self.curriculum, msg, self._task_space.decode)
                self.num_updates += len(msgs)
                if requested:
                    tasks = self.curriculum.sample(requested)
                    self._undelivered.extend(self._task_space.encode(t) for t in tasks)
        if self._undelivered:
            self._deliver()

    def _deliver(self) -> None:
        """Push sampled tasks without ever blocking the server (tasks that do not fit wait for the next round)."""
        try:
            self.task_queue.put_many(self._undelivered, block=False)
            self.num_tasks_sent += len(self._undelivered)
            self._undelivered = []
            return
        except queue.Full:
            pass
        while self._undelivered:
            try:
                self.task_queue.put(self._undelivered[0], block=False)
            except queue.Full:
                return
            self._undelivered.pop(0)
            self.num_tasks_sent += 1

    def local_exchange(self, msgs: List[Any], num_tasks: int) -> list:
        """Apply updates and sample tasks synchronously, for env wrappers that run in this same process.

        Envs in the curriculum's own process (e.g. gymnasium `SyncVectorEnv`, CleanRL's default) skip the queues:
        a queue round trip there would only hand the GIL back and forth between the env loop and the server thread.

        Args:
            msgs: updates to apply, in order.
            num_tasks: how many (decoded) tasks to return.
        """
        self._raise_if_crashed()
        if self.status.state == STOPPED:
            raise CurriculumServerError(f"no task: {self.status.why_unavailable()}")
        with self._lock:
            for msg in msgs:
                apply_update(self.curriculum, msg, self._task_space.decode)
            self.num_updates += len(msgs)
            return self.curriculum.sample(num_tasks) if num_tasks else []

    # --- the curriculum interface (main process) ------------------------------------------------------------
    def _raise_if_crashed(self) -> None:
        if self._error is not None:
            raise CurriculumServerError(
                f"the curriculum server thread crashed: {type(self._error).__name__}: {self._error}"
            ) from self._error

    def update_curriculum(self, update: dict) -> None:
        """Apply an update dict from the learner, e.g. `{"update_type": "on_demand", "metrics": {...}}`.

        Args:
            update: a Syllabus-style update dict (see `Curriculum.update_curriculum`).
        """
        self._raise_if_crashed()
        with self._lock:
            self.curriculum.update_curriculum(update)

    def custom_update(self, *args: Any, **kwargs: Any) -> None:
        """Learner-side update with whatever arguments the curriculum's `custom_update` documents."""
        self._raise_if_crashed()
        with self._lock:
            self.curriculum.custom_update(*args, **kwargs)

    def sample(self, k: int = 1) -> list:
        """Sample k tasks in the main process (e.g. for evaluation); envs get theirs from the server."""
        self._raise_if_crashed()
        with self._lock:
            return self.curriculum.sample(k)

    def state_dict(self) -> dict:
        """The curriculum's state (taken under the lock, so it is consistent)."""
        with self._lock:
            return self.curriculum.state_dict()

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore the curriculum's state.

        Args:
            state_dict: a dict returned by `state_dict()`.
        """
        with self._lock:
            self.curriculum.load_state_dict(state_dict)

    def log_metrics(self, writer: Any, step: int | None = None, **kwargs: Any) -> None:
        """Write the curriculum's metrics, plus the sync layer's queue depths under `perf/`.

        Args:
            writer: anything with `add_scalar(name, value, step)`.
            step: global step.
            **kwargs: forwarded to the curriculum's `log_metrics`.
        """
        with self._lock:
            self.curriculum.log_metrics(writer, step, **kwargs)
        writer.add_scalar("perf/curriculum_tasks_in_queue", self.task_queue.qsize(), step)
        writer.add_scalar("perf/curriculum_updates_in_queue", self.update_queue.qsize(), step)

    @property
    def unwrapped(self) -> Any:
        """The curriculum itself (not thread-safe while the server runs; prefer the methods of this wrapper)."""
        return self.curriculum

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("curriculum", "_lock"):
            raise AttributeError(name)
        attr = getattr(self.curriculum, name)
        if not callable(attr):
            return attr

        def locked(*args: Any, **kwargs: Any) -> Any:
            self._raise_if_crashed()
            with self._lock:
                return attr(*args, **kwargs)

        return locked

    def __reduce__(self) -> tuple:
        raise TypeError(
            "the served curriculum stays in its own process and cannot be pickled; give env factories the "
            "task_queue and update_queue returned by make_multiprocessing_curriculum instead"
        )

    def __repr__(self) -> str:
        return f"MultiProcessingCurriculumWrapper({self.curriculum!r}, {self.status.describe()})"


def make_multiprocessing_curriculum(
    curriculum: Any,
    task_queue_bytes: int = DEFAULT_TASK_QUEUE_BYTES,
    update_queue_bytes: int = DEFAULT_UPDATE_QUEUE_BYTES,
) -> Tuple[MultiProcessingCurriculumWrapper, TaskQueue, Queue]:
    """Serve a curriculum to envs in other processes.

    Args:
        curriculum: a `Curriculum` (or any object with its interface and a `task_space`).
        task_queue_bytes: capacity of the task queue (tasks are tens of bytes each).
        update_queue_bytes: capacity of the update queue; when it is full, envs wait (nothing is dropped).

    Returns:
        `(curriculum, task_queue, update_queue)`: the wrapped curriculum to use in the main process, and the two
        queues to give every `MultiProcessingSyncWrapper`.

    Example:
        >>> curriculum, task_queue, update_queue = make_multiprocessing_curriculum(DomainRandomization(Discrete(10)))
        >>> envs = gym.vector.AsyncVectorEnv(
        ...     [lambda: MultiProcessingSyncWrapper(make_task_env(), task_queue, update_queue)] * 8)
    """
    if isinstance(curriculum, MultiProcessingCurriculumWrapper):
        raise TypeError("this curriculum is already served by make_multiprocessing_curriculum; wrap it only once")
    if not hasattr(curriculum, "task_space") or not hasattr(curriculum, "sample"):
        raise TypeError(
            f"make_multiprocessing_curriculum needs a Curriculum (with task_space and sample), got {curriculum!r}"
        )
    requires_step = bool(getattr(curriculum, "requires_step_updates", False))
    task_queue = TaskQueue(curriculum.task_space, requires_step, max_size_bytes=task_queue_bytes)
    update_queue = UpdateQueue(max_size_bytes=update_queue_bytes)
    wrapper = MultiProcessingCurriculumWrapper(curriculum, task_queue, update_queue)
    task_queue.attach_local_server(wrapper)
    wrapper.start()
    return wrapper, task_queue, update_queue
