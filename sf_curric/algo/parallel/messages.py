"""Small typed messages that cross process boundaries (arrays stay in shared memory)."""

from typing import Any, Dict, List, NamedTuple


class TrajectoryReady(NamedTuple):
    """A worker filled one trajectory slot.

    Args:
        worker_idx: index of the worker process that filled the slot.
        slot: index of the slot in the shared trajectory buffers.
        env_steps: env steps stored in the slot (rollout length times envs).
        policy_version: learner version of the weights that acted (the oldest one in the slot: with central
            inference the version can change between two steps; the slot's `policy_version` has each step's).
        feedback: the worker's outbox for this slot: messages for the curriculum (an `EpisodeSummary` per episode
            that ended during the rollout; sf_curric.curricula.feedback).
        timing: seconds spent by the worker in each phase since its previous message.
        env_errors: env exceptions survived by the worker since its previous message (see algo/env_guard.py).
    """

    worker_idx: int
    slot: int
    env_steps: int
    policy_version: int
    feedback: List[Any]
    timing: Dict[str, float]
    env_errors: int = 0


class WorkerFailed(NamedTuple):
    """A worker process stopped on an exception; the runner re-raises it as a RuntimeError.

    Args:
        worker_idx: index of the worker process.
        error: one-line description of the exception.
        traceback: the formatted traceback from the worker.
        user_error: the exception was a ConfigError (bad input): the runner re-raises it as one line.
    """

    worker_idx: int
    error: str
    traceback: str
    user_error: bool = False


class WorkerStarted(NamedTuple):
    """A worker built its envs and is ready to sample.

    Args:
        worker_idx: index of the worker process.
        pid: its process id.
    """

    worker_idx: int
    pid: int
