"""MiniGrid with Prioritized Level Replay: `--curriculum=plr` over a fixed set of training levels (level seeds).

A level is a seed of `MiniGrid-DoorKey-5x5-v0`: the seed fixes the wall, door and key positions and the agent's
start, so a level is deterministic, as PLR assumes. The task space `Discrete(NUM_LEVELS)` is the training set;
the trainer asks PLR for a level at every reset and the learner scores levels from its own value estimates
(`--plr_strategy=value_l1` by default). Held-out levels (seeds >= NUM_LEVELS) measure generalization:

    pip install -e ".[minigrid]"
    python sf_curric_examples/minigrid_plr.py --experiment=minigrid_plr --curriculum=plr
    python sf_curric_examples/minigrid_plr.py --experiment=minigrid_dr --curriculum=dr   # uniform levels
    python sf_curric_examples/minigrid_plr.py eval --experiment=minigrid_plr --test_tasks=1000:1200

The first word `eval` (or `enjoy`) runs `sf_curric.eval` (or `sf_curric.enjoy`) with this env registered.
Observations: MiniGrid's own Dict (the 7x7x3 symbolic view and the direction; the mission text is left out), as
`--env=MiniGrid-DoorKey-5x5-v0` gets them from the command line, with the same MiniGrid defaults
(`sf_curric.cfg.env_defaults.MINIGRID`: rl-starter-files' conv agent and PPO settings; docs/observation_spaces.md).
"""

from __future__ import annotations

import sys
from typing import Any

import gymnasium as gym
from gymnasium.spaces import Discrete

from sf_curric import TaskWrapper, register_env, run
from sf_curric.cfg.env_defaults import MINIGRID, register_env_defaults

ENV_NAME = "minigrid_doorkey_plr"
MINIGRID_ID = "MiniGrid-DoorKey-5x5-v0"
NUM_LEVELS = 200


class MiniGridLevels(TaskWrapper):
    """A MiniGrid env whose task is a level seed: every reset regenerates exactly that level.

    No `task_space` here on purpose: the registered `Discrete(NUM_LEVELS)` is the training set, and evaluation on
    held-out levels passes seeds outside it.

    Args:
        env: a MiniGrid env.
    """

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.level = 0

    def change_task(self, new_task: Any) -> None:
        self.level = int(new_task)

    def reset(self, *, seed: int | None = None, options: dict | None = None, new_task: Any = None):
        # the level seed, not the trainer's seed, fixes the layout (the trainer's seeds only vary free play)
        level = self.level if new_task is None else int(new_task)
        return super().reset(seed=level, options=options, new_task=new_task)


def make_env(render_mode: str | None = None) -> gym.Env:
    """One MiniGrid env with level-seed tasks (its Dict observations as they are)."""
    import minigrid  # noqa: F401  (registers the MiniGrid ids with gymnasium)

    return MiniGridLevels(gym.make(MINIGRID_ID, render_mode=render_mode))


def register() -> None:
    """Register the env and its training defaults."""
    register_env(ENV_NAME, make_env, task_space=Discrete(NUM_LEVELS), curriculum="plr")
    register_env_defaults(ENV_NAME, **MINIGRID)


def main() -> int:
    register()
    argv = sys.argv[1:]
    if argv and argv[0] in ("eval", "enjoy"):
        from importlib import import_module

        import_module(f"sf_curric.{argv[0]}").run([f"--env={ENV_NAME}", *argv[1:]])
    else:
        run([f"--env={ENV_NAME}", *argv])
    return 0


if __name__ == "__main__":
    sys.exit(main())
