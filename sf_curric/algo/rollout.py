"""`RolloutWorker`: steps a list of envs with a policy and fills one trajectory slot `[T, B]` per call.

The same class runs in the main process (serial mode) and in worker processes (asynchronous mode). It resets a
finished env itself, immediately (not gymnasium's vector autoreset), so `obs[t + 1]` is the first observation of
the next episode when `terminated[t] | truncated[t]`; on truncation the value of the final observation goes into
`final_values[t]` for bootstrapping. See docs/architecture.md for the trajectory layout.

`collect` is the one rollout loop (act, step the envs, bootstrap truncations) for single- and multi-agent envs:
`MultiAgentRolloutWorker` overrides only how the envs are stepped (`_step_envs`) and how actions reach them. What the
curriculum learns from the envs is appended to `self.outbox` (an `EpisodeSummary` per finished episode, or any
message type of `sf_curric.curricula.feedback`); `collect` hands the outbox over with the slot.
"""

from __future__ import annotations

import argparse
import inspect
import time
from typing import Any, Callable, Sequence

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces

from sf_curric.algo.env_guard import EnvGuard, check_same_spaces, observation_mismatch
from sf_curric.algo.training_info_board import TrainingInfoBoard
from sf_curric.curricula.feedback import EpisodeSummary, episode_end
from sf_curric.envs.training_info import set_training_info

# A task source (a task feed), called at every reset of env `env_id`: returns (encoded task for the trajectory,
# task for env.reset(new_task=)). Not PLR's `TaskSampler`, which scores and samples tasks inside a curriculum.
TaskSource = Callable[[int], tuple[int, Any]]

NO_TASK = -1
# the slot's fields a rollout writes at every step (numpy views of them are taken once per slot)
_STEP_FIELDS = ("obs", "rewards", "terminated", "truncated", "final_values", "values", "tasks", "valid")


_TAKES_NEW_TASK: dict[type, bool] = {}


def _takes_new_task(env: gym.Env) -> bool:
    """Whether `env.reset` accepts `new_task=` (a TaskWrapper / TaskEnv outermost, or a `**kwargs` reset)."""
    cls = type(env)
    if cls not in _TAKES_NEW_TASK:
        params = inspect.signature(env.reset).parameters.values()
        _TAKES_NEW_TASK[cls] = any(p.name == "new_task" or p.kind is p.VAR_KEYWORD for p in params)
    return _TAKES_NEW_TASK[cls]


def _action_shape_dtype(action_space: spaces.Space) -> tuple[tuple[int, ...], torch.dtype]:
    if isinstance(action_space, spaces.Discrete):
        return (), torch.int64
    if isinstance(action_space, spaces.MultiDiscrete):
        return tuple(action_space.shape), torch.int64
    if isinstance(action_space, spaces.Box):
        return tuple(action_space.shape), torch.float32
    raise ValueError(f"action space {action_space} is not supported: use Discrete, MultiDiscrete or Box")


def allocate_trajectory(
    rollout: int,
    num_envs: int,
    obs_space: spaces.Space,
    action_space: spaces.Space,
    rnn_state_size: int = 0,
    action_logits: bool = False,
) -> dict[str, torch.Tensor]:
    """Zeroed tensors for one trajectory slot with the layout of docs/architecture.md.

    Args:
        rollout: T, steps per env.
        num_envs: B, envs (columns).
        obs_space: a Box observation space.
        action_space: Discrete, MultiDiscrete or Box.
        rnn_state_size: H for recurrent models (0: no `rnn_states` key).
        action_logits: add `action_logits [T, B, n]` (Discrete actions only), which `RolloutWorker.collect` fills
            with the acting policy's logits, for curricula that score from them (`Curriculum.needs_action_logits`).

    Example:
        >>> env = gym.make("CartPole-v1")
        >>> allocate_trajectory(32, 8, env.observation_space, env.action_space)["obs"].shape
        torch.Size([33, 8, 4])
    """
    if not isinstance(obs_space, spaces.Box):
        raise ValueError(
            f"observation space {obs_space} is not supported: use a Box (e.g. gymnasium.wrappers.FlattenObservation)"
        )
    act_shape, act_dtype = _action_shape_dtype(action_space)
    obs_dtype = torch.from_numpy(np.zeros((), dtype=obs_space.dtype)).dtype
    t, b = rollout, num_envs
    traj = {
        "obs": torch.zeros((t + 1, b, *obs_space.shape), dtype=obs_dtype),
        "actions": torch.zeros((t, b, *act_shape), dtype=act_dtype),
        "log_probs": torch.zeros((t, b)),
        "values": torch.zeros((t + 1, b)),
        "rewards": torch.zeros((t, b)),
        "terminated": torch.zeros((t, b), dtype=torch.bool),
        "truncated": torch.zeros((t, b), dtype=torch.bool),
        "final_values": torch.zeros((t, b)),
        "policy_version": torch.zeros((t, b), dtype=torch.int64),
        "tasks": torch.full((t, b), NO_TASK, dtype=torch.int64),
        "env_ids": torch.zeros((b,), dtype=torch.int64),
        # False where a column holds no sample of the trained policy (multi-agent: an agent that finished or waits
        # for its turn, a self-play opponent): the learner leaves these out of the loss
        "valid": torch.ones((t, b), dtype=torch.bool),
    }
    if rnn_state_size:
        traj["rnn_states"] = torch.zeros((b, rnn_state_size))
    if action_logits:
        if not isinstance(action_space, spaces.Discrete):
            raise ValueError(f"action logits are stored for Discrete actions only, not {action_space}: use a value "
                             "strategy (e.g. --plr_strategy=value_l1)")  # fmt: skip
        traj["action_logits"] = torch.zeros((t, b, int(action_space.n)))
    return traj


class RolloutWorker:
    """Steps `envs` with `policy` and writes trajectories.

    Args:
        cfg: reads `--rollout`, `--reward_scale`, `--reward_clip`, `--seed`.
        envs: the envs this worker owns (columns of its trajectories, in order).
        policy: an `ActorCritic` (or anything with its `act`, `to_env_actions`, `initial_rnn_states`).
        env_ids: global index of each env (default 0..len(envs)-1); env `i` is seeded with `cfg.seed + env_ids[i]`.
        task_sampler: called at each reset of an env with its env id; returns `(encoded_task, task)`, and the env
            is reset with `reset(new_task=task)`. None: plain resets, tasks recorded as -1.

    Set `worker.env_guard` (an `EnvGuard`) to survive env exceptions: the env is rebuilt and its episode discarded.
    Without one, an env exception propagates.

    Example:
        >>> worker = RolloutWorker(cfg, [gym.make("CartPole-v1") for _ in range(4)], model)
        >>> traj = allocate_trajectory(cfg.rollout, 4, worker.obs_space, worker.action_space)
        >>> episodes = worker.collect(traj)
    """

    def __init__(
        self,
        cfg: argparse.Namespace,
        envs: Sequence[gym.Env],
        policy: Any,
        env_ids: Sequence[int] | None = None,
        task_sampler: TaskSource | None = None,
    ):
        if not envs:
            raise ValueError("RolloutWorker needs at least one env")
        self.cfg = cfg
        self.envs = list(envs)
        self.policy = policy
        self.num_envs = len(self.envs)
        self.env_ids = np.asarray(env_ids if env_ids is not None else range(self.num_envs), dtype=np.int64)
        if len(self.env_ids) != self.num_envs:
            raise ValueError(f"got {len(self.env_ids)} env_ids for {self.num_envs} envs: pass one id per env")
        self.task_sampler = task_sampler
        self.obs_space = self.envs[0].observation_space
        self.action_space = self.envs[0].action_space
        check_same_spaces(self.envs, self.env_ids)
        self.env_guard: EnvGuard | None = None
        self.rollout = int(cfg.rollout)
        self.reward_scale = float(cfg.reward_scale)
        self.reward_clip = float(cfg.reward_clip)

        self._obs: np.ndarray | None = None  # current observation of every env [B, *obs_shape]
        self._rnn_states: torch.Tensor | None = None
        self._tasks = np.full(self.num_envs, NO_TASK, dtype=np.int64)
        self._episode_return = np.zeros(self.num_envs, dtype=np.float64)
        self._episode_length = np.zeros(self.num_envs, dtype=np.int64)
        # training info comes from this board (worker processes: the runner's shared one, see worker.py)
        self.training_info_board = TrainingInfoBoard()
        self._training_info: dict[str, Any] | None = None  # the board's newest info, as envs receive it
        self._training_info_version = 0
        self.env_steps = 0  # env steps of this worker's envs so far
        self._env_training_info_version = np.zeros(self.num_envs, dtype=np.int64)
        self.timing: dict[str, float] = {"env_step": 0.0, "inference": 0.0}
        # what the curriculum learns from these envs, handed over with each slot (sf_curric.curricula.feedback)
        self.outbox: list[Any] = []

    # ---- training info -------------------------------------------------------------------------------------

    def set_training_info(self, training_info: dict[str, Any]) -> None:
        """Publish `training_info` on this worker's board; each env receives it before its next reset.

        Args:
            training_info: e.g. `{"approx_total_training_steps": 12345}`.
        """
        self.training_info_board.publish(training_info)

    def _give_training_info(self, i: int, env: Any) -> None:
        """Before a reset of column `i`'s env: give it the board's newest info if it has not seen it."""
        board = self.training_info_board
        if board.version == self._env_training_info_version[i]:
            return  # the common case: one shared-memory read
        version, info = board.read()
        if version != self._training_info_version:
            self._training_info = self._on_new_training_info(info)
            self._training_info_version = version
        set_training_info(env, self._training_info)
        self._env_training_info_version[i] = version

    def _on_new_training_info(self, info: dict[str, Any]) -> dict[str, Any]:
        """A newer training info was read from the board: returns what the envs receive (a subclass may act on it)."""
        return info

    def _reset_env(self, i: int, seed: int | None = None) -> Any:
        env = self.envs[i]
        self._give_training_info(i, env)
        kwargs: dict[str, Any] = {} if seed is None else {"seed": seed}
        if self.task_sampler is not None:
            encoded, task = self.task_sampler(int(self.env_ids[i]))
            self._tasks[i] = encoded
            if _takes_new_task(env):
                kwargs["new_task"] = task
            else:  # outer wrappers without `new_task` pass options on to the TaskWrapper inside
                kwargs["options"] = {"new_task": task}
        obs, _ = env.reset(**kwargs)
        return obs

    def reset(self) -> None:
        """First reset of every env (seeded with `cfg.seed + env_id` when `--seed` is set)."""
        seed = getattr(self.cfg, "seed", None)
        first = []
        for i, env in enumerate(self.envs):
            env_seed = None if seed is None else int(seed) + int(self.env_ids[i])
            if env_seed is not None:
                env.action_space.seed(env_seed)
            first.append(self._guarded_reset(i, env_seed))
        self._obs = np.stack([np.asarray(o, dtype=self.obs_space.dtype) for o in first])
        self._rnn_states = self.policy.initial_rnn_states(self.num_envs)
        self._episode_return[:] = 0.0
        self._episode_length[:] = 0

    # ---- what EnvGuard asks of a worker (env_guard.py) ------------------------------------------------------

    def episode_so_far(self, i: int) -> tuple[int, int, int]:
        """`(env_id, encoded task, steps)` of the running episode of column `i` (for error messages)."""
        return int(self.env_ids[i]), int(self._tasks[i]), int(self._episode_length[i])

    def discard_episode(self, i: int) -> None:
        """Forget the running episode of column `i`: it is never reported (its env failed)."""
        self._episode_return[i] = 0.0
        self._episode_length[i] = 0

    def replace_env(self, i: int, env: gym.Env) -> Any:
        """Put the fresh `env` in column `i` (same spaces as the run's, else `EnvSpaceError`) and reset it with a
        new task; returns its first observation."""
        check_same_spaces([env], [int(self.env_ids[i])], self.obs_space, self.action_space)
        self.envs[i] = env
        return self._reset_env(i)

    def _guarded_reset(self, i: int, seed: int | None = None) -> Any:
        try:
            return self._reset_env(i, seed)
        except Exception as exc:  # noqa: BLE001 - the guard rebuilds the env or stops the worker (env_guard.py)
            if self.env_guard is None:
                raise
            return self.env_guard.recover(self, i, exc, "reset")

    # ---- the hot path --------------------------------------------------------------------------------------

    @torch.no_grad()
    def collect(self, traj: dict[str, torch.Tensor], policy_version: int = 0) -> list[Any]:
        """Step every env `T` times and write the trajectory slot `traj` (tensors on the CPU).

        Args:
            traj: one slot from `allocate_trajectory(T, len(envs), ...)` (or views of shared memory).
            policy_version: learner version of the policy's weights, recorded per step (a policy with an
                `acting_version` attribute, such as the central server's `RemotePolicy`, gives each step's own).

        Returns:
            The outbox: the feedback for the curriculum gathered during these `T` steps (an `EpisodeSummary` for
            every episode that ended).
        """
        if self._obs is None:
            self.reset()
        policy = self.policy
        self.env_steps += self.num_envs * self.rollout  # counted ahead; env_guard.py measures error rates in env steps
        views = self._begin_rollout(traj, policy_version)
        final_values, tasks = views["final_values"], views["tasks"]
        env_time = inference_time = 0.0
        # a central inference server (RemotePolicy) may change weights between two steps: record each step's version
        per_step_version = hasattr(policy, "acting_version")
        logits = traj.get("action_logits")  # only when the curriculum scores from them

        for t in range(self.rollout):
            start = time.perf_counter()
            if logits is None:
                result = policy.act(traj["obs"][t], self._rnn_states)
            else:
                result = policy.act(traj["obs"][t], self._rnn_states, logits_out=logits[t])
            traj["actions"][t] = result.actions
            traj["log_probs"][t] = result.log_probs
            traj["values"][t] = result.values
            if per_step_version:
                traj["policy_version"][t] = policy.acting_version
            actions = self._env_actions(result.actions, views["obs"][t])
            # cloned: rows of envs that reset are zeroed below, the final values need the states before that
            next_states = None if result.rnn_states is None else result.rnn_states.clone()
            tasks[t] = self._tasks
            mid = time.perf_counter()
            inference_time += mid - start

            truncated_ids, truncated_obs = self._step_envs(views, t, actions, next_states)
            env_time += time.perf_counter() - mid

            if truncated_ids:
                final_values[t, truncated_ids] = self._final_values(truncated_ids, truncated_obs, result.rnn_states)
            self._rnn_states = next_states

        self._finish_rollout(traj, views["obs"][self.rollout], policy, env_time, inference_time)
        feedback, self.outbox = self.outbox, []
        return feedback

    def _begin_rollout(self, traj: dict[str, torch.Tensor], policy_version: int) -> dict[str, np.ndarray]:
        """Per-slot fields that do not change step by step and the first observation; returns numpy views of the
        per-step fields the envs' results go into (taken once per slot: they are written at every step)."""
        traj["env_ids"].copy_(torch.from_numpy(self.env_ids))
        traj["policy_version"].fill_(policy_version)
        traj["valid"].fill_(True)
        traj["final_values"].fill_(0.0)
        if self._rnn_states is not None:
            traj["rnn_states"].copy_(self._rnn_states)
        views = {k: traj[k].numpy() for k in _STEP_FIELDS}
        views["obs"][0] = self._obs
        return views

    def _env_actions(self, actions: torch.Tensor, obs: np.ndarray) -> Any:
        """What `env.step` takes, one per column, from the policy's actions (`obs`: the columns' observations)."""
        env_actions = self.policy.to_env_actions(actions)
        if isinstance(self.action_space, spaces.Discrete):
            return env_actions.tolist()  # python ints: Discrete.contains() checks them much faster than np.int64
        return env_actions

    def _step_envs(
        self, views: dict[str, np.ndarray], t: int, actions: Any, next_states: torch.Tensor | None
    ) -> tuple[list[int], list[Any]]:
        """Step every env once (step `t` of the slot): rewards, episode ends, resets, `obs[t + 1]`, the outbox.

        Args:
            views: numpy views of the slot's per-step fields (`_begin_rollout`).
            t: the step.
            actions: one env action per column (`_env_actions`).
            next_states: recurrent states after this step (rows of envs that reset are zeroed here), or None.

        Returns:
            `(columns, final observations)` of the episodes truncated at this step (their values bootstrap them).
        """
        envs, final_values = self.envs, views["final_values"]
        next_obs = views["obs"][t + 1]
        step_rewards, step_terminated, step_truncated = (
            views["rewards"][t],
            views["terminated"][t],
            views["truncated"][t],
        )
        episode_return, episode_length = self._episode_return, self._episode_length
        truncated_ids: list[int] = []
        truncated_obs: list[Any] = []
        for i in range(self.num_envs):
            try:
                obs, reward, term, trunc, info = envs[i].step(actions[i])
            except Exception as exc:  # noqa: BLE001 - the guard rebuilds the env or stops the worker
                if self.env_guard is None:
                    raise
                # the episode is discarded: cut it here (truncated, reward 0, bootstrap from the last value)
                next_obs[i] = self.env_guard.recover(self, i, exc, "step")
                step_rewards[i] = 0.0
                step_terminated[i] = False
                step_truncated[i] = True
                final_values[t, i] = views["values"][t, i]
                if next_states is not None:
                    next_states[i] = 0.0
                continue
            step_rewards[i] = reward
            episode_return[i] += reward
            episode_length[i] += 1
            if term or trunc:
                step_terminated[i] = term
                step_truncated[i] = trunc and not term
                if trunc and not term:
                    truncated_ids.append(i)
                    truncated_obs.append(obs)
                completion, extra = episode_end(info)
                self.outbox.append(
                    EpisodeSummary(
                        int(self.env_ids[i]), float(episode_return[i]), int(episode_length[i]), int(self._tasks[i]),
                        bool(term), completion, extra,
                    )
                )  # fmt: skip
                episode_return[i] = 0.0
                episode_length[i] = 0
                obs = self._guarded_reset(i)
                if next_states is not None:
                    next_states[i] = 0.0
            else:
                step_terminated[i] = False
                step_truncated[i] = False
            try:
                next_obs[i] = obs
            except ValueError:
                raise observation_mismatch(int(self.env_ids[i]), int(self._tasks[i]), obs, self.obs_space) from None
        return truncated_ids, truncated_obs

    def _finish_rollout(
        self, traj: dict[str, Any], last_obs: np.ndarray, policy: Any, env_time: float, inference_time: float
    ) -> None:
        """Bootstrap values of the observation after the last step, reward scaling and clipping, phase times (shared
        with the multi-agent worker)."""
        start = time.perf_counter()
        self._obs = last_obs.copy()
        rollout = traj["rewards"].shape[0]
        traj["values"][rollout] = policy.act(traj["obs"][rollout], self._rnn_states).values
        rewards = traj["rewards"].numpy()
        if self.reward_scale != 1.0:
            rewards *= self.reward_scale
        # clipping would turn an inf reward into a finite one: make it NaN so the learner skips the batch (counted)
        rewards[np.isinf(rewards)] = np.nan
        np.clip(rewards, -self.reward_clip, self.reward_clip, out=rewards)
        self.timing["env_step"] += env_time
        self.timing["inference"] += inference_time + time.perf_counter() - start

    def _final_values(self, ids: list[int], final_obs: list[Any], states_after: torch.Tensor | None) -> np.ndarray:
        """Values of the final observations of truncated episodes (one batched forward pass)."""
        obs = np.stack([np.asarray(o, dtype=self.obs_space.dtype) for o in final_obs])
        states = None
        if states_after is not None:
            # the recurrent state after the last step of the episode, before it was zeroed for the reset
            states = states_after[ids]
        return self.policy.act(obs, states).values.cpu().numpy()

    def close(self) -> None:
        """Close every env."""
        for env in self.envs:
            env.close()
