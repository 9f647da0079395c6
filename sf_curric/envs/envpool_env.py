"""EnvPool as an env backend: `--env=envpool:CartPole-v1`, `--env=envpool:Breakout-v5` (pip extra `envpool`).

Each rollout worker (and serial mode, per worker index) owns one EnvPool of `--num_envs_per_worker` envs, stepped
in C++; sf_curric's worker sees them as ordinary single gymnasium envs (`EnvPoolEnv`, one view per env), so
episode statistics, reward scaling, training info and the env guard work unchanged.

Limits (see docs/envpool.md):

- The pool steps one env per call (`batch_size=1`, one EnvPool thread): the worker steps its envs in turn, so the
  gain is EnvPool's C++ env and preprocessing (Atari: frame skip, grayscale, resize, frame stack), not its
  threads. On an env as cheap as CartPole the round trip costs more than gymnasium's Python step.
- Seeds: env `i` of a pool is seeded with `--seed + first env id of the worker + i` when the pool is made;
  `reset(seed=...)` cannot reseed one env of a pool and is ignored.
- No tasks: EnvPool envs have no `new_task` interface, so curricula over a task space do not apply.
- EnvPool's own defaults per env (e.g. Atari: 84x84 grayscale, 4 stacked frames, frame skip 4, no episodic life);
  image observations are given channels last (HWC), as sf_curric's CNN encoders expect.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import gymnasium as gym
import numpy as np

from sf_curric.errors import install_command

PREFIX = "envpool:"
EXTRA_HINT = f"EnvPool is not installed: {install_command('envpool')} (or pip install envpool)"

_pools: dict[tuple, _Pool] = {}  # (task id, worker index, envs per worker, seed) -> the pool of this process


def is_envpool_name(name: str | None) -> bool:
    """True for `--env` values of the form `envpool:<EnvPool task id>`."""
    return bool(name) and name.startswith(PREFIX)


def envpool_installed() -> bool:
    """True when the envpool package can be imported."""
    return importlib.util.find_spec("envpool") is not None


def envpool_task_ids() -> list[str]:
    """Every task id EnvPool offers (empty without envpool)."""
    if not envpool_installed():
        return []
    import envpool

    return list(envpool.list_all_envs())


def envpool_problem(name: str) -> str | None:
    """One line saying why `name` cannot be made (envpool missing, unknown task id), or None when it can."""
    if not envpool_installed():
        return EXTRA_HINT
    task_id = name[len(PREFIX) :]
    ids = envpool_task_ids()
    if task_id in ids:
        return None
    import difflib

    close = difflib.get_close_matches(task_id, ids, n=5, cutoff=0.5)
    hint = f"closest: {', '.join(PREFIX + c for c in close)}" if close else "see envpool.list_all_envs()"
    return f"EnvPool has no env {task_id!r} ({hint})"


class _Pool:
    """One EnvPool of `num_envs` envs stepped one env per call, with the state the single-env views share."""

    def __init__(self, task_id: str, num_envs: int, seed: int, frames: tuple[tuple[str, int], ...] = ()):
        import envpool

        self.pool = envpool.make(task_id, env_type="gymnasium", num_envs=num_envs, batch_size=1, num_threads=1,
                                 seed=seed, **dict(frames))  # fmt: skip
        self.num_envs = num_envs
        self.first_obs: dict[int, np.ndarray] = {}
        self.started = False
        self.views = 0

    def reset_all(self) -> None:
        self.pool.async_reset()
        for _ in range(self.num_envs):
            obs, _, _, _, info = self.pool.recv()
            self.first_obs[int(info["env_id"][0])] = obs[0]
        self.started = True

    def step(self, index: int, action: Any) -> tuple:
        self.pool.send(np.asarray([action]), np.asarray([index], dtype=np.int32))
        obs, reward, terminated, truncated, info = self.pool.recv()
        return obs[0], float(reward[0]), bool(terminated[0]), bool(truncated[0]), info

    def reset_one(self, index: int) -> np.ndarray:
        obs, _ = self.pool.reset(np.asarray([index], dtype=np.int32))
        return obs[0]


class EnvPoolEnv(gym.Env):
    """Env `index` of a shared EnvPool, as a single gymnasium env.

    Args:
        pool: the shared pool (`_Pool`).
        index: which env of the pool.
    """

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, pool: _Pool, index: int):
        self._pool, self._index = pool, index
        space = pool.pool.observation_space
        self._chw = isinstance(space, gym.spaces.Box) and len(space.shape) == 3
        if self._chw:  # EnvPool's images are channels first; sf_curric's CNNs read channels last
            low, high = np.moveaxis(space.low, 0, -1), np.moveaxis(space.high, 0, -1)
            space = gym.spaces.Box(low, high, dtype=space.dtype)
        self.observation_space = space
        self.action_space = pool.pool.action_space
        self._state = "new"  # new -> fresh (reset, not stepped) -> running -> done
        pool.views += 1

    def _out(self, obs: np.ndarray) -> np.ndarray:
        return np.moveaxis(obs, 0, -1) if self._chw else obs

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        pool, i = self._pool, self._index
        if not pool.started:
            pool.reset_all()
        if self._state == "new":
            obs = pool.first_obs.pop(i, None)
            if obs is None:  # the pool was reset by an earlier view of this env (an env rebuilt by the guard)
                obs = pool.reset_one(i)
        elif self._state == "done":  # EnvPool resets an ended episode on the env's next step
            obs = pool.step(i, self.action_space.sample())[0]
        else:
            obs = pool.reset_one(i)
        self._state = "fresh"
        return self._out(obs), {}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        obs, reward, terminated, truncated, info = self._pool.step(self._index, action)
        self._state = "done" if terminated or truncated else "running"
        return self._out(obs), reward, terminated, truncated, {}

    def close(self) -> None:
        if self._pool is None:
            return
        self._pool.views -= 1
        if self._pool.views == 0:
            for key, pool in list(_pools.items()):
                if pool is self._pool:
                    del _pools[key]
            self._pool.pool.close()
        self._pool = None


# Sample Factory's flags -> EnvPool's options (Atari); passed only when typed, otherwise EnvPool's defaults stay
_FRAME_OPTIONS = {"env_frameskip": "frame_skip", "env_framestack": "stack_num"}


def _frame_kwargs(task_id: str, cfg: Any) -> tuple[tuple[str, int], ...]:
    typed = getattr(cfg, "cli_args", None) or {}
    wanted = {option: int(typed[flag]) for flag, option in _FRAME_OPTIONS.items() if flag in typed}
    if not wanted:
        return ()
    import envpool

    fields = envpool.make_spec(task_id).config._fields
    return tuple(sorted((option, value) for option, value in wanted.items() if option in fields))


def make_envpool_env(full_env_name: str, cfg: Any = None, env_config: Any = None) -> EnvPoolEnv:
    """The `make_env_fn` of `envpool:<task id>`: a view of this worker's pool (made on first use).

    Args:
        full_env_name: `envpool:<task id>`.
        cfg: the run's config (`num_envs_per_worker`, `seed`).
        env_config: `worker_index` and `vector_index` of the env.
    """
    problem = envpool_problem(full_env_name)
    if problem:
        raise ValueError(problem)
    env_config = env_config or {}
    worker, index = int(env_config.get("worker_index", 0)), int(env_config.get("vector_index", 0))
    num_envs = int(getattr(cfg, "num_envs_per_worker", 1) or 1)
    seed = getattr(cfg, "seed", None)
    seed = (0 if seed is None else int(seed)) + worker * num_envs
    frames = _frame_kwargs(full_env_name[len(PREFIX) :], cfg)
    key = (full_env_name, worker, num_envs, seed, frames)
    if key not in _pools:
        _pools[key] = _Pool(full_env_name[len(PREFIX) :], num_envs, seed, frames)
    return EnvPoolEnv(_pools[key], index % num_envs)
