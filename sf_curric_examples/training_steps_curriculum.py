"""A curriculum over the training budget: the env reads `training_progress` through `TrainingInfoInterface`.

CartPole starts every episode from a state drawn uniformly from `[-w, w]^4`. The half-width `w` grows linearly
from 0.05 (gymnasium's own start) to 0.25 over the first half of the run's budget, following the training progress
that the trainer sends to every env before its next reset: the fraction of `--train_for_env_steps` or of
`--train_for_seconds` used, whichever budget ends the run (so the ramp fits a run limited by seconds too). The
current width is reported per episode as a custom metric, so tensorboard shows the schedule next to the return
(`custom/init_half_width`).

Run:
    python sf_curric_examples/training_steps_curriculum.py --experiment=steps_curriculum --train_for_env_steps=200000
"""

from __future__ import annotations

import sys
from typing import Any

import gymnasium as gym
import numpy as np

from sf_curric import TrainingInfoInterface, register_env, run
from sf_curric.cfg.env_defaults import get_env_defaults, register_env_defaults

ENV_NAME = "cartpole_training_steps"
START_HALF_WIDTH = 0.05
END_HALF_WIDTH = 0.25
RAMP_SHARE = 0.5  # the range is at its widest from half the budget on


class TrainingStepsCartPole(gym.Wrapper, TrainingInfoInterface):
    """CartPole whose start-state range widens with the training progress so far.

    Args:
        env: a CartPole-v1 env.
        ramp_share: share of the budget after which the range stops growing.
    """

    def __init__(self, env: gym.Env, ramp_share: float = RAMP_SHARE):
        gym.Wrapper.__init__(self, env)
        TrainingInfoInterface.__init__(self)
        self.ramp_share = ramp_share
        self.half_width = START_HALF_WIDTH

    def _half_width(self) -> float:
        # training_progress lags the learner a little (it is sent every --training_info_interval_sec)
        progress = min(1.0, self.training_info.get("training_progress", 0.0) / self.ramp_share)
        return START_HALF_WIDTH + progress * (END_HALF_WIDTH - START_HALF_WIDTH)

    def reset(self, **kwargs: Any):
        obs, info = self.env.reset(**kwargs)
        self.half_width = self._half_width()
        cartpole = self.env.unwrapped
        cartpole.state = cartpole.np_random.uniform(-self.half_width, self.half_width, size=(4,))
        return np.array(cartpole.state, dtype=np.float32), info

    def step(self, action: Any):
        obs, reward, terminated, truncated, info = self.env.step(action)
        if terminated or truncated:
            info = dict(info, episode_extra_stats={"init_half_width": self.half_width})
        return obs, reward, terminated, truncated, info


def make_env(render_mode: str | None = None) -> gym.Env:
    """One env; the ramp takes the first half of the run's budget."""
    return TrainingStepsCartPole(gym.make("CartPole-v1", render_mode=render_mode))


def main() -> int:
    register_env(ENV_NAME, make_env)
    # CartPole's tuned defaults, and a longer run: the task gets harder as training goes
    register_env_defaults(ENV_NAME, **{**get_env_defaults("CartPole-v1"), "train_for_env_steps": 200_000})
    run([f"--env={ENV_NAME}", *sys.argv[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
