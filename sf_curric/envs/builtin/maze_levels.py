"""`maze_levels`: procedurally generated 11x11 grid mazes whose task is a level seed (a fast, PLR-style benchmark env).

A level seed fixes everything: the wall density (uniform in [0, 0.5]), the walls, the start and the goal. So the
level set mixes, as Procgen's does, levels of every difficulty: trivial ones (goal next to the start), mazes that
need a detour, and levels that cannot be solved at all (the goal is walled off; about a fifth of all seeds).
Episodes end at the goal (reward `1 - 0.9 * steps / MAX_STEPS`, as MiniGrid) or are truncated after `MAX_STEPS`
steps (reward 0), so an unsolvable level always costs a full `MAX_STEPS` episode.

Observation (`view * view + 2` floats, 11 with the default `view=3`), egocentric: the walls on the `view x view`
square around the agent (the border counts as wall) and the goal's offset from the agent (2, scaled to [-1, 1]), a
compass. There is deliberately no map of the level: with
the wall map and absolute positions in the observation, pilots memorized the 200 training levels and scored barely
above random play on held-out ones (docs/benchmarks.md). Actions: up, down, left, right (moving into a wall keeps
the agent in place).

Any integer is a level, so held-out levels are simply seeds outside the training range:

    >>> env = MazeLevels()
    >>> obs, info = env.reset(new_task=1234)

A level is also a value: its layout, a string of `SIZE` rows of `#` (wall), `.` (free), `S` (start) and `G` (goal)
joined by newlines (`Level(seed).layout()`). `reset(new_task=layout)` builds it; `mutate(level, rng, num_edits)`
edits one (ACCEL's mutation: add or remove a wall, or move the goal), and `maze_designs.py` holds hand-drawn ones.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np
from gymnasium.spaces import Box, Discrete

from sf_curric.envs.task_wrapper import TaskEnv

SIZE = 11
MAX_STEPS = 100
MAX_DENSITY = 0.5
_MOVES = ((-1, 0), (1, 0), (0, -1), (0, 1))


class Level:
    """One level: walls, start, goal; built from a seed (the generator) or from a layout string.

    Args:
        seed: the level seed (any non-negative integer), or a layout string (see the module docstring).
    """

    def __init__(self, seed: int | str) -> None:
        if isinstance(seed, str):
            self._from_layout(seed)
            return
        if int(seed) < 0:
            raise ValueError(f"a maze level is a non-negative integer seed, got {seed}")
        rng = np.random.default_rng(int(seed))
        self.density = float(rng.uniform(0.0, MAX_DENSITY))
        self.walls = rng.random((SIZE, SIZE)) < self.density
        start, goal = rng.choice(SIZE * SIZE, size=2, replace=False)
        self.start = divmod(int(start), SIZE)
        self.goal = divmod(int(goal), SIZE)
        self.walls[self.start] = False
        self.walls[self.goal] = False

    def _from_layout(self, layout: str) -> None:
        rows = layout.strip().split("\n")
        if len(rows) != SIZE or any(len(row) != SIZE for row in rows) or set("".join(rows)) - set("#.SG"):
            raise ValueError(f"a maze layout is {SIZE} rows of {SIZE} characters from '#.SG', got {layout!r}")
        grid = np.array([list(row) for row in rows])
        if (grid == "S").sum() != 1 or (grid == "G").sum() != 1:
            raise ValueError("a maze layout needs exactly one S (start) and one G (goal)")
        self.walls = grid == "#"
        self.density = float(self.walls.mean())
        self.start = tuple(int(x) for x in np.argwhere(grid == "S")[0])
        self.goal = tuple(int(x) for x in np.argwhere(grid == "G")[0])

    def layout(self) -> str:
        """The level as a layout string (a value that `Level(...)` and `reset(new_task=...)` take)."""
        grid = np.where(self.walls, "#", ".")
        grid[self.start] = "S"
        grid[self.goal] = "G"
        return "\n".join("".join(row) for row in grid)

    def shortest_path(self) -> int | None:
        """Steps of the shortest path from start to goal (BFS), None when the goal cannot be reached."""
        dist = {self.start: 0}
        queue = deque([self.start])
        while queue:
            cell = queue.popleft()
            if cell == self.goal:
                return dist[cell]
            for dr, dc in _MOVES:
                nxt = (cell[0] + dr, cell[1] + dc)
                if 0 <= nxt[0] < SIZE and 0 <= nxt[1] < SIZE and not self.walls[nxt] and nxt not in dist:
                    dist[nxt] = dist[cell] + 1
                    queue.append(nxt)
        return None


def mutate(level: int | str, rng: np.random.Generator, num_edits: int) -> str:
    """ACCEL's edit of a level: `num_edits` times, flip a random cell between wall and free (never the start or the
    goal), or, with probability 1/10, move the goal to a random free cell.

    Args:
        level: a level seed or layout.
        rng: the curriculum's random generator (the only randomness used).
        num_edits: number of edits.

    Returns:
        The edited level's layout.
    """
    lv = Level(level)
    walls = lv.walls.copy()
    goal = lv.goal
    for _ in range(int(num_edits)):
        if rng.random() < 0.1:
            free = np.argwhere(~walls)
            cell = tuple(int(x) for x in free[int(rng.random() * len(free))])
            if cell != lv.start:
                goal = cell
            continue
        cell = divmod(int(rng.random() * SIZE * SIZE), SIZE)
        if cell not in (lv.start, goal):
            walls[cell] = not walls[cell]
    lv.walls, lv.goal = walls, goal
    return lv.layout()


def generate_level(rng: np.random.Generator) -> str:
    """A new level from the generator (a random seed's level), as a layout: ACCEL's source of new levels."""
    return Level(int(rng.integers(0, 2**31 - 1))).layout()


def empty_level(rng: np.random.Generator) -> str:
    """A level without walls, start and goal at random cells: the ACCEL paper's maze generator, whose edits then
    build every wall the curriculum ever trains on."""
    start, goal = rng.choice(SIZE * SIZE, size=2, replace=False)
    rows = [["."] * SIZE for _ in range(SIZE)]
    rows[start // SIZE][start % SIZE], rows[goal // SIZE][goal % SIZE] = "S", "G"
    return "\n".join("".join(row) for row in rows)


ACCEL_GENERATORS = {"seeds": None, "random": generate_level, "empty": empty_level}


class MazeLevels(TaskEnv):
    """The maze env: `reset(new_task=seed)` builds level `seed`, `reset(new_task=layout)` a level given as a value
    (levels are cached, they are small).

    No task space on the env on purpose: the training set is the `Discrete(n)` given to `register_env`, and
    evaluation passes held-out seeds outside it.
    """

    def __init__(self, view: int = 3) -> None:
        super().__init__()
        if view < 1 or view % 2 == 0:
            raise ValueError(f"maze_levels: view must be an odd number of cells >= 1 (e.g. 3 or 5), got {view}")
        self.view = int(view)
        self.observation_space = Box(-1.0, 1.0, shape=(self.view * self.view + 2,), dtype=np.float32)
        self.action_space = Discrete(4)
        self._levels: dict[int | str, tuple[Level, np.ndarray]] = {}
        self.change_task(0)
        self.task = 0

    mutate = staticmethod(mutate)  # ACCEL finds the mutation on a TaskEnv

    def change_task(self, new_task: Any) -> None:
        seed = new_task if isinstance(new_task, str) else int(new_task)
        if seed not in self._levels:
            if len(self._levels) >= 4096:  # ACCEL issues endless new layouts
                self._levels.clear()
            level = Level(seed)
            pad = self.view // 2
            padded = np.ones((SIZE + 2 * pad, SIZE + 2 * pad), dtype=np.float32)  # border of walls for the view
            padded[pad : pad + SIZE, pad : pad + SIZE] = level.walls
            self._levels[seed] = (level, padded)
        self.level, self._padded = self._levels[seed]

    def _reset(self, seed: int | None = None, options: dict | None = None) -> tuple:
        self.pos = self.level.start
        self.steps = 0
        return self._obs(), {}

    def _step(self, action: Any) -> tuple:
        dr, dc = _MOVES[int(action)]
        r, c = self.pos[0] + dr, self.pos[1] + dc
        if 0 <= r < SIZE and 0 <= c < SIZE and not self.level.walls[r, c]:
            self.pos = (r, c)
        self.steps += 1
        reached = self.pos == self.level.goal
        reward = 1.0 - 0.9 * self.steps / MAX_STEPS if reached else 0.0
        return self._obs(), reward, reached, (not reached) and self.steps >= MAX_STEPS, {}

    def _task_completion(self, obs: Any, rew: Any, terminated: bool, truncated: bool, info: dict) -> float:
        return 1.0 if terminated else 0.0  # reached the goal (a truncated episode is a failure)

    def _obs(self) -> np.ndarray:
        obs = np.empty(self.observation_space.shape, dtype=np.float32)
        r, c = self.pos
        gr, gc = self.level.goal
        obs[:-2] = self._padded[r : r + self.view, c : c + self.view].ravel()
        obs[-2] = (gr - r) / (SIZE - 1)
        obs[-1] = (gc - c) / (SIZE - 1)
        return obs


def make_maze_levels(render_mode: str | None = None, view: int = 3) -> MazeLevels:
    """One `maze_levels` env (no rendering: `render_mode` is accepted and ignored).

    Args:
        render_mode: ignored (the env draws nothing).
        view: side of the egocentric wall view in cells (odd).
    """
    return MazeLevels(view=view)


# The built-in `--env=maze_levels` (and the efficacy benchmark's): 200 training levels, a 5x5 egocentric view
BUILTIN_NUM_LEVELS = 200
BUILTIN_VIEW = 5


def maze_levels_registration(
    num_levels: int = BUILTIN_NUM_LEVELS, view: int = BUILTIN_VIEW, accel_generator: str = "seeds"
) -> tuple[Any, dict[str, Any]]:
    """`(make_env_fn, register_env keyword arguments)` of maze_levels: `num_levels` training seeds, the ACCEL
    mutation and the hand-designed mazes (`--eval_level_set=hand_designed`).

    Args:
        num_levels: training levels (seeds 0 .. num_levels - 1).
        view: side of the egocentric wall view.
        accel_generator: ACCEL's new levels: "seeds" (the training seeds, uniformly), "random" (a fresh random
            seed's level: the generator without a fixed level set) or "empty" (no walls: the ACCEL paper's).

    Raises:
        ValueError: an unknown `accel_generator`.
    """
    if accel_generator not in ACCEL_GENERATORS:
        raise ValueError(f"accel_generator={accel_generator!r}: use one of {', '.join(ACCEL_GENERATORS)}")
    from functools import partial

    from sf_curric.envs.builtin.maze_designs import HAND_DESIGNED

    kwargs = {
        "task_space": Discrete(num_levels),
        "mutate": mutate,
        "generate_level": ACCEL_GENERATORS[accel_generator],
        "level_sets": {"hand_designed": dict(HAND_DESIGNED)},
    }
    return partial(make_maze_levels, view=view), kwargs
