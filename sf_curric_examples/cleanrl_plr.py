"""CleanRL-style PPO with Prioritized Level Replay through the multiprocessing sync wrapper.

The curriculum lives in this (main) process; envs run in gymnasium `AsyncVectorEnv` workers (or in-process
with `--vector sync`, CleanRL's default), take a level from PLR on every reset and report every episode. Each
step the learner streams `{"value", "next_value", "rew", "dones", "tasks"}` to PLR with the "on_demand" update,
as Syllabus's CleanRL integration does. Levels are CartPole variants: the task picks the pole length and the
seed of the start state, so a level is deterministic.

Vector autoreset: same-step (`AutoresetMode.SAME_STEP`): when an episode ends, the returned observation is
already the first one of the next episode; a truncated episode is bootstrapped from `final_obs`.

Run:
    python sf_curric_examples/cleanrl_plr.py --total-timesteps 100000
"""

from __future__ import annotations

import argparse
import time
from typing import Any, Dict, List

import gymnasium as gym
import numpy as np
import torch
from torch import nn

from sf_curric.core import MultiProcessingSyncWrapper, make_multiprocessing_curriculum
from sf_curric.curricula import PrioritizedLevelReplay
from sf_curric_examples.cartpole_levels import CartPoleLevels


def make_env(task_queue: Any, update_queue: Any):
    def thunk() -> gym.Env:
        env = CartPoleLevels(gym.make("CartPole-v1"))
        return MultiProcessingSyncWrapper(env, task_queue, update_queue)

    return thunk


class Agent(nn.Module):
    def __init__(self, obs_dim: int, num_actions: int) -> None:
        super().__init__()

        def mlp(out: int, std: float) -> nn.Sequential:
            last = nn.Linear(64, out)
            nn.init.orthogonal_(last.weight, std)
            nn.init.zeros_(last.bias)
            return nn.Sequential(nn.Linear(obs_dim, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), last)

        self.critic = mlp(1, 1.0)
        self.actor = mlp(num_actions, 0.01)

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x).squeeze(-1)

    def get_action_and_value(self, x: torch.Tensor, action: torch.Tensor | None = None):
        dist = torch.distributions.Categorical(logits=self.actor(x))
        if action is None:
            action = dist.sample()
        return action, dist.log_prob(action), dist.entropy(), self.get_value(x)


def parse_args(argv: List[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--total-timesteps", type=int, default=100_000)
    p.add_argument("--num-envs", type=int, default=4)
    p.add_argument("--num-steps", type=int, default=128, help="rollout length per env")
    p.add_argument("--num-levels", type=int, default=64)
    p.add_argument("--vector", choices=["async", "sync"], default="async")
    p.add_argument("--learning-rate", type=float, default=2.5e-4)
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--gae-lambda", type=float, default=0.95)
    p.add_argument("--num-minibatches", type=int, default=4)
    p.add_argument("--update-epochs", type=int, default=4)
    p.add_argument("--clip-coef", type=float, default=0.2)
    p.add_argument("--ent-coef", type=float, default=0.01)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--max-grad-norm", type=float, default=0.5)
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args(argv)


def main(argv: List[str] | None = None) -> Dict[str, float]:
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # tiny MLP: more threads only contend with the env workers
    np.random.seed(args.seed)
    plr = PrioritizedLevelReplay(
        gym.spaces.Discrete(args.num_levels),
        num_steps=args.num_steps,
        num_processes=args.num_envs,
        gamma=args.gamma,
        gae_lambda=args.gae_lambda,
        seed=args.seed,
    )
    curriculum, task_queue, update_queue = make_multiprocessing_curriculum(plr)
    vector_cls = gym.vector.AsyncVectorEnv if args.vector == "async" else gym.vector.SyncVectorEnv
    envs = vector_cls(
        [make_env(task_queue, update_queue) for _ in range(args.num_envs)],
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
    )
    obs_dim = envs.single_observation_space.shape[0]
    agent = Agent(obs_dim, envs.single_action_space.n)
    optimizer = torch.optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)

    T, B = args.num_steps, args.num_envs
    obs_buf = torch.zeros((T, B, obs_dim))
    actions_buf = torch.zeros((T, B), dtype=torch.long)
    logprobs_buf, rewards_buf, dones_buf, values_buf = (torch.zeros((T, B)) for _ in range(4))

    next_obs, infos = envs.reset(seed=args.seed)
    next_obs = torch.as_tensor(next_obs, dtype=torch.float32)
    tasks = np.asarray(infos["task"])  # task of the running episode of each env
    next_done = torch.zeros(B)
    returns: List[float] = []
    episode_return = np.zeros(B)
    global_step, start = 0, time.time()
    num_iterations = max(1, args.total_timesteps // (T * B))
    try:
        for _ in range(num_iterations):
            for step in range(T):
                global_step += B
                obs_buf[step], dones_buf[step] = next_obs, next_done
                with torch.no_grad():
                    action, logprob, _, value = agent.get_action_and_value(next_obs)
                values_buf[step], actions_buf[step], logprobs_buf[step] = value, action, logprob
                obs, reward, term, trunc, infos = envs.step(action.numpy())
                reward = reward.astype(np.float32)
                episode_return += reward
                done = term | trunc
                if trunc.any():  # bootstrap time-limit truncations from the final observation
                    final_obs = np.stack([infos["final_obs"][i] for i in np.flatnonzero(trunc)])
                    with torch.no_grad():
                        final_values = agent.get_value(torch.as_tensor(final_obs, dtype=torch.float32)).numpy()
                    reward[trunc] += args.gamma * final_values
                rewards_buf[step] = torch.as_tensor(reward)
                next_obs = torch.as_tensor(obs, dtype=torch.float32)
                next_done = torch.as_tensor(term, dtype=torch.float32)
                with torch.no_grad():
                    next_value = agent.get_value(next_obs)
                # PLR scores levels from the learner's values: stream this step to the curriculum (seed 004)
                curriculum.update_curriculum(
                    {
                        "update_type": "on_demand",
                        "metrics": {
                            "value": value.numpy(),
                            "next_value": next_value.numpy(),
                            "rew": reward,
                            "dones": done,
                            "tasks": tasks,
                        },
                    }
                )
                tasks = np.where(done, np.asarray(infos["task"]), tasks)  # done envs already run their next level
                for i in np.flatnonzero(done):
                    returns.append(float(episode_return[i]))
                    episode_return[i] = 0.0

            with torch.no_grad():
                next_value = agent.get_value(next_obs)
                advantages = torch.zeros_like(rewards_buf)
                lastgaelam = torch.zeros(B)
                for t in reversed(range(T)):
                    nonterminal = 1.0 - (next_done if t == T - 1 else dones_buf[t + 1])
                    nextvalues = next_value if t == T - 1 else values_buf[t + 1]
                    delta = rewards_buf[t] + args.gamma * nextvalues * nonterminal - values_buf[t]
                    lastgaelam = delta + args.gamma * args.gae_lambda * nonterminal * lastgaelam
                    advantages[t] = lastgaelam
                returns_buf = advantages + values_buf

            b_obs, b_actions = obs_buf.reshape(-1, obs_dim), actions_buf.reshape(-1)
            b_logprobs, b_adv = logprobs_buf.reshape(-1), advantages.reshape(-1)
            b_returns = returns_buf.reshape(-1)
            batch = T * B
            minibatch = batch // args.num_minibatches
            for _ in range(args.update_epochs):
                perm = torch.randperm(batch)
                for lo in range(0, batch, minibatch):
                    mb = perm[lo : lo + minibatch]
                    _, newlogprob, entropy, newvalue = agent.get_action_and_value(b_obs[mb], b_actions[mb])
                    ratio = (newlogprob - b_logprobs[mb]).exp()
                    adv = (b_adv[mb] - b_adv[mb].mean()) / (b_adv[mb].std() + 1e-8)
                    pg_loss = torch.max(-adv * ratio, -adv * ratio.clamp(1 - args.clip_coef, 1 + args.clip_coef)).mean()
                    v_loss = 0.5 * ((newvalue - b_returns[mb]) ** 2).mean()
                    loss = pg_loss - args.ent_coef * entropy.mean() + args.vf_coef * v_loss
                    optimizer.zero_grad()
                    loss.backward()
                    nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                    optimizer.step()
            recent = np.mean(returns[-20:]) if returns else float("nan")
            sps = global_step / (time.time() - start)
            seen = curriculum.task_sampler.num_seen
            print(f"step {global_step}  episodic_return {recent:.1f}  SPS {sps:.0f}  levels_seen {seen}", flush=True)
    finally:
        envs.close()
    curriculum.flush()
    stats = {
        "episodes": len(returns),
        "mean_return_last_20": float(np.mean(returns[-20:])) if returns else float("nan"),
        "curriculum_episodes": curriculum.total_episodes,
        "levels_seen": int(curriculum.task_sampler.num_seen),
    }
    curriculum.stop()
    return stats


if __name__ == "__main__":
    print(main())
