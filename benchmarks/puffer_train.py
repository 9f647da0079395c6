"""PufferLib 2.0.2 on CartPole-v1 for benchmarks/solve_race.py and throughput.py (run with benchmarks/.venv-puffer).

    .venv-puffer/bin/python benchmarks/puffer_train.py solve --seed=1 --budget=500000
    .venv-puffer/bin/python benchmarks/puffer_train.py fps --seconds=20

The pufferlib 2.0.2 wheel has no trainer (2.0's `clean_pufferl.py` lived at its repository root), so this is a
CleanRL-style PPO loop built the way that script is, from PufferLib's own pieces: gymnasium's CartPole-v1 behind
`pufferlib.emulation.GymnasiumPufferEnv`, `pufferlib.vector.make` (Serial or Multiprocessing backend) stepped with its
EnvPool-style `async_reset` / `recv` / `send`, actions and log-probs from `pufferlib.cleanrl.sample_logits`,
`pufferlib.pytorch.layer_init`, Adam with a linearly annealed learning rate, GAE over each env's rows with
PufferLib's reward/done alignment (the reward and done that arrive with an observation belong to the previous
action, as in 2.0's compute_gae), advantages normalised per minibatch, clipped value loss (clean_pufferl's train()).
Differences from clean_pufferl, all small: rows are kept per env instead of sorted afterwards, the last row of
each env carries over to the next rollout (clean_pufferl drops it and gives it advantage 0), truncation ends an
episode like termination (clean_pufferl reads terminals only), and the row that arrives with a finished episode's
last observation is left out of the update (PufferLib's emulation ignores the action sent for it and resets).

Model: sf_curric's CartPole model, separate 64-64 tanh actor and critic.

Vector config (VEC): PufferLib's Serial backend, 64 envs in the main process (64 is its classic_control config's
num_envs), the fastest on 2 cores in a short sweep (10-s fps runs, 2026-12-03; the machine was shared, so only
the ordering is worth quoting): Serial 64 envs 11.0k steps/s (load 0.5) and 7.6k (load 4.5), against 1.3-3.5k for
Multiprocessing with 64 envs in 2 workers synchronous (batch 64) or EnvPool-style (batch 32), 128 envs in 2 workers
(batch 64), and 64 envs in 1 worker. Its Multiprocessing workers and the main process busy-wait on shared-memory
flags (one process per core, PufferLib's design), so 2 workers plus the learner oversubscribe 2 cores, and a
CartPole step (~10 us) is too cheap for the overlap to pay for the hand-offs. `--vec` reruns the sweep's configs.
Torch threads: 1 (2 measured slower, under load). PPO knobs (PPO) tuned so seeds 1-3 solve CartPole well inside
500k steps.

Prints `progress steps N avg R n K fps F` after every update (avg: the last 100 episode returns; F: env steps per
second of that rollout + update) and, in fps mode, `fps F` over the run after the first update.
"""

import argparse
import collections
import time

import gymnasium as gym
import numpy as np
import pufferlib
import pufferlib.cleanrl
import pufferlib.emulation
import pufferlib.pytorch
import pufferlib.vector
import torch
from torch import nn

VEC = dict(backend="Serial", num_envs=64, num_workers=1, batch_size=64)
PPO = dict(
    rows=2048, minibatch=512, epochs=4, learning_rate=2.5e-3, anneal_lr=True, gamma=0.99, gae_lambda=0.95,
    clip_coef=0.2, vf_coef=0.5, vf_clip_coef=10.0, ent_coef=0.0, max_grad_norm=0.5,
)  # fmt: skip
PUFFER_THREADS = 1


def make_env():
    return pufferlib.emulation.GymnasiumPufferEnv(env_creator=gym.make, env_args=["CartPole-v1"])


class CartPoleModel(nn.Module):
    """Separate 64-64 tanh actor and critic (sf_curric's and SB3's CartPole model); returns (logits, value)."""

    def __init__(self, n_obs: int, n_act: int):
        super().__init__()
        init = pufferlib.pytorch.layer_init

        def mlp(n_out, std):
            return nn.Sequential(
                init(nn.Linear(n_obs, 64)), nn.Tanh(), init(nn.Linear(64, 64)), nn.Tanh(),
                init(nn.Linear(64, n_out), std=std),
            )  # fmt: skip

        self.actor, self.critic = mlp(n_act, 0.01), mlp(1, 1.0)

    def forward(self, obs):
        return self.actor(obs), self.critic(obs)


class Rollout:
    """Rows per env in arrival order; row t's reward and done belong to the action of row t - 1."""

    def __init__(self, num_envs: int, cap: int, n_obs: int):
        self.obs = np.zeros((num_envs, cap, n_obs), np.float32)
        self.act = np.zeros((num_envs, cap), np.int64)
        self.logp, self.val, self.rew = (np.zeros((num_envs, cap), np.float32) for _ in range(3))
        self.done = np.zeros((num_envs, cap), bool)
        self.count = np.zeros(num_envs, np.int64)

    def store(self, ids, obs, act, logp, val, rew, done):
        t = self.count[ids]
        self.obs[ids, t], self.act[ids, t], self.logp[ids, t] = obs, act, logp
        self.val[ids, t], self.rew[ids, t], self.done[ids, t] = val, rew, done
        self.count[ids] += 1

    def trainable(self) -> int:
        return int(np.maximum(self.count - 1, 0).sum())

    def batch(self, gamma: float, lam: float):
        """GAE per env, then the rows that train: all but each env's last (it has no successor yet) and those
        that arrived with a finished episode's last observation (their action is never taken)."""
        n = self.count.max()
        adv = np.zeros((len(self.count), n), np.float32)
        last = np.zeros(len(self.count), np.float32)
        for t in reversed(range(n - 1)):
            nonterminal = 1.0 - self.done[:, t + 1]
            delta = self.rew[:, t + 1] + gamma * self.val[:, t + 1] * nonterminal - self.val[:, t]
            last = np.where(t + 1 < self.count, delta + gamma * lam * nonterminal * last, 0.0)
            adv[:, t] = last
        keep = (np.arange(n)[None] < (self.count - 1)[:, None]) & ~self.done[:, :n]
        rows = dict(obs=self.obs[:, :n][keep], act=self.act[:, :n][keep], logp=self.logp[:, :n][keep],
                    val=self.val[:, :n][keep], adv=adv[keep])  # fmt: skip
        return {k: torch.from_numpy(v) for k, v in rows.items()}

    def carry_last(self):
        """Each env's last row (acted on, not yet followed) becomes row 0 of the next rollout."""
        ids = np.nonzero(self.count)[0]
        t = self.count[ids] - 1
        for arr in (self.obs, self.act, self.logp, self.val, self.rew, self.done):
            arr[ids, 0] = arr[ids, t]
        self.count[ids] = 1


def update(policy, optimizer, rows, cfg):
    """PPO epochs over shuffled minibatches (clean_pufferl's train(): normalised advantages, clipped value loss)."""
    n, ret = len(rows["adv"]), rows["adv"] + rows["val"]
    for _ in range(cfg["epochs"]):
        for idx in torch.randperm(n).split(cfg["minibatch"]):
            _, logp, entropy, value = policy(rows["obs"][idx], action=rows["act"][idx])
            ratio = (logp - rows["logp"][idx]).exp()
            adv = rows["adv"][idx]
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            pg_loss = torch.max(-adv * ratio, -adv * ratio.clamp(1 - cfg["clip_coef"], 1 + cfg["clip_coef"])).mean()
            value, old = value.view(-1), rows["val"][idx]
            clipped = old + (value - old).clamp(-cfg["vf_clip_coef"], cfg["vf_clip_coef"])
            v_loss = 0.5 * torch.max((value - ret[idx]) ** 2, (clipped - ret[idx]) ** 2).mean()
            loss = pg_loss - cfg["ent_coef"] * entropy.mean() + cfg["vf_coef"] * v_loss
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(policy.parameters(), cfg["max_grad_norm"])
            optimizer.step()


def make_vecenv(vec):
    backend = getattr(pufferlib.vector, vec["backend"])
    if backend is pufferlib.vector.Serial:
        return pufferlib.vector.make(make_env, backend=backend, num_envs=vec["num_envs"])
    return pufferlib.vector.make(make_env, backend=backend, num_envs=vec["num_envs"],
                                 num_workers=vec["num_workers"], batch_size=vec["batch_size"])  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("solve", "fps"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=int, default=500_000, help="Env steps (and the learning-rate schedule).")
    parser.add_argument("--seconds", type=float, default=20.0, help="fps mode: seconds measured.")
    parser.add_argument("--vec", default="", help="Override VEC for a sweep: backend,num_envs,num_workers,batch.")
    parser.add_argument("--threads", type=int, default=PUFFER_THREADS, help="torch threads of the main process.")
    parser.add_argument("--ppo", default="", help="Override PPO knobs for tuning: key=value,key=value.")
    args = parser.parse_args(argv)
    vec, cfg = dict(VEC), dict(PPO)
    if args.vec:
        backend, *sizes = args.vec.split(",")
        vec.update(backend=backend, **dict(zip(("num_envs", "num_workers", "batch_size"), map(int, sizes))))
    for item in filter(None, args.ppo.split(",")):
        key, value = item.split("=")
        cfg[key] = value.lower() == "true" if isinstance(cfg[key], bool) else type(cfg[key])(value)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    vecenv = make_vecenv(vec)
    n_obs = vecenv.single_observation_space.shape[0]
    policy = pufferlib.cleanrl.Policy(CartPoleModel(n_obs, vecenv.single_action_space.n))
    optimizer = torch.optim.Adam(policy.parameters(), lr=cfg["learning_rate"], eps=1e-5)
    num_envs = vecenv.num_agents if hasattr(vecenv, "num_agents") else vec["num_envs"]
    rollout = Rollout(num_envs, cfg["rows"] + 2, n_obs)
    episode_return = np.zeros(num_envs, np.float32)
    returns = collections.deque(maxlen=100)
    vecenv.async_reset(args.seed)
    steps, t_last, steps_last, t_fps, steps_fps = 0, time.perf_counter(), 0, None, 0
    while steps < args.budget:
        while rollout.trainable() < cfg["rows"]:
            obs, rew, term, trunc, _, ids, _ = vecenv.recv()
            ids, done = np.asarray(ids).ravel(), term | trunc
            steps += len(ids)
            episode_return[ids] += rew
            returns.extend(episode_return[ids[done]].tolist())
            episode_return[ids[done]] = 0.0
            with torch.no_grad():
                act, logp, _, val = policy(torch.from_numpy(obs))
            act = act.numpy()
            rollout.store(ids, obs, act, logp.numpy(), val.numpy().ravel(), rew, done)
            vecenv.send(act.astype(np.int32))
        if cfg["anneal_lr"]:
            optimizer.param_groups[0]["lr"] = cfg["learning_rate"] * max(0.0, 1.0 - steps / args.budget)
        update(policy, optimizer, rollout.batch(cfg["gamma"], cfg["gae_lambda"]), cfg)
        rollout.carry_last()
        now = time.perf_counter()
        avg = float(np.mean(returns)) if returns else float("nan")
        fps = (steps - steps_last) / max(1e-9, now - t_last)
        t_last, steps_last = now, steps
        print(f"progress steps {steps} avg {avg:.2f} n {len(returns)} fps {fps:.0f}", flush=True)
        if args.mode == "fps":
            if t_fps is None:  # the first update includes start-up: measured from its end
                t_fps, steps_fps = now, steps
            elif now - t_fps >= args.seconds:
                break
    if args.mode == "fps" and t_fps is not None:
        print(f"fps {(steps - steps_fps) / max(1e-9, time.perf_counter() - t_fps):.0f}", flush=True)
    vecenv.close()


if __name__ == "__main__":
    main()
