"""Messages between environment wrappers and the curriculum server, and how the server applies them.

`TaskRequest`, `EpisodeSummary` and `StepBatch` are the trainer's own (sf_curric/curricula/feedback.py): a curriculum
served to another trainer gets its feedback through the same `deliver` (the same table of handlers) as one inside
sf_curric's trainer. Tasks
cross process boundaries encoded (`task_space.encode`: a small int for finite spaces); the server decodes them
before calling the curriculum, so curricula only ever see decoded tasks.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any, Callable, List, NamedTuple

from sf_curric.curricula.feedback import HANDLERS, EpisodeSummary, StepBatch, TaskRequest, deliver, episode_end

__all__ = ["EpisodeRecorder", "EpisodeSummary", "StepBatch", "TaskRequest", "TaskReset", "Wake", "apply_update"]

log = logging.getLogger(__name__)


class Wake(NamedTuple):
    """Wakes the server (to notice a stop request at once); a non-zero `token` marks a flush point."""

    token: int = 0


def apply_update(curriculum: Any, msg: Any, decode: Callable[[Any], Any]) -> int:
    """Apply one message to the curriculum and return how many tasks it asks for.

    Args:
        curriculum: the curriculum (any object with the `Curriculum` update methods).
        msg: a `TaskRequest`, a `Wake`, or a message the curriculum takes (`EpisodeSummary`, `StepBatch`, ...).
        decode: turns an encoded task back into the task (`task_space.decode`).

    Returns:
        The number of tasks the message requests (0 for updates).
    """
    if isinstance(msg, TaskRequest):
        return msg.count
    if isinstance(msg, Wake):
        return 0
    if type(msg) in HANDLERS:
        deliver(curriculum, msg, decode)  # built and applied as in the trainer (curricula/feedback.py)
        return 0
    raise TypeError(f"the curriculum server got a {type(msg).__name__}; only sf_curric.sync messages may be sent")


class EpisodeRecorder:
    """Tracks the running episode of one env and builds the messages that report it.

    Shared by the multiprocessing and the Ray env wrappers so that both report exactly the same things.

    Args:
        env_id: id of the env in every message.
        update_on_step: also collect step results, sent as `StepBatch` messages.
        batch_size: at most this many steps per `StepBatch`.
    """

    def __init__(self, env_id: int, update_on_step: bool, batch_size: int) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 (steps per step-batch update), got {batch_size}")
        self.env_id = env_id
        self.update_on_step = update_on_step
        self.batch_size = batch_size
        self.episode_return = 0.0
        self.episode_length = 0
        self._columns: List[list] = [[] for _ in range(7)]

    def start_episode(self) -> None:
        """Forget the running totals (called on reset)."""
        self.episode_return = 0.0
        self.episode_length = 0

    def record_step(self, encoded_task: Any, obs: Any, rew: Any, term: bool, trunc: bool, info: dict) -> List[Any]:
        """Account one step; return the messages that are due now (a full step batch, a finished episode).

        Args:
            encoded_task: the encoded task of the running episode.
            obs: observation after the step.
            rew: reward of the step.
            term: the episode terminated.
            trunc: the episode was truncated.
            info: the step's info dict (`task_completion` is reported as progress, `episode_extra_stats` at the
                episode's end goes to `update_on_episode_extra_stats`).
        """
        self.episode_return += float(rew)
        self.episode_length += 1
        progress = info.get("task_completion")
        out: List[Any] = []
        if self.update_on_step:
            for column, value in zip(
                self._columns, (encoded_task, obs, float(rew), bool(term), bool(trunc), info, progress)
            ):
                column.append(value)
            if len(self._columns[0]) >= self.batch_size or term or trunc:
                out.append(self.take_step_batch())
        if term or trunc:  # the last info read as the trainer reads it (seed 000's metrics up included)
            completion, extra_stats = episode_end(info)
            out.append(
                EpisodeSummary(
                    self.env_id, self.episode_return, self.episode_length, encoded_task, bool(term), completion,
                    extra_stats,
                )
            )  # fmt: skip
        return out

    def take_step_batch(self) -> StepBatch | None:
        """The steps collected so far as one `StepBatch` (None when there are none); clears the buffer."""
        if not self._columns[0]:
            return None
        batch = StepBatch(self.env_id, *self._columns)
        self._columns = [[] for _ in range(7)]
        return batch


class TaskReset:
    """Calls an env's `reset(new_task=...)` with `seed` and `options` only where that reset accepts them.

    Seed 002 asks only that the env's reset accept `new_task`; a reset that takes nothing else works, and a
    seed it cannot take is reported once instead of failing. A reset that returns a bare observation (the old
    gym API of seed 003's example) is read as `(obs, {})`.

    Args:
        env: the task env the sync wrapper wraps.
    """

    def __init__(self, env: Any) -> None:
        try:
            params = inspect.signature(env.reset).parameters
        except (TypeError, ValueError):  # not introspectable: assume the gymnasium signature
            params = {}
        any_kw = not params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        keyword_kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
        self.accepts = {
            name: any_kw or (name in params and params[name].kind in keyword_kinds) for name in ("seed", "options")
        }
        if not (any_kw or ("new_task" in params and params["new_task"].kind in keyword_kinds)):
            raise TypeError(
                f"{type(env).__name__}.reset must accept a new_task keyword argument (make it a TaskWrapper or "
                "TaskEnv, or add new_task=None to its reset)"
            )
        self.env = env
        self._warned = False

    def __call__(self, new_task: Any, seed: int | None = None, options: dict | None = None) -> tuple:
        """Reset the env with `new_task`; returns `(obs, info)`."""
        kwargs = {"new_task": new_task}
        for name, value in (("seed", seed), ("options", options)):
            if value is None:
                continue
            if self.accepts[name]:
                kwargs[name] = value
            elif not self._warned:
                self._warned = True
                log.warning("%s.reset takes no %s=; it is not passed on", type(self.env).__name__, name)
        out = self.env.reset(**kwargs)
        if isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict):
            return out
        return out, {}
