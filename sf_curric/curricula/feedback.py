"""What reaches a curriculum from the envs, in every mode: task requests, finished episodes, step batches.

One set of messages and one function that applies them (`deliver`), used by the trainer's `CurriculumHost` (serial
and parallel modes) and by the sync wrappers' curriculum servers (sf_curric/sync, other trainers), so a curriculum
gets exactly the same calls whichever route its envs take. Tasks travel encoded (small ints for finite spaces);
`deliver` decodes them with the caller's `decode` before the curriculum sees them.
"""

from __future__ import annotations

from typing import Any, Callable, List, NamedTuple

from sf_curric.curricula import syllabus_adapter


class TaskRequest(NamedTuple):
    """`requester` asks for `count` more tasks (a sync-wrapped env by its env id, a worker process by its index).

    Attributes:
        requester: who gets the tasks.
        count: how many.
    """

    requester: int
    count: int


class EpisodeUpdate(NamedTuple):
    """A finished episode of env `env_id` (task encoded).

    Attributes:
        env_id: the env.
        task: encoded task of the episode.
        episode_return: sum of its rewards (unscaled).
        length: its steps.
        progress: `info["task_completion"]` at its last step, or None.
        extra_stats: `info["episode_extra_stats"]` at its last step, or None.
    """

    env_id: int
    task: Any
    episode_return: float
    length: int
    progress: Any
    extra_stats: dict | None = None


class StepBatch(NamedTuple):
    """Consecutive steps of env `env_id`, column-wise (tasks encoded), for curricula that need step updates."""

    env_id: int
    tasks: List[Any]
    obs: List[Any]
    rewards: List[float]
    terminated: List[bool]
    truncated: List[bool]
    infos: List[dict]
    progresses: List[Any]


def episode_end(info: dict | None) -> tuple[float | None, dict | None]:
    """What the last step's `info` of a finished episode reports to curricula, read the same way on every route
    (trainer workers, multi-agent games, sync wrappers): `(task_completion as a float or None, episode_extra_stats
    or None)`."""
    if not info:
        return None, None
    completion = info.get("task_completion")
    return (None if completion is None else float(completion)), info.get("episode_extra_stats")


def deliver(curriculum: Any, msg: EpisodeUpdate | StepBatch, decode: Callable[[Any], Any]) -> None:
    """Give one finished episode (task progress, the episode, its extra stats) or one step batch to `curriculum`.

    Args:
        curriculum: the curriculum (any object with the `Curriculum` update methods or the seed hooks).
        msg: an `EpisodeUpdate` or a `StepBatch`.
        decode: turns an encoded task back into the task.
    """
    if isinstance(msg, EpisodeUpdate):
        task = decode(msg.task)
        # the one routing of episode feedback (seed hooks, either argument order): curricula/syllabus_adapter.py
        syllabus_adapter.deliver_episode(curriculum, msg.episode_return, msg.length, task, msg.progress, msg.env_id)
        if msg.extra_stats:
            on_extra = getattr(curriculum, "update_on_episode_extra_stats", None)  # not on plain seed-hook classes
            if on_extra is not None:
                on_extra(task, msg.extra_stats, env_id=msg.env_id)
    elif isinstance(msg, StepBatch):
        tasks = [decode(t) for t in msg.tasks]
        columns = (tasks, msg.obs, msg.rewards, msg.terminated, msg.truncated, msg.infos, msg.progresses)
        syllabus_adapter.deliver_step_batch(curriculum, columns, env_id=msg.env_id)
    else:
        raise TypeError(f"a curriculum takes EpisodeUpdate or StepBatch feedback, not a {type(msg).__name__}")
