"""Double-buffered sampling (`--worker_num_splits` > 1 with central inference): a worker's envs in groups.

Each group is a `ProcessRolloutWorker` over its own envs with its own `RemotePolicy` (its own pipe and rows to the
inference server), and fills its own columns of the trajectory slot. `SplitRolloutWorker.collect` runs the groups'
`collect` in one thread each: while one group waits for its actions (the GIL is released while it waits on its
pipe), another steps its envs, so the worker's core keeps stepping envs during the server's forward passes. Env steps
of the groups never run at the same time (the GIL), so a worker still uses about one core.

Training info and curriculum tasks reach all groups through one lock each: the worker's control queue and task feed
are read by one group at a time, and training info read by any group is given to every group.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np
import torch

from sf_curric.algo.parallel.shared_buffers import PER_ENV_KEYS
from sf_curric.algo.rollout import EpisodeSummary


def split_columns(num_envs: int, num_splits: int) -> list[slice]:
    """Column ranges of `min(num_splits, num_envs)` groups of nearly equal size (the first ones one larger).

    Args:
        num_envs: envs of the worker.
        num_splits: `--worker_num_splits`.

    Example:
        >>> split_columns(5, 2)
        [slice(0, 3, None), slice(3, 5, None)]
    """
    sizes = [len(part) for part in np.array_split(np.arange(num_envs), min(num_splits, num_envs))]
    starts = np.cumsum([0, *sizes])
    return [slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:])]


class _GuardTotals:
    """`env_guard.num_errors` over all groups (what the worker loop reports)."""

    def __init__(self, groups: list[Any]):
        self._groups = groups

    @property
    def num_errors(self) -> int:
        return sum(g.env_guard.num_errors for g in self._groups)


class _LockedTaskSampler:
    """One task feed shared by the groups' threads."""

    def __init__(self, sampler: Callable[[int], tuple[int, Any]]):
        self._sampler = sampler
        self._lock = threading.Lock()

    def __call__(self, env_id: int) -> tuple[int, Any]:
        with self._lock:
            return self._sampler(env_id)


class SplitRolloutWorker:
    """`ProcessRolloutWorker`s over disjoint env groups that fill one trajectory slot together, one thread each.

    Offers what the worker loop uses of a `ProcessRolloutWorker`: `collect`, `timing`, `env_guard.num_errors`,
    `poll_training_info`, `task_sampler`, `attach_control`, `num_envs`, `close`.

    Args:
        groups: one `ProcessRolloutWorker` per group, in column order; the first one reads the control queue,
            the others get the training info it reads.
        columns: each group's columns of the slot (see `split_columns`).
    """

    def __init__(self, groups: list[Any], columns: list[slice]):
        if len(groups) != len(columns):
            raise ValueError(f"{len(groups)} groups for {len(columns)} column ranges: pass one range per group")
        self.groups = groups
        self.columns = columns
        self.num_envs = sum(g.num_envs for g in groups)
        self.env_guard = _GuardTotals(groups)
        # seconds per phase summed over the groups (their waits for actions overlap the other groups' steps)
        self.timing: dict[str, float] = {}
        self._task_sampler: Callable[[int], tuple[int, Any]] | None = None
        self._info_lock = threading.Lock()
        for g in groups:
            g.poll_training_info = self.poll_training_info  # every group's resets go through the shared poll

    def attach_control(self, control_queue: Any, counter_view: np.ndarray) -> None:
        """See `ProcessRolloutWorker.attach_control` (the first group reads the queue)."""
        self.groups[0].attach_control(control_queue, counter_view)

    @property
    def task_sampler(self) -> Callable[[int], tuple[int, Any]] | None:
        """The worker's task feed, shared by the groups behind a lock."""
        return self._task_sampler

    @task_sampler.setter
    def task_sampler(self, sampler: Callable[[int], tuple[int, Any]] | None) -> None:
        self._task_sampler = sampler
        locked = None if sampler is None else _LockedTaskSampler(sampler)
        for g in self.groups:
            g.task_sampler = locked

    def poll_training_info(self) -> None:
        """Read the newest training info from the control queue (first group) and give it to every group."""
        with self._info_lock:
            leader = self.groups[0]
            before = leader._training_info_version
            type(leader).poll_training_info(leader)
            if leader._training_info_version != before:
                for g in self.groups[1:]:
                    g.set_training_info(leader._training_info)

    def collect(self, traj: dict[str, torch.Tensor], policy_version: int = 0) -> list[EpisodeSummary]:
        """Fill slot `traj`: each group its own columns, in its own thread.

        Args:
            traj: one trajectory slot for all the worker's envs.
            policy_version: passed to each group's `collect` (central inference records each step's own).

        Returns:
            The episodes that ended in any group.
        """
        results: list[list[EpisodeSummary] | None] = [None] * len(self.groups)
        errors: list[BaseException] = []
        before = [dict(g.timing) for g in self.groups]

        def run(j: int) -> None:
            cols = self.columns[j]
            view = {k: (t[cols] if k in PER_ENV_KEYS else t[:, cols]) for k, t in traj.items()}
            try:
                results[j] = self.groups[j].collect(view, policy_version)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the worker's main thread below
                errors.append(exc)

        threads = [
            threading.Thread(target=run, args=(j,), name=f"sf_curric-group-{j}") for j in range(1, len(self.groups))
        ]
        for t in threads:
            t.start()
        run(0)
        for t in threads:
            t.join()
        for g, previous in zip(self.groups, before):
            for phase, seconds in g.timing.items():
                self.timing[phase] = self.timing.get(phase, 0.0) + seconds - previous.get(phase, 0.0)
        if errors:
            raise errors[0]
        return [ep for group in results for ep in group or []]

    def close(self) -> None:
        """Close every group's envs."""
        for g in self.groups:
            g.close()


def make_central_rollout_worker(
    channels: list[Any],
    cfg: Any,
    envs: list[Any],
    model: Any,
    env_ids: list[int],
    make_guard: Callable[[int], Any],
    should_stop: Callable[[], bool],
    wrap_policy: Callable[[Any], Any] = lambda policy: policy,
) -> Any:
    """The rollout worker of a worker process with central inference: one `ProcessRolloutWorker` with a
    `RemotePolicy`, or with several channels (`--worker_num_splits`) a `SplitRolloutWorker` of one per group.

    Args:
        channels: the worker's `InferenceChannel`s, one per env group.
        cfg: the run's config.
        envs: the worker's envs, in column order.
        model: a local `ActorCritic` (for `to_env_actions` and `initial_rnn_states` only).
        env_ids: global ids of `envs`.
        make_guard: `make_guard(offset)` -> the `EnvGuard` of a group whose first env is `envs[offset]`.
        should_stop: see `RemotePolicy`.
        wrap_policy: applied to each group's `RemotePolicy` (the worker process adds its heartbeat).
    """
    from sf_curric.algo.parallel.central_inference import RemotePolicy
    from sf_curric.algo.parallel.worker import ProcessRolloutWorker

    columns = split_columns(len(envs), len(channels))
    if len(columns) != len(channels):
        raise ValueError(f"{len(channels)} inference channels for {len(columns)} env groups: one per group")
    groups = []
    for channel, cols in zip(channels, columns):
        group = ProcessRolloutWorker(
            cfg, envs[cols], wrap_policy(RemotePolicy(channel, model, should_stop)), env_ids[cols]
        )
        group.env_guard = make_guard(cols.start)
        groups.append(group)
    return groups[0] if len(groups) == 1 else SplitRolloutWorker(groups, columns)
