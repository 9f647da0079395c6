"""ALE Breakout with pixel observations, built identically for sf_curric and for Sample Factory 2.1.1.

The same code runs under gymnasium 1.x with ale-py 0.12 (sf_curric's side) and under gymnasium 0.29 with ale-py
0.9 (Sample Factory's venv, which pins gymnasium < 1): `ALE/Breakout-v5` without sticky actions, gymnasium's
`AtariPreprocessing` (frame skip 4 with max-pooling of the last two frames, up to 30 no-ops at reset, 84x84
grayscale) and a 4-frame stack written by the small wrapper below, so that both trainers see the same
observations and the same episodes (full games of 5 lives, unclipped rewards). Only the layout differs: sf_curric's
CNN reads HWC images, Sample Factory's reads CHW.
"""

from __future__ import annotations

from collections import deque

import gymnasium as gym
import numpy as np

FRAME_STACK = 4
SCREEN_SIZE = 84


class StackFrames(gym.Wrapper):
    """Keeps the last `num_frames` 2-D frames and returns them stacked as one uint8 array (HWC or CHW).

    Written here rather than taken from gymnasium because its frame-stack wrapper changed name and output type
    between 0.29 and 1.x.

    Args:
        env: an env with `(H, W)` uint8 observations.
        num_frames: frames in the stack.
        channels_last: True for `(H, W, num_frames)`, False for `(num_frames, H, W)`.
    """

    def __init__(self, env: gym.Env, num_frames: int, channels_last: bool):
        super().__init__(env)
        height, width = env.observation_space.shape
        self.channels_last = channels_last
        self.frames: deque = deque(maxlen=num_frames)
        shape = (height, width, num_frames) if channels_last else (num_frames, height, width)
        self.observation_space = gym.spaces.Box(0, 255, shape, np.uint8)

    def _stacked(self) -> np.ndarray:
        return np.stack(self.frames, axis=-1 if self.channels_last else 0)

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        for _ in range(self.frames.maxlen):
            self.frames.append(obs)
        return self._stacked(), info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.frames.append(obs)
        return self._stacked(), reward, terminated, truncated, info


def make_breakout(channels_last: bool = True) -> gym.Env:
    """Breakout, 84x84 grayscale, frame skip 4, 4 stacked frames (uint8).

    Args:
        channels_last: True for HWC observations (sf_curric), False for CHW (Sample Factory).
    """
    import ale_py

    if hasattr(gym, "register_envs"):  # gymnasium 1.x; with 0.29 ale-py registers through an entry point
        gym.register_envs(ale_py)
    env = gym.make("ALE/Breakout-v5", frameskip=1, repeat_action_probability=0.0)
    env = gym.wrappers.AtariPreprocessing(
        env, frame_skip=4, screen_size=SCREEN_SIZE, grayscale_obs=True, noop_max=30, terminal_on_life_loss=False
    )
    return StackFrames(env, FRAME_STACK, channels_last)


def make_breakout_hwc() -> gym.Env:
    """sf_curric's Breakout (HWC observations); a module-level function so that worker processes can unpickle it."""
    return make_breakout(channels_last=True)
