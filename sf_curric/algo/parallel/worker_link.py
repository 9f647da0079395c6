"""The runner's end of one worker process's queues, built so that nothing in the runner can block forever.

A process killed while it holds a faster-fifo queue's lock leaves that queue locked for good: every later
operation on it blocks forever, timeouts included (see queue_salvage.py). So:

- every queue a worker process touches belongs to that process alone (one `WorkerLink` per process: its results,
  free slots and task queues; a replaced process gets a new link, never the old queues);
- the runner touches those queues only from the link's two daemon threads: a reader that moves the worker's
  messages to the runner's inbox (a `queue.SimpleQueue`) and a writer that puts the runner's messages from an
  outbox. The runner's main thread and its task server thread only use in-process queues.

When the process is dead, `retire()` asks the reader to take what is left in the results queue (messages the worker
had fully sent are still used) and to post `LinkDrained`. If that does not happen within the deadline because the
lock is held by a dead process, `abandon()` reads the complete messages without the lock (`read_unlocked`), posts
them and `LinkDrained` itself, and leaves the stuck threads and queues behind. `LinkDrained` is the last message of
a link in the inbox, so the runner reclaims the dead worker's slots only after it saw everything the worker sent.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any, Callable, NamedTuple

from sf_curric.algo.parallel.queue_salvage import lock_owner, owner_is_dead, read_unlocked, salvage_supported
from sf_curric.algo.parallel.queues import QueueStopped, make_queue, put_blocking

log = logging.getLogger(__name__)

# seconds a link's reader waits on the results queue before it checks whether it was retired
_READ_POLL_SEC = 0.2
_STOP = object()  # tells the writer thread to exit


class LinkDrained(NamedTuple):
    """The last message of a retired link: everything its worker sent was put on the inbox before this.

    Attributes:
        worker_idx: the worker.
        generation: the link's generation (how many processes of this worker were started before it).
        messages_lost: messages that could not be read (a locked queue whose content could not be salvaged).
    """

    worker_idx: int
    generation: int
    messages_lost: int = 0


class WorkerQueues(NamedTuple):
    """The queues a worker process receives at start (all of them used by it and by its link only).

    Attributes:
        results: worker -> runner (`TrajectoryReady`, `WorkerStarted`, `WorkerFailed`, `TaskRequest`).
        free_slots: runner -> worker, slot indices it may fill.
        tasks: runner -> worker, `TaskBatch` messages of the curriculum's task feed (None without a curriculum).
    """

    results: Any
    free_slots: Any
    tasks: Any = None


class WorkerLink:
    """One worker process's queues and the two threads of the runner that use them.

    Args:
        worker_idx: index of the worker.
        generation: number of processes of this worker started before this one.
        inbox: where the worker's messages go (the sampler's inbox).
        route: optional `(link, msg) -> bool`, called in the reader thread; returns True when it took the message
            (e.g. `TaskServer.route` takes task requests); other messages go to `inbox`.
        with_tasks: create a task queue (runs with a curriculum).

    Example:
        >>> link = WorkerLink(0, 0, inbox)
        >>> link.start(); link.send(link.queues.free_slots, 3)
    """

    def __init__(
        self,
        worker_idx: int,
        generation: int,
        inbox: queue.SimpleQueue,
        route: Callable[[WorkerLink, Any], bool] | None = None,
        with_tasks: bool = False,
    ) -> None:
        self.worker_idx = worker_idx
        self.generation = generation
        self.queues = WorkerQueues(make_queue(), make_queue(1 << 16), make_queue(8 << 20) if with_tasks else None)
        self._inbox = inbox
        self._route = route
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._retired = threading.Event()
        self._lock = threading.Lock()  # orders the reader's deliveries against abandon()
        self._drained = False
        self.abandoned = False
        self.retired_at = 0.0
        self._threads = [
            threading.Thread(target=self._read, name=f"sf_curric-link{worker_idx}-reader", daemon=True),
            threading.Thread(target=self._write, name=f"sf_curric-link{worker_idx}-writer", daemon=True),
        ]

    def start(self) -> None:
        """Start the reader and writer threads."""
        for t in self._threads:
            t.start()

    def send(self, q: Any, msg: Any) -> None:
        """Put `msg` on `q` (one of `self.queues`) from the writer thread (never blocks).

        Args:
            q: the queue.
            msg: a picklable message.
        """
        if not self._retired.is_set():
            self._outbox.put((q, msg))

    @property
    def retired(self) -> bool:
        """True once `retire()` was called."""
        return self._retired.is_set()

    def retire(self) -> None:
        """The process is dead: take what is left in its results queue, post `LinkDrained`, stop the threads."""
        self.retired_at = time.monotonic()
        self._retired.set()
        self._outbox.put(_STOP)

    def abandon(self) -> int:
        """The reader did not finish in time: if the results queue's lock is held by a dead thread, read what it
        holds without the lock; post `LinkDrained` and drop anything the reader may still deliver.

        Returns:
            messages that could not be read (-1: unknown, the queue could not be read).
        """
        with self._lock:
            if self._drained:
                return 0
            self.abandoned = True
            owner = lock_owner(self.queues.results)
            lost = 0
            if owner_is_dead(owner) and salvage_supported():
                salvaged = read_unlocked(self.queues.results)
                log.warning(
                    "worker %d's results queue was left locked by dead thread %d: read %d message(s) without its lock",
                    self.worker_idx,
                    owner,
                    len(salvaged),
                )
                self._deliver_locked(salvaged)
            else:
                lost = -1
                log.warning(
                    "worker %d's results queue stayed busy (lock owner %d) after its process died: abandoned, "
                    "messages still in it are lost",
                    self.worker_idx,
                    owner,
                )
            self._drained = True
            self._inbox.put(LinkDrained(self.worker_idx, self.generation, lost))
            return lost

    def _deliver_locked(self, msgs: list[Any]) -> None:
        for msg in msgs:
            if self._route is None or not self._route(self, msg):
                self._inbox.put(msg)

    def _deliver(self, msgs: list[Any]) -> bool:
        with self._lock:
            if self.abandoned:
                log.warning("dropped %d late message(s) of abandoned worker link %d", len(msgs), self.worker_idx)
                return False
            self._deliver_locked(msgs)
            return True

    def _read(self) -> None:
        q = self.queues.results
        while not self._retired.is_set():
            try:
                msgs = q.get_many(block=True, timeout=_READ_POLL_SEC)
            except queue.Empty:
                continue
            if not self._deliver(msgs):
                return
        while True:  # the process is dead: what is left was fully sent before it died
            try:
                msgs = q.get_many(block=False)
            except queue.Empty:
                break
            if not self._deliver(msgs):
                return
        with self._lock:
            if not self.abandoned:
                self._drained = True
                self._inbox.put(LinkDrained(self.worker_idx, self.generation))

    def _write(self) -> None:
        while True:
            item = self._outbox.get()
            if item is _STOP:
                return
            q, msg = item
            try:
                put_blocking(q, msg, self._retired.is_set)
            except QueueStopped:
                return

    def join(self, timeout: float) -> None:
        """Wait up to `timeout` seconds in all for the threads to exit (stuck ones are left behind)."""
        deadline = time.monotonic() + timeout
        for t in self._threads:
            if t.is_alive():
                t.join(max(0.0, deadline - time.monotonic()))
