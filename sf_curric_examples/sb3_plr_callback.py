"""Stable-Baselines3 PPO with Prioritized Level Replay: envs in `SubprocVecEnv`, PLR fed by a callback.

Envs run in SB3's `SubprocVecEnv` workers (forkserver start, factories sent with cloudpickle) and take a level
from PLR on every reset through `MultiProcessingSyncWrapper`. After every environment step `PLRCallback` streams
the learner's values to PLR with the "on_demand" update (seed 004's SB3 tab), with two corrections: the task of
each step comes from that step's `info["task"]` (after an auto-reset, `get_attr("task")` would already name the
next level), and `next_value` is the value of the new observation rather than a copy of `values`.

Run (needs `pip install stable-baselines3`):
    python sf_curric_examples/sb3_plr_callback.py --total-timesteps 50000
"""

from __future__ import annotations

import argparse
from typing import Any, Dict, List

import gymnasium as gym
import numpy as np

from sf_curric.core import MultiProcessingSyncWrapper, make_multiprocessing_curriculum
from sf_curric.curricula import PrioritizedLevelReplay
from sf_curric_examples.cartpole_levels import CartPoleLevels


def make_env(task_queue: Any, update_queue: Any):
    def thunk() -> gym.Env:
        return MultiProcessingSyncWrapper(CartPoleLevels(gym.make("CartPole-v1")), task_queue, update_queue)

    return thunk


def make_plr_callback(curriculum: Any) -> Any:
    """A `BaseCallback` that streams every step to PLR (built here so that SB3 is imported only when used)."""
    import torch
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.utils import obs_as_tensor

    class PLRCallback(BaseCallback):
        def __init__(self, curriculum: Any, verbose: int = 0) -> None:
            super().__init__(verbose)
            self.curriculum = curriculum
            self.num_updates = 0
            self.num_episodes = 0

        def _on_step(self) -> bool:
            infos = self.locals["infos"]
            with torch.no_grad():
                new_obs = obs_as_tensor(self.locals["new_obs"], self.model.policy.device)
                next_value = self.model.policy.predict_values(new_obs).cpu().numpy().reshape(-1)
            update = {
                "update_type": "on_demand",
                "metrics": {
                    "value": self.locals["values"].detach().cpu().numpy().reshape(-1),
                    "next_value": next_value,
                    "rew": self.locals["rewards"],
                    "dones": self.locals["dones"],
                    "tasks": [info["task"] for info in infos],
                },
            }
            self.curriculum.update_curriculum(update)
            self.num_updates += 1
            self.num_episodes += int(np.sum(self.locals["dones"]))
            return True

    return PLRCallback(curriculum)


def main(argv: List[str] | None = None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--total-timesteps", type=int, default=50_000)
    parser.add_argument("--num-envs", type=int, default=4)
    parser.add_argument("--n-steps", type=int, default=128)
    parser.add_argument("--num-levels", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import SubprocVecEnv, VecMonitor

    torch.set_num_threads(1)  # tiny MLP: more threads only contend with the env workers
    plr = PrioritizedLevelReplay(
        gym.spaces.Discrete(args.num_levels), num_steps=args.n_steps, num_processes=args.num_envs, seed=args.seed
    )
    curriculum, task_queue, update_queue = make_multiprocessing_curriculum(plr)
    venv = VecMonitor(SubprocVecEnv([make_env(task_queue, update_queue) for _ in range(args.num_envs)]))
    try:
        model = PPO("MlpPolicy", venv, n_steps=args.n_steps, batch_size=64, seed=args.seed, verbose=0)
        callback = make_plr_callback(curriculum)
        model.learn(args.total_timesteps, callback=callback)
        returns = [ep["r"] for ep in model.ep_info_buffer]
    finally:
        venv.close()
    curriculum.flush()
    stats = {
        "plr_updates": callback.num_updates,
        "episodes": callback.num_episodes,
        "curriculum_episodes": curriculum.total_episodes,
        "levels_seen": int(curriculum.task_sampler.num_seen),
        "mean_recent_return": float(np.mean(returns)) if returns else float("nan"),
    }
    curriculum.stop()
    print(stats)
    return stats


if __name__ == "__main__":
    main()
