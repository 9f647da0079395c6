"""`ued_maze`: the 13x13 maze of the UED papers (Robust PLR, ACCEL) with jaxued's `Maze` rules, stepped in numpy.

The rules, read from jaxued's `environments/maze/env.py` (the same in 0.0.1 and at HEAD):

- Actions: `Discrete(7)`, MiniGrid's: 0 turn left, 1 turn right, 2 forward; 3-6 (pickup, drop, toggle, done) do
  nothing. Forward into a wall or the goal, or off the grid, leaves the agent where it is.
- Reaching the goal (moving forward into it) ends the episode (`terminated`) with reward `1 - 0.9 * t / 250`, t the
  step count after this step; every other step gives 0. After 250 steps the episode is `truncated` (jaxued's `done`
  makes no difference between the two; sf_curric bootstraps on truncation, jaxued does not).
- Observation: jaxued's `Observation(image, agent_dir)` as a Dict: `image`, the 5x5 cells in front of the agent
  (egocentric, jaxued's rotation and transpose: `image[i, 4]` is the agent's row, column `j` is `4 - j` cells ahead),
  each cell MiniGrid's (object, colour, state) divided by 10 as jaxued's training scripts do (`normalize_obs=True`):
  empty (0.1, 0, 0), wall (0.2, 0.5, 0), goal (0.8, 0.1, 0); outside the grid is wall; the agent itself is not
  drawn. `direction`: 0 right, 1 down, 2 left, 3 up.
- A level (`ued_maze_levels`): the walls, the agent's cell and facing, the goal's cell. `reset(new_task=level_text)`
  plays that level; a reset without a task draws a new level from jaxued's random-wall generator (25 walls drawn
  with replacement), as jaxued's `AutoResetWrapper` does in maze_dr.py: domain randomization without a curriculum.

`MazeBatch` holds any number of mazes as arrays and steps them all in one numpy operation; `UedMaze` is the
gymnasium env of one maze on top of it. Equivalence with jaxued is tested on recorded jaxued trajectories
(tests/envs/test_ued_maze_jaxued.py; benchmarks/record_jaxued_trajectories.py records them).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from gymnasium import spaces

from sf_curric.envs.builtin.ued_maze_levels import SIZE, MazeLevel, MazeLevelSpace, parse_level, random_level_arrays
from sf_curric.envs.task_wrapper import TaskEnv

MAX_STEPS = 250
VIEW = 5
NUM_ACTIONS = 7
LEFT, RIGHT, FORWARD = 0, 1, 2
_PAD = VIEW - 1  # the view reaches 4 cells ahead: a padding of 4 wall cells keeps every view inside the map
_SIDE = SIZE + 2 * _PAD
DIR_TO_VEC = np.array([(1, 0), (0, 1), (-1, 0), (0, -1)], dtype=np.int64)  # (dx, dy): right, down, left, up
EMPTY, WALL, GOAL = 0, 1, 2
_NINE_TENTHS = float(np.float32(0.9))
# (object, colour, state) / 10 of each cell code: MiniGrid's empty 1, wall 2 grey 5, goal 8 green 1
CELL_FEATURES = np.array([[1, 0, 0], [2, 5, 0], [8, 1, 0]], dtype=np.float32) / np.float32(10.0)


def _view_offsets() -> np.ndarray:
    """`[4, 5, 5]` flat offsets (in the padded map) of each view cell from the agent's cell, per direction.

    Computed with jaxued's own steps on a grid of coordinates: the window spanned by the agent's cell, the cell 4
    ahead and the cells 2 to either side; `rot90` by direction + 1; transposed.
    """
    offsets = np.zeros((4, VIEW, VIEW), dtype=np.int64)
    for direction, (vx, vy) in enumerate(DIR_TO_VEC):
        xmin = min(0, (VIEW - 1) * vx, -int(vx == 0) * (VIEW // 2))
        ymin = min(0, (VIEW - 1) * vy, -int(vy == 0) * (VIEW // 2))
        rows, cols = np.meshgrid(ymin + np.arange(VIEW), xmin + np.arange(VIEW), indexing="ij")
        offsets[direction] = (np.rot90(rows * _SIDE + cols, direction + 1)).T
    return offsets


_VIEW_OFFSETS = _view_offsets()


class MazeBatch:
    """`n` mazes as arrays, stepped together (one numpy operation per step for all of them).

    Args:
        n: number of mazes.

    Example:
        >>> batch = MazeBatch(4)
        >>> batch.reset([0, 1, 2, 3], [parse_level(t) for t in texts])
        >>> image, direction, reward, terminated, truncated = batch.step(np.array([2, 2, 0, 1]))
    """

    def __init__(self, n: int) -> None:
        self.n = int(n)
        self.codes = np.full((self.n, _SIDE * _SIDE), WALL, dtype=np.uint8)  # padded maps, flat
        self.pos = np.zeros((self.n, 2), dtype=np.int64)  # (x, y)
        self.direction = np.zeros(self.n, dtype=np.int64)
        self.time = np.zeros(self.n, dtype=np.int64)
        self._rows = np.arange(self.n)

    def reset(self, indices: Sequence[int], levels: Sequence[MazeLevel]) -> None:
        """Start new episodes on `levels` in the mazes `indices`.

        Args:
            indices: maze indices.
            levels: parsed levels, one per index.
        """
        inner = np.full((SIZE, SIZE), EMPTY, dtype=np.uint8)
        for i, level in zip(indices, levels):
            grid = self.codes[i].reshape(_SIDE, _SIDE)
            inner[:] = np.where(level.walls, WALL, EMPTY)
            inner[level.goal[1], level.goal[0]] = GOAL
            grid[_PAD : _PAD + SIZE, _PAD : _PAD + SIZE] = inner
            self.pos[i] = level.agent
            self.direction[i] = level.direction
            self.time[i] = 0

    def observe(self, indices: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """`(image [k, 5, 5, 3] float32, direction [k] int64)` of the mazes `indices` (default: all)."""
        rows = self._rows if indices is None else np.asarray(indices, dtype=np.int64)
        pos, direction = self.pos[rows], self.direction[rows]
        base = (pos[:, 1] + _PAD) * _SIDE + pos[:, 0] + _PAD
        cells = base[:, None, None] + _VIEW_OFFSETS[direction]
        codes = self.codes[rows[:, None, None], cells]
        return CELL_FEATURES[codes], direction.copy()

    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Apply one action per maze; returns `(reward float32, terminated, truncated)`, each `[n]`.

        A maze whose episode ended keeps its state until `reset`; stepping it again just runs on.
        """
        actions = np.asarray(actions, dtype=np.int64).reshape(self.n)
        move = DIR_TO_VEC[self.direction] * (actions == FORWARD)[:, None]
        target = np.clip(self.pos + move, 0, SIZE - 1)
        code = self.codes[self._rows, (target[:, 1] + _PAD) * _SIDE + target[:, 0] + _PAD]
        blocked = code != EMPTY  # walls and the goal stop the agent
        self.pos = np.where(blocked[:, None], self.pos, target)
        self.direction = (self.direction + (actions == RIGHT) - (actions == LEFT)) % 4
        self.time += 1
        reached = code == GOAL
        # jaxued's 1 - 0.9 * (t / 250) in float32, where XLA fuses the multiply-add (one rounding): the product of two
        # float32 is exact in float64, so computing 1 - product there and rounding once gives jaxued's float32
        fraction = (self.time.astype(np.float32) / np.float32(MAX_STEPS)).astype(np.float64)
        reward = np.where(reached, 1.0 - _NINE_TENTHS * fraction, 0.0)
        truncated = (self.time >= MAX_STEPS) & ~reached
        return reward.astype(np.float32), reached, truncated


def observation_space() -> spaces.Dict:
    """jaxued's Observation as a Dict space: the egocentric `image` (values / 10) and the agent's `direction`."""
    return spaces.Dict(
        {"image": spaces.Box(0.0, 1.0, (VIEW, VIEW, 3), dtype=np.float32), "direction": spaces.Discrete(4)}
    )


class UedMaze(TaskEnv):
    """One `ued_maze` maze as a gymnasium env (see the module docstring for the rules).

    Args:
        render_mode: None or "rgb_array" (the whole maze, 8 pixels a cell).

    Example:
        >>> env = UedMaze()
        >>> obs, info = env.reset(new_task=HAND_DESIGNED["Labyrinth"])
        >>> obs["image"].shape, obs["direction"]
        ((5, 5, 3), 0)
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 8}

    def __init__(self, render_mode: str | None = None) -> None:
        super().__init__(MazeLevelSpace())
        self.render_mode = render_mode
        self.observation_space = observation_space()
        self.action_space = spaces.Discrete(NUM_ACTIONS)
        self.batch = MazeBatch(1)
        self.level: MazeLevel | None = None
        self._rng = np.random.default_rng()
        self._draw_level = True

    def change_task(self, new_task: Any) -> None:
        self.level = parse_level(new_task)

    def reset(self, *, seed: int | None = None, options: dict | None = None, new_task: Any = None):
        """Reset to `new_task` (a level text), or to a new random level when no task is given."""
        self._draw_level = new_task is None and not (options is not None and "new_task" in options)
        return super().reset(seed=seed, options=options, new_task=new_task)

    def _reset(self, seed: int | None = None, options: dict | None = None) -> tuple:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        if self._draw_level:  # no task given: a new level, as jaxued's AutoResetWrapper draws one
            self.level = random_level_arrays(self._rng)
            self.task = None
        self.batch.reset([0], [self.level])
        return self._obs(), {}

    def _step(self, action: Any) -> tuple:
        reward, terminated, truncated = self.batch.step(np.array([int(action)]))
        return self._obs(), float(reward[0]), bool(terminated[0]), bool(truncated[0]), {}

    def _task_completion(self, obs: Any, rew: Any, terminated: bool, truncated: bool, info: dict) -> float:
        return 1.0 if terminated else 0.0  # reached the goal

    def _obs(self) -> dict:
        image, direction = self.batch.observe()
        return {"image": image[0], "direction": int(direction[0])}

    def render(self) -> np.ndarray | None:
        """An RGB picture of the maze: walls grey, goal green, agent red with a dark mark on its facing side."""
        if self.render_mode != "rgb_array":
            return None
        tile = 8
        codes = self.batch.codes[0].reshape(_SIDE, _SIDE)[_PAD : _PAD + SIZE, _PAD : _PAD + SIZE]
        palette = np.array([[0, 0, 0], [100, 100, 100], [0, 255, 0]], dtype=np.uint8)
        img = np.repeat(np.repeat(palette[codes], tile, axis=0), tile, axis=1)
        x, y = self.batch.pos[0]
        img[y * tile + 1 : (y + 1) * tile - 1, x * tile + 1 : (x + 1) * tile - 1] = (255, 0, 0)
        dx, dy = DIR_TO_VEC[self.batch.direction[0]]
        cx, cy = x * tile + tile // 2 + dx * 2, y * tile + tile // 2 + dy * 2
        img[cy - 1 : cy + 1, cx - 1 : cx + 1] = (90, 0, 0)
        return img


def make_ued_maze(render_mode: str | None = None) -> UedMaze:
    """One `ued_maze` env (`--env=ued_maze`).

    Args:
        render_mode: None or "rgb_array".
    """
    return UedMaze(render_mode=render_mode)
