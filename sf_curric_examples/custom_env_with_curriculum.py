"""A custom task env trained with Prioritized Level Replay, in one file.

    python sf_curric_examples/custom_env_with_curriculum.py --experiment=corridor_plr --train_for_env_steps=200000

`Corridor` has 32 levels: level k is a corridor of 2 + k cells with the goal at the far end. PLR (chosen by
`register_env(..., curriculum="plr")`; change it with `--curriculum=dr` and its options with `--plr_*`) replays the
levels whose value error is largest. The learner computes those scores from the batches it trains on: no extra code.
"""

import sys

import numpy as np
from gymnasium.spaces import Box, Discrete

from sf_curric import TaskEnv, register_env, run
from sf_curric.cfg.env_defaults import register_env_defaults

NUM_LEVELS = 32


class Corridor(TaskEnv):
    """Walk right (action 1) to the end of a corridor whose length is set by the level."""

    observation_space = Box(0.0, 1.0, shape=(3,), dtype=np.float32)
    action_space = Discrete(2)

    def __init__(self):
        super().__init__(task_space=Discrete(NUM_LEVELS))
        self.task = 0
        self.length = 2
        self.position = 0
        self.steps = 0

    def change_task(self, new_task):
        self.length = 2 + int(new_task)

    def _obs(self):
        return np.array([self.position / self.length, self.length / (2 + NUM_LEVELS), 1.0], dtype=np.float32)

    def _reset(self, seed=None, options=None):
        self.position, self.steps = 0, 0
        return self._obs(), {}

    def _step(self, action):
        self.position = max(0, self.position + (1 if action == 1 else -1))
        self.steps += 1
        reached = self.position >= self.length
        timeout = self.steps >= 4 * self.length
        reward = 1.0 if reached else -0.01
        return self._obs(), reward, reached, timeout and not reached, {}

    def _task_completion(self, obs, rew, terminated, truncated, info):
        return float(self.position >= self.length)


def make_corridor():
    return Corridor()


register_env("corridor", make_corridor, task_space=Discrete(NUM_LEVELS), curriculum="plr")
register_env_defaults("corridor", num_workers=2, num_envs_per_worker=8, rollout=32, batch_size=512, device="cpu")

if __name__ == "__main__":
    run(["--env=corridor", *sys.argv[1:]])
