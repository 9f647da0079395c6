"""The env side of the multiprocessing sync: a gymnasium wrapper that takes a new task from the curriculum
server on every reset and reports episodes (and step batches, when the curriculum asks for them)."""

from __future__ import annotations

import logging
from typing import Any, List

import gymnasium as gym
from faster_fifo import Queue

from sf_curric.curricula.task_space import as_task_space
from sf_curric.sync.channel import CurriculumServerError, TaskQueue, get_one, put_all
from sf_curric.sync.messages import EpisodeRecorder, TaskRequest, TaskReset

log = logging.getLogger(__name__)

_NO_TASK = object()


class MultiProcessingSyncWrapper(gym.Wrapper):
    """Connect an env (in any process) to a curriculum served by `make_multiprocessing_curriculum`.

    The wrapped env must accept `reset(new_task=...)` (a `TaskWrapper` or `TaskEnv`). Each reset takes the next
    task from the task queue; each episode report carries the request for the task after next, so with
    `buffer_size=1` the next task is already waiting when the episode ends. Every finished episode is reported
    with this env's id. Wrappers in the curriculum's own process (e.g. in a `SyncVectorEnv`) call the
    curriculum directly instead of going through the queues.

    Args:
        env: a task-aware environment.
        task_queue: the task queue returned by `make_multiprocessing_curriculum`.
        update_queue: the update queue returned by `make_multiprocessing_curriculum`.
        update_on_step: send step batches; defaults to the curriculum's `requires_step_updates`.
        batch_size: at most this many steps per step-batch message.
        buffer_size: tasks kept ready for this env (1 is enough: the next task is requested at each reset).
        env_id: this env's id in updates; by default the next free id (0, 1, ... in order of first reset).
        timeout: seconds to wait for a task, or for room in a full update queue, before raising a TimeoutError
            (a dead server is reported within a second, whatever this is).
        task_space: the task space used to decode tasks; defaults to the curriculum's.

    Example:
        >>> curriculum, task_queue, update_queue = make_multiprocessing_curriculum(curriculum)
        >>> env = MultiProcessingSyncWrapper(env, task_queue, update_queue)
    """

    def __init__(
        self,
        env: gym.Env,
        task_queue: TaskQueue,
        update_queue: Queue,
        update_on_step: bool | None = None,
        batch_size: int = 100,
        buffer_size: int = 1,
        env_id: int | None = None,
        timeout: float = 120.0,
        task_space: Any = None,
    ) -> None:
        super().__init__(env)
        self._task_reset = TaskReset(env)
        if not isinstance(task_queue, TaskQueue) or not isinstance(update_queue, Queue):
            raise TypeError(
                "MultiProcessingSyncWrapper(env, task_queue, update_queue) needs the two queues returned by "
                "`curriculum, task_queue, update_queue = make_multiprocessing_curriculum(curriculum)`, in that order"
            )
        if buffer_size < 1:
            raise ValueError(f"buffer_size must be >= 1 (tasks kept ready for this env), got {buffer_size}")
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        self.task_queue = task_queue
        self.update_queue = update_queue
        self.task_space = as_task_space(task_space) if task_space is not None else task_queue.task_space
        self.timeout = float(timeout)
        # id and first tasks are taken at the first reset: vector envs build a throw-away copy to read the spaces
        self.env_id: int | None = None if env_id is None else int(env_id)
        self.buffer_size = int(buffer_size)
        if update_on_step is None:
            update_on_step = task_queue.requires_step_updates
        self._update_on_step = bool(update_on_step)
        self._batch_size = int(batch_size)
        if self._batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 (steps per step-batch update), got {batch_size}")
        self._recorder: EpisodeRecorder | None = None
        self._buffer_requested = False
        self._request_sent_ahead = False
        self._latest_task: Any = None
        self._encoded_task: Any = None
        self._closed = False
        self.num_full_queue_waits = 0  # how often a send had to wait for room (back pressure at work)

    def _send(self, msgs: List[Any], what: str) -> None:
        self.num_full_queue_waits += put_all(
            self.update_queue, msgs, self.task_queue.status, self.timeout, f"{what} of env {self.env_id}"
        )

    @property
    def task(self) -> Any:
        """The task of the running episode (the env's own `task` attribute when it has one)."""
        return getattr(self.env, "task", self._latest_task)

    def reset(self, *, seed: int | None = None, options: dict | None = None, new_task: Any = _NO_TASK):
        """Reset with the next task from the curriculum (or with `new_task`, when given, e.g. for evaluation).

        Args:
            seed: forwarded to the env when its reset takes a seed.
            options: forwarded to the env when its reset takes options.
            new_task: run this task instead of the curriculum's next one.
        """
        if self._recorder is None:
            if self.env_id is None:
                self.env_id = self.task_queue.next_env_id(self.timeout)
            self._recorder = EpisodeRecorder(self.env_id, self._update_on_step, self._batch_size)
        self._recorder.start_episode()
        local = self.task_queue.local_server()
        if new_task is _NO_TASK and local is not None:
            new_task = local.local_exchange([], 1)[0]
        elif new_task is _NO_TASK:
            if not self._request_sent_ahead:
                # ask for the replacement first, so that the server samples it while this env resets
                requested = 1 if self._buffer_requested else 1 + self.buffer_size
                self._buffer_requested = True
                self._send([TaskRequest(self.env_id, requested)], "a task request")
            self._request_sent_ahead = False
            encoded = get_one(self.task_queue, self.task_queue.status, self.timeout, f"task for env {self.env_id}")
            new_task = self.task_space.decode(encoded)
        self._latest_task = new_task
        obs, info = self._task_reset(new_task, seed, options)
        self._encoded_task = self.task_space.encode(self.task)
        return obs, info

    def step(self, action: Any):
        """Step the env; at the end of an episode, report it (and any pending step batch) to the curriculum."""
        if self._recorder is None:
            raise gym.error.ResetNeeded("call reset() before step(): the first reset fetches the first task")
        obs, rew, terminated, truncated, info = self.env.step(action)
        msgs = self._recorder.record_step(self._encoded_task, obs, rew, terminated, truncated, info)
        local = self.task_queue.local_server() if msgs else None
        if local is not None:
            local.local_exchange(msgs, 0)
            return obs, rew, terminated, truncated, info
        if (terminated or truncated) and self._buffer_requested and not self._request_sent_ahead:
            # the next reset's replacement task travels with the episode report: one message round per episode
            msgs.append(TaskRequest(self.env_id, 1))
            self._request_sent_ahead = True
        if msgs:
            self._send(msgs, "an update")
        return obs, rew, terminated, truncated, info

    def close(self) -> None:
        """Send the steps not yet reported (if the server still runs), then close the env."""
        if not self._closed and self._recorder is not None:
            self._closed = True
            batch = self._recorder.take_step_batch()
            local = self.task_queue.local_server()
            if batch is not None:
                try:
                    if local is not None:
                        local.local_exchange([batch], 0)
                    else:
                        self._send([batch], "the last step batch")
                except CurriculumServerError as e:
                    log.warning("env %d could not report its last %d steps: %s", self.env_id, len(batch.tasks), e)
        super().close()
