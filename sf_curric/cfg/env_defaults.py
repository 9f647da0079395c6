"""Per-env default flags, applied below the command line so that `--env=NAME` alone trains well.

A user's flags always win over these. Register defaults for your own env with `register_env_defaults`.
"""

from __future__ import annotations

from typing import Any

# rl-zoo's tuned PPO settings for CartPole-v1 (8 envs, short rollouts, many epochs on small data), in
# sf_curric's flag names; the model is CleanRL's/SB3's separate 64-64 tanh actor and critic. The built-in
# curriculum demo keeps them (its curriculum was tuned with them).
CARTPOLE_RL_ZOO = {
    "num_workers": 1,
    "num_envs_per_worker": 8,
    "rollout": 32,
    "batch_size": 256,
    "num_batches_per_epoch": 1,
    "num_epochs": 20,
    "gamma": 0.98,
    "gae_lambda": 0.8,
    "learning_rate": 1e-3,
    "lr_schedule": "linear",
    "ppo_clip_ratio": 0.2,
    "ppo_clip_schedule": "linear",
    "exploration_loss_coeff": 0.0,
    "value_loss_coeff": 0.5,
    "ppo_clip_value": 0.0,  # SB3 does not clip the value change: clipping at +-1 slows CartPole's value learning
    "adam_eps": 1e-5,
    "max_grad_norm": 0.5,
    "normalize_input": False,
    "normalize_returns": False,
    "encoder_mlp_layers": [64, 64],
    "nonlinearity": "tanh",
    "actor_critic_share_weights": False,
    "train_for_env_steps": 100_000,
    "device": "cpu",
}

# CartPole-v1 solved in the fewest wall seconds (docs/fast_defaults.md): 64 envs (one process on <= 2 cores),
# 2048 samples per iteration in 4 minibatches, 4 epochs, a high learning rate annealed to 0 (PufferLib's CartPole
# recipe). It needs ~2x rl-zoo's samples (105k-160k over 7 seeds) at ~5x the FPS; 300k steps leave the annealed
# rate room to finish.
_CARTPOLE = {
    **CARTPOLE_RL_ZOO,
    "num_envs_per_worker": 64,
    "batch_size": 512,
    "num_batches_per_epoch": 4,
    "num_epochs": 4,
    "gamma": 0.99,
    "gae_lambda": 0.95,
    "learning_rate": 2.5e-3,
    "train_for_env_steps": 300_000,
}

# The Mastering Rate paper's agent and PPO (lcswillems/automatic-curriculum, scripts/train.py of its experiments
# and torch-ac's PPO): 16 envs x 128 steps per update, 4 epochs of 256-sample minibatches, lr 7e-4 (Adam eps 1e-5),
# gamma 0.99, lambda 0.95, entropy 0.01, value loss 0.5 with the value change clipped at 0.2, gradient norm 0.5,
# rewards x 20 (returns are logged unscaled), advantages and returns not normalized; the 7x7x3 MiniGrid codes
# (unscaled) into the rl-starter-files conv, then a 64-unit tanh layer before each of the actor and critic heads.
MASTERING_RATE_PAPER = {
    "num_workers": 1,
    "num_envs_per_worker": 16,
    "rollout": 128,
    "batch_size": 256,
    "num_batches_per_epoch": 8,
    "num_epochs": 4,
    "gamma": 0.99,
    "gae_lambda": 0.95,
    "learning_rate": 7e-4,
    "adam_eps": 1e-5,
    "exploration_loss_coeff": 0.01,
    "value_loss_coeff": 0.5,
    "ppo_clip_ratio": 0.2,
    "ppo_clip_value": 0.2,
    "max_grad_norm": 0.5,
    "reward_scale": 20.0,
    "normalize_advantage": False,
    "normalize_returns": False,
    "encoder_conv_architecture": "convnet_minigrid",
    "image_obs_scale": 1.0,
    "encoder_conv_mlp_layers": [64],
    "nonlinearity": "tanh",
    "actor_critic_share_weights": False,
    "device": "cpu",
    "serial_mode": True,  # synchronous PPO, as the paper's (no policy lag)
    "final_eval_episodes": 20,  # the end-of-training table: 20 episodes on each env of the list
}

# The README demo (sf_curric.envs.builtin.frozen_lake_curriculum, docs/demo.md): PerformanceCurriculum moves the
# start one level back once 90 % of the last 50 episodes at the current level reached the goal, and keeps a fifth
# of the episodes on easier levels. The layout is fixed (one process, 16 envs, 512 samples per iteration) so that the
# demo learns the same way on every machine; 200k steps leave every measured seed room to finish.
_FROZEN_LAKE_DEMO = {
    "perf_metric": "progress",
    "perf_promote_threshold": 0.9,
    "perf_window": 50,
    "perf_replay_easier": 0.2,
    "auto_defaults": False,
    "serial_mode": True,
    "num_workers": 1,
    "num_envs_per_worker": 16,
    "num_batches_per_epoch": 2,
    "train_for_env_steps": 200_000,
    "final_eval_episodes": 50,
}

_BUILTIN_DEFAULTS: dict[str, dict[str, Any]] = {
    "CartPole-v1": _CARTPOLE,
    # the built-in CartPole with SimpleBoxCurriculum (sf_curric.envs.builtin), its demo ends with an evaluation table
    "cartpole_curriculum": {**CARTPOLE_RL_ZOO, "final_eval_episodes": 50},
    "envpool:CartPole-v1": _CARTPOLE,  # EnvPool's CartPole (sf_curric.envs.envpool_env)
    # the Mastering Rate paper's MiniGrid curricula (sf_curric.envs.builtin.minigrid_curricula), its budgets
    "mr_blockedunlockpickup": {**MASTERING_RATE_PAPER, "train_for_env_steps": 3_000_000},
    "mr_keycorridor": {**MASTERING_RATE_PAPER, "train_for_env_steps": 10_000_000},
    "mr_obstructedmaze": {**MASTERING_RATE_PAPER, "train_for_env_steps": 10_000_000},
    "frozen_lake_curriculum": _FROZEN_LAKE_DEMO,
}

_user_defaults: dict[str, dict[str, Any]] = {}


def register_env_defaults(env_name: str, **flags: Any) -> None:
    """Set default flag values for one env (below the command line, above the global defaults).

    Args:
        env_name: the `--env` value these defaults apply to.
        flags: flag names (without dashes) and values.

    Example:
        >>> register_env_defaults("my_env", rollout=64, gamma=0.995)
    """
    _user_defaults.setdefault(env_name, {}).update(flags)


def get_env_defaults(env_name: str) -> dict[str, Any]:
    """The per-env defaults for `env_name` (empty when it has none).

    Args:
        env_name: the `--env` value.
    """
    merged = dict(_BUILTIN_DEFAULTS.get(env_name, {}))
    merged.update(_user_defaults.get(env_name, {}))
    return merged


def registered_env_defaults(env_name: str) -> dict[str, Any]:
    """The defaults a user registered for `env_name` with `register_env_defaults` (the built-in ones left out).

    The auto defaults (`sf_curric.cfg.auto_defaults`) replace the built-in sampling layout for the machine, never
    a user's.

    Args:
        env_name: the `--env` value.
    """
    return dict(_user_defaults.get(env_name, {}))
