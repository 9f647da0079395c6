"""`UedMazeVector`: `num_envs` ued_maze mazes as one gymnasium `VectorEnv` that steps them in one numpy operation.

It follows gymnasium's vector API with autoreset disabled (`AutoresetMode.DISABLED`), the form sf_curric's rollout
worker drives (docs/ued_maze.md, "A batched env in the worker"):

- `step(actions)` steps every maze; a maze whose episode ended keeps its last observation until it is reset;
- `reset(seed=..., options={"reset_mask": mask, "new_tasks": [...]})` resets the masked mazes only, each on its own
  level: `new_tasks` holds one level text per True entry of the mask (a curriculum's tasks), or is absent (each maze
  draws a random level from its own generator, as a single `UedMaze` does without a task);
- observations are the batch of the Dict space: `{"image": [n, 5, 5, 3] float32, "direction": [n] int64}`;
- `infos["task_completion"]` is 1.0 where a maze reached its goal at this step (with gymnasium's `_task_completion`
  mask: where an episode ended).

The rules are `UedMaze`'s (the same `MazeBatch`); tests/envs/test_ued_maze_vector.py checks them step for step.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from sf_curric.envs.builtin.ued_maze import NUM_ACTIONS, MazeBatch, observation_space
from sf_curric.envs.builtin.ued_maze_levels import parse_level, random_level_arrays


class UedMazeVector(VectorEnv):
    """`num_envs` ued_maze mazes stepped together (see the module docstring).

    Args:
        num_envs: mazes.

    Example:
        >>> envs = UedMazeVector(64)
        >>> obs, _ = envs.reset(seed=0)
        >>> obs, rewards, terminated, truncated, infos = envs.step(np.full(64, 2))
        >>> done = terminated | truncated
        >>> if done.any():
        ...     obs, _ = envs.reset(options={"reset_mask": done})
    """

    metadata = {"autoreset_mode": AutoresetMode.DISABLED}

    def __init__(self, num_envs: int) -> None:
        if num_envs < 1:
            raise ValueError(f"UedMazeVector needs num_envs >= 1, got {num_envs}")
        self.num_envs = int(num_envs)
        self.single_observation_space = observation_space()
        self.single_action_space = spaces.Discrete(NUM_ACTIONS)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.batch = MazeBatch(self.num_envs)
        self._rngs = [np.random.default_rng() for _ in range(self.num_envs)]

    def reset(self, *, seed: int | Sequence[int | None] | None = None, options: dict | None = None) -> tuple:
        """Reset the mazes of `options["reset_mask"]` (default: all), on `options["new_tasks"]` or random levels.

        Args:
            seed: an int (maze i gets seed + i) or one seed per maze; reseeds the random-level generators.
            options: `reset_mask` (bool `[num_envs]`) and `new_tasks` (one level text per masked maze).

        Returns:
            The observations of all mazes and an empty info dict.
        """
        options = options or {}
        mask = np.asarray(options.get("reset_mask", np.ones(self.num_envs, dtype=bool)), dtype=bool)
        if mask.shape != (self.num_envs,):
            raise ValueError(f"options['reset_mask'] must have shape ({self.num_envs},), got {mask.shape}")
        if seed is not None:
            seeds = [seed + i for i in range(self.num_envs)] if isinstance(seed, int) else list(seed)
            for i, s in enumerate(seeds):
                if s is not None:
                    self._rngs[i] = np.random.default_rng(s)
        indices = np.flatnonzero(mask)
        tasks = options.get("new_tasks")
        if tasks is None:
            levels = [random_level_arrays(self._rngs[i]) for i in indices]
        else:
            if len(tasks) != len(indices):
                raise ValueError(f"options['new_tasks'] holds {len(tasks)} levels for {len(indices)} masked mazes")
            levels = [parse_level(task) for task in tasks]
        self.batch.reset(indices, levels)
        return self._observations(), {}

    def step(self, actions: Any) -> tuple:
        """Step every maze; returns observations, rewards (float32), terminated, truncated and infos."""
        rewards, terminated, truncated = self.batch.step(actions)
        ended = terminated | truncated
        infos = {"task_completion": terminated.astype(np.float64), "_task_completion": ended}
        return self._observations(), rewards, terminated, truncated, infos

    def _observations(self) -> dict[str, np.ndarray]:
        image, direction = self.batch.observe()
        return {"image": image, "direction": direction}


def make_ued_maze_vector(num_envs: int) -> UedMazeVector:
    """The batched form of `--env=ued_maze` (what a rollout worker builds for its envs).

    Args:
        num_envs: mazes in the batch.
    """
    return UedMazeVector(num_envs)
