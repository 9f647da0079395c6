"""Speed of the model's `act` (the rollout hot path) and of `Learner.train`, on CartPole-sized inputs.

Usage: `python benchmarks/learner_speed.py [--threads 1] [--repeats 2000]`. Prints two tables: microseconds per
`act` call (64x64 MLP, Discrete(2) actions) per batch size, and training samples per second per configuration.
Times are process CPU time (time.process_time, torch on 1 thread by default), which is less disturbed than
wall time by other jobs on a shared machine; the median of several rounds is reported.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch
from gymnasium import spaces

from sf_curric.algo.learner import Learner, learner_cfg

OBS_SPACE = spaces.Box(-np.inf, np.inf, (4,), np.float32)
ACTION_SPACE = spaces.Discrete(2)


def time_act(batch: int, repeats: int, rounds: int = 5, **cfg_overrides) -> float:
    """Median microseconds per `model.act(numpy_obs)` call."""
    model = Learner(learner_cfg(device="cpu", **cfg_overrides), OBS_SPACE, ACTION_SPACE).model
    obs = np.random.randn(batch, 4).astype(np.float32)
    states = model.initial_rnn_states(batch)
    for _ in range(100):
        model.act(obs, states)
    results = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(repeats):
            model.act(obs, states)
        results.append((time.process_time() - start) / repeats * 1e6)
    return statistics.median(results)


def time_naive_act(batch: int, repeats: int, rounds: int = 5) -> float:
    """The same 64x64 tanh MLP written the textbook way (nn.Sequential + torch.distributions), for comparison."""
    body = torch.nn.Sequential(torch.nn.Linear(4, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64), torch.nn.Tanh())
    policy, value = torch.nn.Linear(64, 2), torch.nn.Linear(64, 1)
    obs = np.random.randn(batch, 4).astype(np.float32)

    @torch.no_grad()
    def act() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        features = body(torch.as_tensor(obs))
        dist = torch.distributions.Categorical(logits=policy(features))
        actions = dist.sample()
        return actions, dist.log_prob(actions), value(features).squeeze(-1)

    for _ in range(100):
        act()
    results = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(repeats):
            act()
        results.append((time.process_time() - start) / repeats * 1e6)
    return statistics.median(results)


def fake_trajectory(steps: int, envs: int, rnn_state_size: int) -> dict[str, torch.Tensor]:
    return {
        "obs": torch.randn(steps + 1, envs, 4),
        "actions": torch.randint(0, 2, (steps, envs)),
        "log_probs": torch.full((steps, envs), -0.6931),
        "values": torch.randn(steps + 1, envs),
        "rewards": torch.ones(steps, envs),
        "terminated": torch.rand(steps, envs) < 0.02,
        "truncated": torch.zeros(steps, envs, dtype=torch.bool),
        "final_values": torch.zeros(steps, envs),
        "rnn_states": torch.zeros(envs, rnn_state_size),
    }


def time_train(steps: int, envs: int, calls: int, rounds: int = 3, **cfg_overrides) -> float:
    """Median training samples per second (T*B samples per call, each seen num_epochs times)."""
    learner = Learner(learner_cfg(device="cpu", **cfg_overrides), OBS_SPACE, ACTION_SPACE)
    traj = fake_trajectory(steps, envs, learner.model.rnn_state_size)
    learner.train(traj, 0)
    results = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in range(calls):
            learner.train(traj, 0)
        results.append(calls * steps * envs / (time.process_time() - start))
    return statistics.median(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--repeats", type=int, default=2000, help="act calls per timing round")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    print(f"act: microseconds per call, torch threads={args.threads}")
    print(f"{'model':<28}{'B=8':>10}{'B=64':>10}{'B=256':>10}")
    for name, overrides in [
        ("MLP 64x64 shared", {}),
        ("MLP 64x64 separate", {"actor_critic_share_weights": False}),
        ("MLP 64x64 + GRU 64", {"use_rnn": True, "rnn_size": 64}),
    ]:
        cells = [time_act(b, args.repeats, **overrides) for b in (8, 64, 256)]
        print(f"{name:<28}" + "".join(f"{c:>10.1f}" for c in cells))
    cells = [time_naive_act(b, args.repeats) for b in (8, 64, 256)]
    print(f"{'reference: Sequential+dists':<28}" + "".join(f"{c:>10.1f}" for c in cells))

    print("\ntrain: samples per second (T*B samples per call; each sample seen num_epochs times)")
    print(f"{'config':<52}{'samples/s':>12}")
    rl_zoo = {"num_epochs": 20, "batch_size": 256}
    for name, steps, envs, overrides in [
        ("T=32 B=8, 20 epochs, minibatch 256 (rl-zoo CartPole)", 32, 8, rl_zoo),
        ("T=32 B=64, 4 epochs, minibatch 256", 32, 64, {"num_epochs": 4, "batch_size": 256}),
        ("T=32 B=64, 1 epoch, minibatch 2048", 32, 64, {"num_epochs": 1, "batch_size": 2048}),
        ("T=32 B=8, 20 epochs, separate nets", 32, 8, dict(rl_zoo, actor_critic_share_weights=False)),
        ("T=32 B=8, 20 epochs, GRU 64", 32, 8, dict(rl_zoo, use_rnn=True, rnn_size=64)),
    ]:
        print(f"{name:<52}{time_train(steps, envs, calls=10, **overrides):>12.0f}")


if __name__ == "__main__":
    main()
