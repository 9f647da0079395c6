"""Levels of `ued_maze` (the UED papers' 13x13 maze, jaxued's `Maze`): the text format, level files, the random-wall
generator and the edit operator, all as jaxued defines them.

A level is a value: its text, 13 rows of 13 characters joined by newlines, `#` wall, `.` free, `G` goal and the
agent as `>` `v` `<` `^` (facing right, down, left, up), jaxued's `Level.from_str` format. That string is the task
a curriculum hands to `reset(new_task=...)` (hashable, picklable, readable in logs). A level file holds named levels,
each after a line `== Name`:

    == Corridor
    >...........G
    ... (13 rows)

- `random_level(rng)` draws jaxued's `make_level_generator(13, 13, n_walls=25)`: 25 wall cells drawn uniformly with
  replacement (17-25 distinct walls), the agent on a uniform free cell facing a uniform direction, the goal on a
  uniform free cell; no solvability check.
- `mutate_level(level, rng, num_edits)` is jaxued's ACCEL edit (`make_level_mutator_minimax`, from minimax): each of
  `num_edits` edits is, with probability 1/3 each, nothing, flipping one cell other than the agent's and the goal's
  between wall and free, or moving the goal to a free cell.

jaxued draws with JAX's PRNG; these draw the same distributions from a numpy Generator (same rules, other numbers).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from sf_curric.curricula.task_space import TaskSpace

SIZE = 13
N_WALLS = 25  # jaxued's --n_walls
AGENT_CHARS = ">v<^"  # direction 0 right, 1 down, 2 left, 3 up (jaxued's DIR_TO_VEC order)
LEVEL_CHARS = "#.G" + AGENT_CHARS
FORMAT_HELP = f"13 rows of 13 characters from '{LEVEL_CHARS}' with one agent (> v < ^) and one goal (G)"


class LevelFormatError(ValueError):
    """A level text or a level file is malformed (the message says where and what the format is)."""


class MazeLevel(NamedTuple):
    """A parsed level (x is the column, y the row, as in jaxued).

    Attributes:
        walls: `[13, 13]` bool, read-only, indexed `[y, x]`.
        agent: `(x, y)` of the agent.
        direction: 0 right, 1 down, 2 left, 3 up.
        goal: `(x, y)` of the goal.
    """

    walls: np.ndarray
    agent: tuple[int, int]
    direction: int
    goal: tuple[int, int]

    def text(self) -> str:
        """The level as text (the value `reset(new_task=...)` takes)."""
        return level_text(self.walls, self.agent, self.direction, self.goal)


def level_text(walls: np.ndarray, agent: tuple[int, int], direction: int, goal: tuple[int, int]) -> str:
    """The text of a level given as arrays.

    Args:
        walls: `[13, 13]` bool, indexed `[y, x]`.
        agent: `(x, y)`.
        direction: 0-3.
        goal: `(x, y)`.
    """
    grid = np.where(walls, "#", ".")
    grid[agent[1], agent[0]] = AGENT_CHARS[int(direction)]
    grid[goal[1], goal[0]] = "G"
    return "\n".join("".join(row) for row in grid)


@functools.lru_cache(maxsize=16384)
def parse_level(text: str) -> MazeLevel:
    """Parse a level text (cached: levels are replayed and curricula resend the same text).

    Args:
        text: 13 lines of 13 characters (surrounding whitespace is ignored).

    Raises:
        LevelFormatError: the text is not a level; the message says what is wrong.
    """
    if not isinstance(text, str):
        raise LevelFormatError(f"a ued_maze level is a text of {FORMAT_HELP}, got a {type(text).__name__}")
    rows = text.strip().split("\n")
    if len(rows) != SIZE:
        raise LevelFormatError(f"a level has {len(rows)} rows; it must be {FORMAT_HELP}")
    for y, row in enumerate(rows):
        bad = sorted(set(row) - set(LEVEL_CHARS))
        if len(row) != SIZE or bad:
            what = f"{len(row)} characters" if len(row) != SIZE else f"the character(s) {''.join(bad)!r}"
            raise LevelFormatError(f"row {y + 1} of a level has {what}; a level is {FORMAT_HELP}")
    grid = np.array([list(row) for row in rows])
    agents = np.argwhere(np.isin(grid, list(AGENT_CHARS)))
    goals = np.argwhere(grid == "G")
    if len(agents) != 1 or len(goals) != 1:
        raise LevelFormatError(f"a level has {len(agents)} agents and {len(goals)} goals; it must be {FORMAT_HELP}")
    walls = grid == "#"
    walls.setflags(write=False)
    (ay, ax), (gy, gx) = agents[0], goals[0]
    return MazeLevel(walls, (int(ax), int(ay)), AGENT_CHARS.index(grid[ay, ax]), (int(gx), int(gy)))


def read_level_file(path: str | Path) -> dict[str, str]:
    """The named levels of a level file (`== Name` before each level's 13 rows; blank lines between levels).

    Args:
        path: the file.

    Returns:
        name -> level text, in file order.

    Raises:
        LevelFormatError: unreadable or malformed file; one line naming the file, the line and the fix.
    """
    try:
        lines = Path(path).read_text().splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise LevelFormatError(f"cannot read the level file {path}: {e.strerror or e}") from None
    levels: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            i += 1
            continue
        if not line.startswith("=="):
            raise LevelFormatError(f"{path} line {i + 1}: expected '== Name' before each level, got {line[:30]!r}")
        name = line[2:].strip()
        if not name or name in levels:
            problem = "a level without a name" if not name else f"a second level named {name!r}"
            raise LevelFormatError(f"{path} line {i + 1}: {problem}; give every level its own name after '=='")
        rows = [row.strip() for row in lines[i + 1 : i + 1 + SIZE]]
        try:
            parse_level("\n".join(rows))
        except LevelFormatError as e:
            raise LevelFormatError(f"{path} level {name!r} (line {i + 2}): {e}") from None
        levels[name] = "\n".join(rows)
        i += 1 + SIZE
    if not levels:
        raise LevelFormatError(f"{path} holds no level: write '== Name' and then the level's {FORMAT_HELP}")
    return levels


def format_level_file(levels: dict[str, str]) -> str:
    """The text of a level file holding `levels` (name -> level text), readable by `read_level_file`."""
    return "".join(f"== {name}\n{parse_level(text).text()}\n\n" for name, text in levels.items())


def random_level_arrays(rng: np.random.Generator, n_walls: int = N_WALLS) -> MazeLevel:
    """A level from jaxued's random-wall generator (see the module docstring), as arrays.

    Args:
        rng: the random generator.
        n_walls: wall cells drawn (with replacement).
    """
    cells = SIZE * SIZE
    occupied = np.zeros(cells, dtype=bool)
    occupied[rng.integers(0, cells, size=n_walls)] = n_walls > 0
    walls = occupied.reshape(SIZE, SIZE).copy()
    free = np.flatnonzero(~occupied)
    agent = int(free[rng.integers(len(free))])
    direction = int(rng.integers(4))
    occupied[agent] = True
    free = np.flatnonzero(~occupied)
    goal = int(free[rng.integers(len(free))])
    walls.setflags(write=False)
    return MazeLevel(walls, (agent % SIZE, agent // SIZE), direction, (goal % SIZE, goal // SIZE))


def random_level(rng: np.random.Generator, n_walls: int = N_WALLS) -> str:
    """A level from jaxued's random-wall generator, as text (ACCEL's and DR's source of new levels).

    Args:
        rng: the random generator.
        n_walls: wall cells drawn (with replacement).
    """
    return random_level_arrays(rng, n_walls).text()


def empty_level(rng: np.random.Generator) -> str:
    """A level without walls (agent, direction and goal at random): the ACCEL paper's start for edits."""
    return random_level(rng, n_walls=0)


def mutate_level(level: str, rng: np.random.Generator, num_edits: int) -> str:
    """jaxued's ACCEL edit of a level (minimax's: no-op, flip a wall, or move the goal; 1/3 each per edit).

    Args:
        level: a level text.
        rng: the curriculum's random generator (the only randomness used).
        num_edits: number of edits.

    Returns:
        The edited level's text.
    """
    parsed = parse_level(level)
    walls = parsed.walls.copy().reshape(-1)
    agent = parsed.agent[1] * SIZE + parsed.agent[0]
    goal = parsed.goal[1] * SIZE + parsed.goal[0]
    for _ in range(int(num_edits)):
        kind = int(rng.integers(3))  # 0 no-op, 1 flip a wall, 2 move the goal
        if kind == 1:
            cell = int(rng.integers(SIZE * SIZE - 2))
            cell += cell >= min(agent, goal)  # skip the agent's and the goal's cells
            cell += cell >= max(agent, goal)
            walls[cell] = not walls[cell]
        elif kind == 2:
            allowed = ~walls
            allowed[[agent, goal]] = False
            choices = np.flatnonzero(allowed)
            if len(choices):
                goal = int(choices[rng.integers(len(choices))])
    grid = walls.reshape(SIZE, SIZE)
    return level_text(grid, parsed.agent, parsed.direction, (goal % SIZE, goal // SIZE))


class MazeLevelSpace(TaskSpace):
    """The task space of `ued_maze`: every level text; `sample()` draws jaxued's random-wall generator.

    It is not finite (no task list): the trainer sends levels as tickets, DR samples new ones, ACCEL and the
    buffer-based PLR keep their own slots. `encode` gives a float array (walls, agent, direction, goal).

    Example:
        >>> space = MazeLevelSpace(seed=0)
        >>> space.contains(space.sample())
        True
    """

    def __init__(self, n_walls: int = N_WALLS, seed: int | None = None) -> None:
        super().__init__(seed)
        self.n_walls = int(n_walls)

    def __repr__(self) -> str:
        return f"MazeLevelSpace(n_walls={self.n_walls})"

    def contains(self, task: Any) -> bool:
        try:
            parse_level(task)
        except (LevelFormatError, TypeError):
            return False
        return True

    def sample(self) -> str:
        return random_level(self._rng, self.n_walls)

    def encode(self, task: Any) -> np.ndarray:
        level = parse_level(task)
        tail = [*level.agent, level.direction, *level.goal]
        return np.concatenate([level.walls.reshape(-1), tail]).astype(np.float32)

    def decode(self, encoded: Any) -> str:
        arr = np.asarray(encoded).astype(np.int64)
        ax, ay, direction, gx, gy = arr[SIZE * SIZE :]
        return level_text(arr[: SIZE * SIZE].reshape(SIZE, SIZE) > 0, (ax, ay), direction, (gx, gy))

    def task_name(self, index: int) -> str:
        return f"level{index}"

    def read_level_file(self, path: str | Path) -> dict[str, str]:
        """The named levels of a level file (what `sf_curric.eval --levels=FILE` plays); see `read_level_file`."""
        return read_level_file(path)
