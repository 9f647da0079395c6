"""What reaches a curriculum, in every mode: typed messages, and one table from message type to handler.

Rollout workers (serial and parallel, single- and multi-agent) append these messages to one outbox that rides their
trajectory slot; a training batch carries one `feedback` list, which the trainer's `CurriculumHost` delivers message
by message with `deliver`, after the step batches it builds from the trajectory and the learner's `LearnerFeedback`.
The sync wrappers' curriculum servers (sf_curric/sync, other trainers) deliver the same messages with the same
`deliver`, so a curriculum gets exactly the same calls whichever route its envs take. Tasks travel encoded (small
ints for finite spaces); a handler decodes them with the caller's `decode` before the curriculum sees them.

A new kind of message is its type, its handler and the line that emits it:

    >>> class ResetSeconds(NamedTuple):
    ...     env_id: int
    ...     task: int
    ...     seconds: float
    >>> @handles(ResetSeconds)
    ... def _reset_seconds(curriculum, msg, decode):
    ...     curriculum.update_on_reset_seconds(decode(msg.task), msg.seconds)

and, in the rollout worker where the number is known, `self.outbox.append(ResetSeconds(env_id, code, seconds))`.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, NamedTuple

from sf_curric.curricula import syllabus_adapter
from sf_curric.curricula.learner_feedback import LearnerFeedback

Decode = Callable[[Any], Any]
Handler = Callable[[Any, Any, Decode], None]


class TaskRequest(NamedTuple):
    """`requester` asks for `count` more tasks (a sync-wrapped env by its env id, a worker process by its index).

    Attributes:
        requester: who gets the tasks.
        count: how many.
    """

    requester: int
    count: int


class EpisodeSummary(NamedTuple):
    """One finished episode, as a rollout worker or a sync wrapper reports it (task encoded).

    The runner's episode statistics read it too (returns, lengths, task completion, custom metrics).

    Attributes:
        env_id: global index of the env (a multi-agent column: the agent's).
        episode_return: sum of the env's rewards (before `--reward_scale` / `--reward_clip`).
        episode_length: steps in the episode.
        task: encoded task of the episode (-1 without a curriculum).
        terminated: the episode ended in a terminal state (False: it was truncated).
        task_completion: `info["task_completion"]` at the last step, when the env reports it.
        extra_stats: `info["episode_extra_stats"]` at the last step (nested dicts allowed), when present.
    """

    env_id: int
    episode_return: float
    episode_length: int
    task: Any
    terminated: bool
    task_completion: float | None
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


# message type -> the function that gives it to a curriculum
HANDLERS: Dict[type, Handler] = {}


def handles(msg_type: type) -> Callable[[Handler], Handler]:
    """Decorator: make `handler(curriculum, msg, decode)` the delivery of messages of type `msg_type`."""

    def register(handler: Handler) -> Handler:
        HANDLERS[msg_type] = handler
        return handler

    return register


def deliver(curriculum: Any, msg: Any, decode: Decode) -> None:
    """Give one message to `curriculum` with the handler of its type.

    Args:
        curriculum: the curriculum (any object with the `Curriculum` hooks or Syllabus's seed hooks).
        msg: an `EpisodeSummary`, a `StepBatch`, a `LearnerFeedback` or a message type registered with `handles`.
        decode: turns an encoded task back into the task.
    """
    handler = HANDLERS.get(type(msg))
    if handler is None:
        known = ", ".join(t.__name__ for t in HANDLERS)
        raise TypeError(
            f"a curriculum takes {known} messages, not a {type(msg).__name__}: register its handler with "
            "sf_curric.curricula.feedback.handles"
        )
    handler(curriculum, msg, decode)


@handles(EpisodeSummary)
def _episode(curriculum: Any, msg: EpisodeSummary, decode: Decode) -> None:
    """Task progress (when reported), the episode, then its extra stats, through Syllabus's routing (seed hooks and
    either argument order: curricula/syllabus_adapter.py)."""
    task = decode(msg.task)
    syllabus_adapter.deliver_episode(
        curriculum, msg.episode_return, msg.episode_length, task, msg.task_completion, msg.env_id
    )
    if msg.extra_stats:
        on_extra = getattr(curriculum, "update_on_episode_extra_stats", None)  # not on plain seed-hook classes
        if on_extra is not None:
            on_extra(task, msg.extra_stats, env_id=msg.env_id)


@handles(StepBatch)
def _step_batch(curriculum: Any, msg: StepBatch, decode: Decode) -> None:
    tasks = [decode(t) for t in msg.tasks]
    columns = (tasks, msg.obs, msg.rewards, msg.terminated, msg.truncated, msg.infos, msg.progresses)
    syllabus_adapter.deliver_step_batch(curriculum, columns, env_id=msg.env_id)


@handles(LearnerFeedback)
def _learner_batch(curriculum: Any, msg: LearnerFeedback, decode: Decode) -> None:
    curriculum.update_on_learner_batch(msg)  # tasks stay encoded: PLR and ACCEL score by index
