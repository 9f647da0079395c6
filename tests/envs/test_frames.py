"""--env_frameskip / --env_framestack on a pixel env given by its gymnasium id, and --summaries_use_frameskip's
frame counting, checked on an env whose frames show their step number."""

import gymnasium as gym
import numpy as np
import pytest

from sf_curric.command_line import default_cfg
from sf_curric.envs.frames import FrameStack, MaxAndSkip
from sf_curric.envs.registry import make_env
from sf_curric.train import run_with_result

PIXELS_ID = "SfcTestPixels-v0"


class StepPixels(gym.Env):
    """36x36x1 frames whose pixels all equal the step number (even steps) or step number - 1 (odd: a flicker that
    the max over two frames removes); reward 1 a step; 10 steps an episode."""

    observation_space = gym.spaces.Box(0, 255, (36, 36, 1), np.uint8)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, render_mode=None):
        self.render_mode = render_mode

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self._frame(), {}

    def _frame(self):
        return np.full((36, 36, 1), self.t - (self.t % 2), np.uint8)

    def step(self, action):
        self.t += 1
        return self._frame(), 1.0, self.t >= 10, False, {}


if PIXELS_ID not in gym.registry:
    gym.register(PIXELS_ID, entry_point=StepPixels)


def test_max_and_skip_sums_rewards_and_keeps_the_max_of_the_last_two_frames():
    env = MaxAndSkip(StepPixels(), 3)
    env.reset()
    obs, reward, terminated, _, _ = env.step(0)  # frames 1 (shown 0) .. 3 (shown 2): max of the last two = 2
    assert reward == 3.0 and obs.max() == obs.min() == 2 and not terminated
    for _ in range(2):
        env.step(0)  # steps 4..9
    obs, reward, terminated, _, _ = env.step(0)  # step 10 ends the episode after one frame
    assert reward == 1.0 and terminated and obs.max() == 10


def test_frame_stack_concatenates_the_last_frames_oldest_first():
    env = FrameStack(StepPixels(), 3)
    obs, _ = env.reset()
    assert obs.shape == (36, 36, 3) and env.observation_space.shape == (36, 36, 3)
    assert obs[0, 0].tolist() == [0, 0, 0]  # the first frame fills the stack
    for _ in range(4):
        obs, *_ = env.step(0)
    assert obs[0, 0].tolist() == [2, 2, 4]  # steps 2, 3 (shown 2), 4


def test_make_env_wraps_a_pixel_gymnasium_id_and_nothing_else():
    cfg = default_cfg(PIXELS_ID, env_frameskip=2, env_framestack=4)
    env = make_env(cfg, {"worker_index": 0, "vector_index": 0, "env_id": 0})
    obs, _ = env.reset(seed=0)
    assert obs.shape == (36, 36, 4)
    _, reward, *_ = env.step(0)
    assert reward == 2.0
    cartpole = make_env(default_cfg("CartPole-v1", env_frameskip=2, env_framestack=4))
    assert cartpole.observation_space.shape == (4,)


@pytest.mark.parametrize("count_frames, expected", [(True, 1024), (False, 768)])
def test_summaries_use_frameskip_counts_frames(tmp_path, count_frames, expected):
    # 8 envs x 32 steps = 256 policy steps a batch; with --env_frameskip=2 counted as 512 frames
    result = run_with_result([
        f"--env={PIXELS_ID}", f"--train_dir={tmp_path}", "--experiment=frames", "--serial_mode=True",
        "--num_envs_per_worker=8", "--rollout=32", "--batch_size=256", "--env_frameskip=2", "--env_framestack=2",
        "--train_for_env_steps=600", f"--summaries_use_frameskip={count_frames}", "--auto_defaults=False",
        "--num_batches_per_epoch=1", "--num_workers=1",
    ])  # fmt: skip
    assert result.env_steps == expected
