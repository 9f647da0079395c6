"""Hand-designed `maze_levels` mazes: a held-out zero-shot test set, in the spirit of the PAIRED / ACCEL suites.

None of these comes from the level generator (random walls at a random density): they have long corridors,
rooms joined by doors and dead ends, which a policy only masters if it learned to navigate rather than to walk
towards the compass. Evaluate on them with `--eval_level_set=hand_designed` (the built-in `maze_levels` and
`register_maze_levels()` register them).

    >>> from sf_curric.envs.builtin.maze_designs import HAND_DESIGNED
    >>> print(HAND_DESIGNED["rooms"])
"""

from __future__ import annotations

import numpy as np

LABYRINTH = """\
...........
.#########.
.#.......#.
.#.#####.#.
.#.#...#.#.
.#.#.G.#.#.
.#.#.###.#.
.#.#.....#.
.#.#######.
.#........S
.##########"""

SPIRAL = """\
S..........
##########.
.........#.
.#######.#.
.#.....#.#.
.#.#G#.#.#.
.#.#...#.#.
.#.#####.#.
.#.......#.
.#########.
..........."""

ROOMS = """\
.....#.....
.S...#.....
...........
.....#.....
.....#.....
##.####.###
.....#.....
.....#.....
...........
.....#...G.
.....#....."""

CORRIDORS = """\
S.#...#....
..#.#.#.#..
..#.#.#.#..
..#.#.#.#..
..#.#.#.#..
..#.#.#.#..
..#.#.#.#..
..#.#.#.#..
..#.#.#.#..
....#...#.G
....#...#.."""

WALL_GAP = """\
.....#.....
.....#.....
.....#.....
.....#.....
.....#.....
.S...#...G.
.....#.....
.....#.....
.....#.....
.....#.....
..........."""


def perfect_maze(seed: int = 7) -> str:
    """A perfect maze (one path between any two cells): depth-first carving on the 6x6 grid of even cells, start
    top-left, goal bottom-right.

    Args:
        seed: seed of the carving order.
    """
    rng = np.random.default_rng(seed)
    walls = np.ones((11, 11), dtype=bool)
    stack = [(0, 0)]
    walls[0, 0] = False
    while stack:
        r, c = stack[-1]
        options = [(r + dr, c + dc) for dr, dc in ((-2, 0), (2, 0), (0, -2), (0, 2))]
        options = [(a, b) for a, b in options if 0 <= a < 11 and 0 <= b < 11 and walls[a, b]]
        if not options:
            stack.pop()
            continue
        a, b = options[int(rng.integers(len(options)))]
        walls[(r + a) // 2, (c + b) // 2] = False
        walls[a, b] = False
        stack.append((a, b))
    grid = np.where(walls, "#", ".")
    grid[0, 0], grid[10, 10] = "S", "G"
    return "\n".join("".join(row) for row in grid)


HAND_DESIGNED = {
    "labyrinth": LABYRINTH,
    "spiral": SPIRAL,
    "rooms": ROOMS,
    "corridors": CORRIDORS,
    "wall_gap": WALL_GAP,
    "perfect_maze": perfect_maze(),
}
