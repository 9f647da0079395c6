"""Custom summary metrics: an env reports `info["episode_extra_stats"]` at the end of an episode.

Every number in that dict (nested dicts too) is averaged over the last `--stats_avg` episodes and written to
tensorboard as `custom/<key>` (`custom/<outer>/<inner>` for nested dicts). Here CartPole reports how far the cart
travelled, the largest pole angle, and the fraction of "push left" actions of each episode.

Run:
    python sf_curric_examples/custom_metrics.py --experiment=custom_metrics
    tensorboard --logdir train_dir
"""

from __future__ import annotations

import sys
from typing import Any

import gymnasium as gym

from sf_curric import register_env, run
from sf_curric.cfg.env_defaults import get_env_defaults, register_env_defaults

ENV_NAME = "cartpole_custom_metrics"


class EpisodeStatsCartPole(gym.Wrapper):
    """CartPole that summarizes each episode in `info["episode_extra_stats"]` on its last step."""

    def reset(self, **kwargs: Any):
        obs, info = self.env.reset(**kwargs)
        self.max_abs_position = abs(float(obs[0]))
        self.max_abs_angle = abs(float(obs[2]))
        self.left_pushes = 0
        self.steps = 0
        return obs, info

    def step(self, action: Any):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.steps += 1
        self.left_pushes += int(action) == 0
        self.max_abs_position = max(self.max_abs_position, abs(float(obs[0])))
        self.max_abs_angle = max(self.max_abs_angle, abs(float(obs[2])))
        if terminated or truncated:
            info = dict(info)
            info["episode_extra_stats"] = {
                "max_abs_cart_position": self.max_abs_position,
                "max_abs_pole_angle": self.max_abs_angle,
                "fell": float(terminated),  # 1.0 when the pole fell, 0.0 when the time limit ended the episode
                "actions": {"left_fraction": self.left_pushes / self.steps},  # nested: custom/actions/left_fraction
            }
        return obs, reward, terminated, truncated, info


def make_env(render_mode: str | None = None) -> gym.Env:
    """One CartPole that reports custom episode stats."""
    return EpisodeStatsCartPole(gym.make("CartPole-v1", render_mode=render_mode))


def main() -> int:
    register_env(ENV_NAME, make_env)
    register_env_defaults(ENV_NAME, **get_env_defaults("CartPole-v1"))
    run([f"--env={ENV_NAME}", *sys.argv[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
