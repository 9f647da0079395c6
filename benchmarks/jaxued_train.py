"""jaxued's maze training (DR, PLR, Robust PLR, ACCEL) for benchmarks/ued_maze_speed.py (run in .venv-jaxued).

    .venv-jaxued/bin/python benchmarks/jaxued_train.py --method=accel --updates=40 --chunk=5

The jaxued 0.0.1 wheel has the library but not its training scripts (examples/maze_dr.py, maze_plr.py in the
repository). This runner is written the way those scripts are, from the wheel's own pieces, with their defaults:

- env: `Maze(13, 13, agent_view_size=5, normalize_obs=True)`; DR wraps it in `AutoResetWrapper` with
  `make_level_generator(13, 13, 25)` and carries env state and LSTM state from one update to the next (maze_dr.py);
  PLR, Robust PLR and ACCEL wrap it in `AutoReplayWrapper` and start every update on a fresh batch of levels from
  zero LSTM state (maze_plr.py): new levels from the generator, replayed levels from `LevelSampler` (capacity
  4000, replay_prob 0.8, staleness 0.3, rank prioritization, temperature 0.3, minimum fill 0.5, duplicate check),
  and for ACCEL, after each replay update, the replayed levels edited by `make_level_mutator_minimax` (5 edits);
  levels are scored by MaxMC (`jaxued.utils.max_mc`) and inserted with `LevelSampler.insert_batch`. Robust PLR and
  ACCEL skip the gradient step on new and edited levels; PLR takes it (`--exploratory_grad_updates`).
- agent: conv 3x3x16 on the view, direction one-hot -> dense 5, `ResetRNN(OptimizedLSTMCell(256))`, actor and
  critic heads of 32 (orthogonal initialisation as the scripts).
- PPO: 32 envs x 256 steps per update, 5 epochs of 1 minibatch, Adam lr 1e-4 linearly decayed over the run, eps
  1e-5, grad norm 0.5, gamma 0.995, lambda 0.98, clip 0.2 (value clipped by the same), entropy 1e-3, critic 0.5.

Updates run `--chunk` at a time inside one jitted `lax.scan`, as the scripts' eval_freq loop does. Prints
`chunk U S seconds T sps X` after each chunk has finished (the values are pulled to the host, so asynchronous
dispatch does not flatter the timing), then `peak_rss_mib M`; `--eval` plays the 8 hand-designed mazes 10 times
each at the end (`eval NAME solve_rate R`). `--env_only=N` times N envs stepping alone (`env_only ... sps X`).
"""

from __future__ import annotations

import argparse
import resource
import time

import distrax
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax.linen.initializers import constant, orthogonal
from flax.training.train_state import TrainState
from jaxued.environments import Maze
from jaxued.environments.maze import Level, make_level_generator, make_level_mutator_minimax
from jaxued.level_sampler import LevelSampler
from jaxued.linen import ResetRNN
from jaxued.utils import compute_max_returns, max_mc
from jaxued.wrappers import AutoReplayWrapper, AutoResetWrapper

EVAL_LEVELS = ["SixteenRooms", "SixteenRooms2", "Labyrinth", "LabyrinthFlipped", "Labyrinth2", "StandardMaze",
               "StandardMaze2", "StandardMaze3"]  # fmt: skip
PPO = dict(num_envs=32, num_steps=256, epochs=5, lr=1e-4, max_grad_norm=0.5, gamma=0.995, gae_lambda=0.98,
           clip=0.2, entropy=1e-3, critic=0.5)  # fmt: skip
PLR = dict(capacity=4000, replay_prob=0.8, staleness=0.3, temperature=0.3, min_fill=0.5, num_edits=5)


class Agent(nn.Module):
    """The papers' maze agent (jaxued's maze scripts): conv view + direction embedding -> LSTM 256 -> heads of 32."""

    num_actions: int

    @nn.compact
    def __call__(self, inputs, carry):
        obs, resets = inputs
        view = nn.relu(nn.Conv(16, (3, 3), padding="VALID")(obs.image))
        view = view.reshape(*view.shape[:-3], -1)
        direction = nn.Dense(5, kernel_init=orthogonal(np.sqrt(2)), bias_init=constant(0.0))(
            jax.nn.one_hot(obs.agent_dir, 4)
        )
        carry, core = ResetRNN(nn.OptimizedLSTMCell(256))(
            (jnp.concatenate([view, direction], -1), resets), initial_carry=carry
        )

        def head(out: int, gain: float):
            hidden = nn.relu(nn.Dense(32, kernel_init=orthogonal(2), bias_init=constant(0.0))(core))
            return nn.Dense(out, kernel_init=orthogonal(gain), bias_init=constant(0.0))(hidden)

        logits, value = head(self.num_actions, 0.01), head(1, 1.0)
        return carry, distrax.Categorical(logits=logits), value[..., 0]

    @staticmethod
    def zero_carry(num_envs: int):
        return nn.OptimizedLSTMCell(256).initialize_carry(jax.random.PRNGKey(0), (num_envs, 256))


def rollout(rng, env, params, state: TrainState, carry, obs, env_state, num_envs, num_steps):
    """`num_steps` vmapped env steps; returns the final carry/obs/state/value and the [T, B] trajectory."""

    def one_step(c, _):
        rng, carry, obs, env_state, last_done = c
        rng, k_act, k_step = jax.random.split(rng, 3)
        carry, pi, value = state.apply_fn(
            state.params, jax.tree_util.tree_map(lambda x: x[None], (obs, last_done)), carry
        )
        action = pi.sample(seed=k_act)
        log_prob = pi.log_prob(action)
        keys = jax.random.split(k_step, num_envs)
        next_obs, env_state, reward, done, _ = jax.vmap(env.step, (0, 0, 0, None))(keys, env_state, action[0], params)
        return (rng, carry, next_obs, env_state, done), (obs, action[0], reward, done, log_prob[0], value[0])

    init = (rng, carry, obs, env_state, jnp.zeros(num_envs, dtype=bool))
    (rng, carry, obs, env_state, done), traj = jax.lax.scan(one_step, init, None, num_steps)
    _, _, last_value = state.apply_fn(state.params, jax.tree_util.tree_map(lambda x: x[None], (obs, done)), carry)
    return rng, carry, obs, env_state, last_value[0], traj


def gae(last_value, values, rewards, dones):
    def back(c, x):
        adv, next_value = c
        value, reward, done = x
        delta = reward + PPO["gamma"] * next_value * (1 - done) - value
        adv = delta + PPO["gamma"] * PPO["gae_lambda"] * (1 - done) * adv
        return (adv, value), adv

    _, advantages = jax.lax.scan(back, (jnp.zeros_like(last_value), last_value), (values, rewards, dones), reverse=True)
    return advantages, advantages + values


def ppo_update(rng, state: TrainState, carry, traj, advantages, targets, apply_grads: bool):
    """`epochs` epochs of one minibatch (all env columns) with jaxued's clipped losses."""
    obs, actions, _, dones, old_log_probs, old_values = traj
    resets = jnp.roll(dones, 1, axis=0).at[0].set(False)

    def loss_fn(params):
        _, pi, values = state.apply_fn(params, (obs, resets), carry)
        ratio = jnp.exp(pi.log_prob(actions) - old_log_probs)
        adv = (advantages - advantages.mean()) / (advantages.std() + 1e-5)
        clipped = jnp.clip(ratio, 1 - PPO["clip"], 1 + PPO["clip"])
        policy_loss = -jnp.minimum(ratio * adv, clipped * adv).mean()
        values_clipped = old_values + (values - old_values).clip(-PPO["clip"], PPO["clip"])
        value_loss = 0.5 * jnp.maximum((values - targets) ** 2, (values_clipped - targets) ** 2).mean()
        return policy_loss + PPO["critic"] * value_loss - PPO["entropy"] * pi.entropy().mean()

    def epoch(s, _):
        loss, grads = jax.value_and_grad(loss_fn)(s.params)
        return (s.apply_gradients(grads=grads) if apply_grads else s), loss

    state, losses = jax.lax.scan(epoch, state, None, PPO["epochs"])
    return rng, state, losses.mean()


def make_train_state(rng, env, params, sample_level, num_updates):
    network = Agent(env.action_space(params).n)
    obs, _ = env.reset_to_level(rng, sample_level(rng), params)
    dummy = jax.tree_util.tree_map(lambda x: jnp.repeat(x[None, None], PPO["num_envs"], axis=1), obs)
    variables = network.init(rng, (dummy, jnp.zeros((1, PPO["num_envs"]), bool)), Agent.zero_carry(PPO["num_envs"]))
    schedule = lambda count: PPO["lr"] * (1.0 - (count // PPO["epochs"]) / num_updates)  # noqa: E731
    tx = optax.chain(optax.clip_by_global_norm(PPO["max_grad_norm"]), optax.adam(schedule, eps=1e-5))
    return TrainState.create(apply_fn=network.apply, params=variables, tx=tx)


def dr_program(args, num_updates):
    """maze_dr.py's loop: AutoReset on random levels; env and LSTM state carried across updates."""
    base = Maze(max_height=13, max_width=13, agent_view_size=5, normalize_obs=True)
    sample_level = make_level_generator(13, 13, 25)
    env, params = AutoResetWrapper(base, sample_level), base.default_params
    n = PPO["num_envs"]

    def init(rng):
        state = make_train_state(rng, env, params, sample_level, num_updates)
        levels = jax.vmap(sample_level)(jax.random.split(rng, n))
        obs, env_state = jax.vmap(env.reset_to_level, (0, 0, None))(jax.random.split(rng, n), levels, params)
        return (rng, state, Agent.zero_carry(n), obs, env_state)

    def update(c, _):
        rng, state, carry, obs, env_state = c
        rng, new_carry, obs, env_state, last_value, traj = rollout(
            rng, env, params, state, carry, obs, env_state, n, PPO["num_steps"]
        )
        advantages, targets = gae(last_value, traj[5], traj[2], traj[3])
        rng, state, loss = ppo_update(rng, state, carry, traj, advantages, targets, True)
        return (rng, state, new_carry, obs, env_state), loss

    return base, init, update, lambda c: c[1]


def ued_program(args, num_updates):
    """maze_plr.py's loop: each update is new levels, replayed levels, or (ACCEL, after a replay) their edits."""
    base = Maze(max_height=13, max_width=13, agent_view_size=5, normalize_obs=True)
    sample_level, mutate = make_level_generator(13, 13, 25), make_level_mutator_minimax(100)
    env, params = AutoReplayWrapper(base), base.default_params
    sampler = LevelSampler(
        capacity=PLR["capacity"], replay_prob=PLR["replay_prob"],
        staleness_coeff=PLR["staleness"], minimum_fill_ratio=args.min_fill_ratio, prioritization="rank",
        prioritization_params={"temperature": PLR["temperature"], "k": 4}, duplicate_check=True,
    )  # fmt: skip
    n, accel, exploratory = PPO["num_envs"], args.method == "accel", args.method == "plr"

    def init(rng):
        state = make_train_state(rng, env, params, sample_level, num_updates)
        placeholder = sample_level(jax.random.PRNGKey(0))
        buffer = sampler.initialize(placeholder, {"max_return": -jnp.inf})
        last = jax.tree_util.tree_map(lambda x: jnp.repeat(jnp.asarray(x)[None], n, axis=0), placeholder)
        return (rng, state, buffer, jnp.array(0), last)  # 0: last update was new levels, 1: a replay

    def play(rng, state, levels):
        rng, k_reset = jax.random.split(rng)
        obs, env_state = jax.vmap(env.reset_to_level, (0, 0, None))(jax.random.split(k_reset, n), levels, params)
        carry = Agent.zero_carry(n)
        rng, _, _, _, last_value, traj = rollout(rng, env, params, state, carry, obs, env_state, n, PPO["num_steps"])
        advantages, targets = gae(last_value, traj[5], traj[2], traj[3])
        return rng, carry, traj, advantages, targets

    def new_levels(rng, state, buffer, last):
        rng, k = jax.random.split(rng)
        levels = jax.vmap(sample_level)(jax.random.split(k, n))
        rng, carry, traj, adv, targets = play(rng, state, levels)
        max_returns = compute_max_returns(traj[3], traj[2])
        buffer, _ = sampler.insert_batch(
            buffer, levels, max_mc(traj[3], traj[5], max_returns), {"max_return": max_returns}
        )
        rng, state, loss = ppo_update(rng, state, carry, traj, adv, targets, exploratory)
        return rng, state, buffer, jnp.array(0), last, loss

    def replay_levels(rng, state, buffer, last):
        rng, k = jax.random.split(rng)
        buffer, (indices, levels) = sampler.sample_replay_levels(buffer, k, n)
        rng, carry, traj, adv, targets = play(rng, state, levels)
        max_returns = jnp.maximum(
            sampler.get_levels_extra(buffer, indices)["max_return"], compute_max_returns(traj[3], traj[2])
        )
        buffer = sampler.update_batch(
            buffer, indices, max_mc(traj[3], traj[5], max_returns), {"max_return": max_returns}
        )
        rng, state, loss = ppo_update(rng, state, carry, traj, adv, targets, True)
        return rng, state, buffer, jnp.array(1), levels, loss

    def edit_levels(rng, state, buffer, last):
        rng, k = jax.random.split(rng)
        children = jax.vmap(mutate, (0, 0, None))(jax.random.split(k, n), last, PLR["num_edits"])
        rng, carry, traj, adv, targets = play(rng, state, children)
        max_returns = compute_max_returns(traj[3], traj[2])
        buffer, _ = sampler.insert_batch(
            buffer, children, max_mc(traj[3], traj[5], max_returns), {"max_return": max_returns}
        )
        rng, state, loss = ppo_update(rng, state, carry, traj, adv, targets, exploratory)
        return rng, state, buffer, jnp.array(0), children, loss

    def update(c, _):
        rng, state, buffer, was_replay, last = c
        rng, k = jax.random.split(rng)
        replay = sampler.sample_replay_decision(buffer, k).astype(int)
        branch = (1 - was_replay) * replay + 2 * was_replay if accel else replay
        rng, state, buffer, was_replay, last, loss = jax.lax.switch(
            branch, [new_levels, replay_levels, edit_levels], rng, state, buffer, last
        )
        return (rng, state, buffer, was_replay, last), loss

    return base, init, update, lambda c: c[1]


def evaluate(rng, base, state: TrainState, attempts: int = 10) -> dict:
    """Solve rate (return > 0) of each hand-designed maze over `attempts` episodes of up to 250 steps."""
    from jaxued.environments.maze.level import prefabs

    levels = Level.stack([Level.from_str(prefabs[name]) for name in EVAL_LEVELS])
    params, k = base.default_params, len(EVAL_LEVELS)

    def attempt(rng):
        obs, env_state = jax.vmap(base.reset_to_level, (0, 0, None))(jax.random.split(rng, k), levels, params)

        def one_step(c, _):
            rng, carry, obs, env_state, done, alive, ret = c
            rng, k_act, k_step = jax.random.split(rng, 3)
            carry, pi, _ = state.apply_fn(state.params, jax.tree_util.tree_map(lambda x: x[None], (obs, done)), carry)
            action = pi.sample(seed=k_act)[0]
            obs, env_state, reward, done, _ = jax.vmap(base.step, (0, 0, 0, None))(
                jax.random.split(k_step, k), env_state, action, params
            )
            return (rng, carry, obs, env_state, done, alive & ~done, ret + reward * alive), None

        init = (rng, Agent.zero_carry(k), obs, env_state, jnp.zeros(k, bool), jnp.ones(k, bool), jnp.zeros(k))
        (_, _, _, _, _, _, returns), _ = jax.lax.scan(one_step, init, None, params.max_steps_in_episode)
        return returns

    returns = jax.jit(jax.vmap(attempt))(jax.random.split(rng, attempts))
    return dict(zip(EVAL_LEVELS, np.asarray((returns > 0).mean(axis=0)).tolist()))


def env_only(num_envs: int, seconds: float) -> None:
    """Env steps/s of jaxued's Maze alone: random actions, `num_envs` vmapped with AutoReset (random levels), 256
    steps per jitted scan (the training rollout's shape without the network)."""
    base = Maze(max_height=13, max_width=13, agent_view_size=5, normalize_obs=True)
    sample_level = make_level_generator(13, 13, 25)
    env, params = AutoResetWrapper(base, sample_level), base.default_params
    rng = jax.random.PRNGKey(0)
    levels = jax.vmap(sample_level)(jax.random.split(rng, num_envs))
    _, env_state = jax.vmap(env.reset_to_level, (0, 0, None))(jax.random.split(rng, num_envs), levels, params)

    def one_step(c, _):
        rng, env_state = c
        rng, k_act, k_step = jax.random.split(rng, 3)
        actions = jax.random.randint(k_act, (num_envs,), 0, 7)
        obs, env_state, reward, done, _ = jax.vmap(env.step, (0, 0, 0, None))(
            jax.random.split(k_step, num_envs), env_state, actions, params
        )
        return (rng, env_state), (obs.image.sum() + reward.sum() + done.sum())

    run = jax.jit(lambda c: jax.lax.scan(one_step, c, None, 256))
    carry, out = run((rng, env_state))
    np.asarray(out)  # compiled and run once
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        carry, out = run(carry)
        np.asarray(out)
        steps += 256 * num_envs
    print(f"env_only num_envs {num_envs} sps {steps / (time.perf_counter() - start):.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", choices=["dr", "plr", "robust_plr", "accel"], default="dr")
    parser.add_argument("--updates", type=int, default=40, help="updates of 32 x 256 env steps")
    parser.add_argument("--chunk", type=int, default=5, help="updates per jitted call (the scripts' eval_freq)")
    parser.add_argument("--schedule_updates", type=int, default=30000, help="length of the lr decay (30k: the papers')")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval", action="store_true", help="play the 8 hand-designed mazes at the end")
    parser.add_argument("--min_fill_ratio", type=float, default=PLR["min_fill"], help="buffer fill before replays")
    parser.add_argument("--env_only", type=int, default=0, metavar="N", help="time N envs alone (no training)")
    parser.add_argument("--seconds", type=float, default=10.0, help="--env_only: seconds to time")
    args = parser.parse_args()
    if args.env_only:
        env_only(args.env_only, args.seconds)
        return

    program = dr_program if args.method == "dr" else ued_program
    base, init, update, train_state_of = program(args, args.schedule_updates)
    carry = jax.jit(init)(jax.random.PRNGKey(args.seed))
    run_chunk = jax.jit(lambda c: jax.lax.scan(update, c, None, args.chunk))
    steps_per_chunk = args.chunk * PPO["num_envs"] * PPO["num_steps"]
    start = time.perf_counter()
    for chunk in range(args.updates // args.chunk):
        carry, losses = run_chunk(carry)
        loss = float(np.asarray(losses).mean())  # waits for the chunk: timing after the results arrive
        now = time.perf_counter()
        print(f"chunk {chunk} steps {(chunk + 1) * steps_per_chunk} seconds {now - start:.3f} "
              f"sps {steps_per_chunk / (now - start):.1f} loss {loss:.4f}", flush=True)  # fmt: skip
        start = now
    if args.eval:
        for name, rate in evaluate(jax.random.PRNGKey(args.seed + 1), base, train_state_of(carry)).items():
            print(f"eval {name} solve_rate {rate:.3f}", flush=True)
    print(f"peak_rss_mib {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}", flush=True)


if __name__ == "__main__":
    main()
