"""`register_maze_levels`: maze_levels under another name, level count, view or ACCEL generator than the built-in
`--env=maze_levels`. Apart from the built-in env's module, which the registry lists: that module imports no registry.
"""

from __future__ import annotations

from sf_curric.envs.builtin.maze_levels import BUILTIN_NUM_LEVELS, BUILTIN_VIEW, maze_levels_registration
from sf_curric.envs.registry import register_env


def register_maze_levels(
    num_levels: int = BUILTIN_NUM_LEVELS,
    view: int = BUILTIN_VIEW,
    name: str = "maze_levels",
    accel_generator: str = "seeds",
) -> None:
    """Register maze_levels under `name` with other settings than the built-in `--env=maze_levels` (200 levels,
    5x5 view, ACCEL's new levels from the training seeds); see `maze_levels_registration`.

    Args:
        num_levels: training levels (seeds 0 .. num_levels - 1).
        view: side of the egocentric wall view.
        name: the env name.
        accel_generator: ACCEL's new levels: "seeds", "random" or "empty".
    """
    make_env_fn, kwargs = maze_levels_registration(num_levels, view, accel_generator)
    register_env(name, make_env_fn, **kwargs)
