"""PufferLib 3.0 on CartPole-v1 for benchmarks/solve_race.py and throughput.py (run with benchmarks/.venv-puffer).

    .venv-puffer/bin/python benchmarks/puffer_train.py solve --seed=1 --budget=200000
    .venv-puffer/bin/python benchmarks/puffer_train.py fps --seconds=20

PufferLib's own PPO trainer (`pufferlib.pufferl.PuffeRL`) on the CPU, with gymnasium's CartPole-v1 (PufferLib's
classic_control config uses CartPole-v0, 200 steps) behind its emulation layer and its multiprocessing vector
backend, and the same model as sf_curric's CartPole runs: separate 64-64 tanh actor and critic. Settings: its
default.ini with the CPU changes (device cpu, Adam: its Muon optimizer needs the heavyball package) and sizes that
fit CartPole on 2 cores (see CONFIG). Prints `progress steps N avg R n K fps F` after every training epoch (avg: the
last 100 episode returns; F: env steps per second of that epoch) and `fps F` in fps mode.
"""

import argparse
import collections
import time

import gymnasium as gym
import numpy as np
import pufferlib
import pufferlib.emulation
import pufferlib.pytorch
import pufferlib.vector
import torch
from pufferlib import pufferl
from torch import nn

# PufferLib's default.ini, changed for the CPU and for CartPole (its own CartPole configs are GPU-sized: 4096 envs).
CONFIG = dict(
    device="cpu", optimizer="adam", learning_rate=2.5e-3, anneal_lr=True, gamma=0.98, gae_lambda=0.8,
    update_epochs=4, clip_coef=0.2, vf_coef=0.5, vf_clip_coef=10.0, max_grad_norm=0.5, ent_coef=0.0,
    adam_beta1=0.9, adam_beta2=0.999, adam_eps=1e-5, batch_size=2048, minibatch_size=512, max_minibatch_size=32768,
    bptt_horizon=32, compile=False, compile_mode="default", compile_fullgraph=False, cpu_offload=False,
    precision="float32", torch_deterministic=False, vtrace_rho_clip=1.0, vtrace_c_clip=1.0, prio_alpha=0.0,
    prio_beta0=1.0, checkpoint_interval=10**9, data_dir="/tmp/puffer_bench", use_rnn=False, seed=1,
    total_timesteps=200_000, env="CartPole-v1",
)  # fmt: skip
NUM_ENVS, NUM_WORKERS = 64, 2


class EpisodeReturn(gym.Wrapper):
    """Puts each finished episode's return in `info` (PufferLib's trainer collects info dicts)."""

    def reset(self, **kwargs):
        self.total = 0.0
        return self.env.reset(**kwargs)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.total += float(reward)
        if terminated or truncated:
            info = {"episode_return": self.total}
        return obs, reward, terminated, truncated, info


def make_env(buf=None, seed=0):
    return pufferlib.emulation.GymnasiumPufferEnv(env=EpisodeReturn(gym.make("CartPole-v1")), buf=buf, seed=seed)


class Policy(nn.Module):
    """Separate 64-64 tanh actor and critic (sf_curric's and SB3's CartPole model)."""

    def __init__(self, env):
        super().__init__()
        n_obs, n_act = env.single_observation_space.shape[0], env.single_action_space.n
        self.actor = nn.Sequential(nn.Linear(n_obs, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, n_act))
        self.critic = nn.Sequential(nn.Linear(n_obs, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))

    def forward_eval(self, obs, state=None):
        obs = obs.float()
        return self.actor(obs), self.critic(obs)

    def forward(self, obs, state=None):
        return self.forward_eval(obs, state)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("solve", "fps"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    vecenv = pufferlib.vector.make(make_env, num_envs=NUM_ENVS, num_workers=NUM_WORKERS, batch_size=NUM_ENVS,
                                   backend=pufferlib.vector.Multiprocessing)  # fmt: skip
    policy = Policy(vecenv.driver_env)
    config = dict(CONFIG, seed=args.seed, total_timesteps=args.budget)
    trainer = pufferl.PuffeRL(config, vecenv, policy)
    trainer.print_dashboard = lambda *a, **k: None  # its full-screen dashboard: we print one line per epoch
    returns = collections.deque(maxlen=100)
    start, start_steps = time.perf_counter(), 0
    last_t, last_steps = time.perf_counter(), 0
    while trainer.global_step < config["total_timesteps"]:
        stats = trainer.evaluate()
        returns.extend(stats.pop("episode_return", []))
        trainer.train()
        avg = float(np.mean(returns)) if returns else float("nan")
        now = time.perf_counter()
        fps = (trainer.global_step - last_steps) / max(1e-9, now - last_t)
        last_t, last_steps = now, trainer.global_step
        print(f"progress steps {trainer.global_step} avg {avg:.2f} n {len(returns)} fps {fps:.0f}", flush=True)
        if args.mode == "fps" and time.perf_counter() - start > args.seconds:
            break
        if args.mode == "fps" and start_steps == 0:  # the first epoch includes start-up
            start, start_steps = time.perf_counter(), trainer.global_step
    if args.mode == "fps":
        print(f"fps {(trainer.global_step - start_steps) / (time.perf_counter() - start):.0f}", flush=True)
    vecenv.close()


if __name__ == "__main__":
    main()
