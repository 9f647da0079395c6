"""Procgen with Prioritized Level Replay: a fixed set of training levels, PLR picks the level of every episode.

The PLR paper's setting (arXiv 2010.03934): 200 training levels of a Procgen game, evaluated on unseen levels. A
task is a level seed; `procgen2` (Python 3.11 wheels of Procgen 0.10.7) runs one level per env through its gym3
interface, and this file adapts it to gymnasium. Observations are 64x64x3 images (a CNN reads them).

procgen2 pulls gym 0.26 and numpy 1.26, so keep it out of your main environment; give it its own venv:

    python3 -m venv .venv-procgen
    .venv-procgen/bin/pip install torch==2.13.0          # first: pins the CPU build
    .venv-procgen/bin/pip install procgen2 -e .
    .venv-procgen/bin/python sf_curric_examples/procgen_plr.py --experiment=bigfish_plr --curriculum=plr
    .venv-procgen/bin/python sf_curric_examples/procgen_plr.py --experiment=bigfish_dr --curriculum=dr
    .venv-procgen/bin/python sf_curric_examples/procgen_plr.py eval --experiment=bigfish_plr --test_tasks=1000:1100

The first word `eval` (or `enjoy`) runs `sf_curric.eval` (or `sf_curric.enjoy`) with this env registered.
Episode ends: Procgen does not tell a time limit from a terminal state, so every end counts as terminated.
"""

from __future__ import annotations

import sys
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from sf_curric import TaskEnv, register_env, run
from sf_curric.cfg.env_defaults import register_env_defaults

ENV_NAME = "procgen_bigfish_plr"
GAME = "bigfish"
DISTRIBUTION_MODE = "easy"
NUM_LEVELS = 200


class ProcgenLevels(TaskEnv):
    """One Procgen game on one level at a time; the task is the level seed.

    gym3 resets by itself at the end of an episode (on the same level, since the env holds one level), so a reset
    right after an episode end continues with the observation it already has; a new level builds a new game.

    Args:
        game: Procgen game name, e.g. "bigfish".
        distribution_mode: "easy" or "hard".
        render_mode: "rgb_array" for videos (512x512 frames), else None.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 15}

    def __init__(self, game: str = GAME, distribution_mode: str = DISTRIBUTION_MODE, render_mode: str | None = None):
        super().__init__()  # no task_space: held-out levels are seeds outside the registered training set
        self.game = game
        self.distribution_mode = distribution_mode
        self.render_mode = render_mode
        self.observation_space = spaces.Box(0, 255, (64, 64, 3), np.uint8)
        self.action_space = spaces.Discrete(15)
        self.level = 0
        self._venv: Any = None
        self._venv_level: int | None = None
        self._episode_over = False
        self._obs: np.ndarray | None = None

    def change_task(self, new_task: Any) -> None:
        self.level = int(new_task)

    def _build(self) -> None:
        from procgen import ProcgenGym3Env

        if self._venv is not None:
            self._venv.close()
        self._venv = ProcgenGym3Env(
            num=1,
            env_name=self.game,
            start_level=self.level,
            num_levels=1,
            distribution_mode=self.distribution_mode,
            render_mode="rgb_array" if self.render_mode else None,
        )
        self._venv_level = self.level
        _, obs, _ = self._venv.observe()
        self._obs = obs["rgb"][0]

    def _reset(self, seed: int | None = None, options: dict | None = None) -> tuple:
        if self._venv is None or self._venv_level != self.level or not self._episode_over:
            self._build()
        self._episode_over = False
        return self._obs.copy(), {"level": self.level}

    def _step(self, action: Any) -> tuple:
        self._venv.act(np.array([int(action)]))
        reward, obs, first = self._venv.observe()
        self._obs = obs["rgb"][0]
        done = bool(first[0])  # the episode ended; obs is already the first one of the next episode
        self._episode_over = done
        info = {}
        if done:
            complete = self._venv.get_info()[0].get("prev_level_complete", 0)
            info["episode_extra_stats"] = {"level_complete": float(complete)}
        return self._obs.copy(), float(reward[0]), done, False, info

    def render(self) -> np.ndarray | None:
        if self.render_mode is None or self._venv is None:
            return None
        return self._venv.get_info()[0]["rgb"]

    def close(self) -> None:
        if self._venv is not None:
            self._venv.close()
            self._venv = None


def make_env(render_mode: str | None = None) -> gym.Env:
    """One Procgen env with level-seed tasks."""
    return ProcgenLevels(render_mode=render_mode)


def register() -> None:
    """Register the env and the PLR paper's PPO settings (scaled to this trainer's flags)."""
    register_env(ENV_NAME, make_env, task_space=spaces.Discrete(NUM_LEVELS), curriculum="plr")
    register_env_defaults(
        ENV_NAME,
        num_envs_per_worker=16,
        rollout=256,
        batch_size=2048,
        num_epochs=3,
        gamma=0.999,
        gae_lambda=0.95,
        learning_rate=5e-4,
        exploration_loss_coeff=0.01,
        ppo_clip_ratio=0.2,
        train_for_env_steps=25_000_000,
        plr_temperature=0.1,
        plr_staleness_coef=0.1,
    )


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
