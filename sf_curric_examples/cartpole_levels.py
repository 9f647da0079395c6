"""CartPole levels for the sync examples: the task (a level index) fixes the pole length and the start state.

Kept in its own small module so that env worker processes import gymnasium only, not torch.
"""

from __future__ import annotations

from typing import Any

from sf_curric.envs.task_wrapper import TaskWrapper


class CartPoleLevels(TaskWrapper):
    """CartPole whose task (a level index) sets the pole length and the seed of the start state.

    Example:
        >>> env = CartPoleLevels(gym.make("CartPole-v1"))
        >>> obs, info = env.reset(new_task=3)
    """

    def change_task(self, new_task: int) -> None:
        cartpole = self.env.unwrapped
        cartpole.length = 0.3 + 0.05 * (new_task % 8)  # half pole length, 0.3 .. 0.65
        cartpole.polemass_length = cartpole.masspole * cartpole.length
        self._level_seed = int(new_task)

    def reset(self, *, seed: int | None = None, options: dict | None = None, **kwargs: Any):
        obs, info = super().reset(seed=seed, options=options, **kwargs)
        if seed is None and getattr(self, "_level_seed", None) is not None:
            obs, _ = self.env.reset(seed=self._level_seed)  # a level is deterministic: it fixes the start state
            obs = self.observation(obs)
        return obs, info
