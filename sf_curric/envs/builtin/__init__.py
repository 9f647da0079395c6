"""Built-in envs, registered by the env registry when it first looks a name up (so `--env=cartpole_curriculum`
needs no user code). A name the user registered first keeps the user's registration.

This package only lists them: it imports neither the registry nor the evaluation code, which read it.
"""

from typing import Any, Callable

from sf_curric.envs.builtin import frozen_lake_curriculum as frozen_lake
from sf_curric.envs.builtin.budget_duel import make_budget_duel, make_pettingzoo_classic
from sf_curric.envs.builtin.cartpole_curriculum import eval_groups, make_cartpole_curriculum, task_space
from sf_curric.envs.builtin.maze_levels import maze_levels_registration
from sf_curric.envs.builtin.minigrid_curricula import MASTERING_RATE_CURRICULA, minigrid_curriculum_envs
from sf_curric.envs.builtin.ued_maze import make_ued_maze
from sf_curric.envs.builtin.ued_maze_levels import MazeLevelSpace, mutate_level, random_level
from sf_curric.envs.builtin.ued_maze_prefabs import HAND_DESIGNED
from sf_curric.envs.builtin.ued_maze_vector import make_ued_maze_vector


def builtin_envs() -> list[tuple[str, Callable[..., Any], dict[str, Any]]]:
    """`(name, make_env_fn, register_env keyword arguments)` of every built-in env."""
    make_maze, maze_kwargs = maze_levels_registration()
    return [
        ("cartpole_curriculum", make_cartpole_curriculum, {"task_space": task_space(), "curriculum": "simple_box"}),
        # procedurally generated mazes for PLR, Robust PLR, ACCEL, learnability (docs/benchmarks.md)
        ("maze_levels", make_maze, maze_kwargs),
        (
            "frozen_lake_curriculum",
            frozen_lake.make_frozen_lake_curriculum,
            {"task_space": frozen_lake.task_space(), "curriculum": "performance"},
        ),
        # the UED papers' maze (jaxued's rules); no curriculum: every reset draws a random level (DR)
        (
            "ued_maze",
            make_ued_maze,
            {
                "task_space": MazeLevelSpace(),
                "mutate": mutate_level,
                "generate_level": random_level,
                "level_sets": {"hand_designed": dict(HAND_DESIGNED)},
                "vector_env": make_ued_maze_vector,
            },
        ),
        # multi-agent games (docs/multi_agent.md): every agent is a column of the batch
        ("budget_duel", make_budget_duel, {}),
        ("tictactoe", make_pettingzoo_classic, {}),  # needs the pettingzoo extra when used
        ("connect_four", make_pettingzoo_classic, {}),
        # the Mastering Rate paper's MiniGrid curricula (mr_blockedunlockpickup, ...): needs the minigrid extra
        *minigrid_curriculum_envs(),
    ]


# env name -> make_groups(rng, n) of the end-of-training table (sf_curric.evaluation.final_eval)
BUILTIN_EVAL_GROUPS = {
    "cartpole_curriculum": eval_groups,
    "frozen_lake_curriculum": frozen_lake.eval_groups,
    **{name: curriculum.eval_groups for name, curriculum in MASTERING_RATE_CURRICULA.items()},  # one group per env
}
