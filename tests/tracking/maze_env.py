"""A maze_levels env with 40 training levels, registered for the tracking tests (held-out levels: 40..79)."""

from gymnasium.spaces import Discrete

from sf_curric.envs.builtin.maze_levels import make_maze_levels
from sf_curric.envs.registry import register_env

MAZE_ENV = "tracking_test_maze"
NUM_LEVELS = 40

register_env(MAZE_ENV, make_maze_levels, task_space=Discrete(NUM_LEVELS), curriculum="dr")
