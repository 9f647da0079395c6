"""Double-buffered sampling (`--worker_num_splits` > 1 with central inference): a worker's envs in groups.

Each group is a `RolloutWorker` over its own envs with its own `RemotePolicy` (its own pipe and rows to the
inference server), and fills its own columns of the trajectory slot. `SplitRolloutWorker.collect` runs the groups'
`collect` in one thread each: while one group waits for its actions (the GIL is released while it waits on its
pipe), another steps its envs, so the worker's core keeps stepping envs during the server's forward passes. Env steps
of the groups never run at the same time (the GIL), so a worker still uses about one core.

Every group reads the runner's `TrainingInfoBoard` itself before its envs' resets, and takes tasks from the worker's
one `TaskFeed` (which serves several threads).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np
import torch

from sf_curric.algo.env_guard import EnvGuard
from sf_curric.algo.parallel.central_inference import RemotePolicy
from sf_curric.algo.parallel.shared_buffers import PER_ENV_KEYS
from sf_curric.algo.rollout import RolloutWorker, TaskSource
from sf_curric.algo.training_info_board import TrainingInfoBoard
from sf_curric.cfg.validation import ConfigError


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


class SplitRolloutWorker:
    """`RolloutWorker`s over disjoint env groups that fill one trajectory slot together, one thread each.

    Offers what the worker loop uses of a `RolloutWorker`: `collect`, `timing`, `env_guard.num_errors`,
    `task_sampler`, `training_info_board`, `num_envs`, `close`.

    Args:
        groups: one `RolloutWorker` per group, in column order.
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

    @property
    def task_sampler(self) -> TaskSource | None:
        """The worker's task feed, shared by the groups (a `TaskFeed` serves several threads)."""
        return self.groups[0].task_sampler

    @task_sampler.setter
    def task_sampler(self, sampler: TaskSource | None) -> None:
        for g in self.groups:
            g.task_sampler = sampler

    @property
    def training_info_board(self) -> TrainingInfoBoard:
        """The board every group reads before its envs' resets (each group keeps its own view of what it gave)."""
        return self.groups[0].training_info_board

    @training_info_board.setter
    def training_info_board(self, board: TrainingInfoBoard) -> None:
        for g in self.groups:
            g.training_info_board = board

    def collect(self, traj: dict[str, torch.Tensor], policy_version: int = 0) -> list[Any]:
        """Fill slot `traj`: each group its own columns, in its own thread.

        Args:
            traj: one trajectory slot for all the worker's envs.
            policy_version: passed to each group's `collect` (central inference records each step's own).

        Returns:
            The groups' outboxes, in group order (an `EpisodeSummary` per episode that ended in any group).
        """
        results: list[list[Any] | None] = [None] * len(self.groups)
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
    """The rollout worker of a worker process with central inference: one `RolloutWorker` with a
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
    columns = split_columns(len(envs), len(channels))
    if len(columns) != len(channels):
        raise ValueError(f"{len(channels)} inference channels for {len(columns)} env groups: one per group")
    groups = []
    for channel, cols in zip(channels, columns):
        group = RolloutWorker(cfg, envs[cols], wrap_policy(RemotePolicy(channel, model, should_stop)), env_ids[cols])
        group.env_guard = make_guard(cols.start)
        groups.append(group)
    return groups[0] if len(groups) == 1 else SplitRolloutWorker(groups, columns)


def make_central_multi_agent_worker(
    channels: list[Any],
    cfg: Any,
    worker: Any,
    model: Any,
    env_ids: list[int],
    should_stop: Callable[[], bool],
    wrap_policy: Callable[[Any], Any] = lambda policy: policy,
) -> Any:
    """Multi-agent games with central inference: one group of whole games per inference channel.

    Args:
        channels: the worker's `InferenceChannel`s, one per group.
        cfg: the run's config.
        worker: the `MultiAgentRolloutWorker` built over all the worker's games (its games are shared out).
        model: a local `ActorCritic` (spaces, `to_env_actions`, `initial_rnn_states`).
        env_ids: global column ids of `worker`.
        should_stop: see `RemotePolicy`.
        wrap_policy: applied to each group's `RemotePolicy` (the worker process adds its heartbeat).
    """
    from sf_curric.algo.self_play import worker_opponents

    n = worker.agents_per_game
    columns = split_columns(worker.num_envs, len(channels))
    if any(cols.start % n or cols.stop % n for cols in columns):
        raise ConfigError(
            f"--worker_num_splits={len(channels)} cuts a game of {n} agents in two: split the {worker.num_envs} "
            f"columns of a worker into whole games (e.g. --worker_num_splits=1)"
        )
    groups = []
    for channel, cols in zip(channels, columns):
        policy = wrap_policy(RemotePolicy(channel, model, should_stop))
        opponents = worker_opponents(cfg, model.obs_space, model.action_space)  # one per group: groups are threads
        games = worker.games[cols.start // n : cols.stop // n]
        group = type(worker)(cfg, games, policy, env_ids[cols], None, opponents)
        group.env_guard = EnvGuard(lambda i: None, cfg.max_env_errors)  # games are not rebuilt: it counts 0
        groups.append(group)
    return groups[0] if len(groups) == 1 else SplitRolloutWorker(groups, columns)
