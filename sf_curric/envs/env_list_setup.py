"""`register_env_list`: an ordered list of gymnasium ids as `--env=name` (a task is one env of the list). Apart from
the built-in env lists' module (sf_curric.envs.builtin.env_list), which the registry lists: that imports no registry.
"""

from __future__ import annotations

from typing import Callable, Sequence

import gymnasium as gym

from sf_curric.envs.builtin.env_list import EnvCurriculum, EnvListMaker, image_only
from sf_curric.envs.registry import register_env


def register_env_list(
    name: str,
    env_ids: Sequence[str],
    edges: Sequence[tuple[str, str]] | None = None,
    curriculum: str = "mastering_rate",
    min_return: float = 0.0,
    max_return: float = 0.5,
    wrap: Callable[[gym.Env], gym.Env] = image_only,
) -> EnvCurriculum:
    """Make an ordered list of gymnasium ids usable as `--env=name`: a task is one env of the list.

    Args:
        name: the `--env` value.
        env_ids: the envs, easiest first (the last is the target); MiniGrid ids need `sf_curric[minigrid]`.
        edges: `(easier id, harder id)` pairs of the curriculum graph; None: the list in order.
        curriculum: the default `--curriculum` of the env.
        min_return: Mastering Rate's estimate of the lowest mean return on each env.
        max_return: Mastering Rate's estimate of the highest mean return (the paper's MiniGrid curricula: 0.5).
        wrap: applied to each env after `gym.make` (default: MiniGrid's image only).

    Example:
        >>> register_env_list("my_doorkeys", ["MiniGrid-DoorKey-5x5-v0", "MiniGrid-DoorKey-8x8-v0"])
    """
    env_curriculum = EnvCurriculum(
        tuple(env_ids), None if edges is None else tuple(map(tuple, edges)), min_return, max_return
    )
    maker = EnvListMaker(env_curriculum, wrap)
    register_env(name, maker, task_space=env_curriculum.task_space(), curriculum=curriculum)
    return env_curriculum
