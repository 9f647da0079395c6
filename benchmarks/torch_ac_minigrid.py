"""The Mastering Rate paper's agent (torch-ac PPO) on one MiniGrid env, as a peer (run in its own venv).

    python3.11 -m venv .venv-torchac && .venv-torchac/bin/pip install torch==2.13.0 \
        && .venv-torchac/bin/pip install torch-ac==1.4.0 minigrid==3.2.0
    .venv-torchac/bin/python benchmarks/torch_ac_minigrid.py --env=MiniGrid-ObstructedMaze-1Dl-v0 --frames=3000000

Written the way lcswillems/automatic-curriculum's scripts/train_rl.py (with `--env`) runs, from torch-ac's own
PPOAlgo: its `model.py` ACModel (conv 2x2x16, max-pool, 2x2x32, 2x2x64; actor and critic 64 tanh; Linear weights
normal, row-normalised, bias 0; no memory), `utils/format.py`'s preprocessing (the 7x7x3 image as floats) and reward
x 20, and train_rl.py's defaults: 16 envs (torch-ac's ParallelEnv, env i seeded seed + 10000 i) x 128 frames, 4
epochs, minibatch 256, lr 1e-3, Adam eps 1e-8, gamma 0.99, lambda 0.95, entropy 0.01, value 0.5, grad norm 0.5,
clip 0.2 (value clipped by the same), recurrence 1. `--lr` / `--adam_eps` set the 2018 scripts' 7e-4 / 1e-5.

Prints `frames F return R max M fps S` every `--log_every` updates (R: mean return of the last 100 episodes, M: the
largest such mean so far) and writes the same rows as JSON to `--out`. It is a peer for
benchmarks/minigrid_curricula.py's question "does this agent learn the curriculum's root env here".
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import time

import gymnasium as gym
import minigrid  # noqa: F401  (registers the MiniGrid envs)
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch_ac
from torch.distributions.categorical import Categorical


def init_params(module: nn.Module) -> None:
    """The paper's init (from ikostrikov's pytorch-a2c-ppo-acktr): Linear rows normal with norm 1, bias 0."""
    if isinstance(module, nn.Linear):
        module.weight.data.normal_(0, 1)
        module.weight.data *= 1 / torch.sqrt(module.weight.data.pow(2).sum(1, keepdim=True))
        if module.bias is not None:
            module.bias.data.fill_(0)


class PaperACModel(nn.Module, torch_ac.ACModel):
    """automatic-curriculum's model.py ACModel: image conv, separate actor and critic MLPs on one embedding."""

    def __init__(self, num_actions: int):
        super().__init__()
        self.image_conv = nn.Sequential(
            nn.Conv2d(3, 16, (2, 2)),
            nn.ReLU(),
            nn.MaxPool2d((2, 2), stride=2),
            nn.Conv2d(16, 32, (2, 2)),
            nn.ReLU(),
            nn.Conv2d(32, 64, (2, 2)),
            nn.ReLU(),
        )
        self.actor = nn.Sequential(nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, num_actions))
        self.critic = nn.Sequential(nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1))
        self.apply(init_params)

    def forward(self, obs):
        x = obs.image.transpose(1, 3).transpose(2, 3)
        embedding = self.image_conv(x).reshape(x.shape[0], -1)
        dist = Categorical(logits=F.log_softmax(self.actor(embedding), dim=1))
        return dist, self.critic(embedding).squeeze(1)


def preprocess_obss(obss, device=None):
    return torch_ac.DictList(
        {"image": torch.tensor(np.array([o["image"] for o in obss]), device=device, dtype=torch.float)}
    )


def make_env(env_id: str, seed: int) -> gym.Env:
    env = gym.make(env_id)
    env.reset(seed=seed)  # later resets draw from the seeded generator, as gym's env.seed(seed) did
    return env


def make_ppo(envs: list, lr: float, adam_eps: float) -> torch_ac.PPOAlgo:
    """torch-ac's PPO with the paper's model and train_rl.py's settings (16 x 128 frames per update)."""
    return torch_ac.PPOAlgo(
        envs, PaperACModel(envs[0].action_space.n), device=torch.device("cpu"), num_frames_per_proc=128,
        discount=0.99, lr=lr, gae_lambda=0.95, entropy_coef=0.01, value_loss_coef=0.5, max_grad_norm=0.5,
        recurrence=1, adam_eps=adam_eps, clip_eps=0.2, epochs=4, batch_size=256, preprocess_obss=preprocess_obss,
        reshape_reward=lambda obs, action, reward, done: 20 * reward,
    )  # fmt: skip


def finished_returns(algo: torch_ac.PPOAlgo, logs: dict) -> list:
    """The returns of the episodes that ended in the last collect_experiences (torch-ac's log keeps older ones)."""
    finished = int((1 - algo.masks[1:]).sum() + (1 - algo.mask).sum())
    return logs["return_per_episode"][-finished:] if finished else []


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="MiniGrid-ObstructedMaze-1Dl-v0")
    parser.add_argument("--frames", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--procs", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--adam_eps", type=float, default=1e-8)
    parser.add_argument("--log_every", type=int, default=10)
    parser.add_argument("--out", default=None, help="JSON file for the logged rows")
    args = parser.parse_args()

    seed_everything(args.seed)
    envs = [make_env(args.env, args.seed + 10000 * i) for i in range(args.procs)]
    algo = make_ppo(envs, args.lr, args.adam_eps)
    returns: collections.deque = collections.deque(maxlen=100)
    rows, frames, update, best, start = [], 0, 0, 0.0, time.time()
    while frames < args.frames:
        exps, logs = algo.collect_experiences()
        algo.update_parameters(exps)
        frames += logs["num_frames"]
        update += 1
        returns.extend(finished_returns(algo, logs))
        mean = float(np.mean(returns)) if returns else 0.0
        best = max(best, mean) if len(returns) == returns.maxlen else best
        if update % args.log_every == 0 or frames >= args.frames:
            fps = frames / (time.time() - start)
            rows.append({"frames": frames, "return": mean, "max": best, "fps": fps})
            print(f"frames {frames} return {mean:.3f} max {best:.3f} fps {fps:.0f}", flush=True)
            if args.out:
                with open(args.out, "w") as f:
                    json.dump({"args": vars(args), "rows": rows}, f)


if __name__ == "__main__":
    main()
