"""Published zero-shot solve rates on the hand-designed mazes, beside which benchmarks/ued_maze_table.py prints ours.

Source: the papers' own per-seed results in facebookresearch/dcd (commit 72991be, `results/minigrid_ood/*.csv`, rows
`solved_rate:<env id>`), the data behind the Robust PLR paper's (arXiv 2110.02439) and the ACCEL paper's (arXiv
2203.01302) maze figures. Each entry: (mean over seeds, standard deviation over seeds, seeds).

The mazes are matched by layout (walls, start, goal; checked cell by cell against dcd's `envs/multigrid/maze.py`):
SixteenRooms = MultiGrid-SixteenRooms-v0, SixteenRooms2 = MultiGrid-SixteenRoomsFewerDoors-v0, Labyrinth(2) =
MultiGrid-Labyrinth(2)-v0, StandardMaze = MultiGrid-Maze-v0, StandardMaze2 = MultiGrid-Maze2-v0 (dcd's
HorizontalMazeEnv), StandardMaze3 = MultiGrid-Maze3-v0. LabyrinthFlipped is jaxued's own (no published number).
dcd's mazes are MiniGrid grids of 15x15 with the outer wall; jaxued's 13x13 are their inside, the same level.

The settings differ: the Robust PLR paper trains on 25-block mazes for 250M env steps (jaxued's default setting:
25 walls, 30k updates of 32 x 256 = 246M steps), the ACCEL paper on mazes of 0-60 blocks for 20k PPO updates
(ACCEL starts from empty mazes). Neither published ACCEL on the 25-block setting.
"""

from __future__ import annotations

SOURCE = "facebookresearch/dcd@72991be results/minigrid_ood (per-seed solved_rate)"

PUBLISHED = {
    "robust_plr_paper: 25 blocks, 250M steps": {
        "dr": {
            "SixteenRooms": (0.903, 0.151, 10),
            "Labyrinth": (0.183, 0.363, 10),
            "Labyrinth2": (0.204, 0.366, 10),
            "StandardMaze": (0.036, 0.061, 10),
            "StandardMaze2": (0.046, 0.060, 10),
        },
        "plr": {
            "SixteenRooms": (0.958, 0.133, 10),
            "Labyrinth": (0.343, 0.458, 10),
            "Labyrinth2": (0.372, 0.429, 10),
            "StandardMaze": (0.281, 0.425, 10),
            "StandardMaze2": (0.407, 0.439, 10),
        },
        "robust_plr": {
            "SixteenRooms": (0.834, 0.273, 10),
            "Labyrinth": (0.538, 0.450, 10),
            "Labyrinth2": (0.590, 0.449, 10),
            "StandardMaze": (0.592, 0.404, 10),
            "StandardMaze2": (0.383, 0.440, 10),
        },
    },
    "accel_paper: 0-60 blocks, 20k updates": {
        "dr": {
            "SixteenRooms": (0.872, 0.139, 5),
            "SixteenRooms2": (0.534, 0.412, 5),
            "Labyrinth": (0.452, 0.504, 5),
            "Labyrinth2": (0.540, 0.397, 5),
            "StandardMaze": (0.434, 0.504, 5),
            "StandardMaze2": (0.486, 0.366, 5),
            "StandardMaze3": (0.694, 0.435, 5),
        },
        "robust_plr": {
            "SixteenRooms": (0.952, 0.058, 5),
            "SixteenRooms2": (0.488, 0.369, 5),
            "Labyrinth": (0.550, 0.504, 5),
            "Labyrinth2": (0.664, 0.392, 5),
            "StandardMaze": (0.542, 0.418, 5),
            "StandardMaze2": (0.742, 0.295, 5),
            "StandardMaze3": (0.754, 0.272, 5),
        },
        "accel": {
            "SixteenRooms": (1.000, 0.000, 5),
            "SixteenRooms2": (0.934, 0.117, 5),
            "Labyrinth": (0.740, 0.360, 5),
            "Labyrinth2": (0.846, 0.344, 5),
            "StandardMaze": (0.780, 0.437, 5),
            "StandardMaze2": (0.998, 0.004, 5),
            "StandardMaze3": (0.840, 0.198, 5),
        },
    },
}


def published(method: str, maze: str) -> list[tuple[str, tuple[float, float, int]]]:
    """`(setting, (mean, sd, seeds))` of every published number for `method` on `maze` (empty when none)."""
    return [(setting, table[method][maze]) for setting, table in PUBLISHED.items() if maze in table.get(method, {})]
