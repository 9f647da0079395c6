"""Helpers of the runner tests: a short CartPole config, an event-file reader, a stats-reporting env."""

from pathlib import Path

import gymnasium as gym

from sf_curric.envs.training_info import TrainingInfoInterface
from sf_curric.utils.event_files import scalar_events


def short_args(tmp_path, experiment="exp", *extra):
    """A CartPole run of 2048 env steps that takes about a second."""
    return [
        "--env=CartPole-v1",
        f"--train_dir={tmp_path}",
        f"--experiment={experiment}",
        "--serial_mode=True",
        "--num_envs_per_worker=8",  # 256 samples per iteration: 8 iterations in 2048 steps (the tests count them)
        "--batch_size=256",
        "--num_batches_per_epoch=1",
        "--num_epochs=1",
        "--train_for_env_steps=2048",
        "--seed=1",
        *extra,
    ]


def read_scalars(exp_dir: Path) -> dict:
    """{tag: [(step, value), ...]} from the tensorboard event files of an experiment (every file, in order)."""
    scalars = {}
    for path in sorted(Path(exp_dir).rglob("events.out.tfevents.*")):
        for tag, step, value in scalar_events(path):
            scalars.setdefault(tag, []).append((step, value))
    return scalars


class StatsCartPole(gym.Wrapper, TrainingInfoInterface):
    """CartPole that reports nested episode_extra_stats and records the training info it receives."""

    received = []  # (approx_total_training_steps at each reset), shared by all instances

    def __init__(self):
        gym.Wrapper.__init__(self, gym.make("CartPole-v1"))
        TrainingInfoInterface.__init__(self)
        self.steps = 0

    def reset(self, **kwargs):
        StatsCartPole.received.append(self.training_info.get("approx_total_training_steps"))
        self.steps = 0
        return self.env.reset(**kwargs)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.steps += 1
        if terminated or truncated:
            info = dict(info, episode_extra_stats={"len_x2": 2 * self.steps, "group": {"one": 1.0}})
        return obs, reward, terminated, truncated, info
