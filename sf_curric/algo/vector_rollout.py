"""`VectorRolloutWorker`: the rollout loop over one batched env whose columns are a worker's envs.

The batched env is a gymnasium `VectorEnv` with autoreset disabled (`metadata["autoreset_mode"] ==
AutoresetMode.DISABLED`): `step(actions)` steps every column at once and leaves a finished column's final
observation in place; `reset(seed=..., options={"reset_mask": mask, "new_tasks": [...]})` restarts the masked
columns, each on its own task (one per True entry of the mask, from the curriculum's task feed; absent without a
curriculum). Infos are gymnasium's vector form: `infos["task_completion"]` with its `_task_completion` mask, read
for the columns whose episode ended. `register_env(name, make_env_fn, vector_env=fn)` gives an env this form
(`fn(num_envs)` builds it); `--batched_envs=False` steps the single envs instead. docs/ued_maze.md has the recipe.

The loop is `RolloutWorker.collect`; this worker overrides the first reset, how the envs are stepped (one call) and
how truncated columns are bootstrapped (their final observations are already a batch). An exception inside the
batched env stops the worker (the env guard rebuilds single envs, not a batch).
"""

from __future__ import annotations

import argparse
from typing import Any, Sequence

import numpy as np
import torch
from gymnasium.vector import AutoresetMode

from sf_curric.algo.rollout import RolloutWorker, TaskSource
from sf_curric.curricula.feedback import EpisodeSummary
from sf_curric.envs.task_env_error import TaskEnvError
from sf_curric.envs.training_info import set_training_info
from sf_curric.model.obs_batch import obs_index, obs_map, write_obs


def check_vector_env(vector_env: Any) -> None:
    """Raise `TaskEnvError` unless `vector_env` is a batched env this worker can drive (see the module docstring)."""
    mode = getattr(vector_env, "metadata", {}).get("autoreset_mode")
    missing = [a for a in ("num_envs", "single_observation_space", "single_action_space") if not hasattr(vector_env, a)]
    if missing or mode not in (AutoresetMode.DISABLED, AutoresetMode.DISABLED.value):
        raise TaskEnvError(
            f"the batched env {type(vector_env).__name__} must be a gymnasium VectorEnv with "
            f"metadata['autoreset_mode'] = AutoresetMode.DISABLED (it has {mode!r}"
            + (f", and lacks {', '.join(missing)}" if missing else "")
            + "); or run with --batched_envs=False"
        )


class VectorRolloutWorker(RolloutWorker):
    """Steps one batched env (`num_envs` columns) with `policy` and writes trajectories.

    Args:
        cfg: reads `--rollout`, `--reward_scale`, `--reward_clip`, `--seed`.
        vector_env: the batched env (see the module docstring).
        policy: an `ActorCritic` (or anything with its `act`, `to_env_actions`, `initial_rnn_states`).
        env_ids: global index of each column (default 0..num_envs-1); column `i` is seeded with `cfg.seed + env_ids[i]`.
        task_sampler: called at each reset of a column with its env id; returns `(encoded_task, task)`.

    Example:
        >>> worker = VectorRolloutWorker(cfg, UedMazeVector(32), model)
        >>> traj = allocate_trajectory(cfg.rollout, 32, worker.obs_space, worker.action_space, model.rnn_state_size)
        >>> feedback = worker.collect(traj)
    """

    def __init__(
        self,
        cfg: argparse.Namespace,
        vector_env: Any,
        policy: Any,
        env_ids: Sequence[int] | None = None,
        task_sampler: TaskSource | None = None,
    ):
        check_vector_env(vector_env)
        self.vector_env = vector_env
        self.envs = []  # no single envs: every column lives in the batched env
        self._init_columns(cfg, policy, int(vector_env.num_envs), env_ids, task_sampler)
        self.obs_space = vector_env.single_observation_space
        self.action_space = vector_env.single_action_space

    def _reset_columns(self, mask: np.ndarray, seed: Any = None) -> Any:
        """Reset the columns of `mask` on the task feed's next tasks; returns the observations of all columns."""
        self._give_training_info_to_batch()
        options: dict[str, Any] = {"reset_mask": mask}
        if self.task_sampler is not None:
            tasks = []
            for i in np.flatnonzero(mask):
                self._tasks[i], task = self.task_sampler(int(self.env_ids[i]))
                tasks.append(task)
            options["new_tasks"] = tasks
        obs, _ = self.vector_env.reset(seed=seed, options=options)
        return obs

    def _give_training_info_to_batch(self) -> None:
        """Before resets: the board's newest info to the batched env (all columns share it)."""
        board = self.training_info_board
        if board.version == self._training_info_version:
            return
        version, info = board.read()
        self._training_info = self._on_new_training_info(info)
        self._training_info_version = version
        set_training_info(self.vector_env, self._training_info)

    def reset(self) -> None:
        """First reset of every column (seeded with `cfg.seed + env_id` when `--seed` is set)."""
        seed = getattr(self.cfg, "seed", None)
        seeds = None if seed is None else [int(seed) + int(env_id) for env_id in self.env_ids]
        obs = self._reset_columns(np.ones(self.num_envs, dtype=bool), seeds)
        self._obs = obs_map(np.array, obs)
        self._rnn_states = self.policy.initial_rnn_states(self.num_envs)
        self._episode_return[:] = 0.0
        self._episode_length[:] = 0

    def _env_actions(self, actions: torch.Tensor, obs: Any) -> Any:
        return self.policy.to_env_actions(actions)  # one array for the whole batch

    def _step_envs(
        self, views: dict[str, Any], t: int, actions: Any, next_states: torch.Tensor | None
    ) -> tuple[list[int], Any]:
        """Step the batched env once (step `t` of the slot); see `RolloutWorker._step_envs`."""
        try:
            obs, rewards, terminated, truncated, infos = self.vector_env.step(actions)
        except Exception as exc:  # noqa: BLE001 - one line naming the batched env, the worker stops
            raise RuntimeError(
                f"the batched env {type(self.vector_env).__name__} of envs {self.env_ids[0]}..{self.env_ids[-1]} "
                f"raised in step: {exc!r}"
            ) from exc
        terminated = np.asarray(terminated, dtype=bool)
        truncated = np.asarray(truncated, dtype=bool) & ~terminated
        views["rewards"][t] = rewards
        views["terminated"][t] = terminated
        views["truncated"][t] = truncated
        self._episode_return += rewards
        self._episode_length += 1
        ended = terminated | truncated
        truncated_ids = np.flatnonzero(truncated).tolist()
        final_obs = obs_map(np.array, obs_index(obs, truncated_ids)) if truncated_ids else None
        if ended.any():
            self._report_episodes(np.flatnonzero(ended), terminated, infos)
            obs = self._reset_columns(ended)
            if next_states is not None:
                next_states[torch.from_numpy(ended)] = 0.0
        write_obs(obs_index(views["obs"], t + 1), slice(None), obs)
        return truncated_ids, final_obs

    def _report_episodes(self, columns: np.ndarray, terminated: np.ndarray, infos: dict) -> None:
        completion = infos.get("task_completion")
        has_completion = infos.get("_task_completion", np.ones(self.num_envs, dtype=bool))
        for i in columns.tolist():
            self.outbox.append(
                EpisodeSummary(
                    int(self.env_ids[i]), float(self._episode_return[i]), int(self._episode_length[i]),
                    int(self._tasks[i]), bool(terminated[i]),
                    float(completion[i]) if completion is not None and has_completion[i] else None, None,
                )
            )  # fmt: skip
            self._episode_return[i] = 0.0
            self._episode_length[i] = 0

    def _final_values(self, ids: list[int], final_obs: Any, states_after: torch.Tensor | None) -> np.ndarray:
        states = None if states_after is None else states_after[ids]
        return self.policy.act(final_obs, states).values.cpu().numpy()

    def close(self) -> None:
        """Close the batched env."""
        self.vector_env.close()
