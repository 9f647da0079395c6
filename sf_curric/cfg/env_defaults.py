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

# MiniGrid (and BabyAI) envs as rl-starter-files trains them (lcswillems/rl-starter-files scripts/train.py and
# model.py, torch-ac's PPO): 16 envs x 128 steps per update, 4 epochs of 256-sample minibatches, lr 7e-4 (Adam eps
# 1e-5), gamma 0.99, lambda 0.95, entropy 0.01, value loss 0.5, clip 0.2, gradient norm 0.5; the 7x7x3 view's codes
# fed unscaled into its conv (2x2 16, max-pool, 2x2 32, 2x2 64) and a 64-unit tanh layer. The agent's direction
# (Discrete(4), which rl-starter-files leaves out) joins as a one-hot; the mission text is left out (one log line).
# Weights keep orthogonal init: on DoorKey-6x6 it reached 0.9 sooner than torch's init (docs/observation_spaces.md).
MINIGRID = {
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
    "max_grad_norm": 0.5,
    "encoder_conv_architecture": "convnet_minigrid",
    "image_obs_scale": 1.0,
    "encoder_conv_mlp_layers": [64],
    "encoder_mlp_layers": [],
    "nonlinearity": "tanh",
    "train_for_env_steps": 1_000_000,
    "device": "cpu",
}
# The Mastering Rate paper's agent and PPO (lcswillems/automatic-curriculum, scripts/train.py of its experiments
# and torch-ac's PPO): MINIGRID's (rl-starter-files' settings and conv) with the value change clipped at 0.2, rewards
# x 20 (returns are logged unscaled), advantages and returns not normalized, a 64-unit tanh layer before each of the
# actor and critic heads (no shared weights), synchronous PPO in one process (no policy lag). Weights start as torch
# initializes them, as the paper's conv does: orthogonal init (gain sqrt 2) on MiniGrid's unscaled codes gives conv
# features 14x larger (std 1.47 vs 0.11, benchmarks/minigrid_init_scale.py) that saturate half the tanh units, and with
# it the agent never learned ObstructedMaze-1Dl in 6M frames (docs/minigrid_curricula.md).
MASTERING_RATE_PAPER = {
    **MINIGRID,
    "policy_initialization": "torch_default",
    "num_workers": 1,
    "ppo_clip_value": 0.2,
    "reward_scale": 20.0,
    "normalize_advantage": False,
    "normalize_returns": False,
    "actor_critic_share_weights": False,
    "serial_mode": True,
    "final_eval_episodes": 20,  # the end-of-training table: 20 episodes on each env of the list
}


# defaults of every env whose name starts with the prefix, below a name's own entry in _BUILTIN_DEFAULTS
_FAMILY_DEFAULTS: dict[str, dict[str, Any]] = {
    "MiniGrid-": MINIGRID,
    "BabyAI-": MINIGRID,
}

# maze_levels (sf_curric.envs.builtin): the PPO settings of the curriculum efficacy benchmark's 600k-step runs
# (benchmarks/sweeps/curriculum_efficacy.py types the same flags; docs/benchmarks.md)
_MAZE_LEVELS = {
    "serial_mode": True,
    "num_workers": 1,
    "num_envs_per_worker": 64,
    "rollout": 32,
    "batch_size": 1024,
    "num_epochs": 4,
    "gamma": 0.99,
    "gae_lambda": 0.95,
    "learning_rate": 5e-4,
    "exploration_loss_coeff": 0.01,
    "encoder_mlp_layers": [128, 128],
    "device": "cpu",
    "train_for_env_steps": 600_000,
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

# ued_maze (the UED papers' maze, docs/ued_maze.md): jaxued's maze_plr.py / maze_dr.py settings. PPO: 32 envs x 256
# steps per update in one minibatch, 5 epochs, Adam lr 1e-4 decayed linearly over the papers' 30k updates, eps 1e-5,
# grad norm 0.5, gamma 0.995, lambda 0.98, clip 0.2 (the value change clipped by the same), entropy 1e-3, value loss
# 0.25 x squared error, no observation or return normalization, synchronous. Agent: conv 3x3x16 over the view, the
# direction embedded in 5, LSTM 256, actor and critic heads with a hidden layer of 32, relu. Curricula (ACCEL's
# buffer flags also drive PLR and Robust PLR on this env): buffer 4000, replay 0.8, staleness 0.3, rank temperature
# 0.3, MaxMC score, replay once half the buffer is full, a full buffer replaces its lowest replay weight, 5 edits.
UED_MAZE_JAXUED = {
    "num_envs_per_worker": 32,
    "rollout": 256,
    "batch_size": 8192,
    "num_batches_per_epoch": 1,
    "num_epochs": 5,
    "learning_rate": 1e-4,
    "lr_schedule": "linear",
    "adam_eps": 1e-5,
    "max_grad_norm": 0.5,
    "gamma": 0.995,
    "gae_lambda": 0.98,
    "ppo_clip_ratio": 0.2,
    "ppo_clip_value": 0.2,
    "exploration_loss_coeff": 1e-3,
    "value_loss_coeff": 0.25,  # jaxued: critic_coeff 0.5 times its 0.5 * squared error (sf_curric's has no 0.5)
    "normalize_input": False,
    "normalize_returns": False,
    "async_rl": False,
    "encoder_conv_architecture": "convnet_ued",
    "encoder_conv_mlp_layers": [],
    "obs_discrete_encoding": "embedding",
    "obs_embedding_size": 5,
    "encoder_mlp_layers": [],
    "use_rnn": True,
    "rnn_type": "lstm",
    "rnn_size": 256,
    "decoder_mlp_layers": [32],
    "nonlinearity": "relu",
    "train_for_env_steps": 30_000 * 32 * 256,
    "accel_buffer_size": 4000,
    "accel_replay_prob": 0.8,
    "accel_staleness_coef": 0.3,
    "accel_temperature": 0.3,
    "accel_strategy": "max_mc",
    "accel_min_fill": 2000,
    "accel_replace": "lowest_weight",
    "accel_num_edits": 5,
}

_BUILTIN_DEFAULTS: dict[str, dict[str, Any]] = {
    "CartPole-v1": _CARTPOLE,
    # the built-in CartPole with SimpleBoxCurriculum (sf_curric.envs.builtin), its demo ends with an evaluation table
    "cartpole_curriculum": {**CARTPOLE_RL_ZOO, "final_eval_episodes": 50},
    "envpool:CartPole-v1": _CARTPOLE,  # EnvPool's CartPole (sf_curric.envs.envpool_env)
    # episodes of 1-3 steps, a Tuple of three Discrete observed one-hot: a high learning rate reaches a greedy return
    # of about -0.05 (basic strategy's) in 20k-30k steps (seed 1), where 3e-4 is still at always-stick's -0.17
    "Blackjack-v1": {"learning_rate": 3e-3, "train_for_env_steps": 50_000},
    "maze_levels": _MAZE_LEVELS,
    # the Mastering Rate paper's MiniGrid curricula (sf_curric.envs.builtin.minigrid_curricula), its budgets
    "mr_blockedunlockpickup": {**MASTERING_RATE_PAPER, "train_for_env_steps": 3_000_000},
    "mr_keycorridor": {**MASTERING_RATE_PAPER, "train_for_env_steps": 10_000_000},
    "mr_obstructedmaze": {**MASTERING_RATE_PAPER, "train_for_env_steps": 10_000_000},
    "frozen_lake_curriculum": _FROZEN_LAKE_DEMO,
    "ued_maze": UED_MAZE_JAXUED,
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
    """The per-env defaults for `env_name` (empty when it has none): its family's (`MiniGrid-*`), then its own,
    then the ones registered with `register_env_defaults`.

    Args:
        env_name: the `--env` value.
    """
    merged: dict[str, Any] = {}
    for prefix, defaults in _FAMILY_DEFAULTS.items():
        if env_name.startswith(prefix):
            merged.update(defaults)
    merged.update(_BUILTIN_DEFAULTS.get(env_name, {}))
    merged.update(_user_defaults.get(env_name, {}))
    return merged


def builtin_env_defaults() -> dict[str, dict[str, Any]]:
    """The built-in defaults by env name, families as `PREFIX*` (e.g. `MiniGrid-*`), for the reference docs."""
    families = {f"{prefix}*": defaults for prefix, defaults in _FAMILY_DEFAULTS.items()}
    return {**families, **_BUILTIN_DEFAULTS}


def flags_set_by_some_env() -> set[str]:
    """Flags that the per-env defaults of at least one env set (built-in or registered): `--help` without `--env`
    says "set by the env" for them."""
    every = (*_FAMILY_DEFAULTS.values(), *_BUILTIN_DEFAULTS.values(), *_user_defaults.values())
    return {flag for defaults in every for flag in defaults}


def registered_env_defaults(env_name: str) -> dict[str, Any]:
    """The defaults a user registered for `env_name` with `register_env_defaults` (the built-in ones left out).

    The auto defaults (`sf_curric.cfg.auto_defaults`) replace the built-in sampling layout for the machine, never
    a user's.

    Args:
        env_name: the `--env` value.
    """
    return dict(_user_defaults.get(env_name, {}))
