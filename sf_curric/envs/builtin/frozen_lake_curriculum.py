"""`frozen_lake_curriculum`: gymnasium's FrozenLake-v1 on a 12x12 lake whose start cell is a task (reverse curriculum).

FrozenLake is gymnasium's sparse gridworld: reward 1 on reaching the goal G, 0 otherwise; walking into a hole H
ends the episode; at most 100 steps. On the lake below (gymnasium's own `generate_random_map(size=12, seed=0)`,
not slippery) the goal is 24 moves from the start S: random moves never get there (0 of 30,000 episodes), so an
agent trained from S alone never sees a reward.

A task is a start level `k` in 0..12. Level k < 12 starts the episode on a frozen cell 2k+1 or 2k+2 moves from the
goal (drawn uniformly among them); level 12 is the env's own start S, its reset untouched. A reverse curriculum
(Florensa et al. 2017, "Reverse Curriculum Generation for Reinforcement Learning") starts near the goal and moves
the start back once the agent succeeds there. Task completion is 1 when the episode reached the goal, else 0. The
observation is the cell, one-hot (FrozenLake's own observation is the cell index).
"""

from __future__ import annotations

from collections import deque
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.spaces import Box, Discrete

from sf_curric.envs.task_wrapper import TaskWrapper

# gymnasium.envs.toy_text.frozen_lake.generate_random_map(size=12, seed=0), kept here so that it never changes
LAKE = (
    "SFFFHHFFFHHF",
    "HFFFHFFFFFFF",
    "FFHHFFFFFFFF",
    "FHHFFFFFFHFF",
    "FHFFHFFFFFFF",
    "FFFFFFFHFFFH",
    "FHFFFHHFFFFF",
    "FFFHFFHHFHHH",
    "FHHHFFHHFFFH",
    "FFFFFFFFHFHF",
    "FFHFFFHFFFFF",
    "HFFFHFHFFFHG",
)
MOVES_PER_LEVEL = 2  # each level starts 2 moves further from the goal
MOVES = ((0, -1), (1, 0), (0, 1), (-1, 0))  # FrozenLake's actions: left, down, right, up


def moves_to_goal(lake: tuple[str, ...] = LAKE) -> dict[int, int]:
    """Fewest moves from each cell to the goal (breadth-first over non-hole cells; cells that cannot reach it are
    left out). Cells are FrozenLake's indices, row * width + column."""
    size = len(lake)
    goal = next((r, c) for r in range(size) for c in range(size) if lake[r][c] == "G")
    moves = {goal: 0}
    queue = deque([goal])
    while queue:
        r, c = queue.popleft()
        for dr, dc in MOVES:
            cell = (r + dr, c + dc)
            if 0 <= cell[0] < size and 0 <= cell[1] < size and cell not in moves and lake[cell[0]][cell[1]] != "H":
                moves[cell] = moves[(r, c)] + 1
                queue.append(cell)
    return {r * size + c: m for (r, c), m in moves.items()}


def start_levels(lake: tuple[str, ...] = LAKE) -> list[list[int]]:
    """The start cells of each level, nearest the goal first; the last level is the start S alone."""
    moves = moves_to_goal(lake)
    start = next(r * len(lake) + c for r, row in enumerate(lake) for c, tile in enumerate(row) if tile == "S")
    levels = []
    for nearest in range(1, moves[start], MOVES_PER_LEVEL):
        cells = sorted(cell for cell, m in moves.items() if nearest <= m < nearest + MOVES_PER_LEVEL and cell != start)
        if cells:
            levels.append(cells)
    return [*levels, [start]]


LEVELS = start_levels()
STANDARD_LEVEL = len(LEVELS) - 1  # the env's own start S


def task_space() -> Discrete:
    """Start levels 0 (1-2 moves from the goal) .. STANDARD_LEVEL (the env's own start)."""
    return Discrete(len(LEVELS))


class FrozenLakeStart(TaskWrapper):
    """FrozenLake whose task is the start level, with a one-hot observation of the cell.

    Args:
        env: a FrozenLake env on `LAKE` (e.g. `gym.make("FrozenLake-v1", desc=list(LAKE), is_slippery=False)`).

    Example:
        >>> env = make_frozen_lake_curriculum()
        >>> obs, info = env.reset(seed=0, new_task=0)
    """

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env, task_space=task_space(), default_task=STANDARD_LEVEL)
        self.observation_space = Box(0.0, 1.0, (env.observation_space.n,), np.float32)

    def change_task(self, new_task: Any) -> None:
        self.level = int(new_task)

    def _one_hot(self, cell: int) -> np.ndarray:
        obs = np.zeros(self.observation_space.shape, np.float32)
        obs[cell] = 1.0
        return obs

    def reset(self, *, seed: int | None = None, options: dict | None = None, **kwargs: Any):
        """Reset FrozenLake; below the standard level, move the start to a cell of the level."""
        cell, info = super().reset(seed=seed, options=options, **kwargs)
        if self.level != STANDARD_LEVEL:
            lake = self.env.unwrapped
            cells = LEVELS[self.level]
            lake.s = cell = cells[int(lake.np_random.integers(len(cells)))]
        return self._one_hot(int(cell)), info

    def step(self, action: Any):
        """Step FrozenLake (task completion and task in `info`), observing the new cell one-hot."""
        cell, reward, terminated, truncated, info = super().step(action)
        return self._one_hot(int(cell)), reward, terminated, truncated, info

    def _task_completion(self, obs: Any, rew: Any, terminated: bool, truncated: bool, info: dict) -> float:
        return 1.0 if float(rew) > 0 else 0.0  # the only reward is the goal's


def make_frozen_lake_curriculum(render_mode: str | None = None) -> gym.Env:
    """One `frozen_lake_curriculum` env (registered as a built-in env).

    Args:
        render_mode: gymnasium render mode, e.g. "rgb_array" (needs pygame: the `video` extra).
    """
    return FrozenLakeStart(gym.make("FrozenLake-v1", desc=list(LAKE), is_slippery=False, render_mode=render_mode))


def eval_groups(rng: np.random.Generator, n: int) -> dict:
    """The task groups of the end-of-training table: the nearest start, the env's own start, every level in turn.

    Args:
        rng: unused (the groups are fixed levels; the start cell inside a level is drawn by the env).
        n: tasks (episodes) per group.
    """
    return {
        "easiest": [0] * n,
        "hardest": [STANDARD_LEVEL] * n,
        "whole space": [i % len(LEVELS) for i in range(n)],
    }
