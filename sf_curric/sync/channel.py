"""The shared-memory pieces of the multiprocessing sync: the task queue and the curriculum server's status.

Everything here is picklable into child processes (fork, forkserver or spawn), as faster-fifo queues are, so
envs built inside gymnasium `AsyncVectorEnv` or SB3 `SubprocVecEnv` workers can use it.

Waiting is never a timer: every blocking call waits on faster-fifo's condition variable and returns the moment a
message arrives. The waits are cut into slices of `LIVENESS_CHECK_S` only so that a waiter notices a dead
server (and says so) instead of hanging.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import queue
import time
from typing import Any, List

import psutil
from faster_fifo import Queue

from sf_curric.sync.shared_block import ShareableQueue, SharedBlock

# seconds between liveness checks while a queue operation waits; only matters when the server is slow or gone
LIVENESS_CHECK_S = 0.5

STARTING, RUNNING, STOPPED, CRASHED = range(4)
_STATE_NAMES = {STARTING: "starting", RUNNING: "running", STOPPED: "stopped", CRASHED: "crashed"}
_ERROR_BYTES = 1024


class CurriculumServerError(RuntimeError):
    """The curriculum server cannot serve tasks or take updates (crashed, stopped, or its process is gone)."""


def _process_alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class _StatusFields(ctypes.Structure):
    _fields_ = [("state", ctypes.c_int), ("pid", ctypes.c_long), ("error", ctypes.c_char * _ERROR_BYTES)]


class ServerStatus:
    """State, pid and last error of the curriculum server, in shared memory so that any process can read them."""

    def __init__(self) -> None:
        self._block = SharedBlock(ctypes.sizeof(_StatusFields))
        self._attach()
        self._fields.state = STARTING
        self._fields.pid = os.getpid()

    def _attach(self) -> None:
        self._fields = _StatusFields.from_buffer(self._block.buffer)

    def __getstate__(self) -> dict:
        return {"_block": self._block}

    def __setstate__(self, state: dict) -> None:
        self._block = state["_block"]
        self._attach()

    def set_pid(self, pid: int) -> None:
        """Name the process that hosts the server (the creator, unless the server is moved to another process)."""
        self._fields.pid = pid

    def set(self, state: int, error: str = "") -> None:
        """Record a new state (and, for CRASHED, what went wrong)."""
        self._fields.error = error.encode("utf-8", "replace")[: _ERROR_BYTES - 1]
        self._fields.state = state

    @property
    def state(self) -> int:
        """One of STARTING, RUNNING, STOPPED, CRASHED."""
        return self._fields.state

    @property
    def pid(self) -> int:
        """Process that hosts the curriculum (the process that called make_multiprocessing_curriculum)."""
        return self._fields.pid

    @property
    def error(self) -> str:
        """What made the server crash ("" unless CRASHED)."""
        return self._fields.error.decode("utf-8", "replace")

    def describe(self) -> str:
        """A short human-readable account of the server, for error messages."""
        return f"curriculum server in pid {self.pid}, state {_STATE_NAMES.get(self.state, self.state)}"

    def why_unavailable(self) -> str | None:
        """Why the server can no longer serve, or None while it can."""
        if self.state == CRASHED:
            return f"the curriculum server thread in pid {self.pid} crashed: {self.error}"
        if self.state == STOPPED:
            return f"the curriculum server in pid {self.pid} was stopped (curriculum.stop() was called)"
        if not _process_alive(self.pid):
            return f"the process that hosts the curriculum (pid {self.pid}) has exited"
        return None


class UpdateQueue(ShareableQueue):
    """faster-fifo queue that carries task requests and updates from envs to the curriculum server."""


class TaskQueue(ShareableQueue):
    """faster-fifo queue of encoded tasks that also carries what env wrappers need to know about the server.

    Created by `make_multiprocessing_curriculum`; pass it unchanged to `MultiProcessingSyncWrapper`.

    Args:
        task_space: the curriculum's task space (envs decode tasks with it).
        requires_step_updates: whether envs should send step batches by default.
        max_size_bytes: capacity of the queue.
    """

    def __init__(self, task_space: Any, requires_step_updates: bool, max_size_bytes: int) -> None:
        super().__init__(max_size_bytes=max_size_bytes)
        self.task_space = task_space
        self.requires_step_updates = bool(requires_step_updates)
        self.status = ServerStatus()
        # a one-message queue used as a cross-process counter (works under fork, forkserver and spawn alike)
        self._env_id_token = ShareableQueue(max_size_bytes=4096)
        self._env_id_token.put(0)

    def attach_local_server(self, server: Any) -> None:
        """Let wrappers in the server's own process call it directly (not pickled: other processes use the queues)."""
        self._local_server = server
        self._local_pid = os.getpid()

    def local_server(self) -> Any:
        """The server object when called from the process that hosts it, else None."""
        server = self.__dict__.get("_local_server")
        return server if server is not None and self._local_pid == os.getpid() else None

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_local_server", None)
        return state

    def next_env_id(self, timeout: float) -> int:
        """A new env id, unique among all wrappers that share this queue (0, 1, 2, ... in creation order)."""
        try:
            env_id = self._env_id_token.get(timeout=timeout)
        except queue.Empty:
            raise CurriculumServerError(
                f"could not get an env id within {timeout:.0f} s (a process died while taking one); "
                "pass env_id=... to MultiProcessingSyncWrapper"
            ) from None
        self._env_id_token.put(env_id + 1)
        return env_id


def put_all(q: Queue, msgs: List[Any], status: ServerStatus, timeout: float, what: str) -> int:
    """Put `msgs` on `q` in order, waiting while it is full (back pressure: never raises Full, never drops).

    Args:
        q: the queue.
        msgs: picklable messages, put as one unit.
        status: the server's status, checked while waiting.
        timeout: seconds to wait for room before giving up with a TimeoutError.
        what: what is being sent, for error messages.

    Returns:
        How many liveness-check slices the call waited (0 when there was room at once).

    Raises:
        ValueError: the messages are larger than the whole queue.
        CurriculumServerError: the server died while the queue was full.
        TimeoutError: the queue stayed full for `timeout` seconds.
    """
    if status.state in (STOPPED, CRASHED):
        raise CurriculumServerError(f"cannot send {what}: {status.why_unavailable()}")
    try:
        q.put_many(msgs, block=False)
        return 0
    except queue.Full:
        pass
    size = sum(len(pickle.dumps(m, protocol=pickle.HIGHEST_PROTOCOL)) for m in msgs) + 16 * len(msgs)
    if size > q.max_size_bytes:
        raise ValueError(
            f"{what} of {size} bytes does not fit in its queue of {q.max_size_bytes} bytes; pass a larger "
            "update_queue_bytes to make_multiprocessing_curriculum or a smaller batch_size to the env wrapper"
        )
    deadline = time.monotonic() + timeout
    waits = 0
    while True:
        try:
            q.put_many(msgs, block=True, timeout=LIVENESS_CHECK_S)
            return waits + 1
        except queue.Full:
            waits += 1
        reason = status.why_unavailable()
        if reason is not None:
            raise CurriculumServerError(f"cannot send {what}: {reason}")
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"the queue for {what} stayed full for {timeout:.0f} s ({status.describe()}); the curriculum is "
                "too slow for the envs or blocked. Pass a larger timeout= to the env wrapper if this is expected"
            )


def get_one(q: Queue, status: ServerStatus, timeout: float, what: str) -> Any:
    """Take one message from `q`, waiting until one arrives (woken by the put, not by a timer).

    Args:
        q: the queue.
        status: the server's status, checked while waiting.
        timeout: seconds to wait before giving up with a TimeoutError.
        what: what is awaited, for error messages.

    Raises:
        CurriculumServerError: the server died (crashed, stopped, or its process exited).
        TimeoutError: nothing came within `timeout` seconds although the server looks alive.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            return q.get(block=True, timeout=LIVENESS_CHECK_S)
        except queue.Empty:
            pass
        reason = status.why_unavailable()
        if reason is not None:
            raise CurriculumServerError(f"no {what}: {reason}")
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"waited {timeout:.0f} s for {what} ({status.describe()}); the curriculum process is alive but "
                "does not answer (blocked main process?). Pass a larger timeout= to the env wrapper if this is expected"
            )
