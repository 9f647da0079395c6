"""Env lists as task spaces: a task is one env of an ordered list of gymnasium ids; the env changes at reset.

`EnvListEnv(["MiniGrid-Unlock-v0", "MiniGrid-UnlockPickup-v0"])` builds one env per id and runs, from each
`reset(new_task=id)` on, the env of that id. Every env of the list must have the same observation and action spaces
(after `wrap`), since one policy acts in all of them. `register_env_list(name, ids)` (sf_curric.envs.env_list_setup)
makes such a list usable as `--env=name`, with the curriculum graph that `--curriculum=mastering_rate` reads.

Example:
    >>> env = EnvListEnv(["MiniGrid-DoorKey-5x5-v0", "MiniGrid-DoorKey-6x6-v0"])
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import gymnasium as gym

from sf_curric.curricula.task_space import DiscreteTaskSpace
from sf_curric.envs.dependencies import register_package_envs
from sf_curric.envs.task_wrapper import TaskEnv


@dataclass(frozen=True)
class EnvCurriculum:
    """An ordered list of env ids and the curriculum graph over them (what MasteringRate reads).

    Attributes:
        env_ids: the tasks, easiest first; the last one is the target task.
        edges: `(easier id, harder id)` pairs; None: the chain of `env_ids` in order.
        min_return: estimate of the lowest mean return on each env (Mastering Rate's m_c).
        max_return: estimate of the highest mean return on each env (Mastering Rate's M_c).
    """

    env_ids: tuple[str, ...]
    edges: tuple[tuple[str, str], ...] | None = None
    min_return: float = 0.0
    max_return: float = 0.5

    def __post_init__(self) -> None:
        if len(self.env_ids) < 1 or len(set(self.env_ids)) != len(self.env_ids):
            raise ValueError(f"an env list needs distinct env ids, got {list(self.env_ids)}")
        for a, b in self.edges or ():
            if a not in self.env_ids or b not in self.env_ids:
                raise ValueError(f"curriculum edge ({a!r}, {b!r}) names an env that is not in the list; add it")
        if self.max_return <= self.min_return:
            raise ValueError(f"max_return {self.max_return} must be above min_return {self.min_return}")

    def prefix(self, count: int) -> EnvCurriculum:
        """The first `count` envs of the list with the graph's edges between them (a smaller curriculum)."""
        if not 1 <= count <= len(self.env_ids):
            raise ValueError(f"an env-list prefix keeps 1 to {len(self.env_ids)} envs, not {count}")
        ids = self.env_ids[:count]
        edges = None if self.edges is None else tuple((a, b) for a, b in self.edges if a in ids and b in ids)
        return EnvCurriculum(ids, edges, self.min_return, self.max_return)

    def eval_groups(self, rng: Any, n: int) -> dict[str, list[str]]:
        """The end-of-training table's groups (`--final_eval_episodes`): n episodes on each env of the list."""
        return {env_id.removeprefix("MiniGrid-"): [env_id] * n for env_id in self.env_ids}

    def task_space(self) -> DiscreteTaskSpace:
        """The tasks: the env ids, encoded as their index in the list."""
        return DiscreteTaskSpace(len(self.env_ids), tasks=list(self.env_ids))


def image_only(env: gym.Env) -> gym.Env:
    """MiniGrid's observation without the mission text and direction: the 7x7x3 symbolic view (the Mastering Rate
    paper's agent sees only this), a `Box(0, 255, (7, 7, 3), uint8)`; other envs are returned unchanged."""
    if isinstance(env.observation_space, gym.spaces.Dict) and "image" in env.observation_space.spaces:
        from minigrid.wrappers import ImgObsWrapper

        return ImgObsWrapper(env)
    return env


class EnvListEnv(TaskEnv):
    """One env per id; `reset(new_task=id)` switches to that id's env, which runs until the next switch.

    Args:
        env_ids: gymnasium ids (MiniGrid ids import minigrid on first use).
        wrap: applied to each env after `gym.make` (default: `image_only`).
        render_mode: passed to every `gym.make`.

    Raises:
        ValueError: when two envs of the list have different observation or action spaces (one line naming both).
    """

    def __init__(
        self,
        env_ids: Sequence[str],
        wrap: Callable[[gym.Env], gym.Env] = image_only,
        render_mode: str | None = None,
    ) -> None:
        ids = list(env_ids)
        super().__init__(DiscreteTaskSpace(len(ids), tasks=ids))
        self.env_ids = ids
        self.envs: dict[str, gym.Env] = {}
        for env_id in ids:
            register_package_envs(env_id)
            with warnings.catch_warnings():  # "out of date": the Mastering Rate paper's ObstructedMaze ids are v0
                warnings.filterwarnings("ignore", category=DeprecationWarning, message=".*out of date")
                self.envs[env_id] = wrap(gym.make(env_id, render_mode=render_mode))
        first = self.envs[ids[0]]
        for env_id in ids[1:]:
            env = self.envs[env_id]
            for kind in ("observation_space", "action_space"):
                if getattr(env, kind) != getattr(first, kind):
                    raise ValueError(
                        f"{env_id} has {kind} {getattr(env, kind)} but {ids[0]} has {getattr(first, kind)}: an env "
                        "list needs one space for all its envs (wrap them to a common one, e.g. wrap=image_only)"
                    )
        self.observation_space = first.observation_space
        self.action_space = first.action_space
        self.render_mode = render_mode
        self.metadata = dict(getattr(first, "metadata", {}))
        self.task = ids[-1]  # before the first task arrives: the target env
        self.current = self.envs[self.task]
        self._seed: int | None = None
        self._unseeded: set[str] = set()

    def change_task(self, new_task: Any) -> None:
        """Run the env of `new_task` (an id of the list) from this reset on."""
        self.current = self.envs[new_task]

    def _reset(self, seed: int | None = None, options: dict | None = None) -> tuple:
        if seed is not None:  # every env of the list gets its own seed from this one, at its first reset
            self._seed, self._unseeded = int(seed), set(self.env_ids)
        if self.task in self._unseeded:
            self._unseeded.discard(self.task)
            seed = self._seed + 7919 * self.env_ids.index(self.task)
        return self.current.reset(seed=seed, options=options)

    def _step(self, action: Any) -> tuple:
        return self.current.step(action)

    def _task_completion(self, obs: Any, rew: Any, terminated: bool, truncated: bool, info: dict) -> float:
        # MiniGrid pays a positive reward only when the mission is done
        return 1.0 if terminated and float(rew) > 0 else 0.0

    def render(self) -> Any:
        """The current env's frame."""
        return self.current.render()

    def close(self) -> None:
        """Close every env of the list."""
        for env in self.envs.values():
            env.close()


class EnvListMaker:
    """The `make_env_fn` that `register_env_list` registers: builds an `EnvListEnv` and carries the curriculum
    (ids, graph, return estimates) that `--curriculum=mastering_rate` reads from the registry.

    Args:
        curriculum: the env list and its graph.
        wrap: applied to each env after `gym.make`.
    """

    def __init__(self, curriculum: EnvCurriculum, wrap: Callable[[gym.Env], gym.Env] = image_only) -> None:
        self.env_curriculum = curriculum
        self.wrap = wrap

    def check_dependencies(self) -> None:
        """Raise the one-line EnvDependencyError of a missing env package (the trainer's config check calls this)."""
        for env_id in self.env_curriculum.env_ids:
            register_package_envs(env_id)

    def __call__(self, render_mode: str | None = None) -> EnvListEnv:
        return EnvListEnv(self.env_curriculum.env_ids, wrap=self.wrap, render_mode=render_mode)
