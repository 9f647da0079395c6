"""The policy/value network used by rollout workers (`act`) and by the learner (`evaluate`)."""

from __future__ import annotations

import argparse
from typing import Any, Callable, Mapping, NamedTuple, Union

import numpy as np
import torch
from gymnasium import spaces
from torch import nn
from torch.nn import functional as F

from sf_curric.model.action_heads import make_action_head
from sf_curric.model.core import RnnCore
from sf_curric.model.encoders import ConvEncoder, MlpEncoder, orthogonal_init
from sf_curric.model.normalizer import RunningMeanStd

ObsLike = Union[torch.Tensor, np.ndarray]


class ActResult(NamedTuple):
    """What `ActorCritic.act` returns (unpacks as a 4-tuple).

    Attributes:
        actions: `[B]` int64 (Discrete, indices from 0), `[B, k]` int64 (MultiDiscrete, from 0) or `[B, d]`
            float32 (Box, unclipped); convert with `ActorCritic.to_env_actions` before `env.step`.
        log_probs: `[B]` log-probability of `actions`.
        values: `[B]` value estimates in return units (denormalized).
        rnn_states: `[B, rnn_state_size]` state after this step, or None for a non-recurrent model.
    """

    actions: torch.Tensor
    log_probs: torch.Tensor
    values: torch.Tensor
    rnn_states: torch.Tensor | None


class EvalResult(NamedTuple):
    """What `ActorCritic.evaluate` returns, all `[T, B]` (or the leading shape given).

    Attributes:
        log_probs: log-probability of the given actions under the current weights (with gradients).
        entropy: policy entropy.
        values: raw value-head outputs, in NORMALIZED return units when `--normalize_returns` is on
            (use `model.denormalize_values` for return units).
    """

    log_probs: torch.Tensor
    entropy: torch.Tensor
    values: torch.Tensor


class _ActCache(NamedTuple):
    # Direct references to the tensors act() reads: Module.__getattr__ and module calls are a large share of the
    # time of a small CPU batch. In-place updates (optimizer steps, load_state_dict) keep these references valid.
    device: torch.device
    actor_layers: list[tuple[torch.Tensor, torch.Tensor]] | None
    critic_layers: list[tuple[torch.Tensor, torch.Tensor]] | None
    head_weight: torch.Tensor
    head_bias: torch.Tensor
    value_weight: torch.Tensor
    value_bias: torch.Tensor


def _is_image(space: spaces.Box) -> bool:
    return len(space.shape) == 3


class ActorCritic(nn.Module):
    """Encoder (MLP or CNN) -> optional GRU/LSTM core -> action head and value head.

    Observation normalization and return normalization are submodules (`obs_normalizer`, `returns_normalizer`),
    so `state_dict()` carries them; only the learner updates them. Image observations must be `(H, W, C)`;
    uint8 images are scaled to [0, 1] and not running-normalized.

    Args:
        obs_space: a gymnasium Box (vector of any shape, flattened; or an `(H, W, C)` image).
        action_space: Discrete, MultiDiscrete or 1-D Box.
        cfg: reads the flags in `sf_curric.model.args.MODEL_ARGS`.

    Example:
        >>> import gymnasium as gym
        >>> from sf_curric.algo.learner import learner_cfg
        >>> env = gym.make("CartPole-v1")
        >>> model = ActorCritic(env.observation_space, env.action_space, learner_cfg())
        >>> actions, log_probs, values, _ = model.act(np.zeros((8, 4), np.float32))
    """

    def __init__(self, obs_space: spaces.Space, action_space: spaces.Space, cfg: argparse.Namespace):
        super().__init__()
        if not isinstance(obs_space, spaces.Box):
            raise ValueError(
                f"observation space {obs_space} is not supported: use a Box (wrap Dict/Discrete observations, "
                "e.g. with gymnasium.wrappers.FlattenObservation)"
            )
        self.obs_space = obs_space
        self.action_space = action_space
        self.obs_shape = tuple(obs_space.shape)
        self.image_obs = _is_image(obs_space)
        if self.image_obs and self.obs_shape[-1] > 16 and self.obs_shape[0] <= 16:
            raise ValueError(
                f"image observations of shape {self.obs_shape} look channels-first: sf_curric expects (H, W, C) "
                "images (transpose them in an env wrapper)"
            )
        self.shared = bool(cfg.actor_critic_share_weights)

        self.obs_normalizer = RunningMeanStd(self.obs_shape) if cfg.normalize_input and not self.image_obs else None
        self.returns_normalizer = RunningMeanStd((), clip=0.0) if cfg.normalize_returns else None

        self.actor_encoder = self._make_encoder(cfg)
        self.critic_encoder = None if self.shared else self._make_encoder(cfg)
        size = self.actor_encoder.output_size
        self.actor_core = self.critic_core = None
        if cfg.use_rnn:
            self.actor_core = RnnCore(size, cfg.rnn_type, cfg.rnn_size)
            self.critic_core = None if self.shared else RnnCore(size, cfg.rnn_type, cfg.rnn_size)
            size = cfg.rnn_size
        self._core_state_size = self.actor_core.state_size if self.actor_core is not None else 0

        self.action_head = make_action_head(action_space, size, cfg.policy_init_gain, cfg.continuous_init_log_std)
        self.value_head = orthogonal_init(nn.Linear(size, 1), 1.0)

        self._act_cache: _ActCache | None = None
        self._action_start = None
        if isinstance(action_space, (spaces.Discrete, spaces.MultiDiscrete)) and np.any(action_space.start != 0):
            self._action_start = np.asarray(action_space.start, dtype=np.int64)

    def _make_encoder(self, cfg: argparse.Namespace) -> nn.Module:
        if self.image_obs:
            return ConvEncoder(
                self.obs_shape,
                cfg.encoder_conv_architecture,
                cfg.encoder_conv_mlp_layers,
                cfg.nonlinearity,
                cfg.image_obs_scale,
            )
        return MlpEncoder(int(np.prod(self.obs_shape)), cfg.encoder_mlp_layers, cfg.nonlinearity)

    # ---- properties -------------------------------------------------------------------------------------------

    @property
    def is_recurrent(self) -> bool:
        """True when the model has a GRU/LSTM core (then `act` and `evaluate` need rnn states)."""
        return self.actor_core is not None

    @property
    def rnn_state_size(self) -> int:
        """Width H of the `[B, H]` recurrent state (0 for a non-recurrent model)."""
        return self._core_state_size * (1 if self.shared else 2)

    def initial_rnn_states(self, batch_size: int, device: torch.device | None = None) -> torch.Tensor | None:
        """Zero states `[batch_size, rnn_state_size]` (None for a non-recurrent model)."""
        if not self.is_recurrent:
            return None
        return torch.zeros(batch_size, self.rnn_state_size, device=device or self.value_head.weight.device)

    # ---- shared pieces ----------------------------------------------------------------------------------------

    def _apply(self, fn: Callable[[torch.Tensor], torch.Tensor], recurse: bool = True) -> ActorCritic:
        # .to() / .cuda() / .share_memory() may replace buffers: rebuild the act() cache of tensor references.
        self._act_cache = None
        return super()._apply(fn, recurse)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False) -> Any:
        """`nn.Module.load_state_dict`, which copies in place; also drops the act() cache (assign=True replaces
        tensors)."""
        self._act_cache = None
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def __getstate__(self) -> dict[str, Any]:
        # pickling (spawned worker processes) and deepcopy rebuild the cache from the new object's own tensors
        state = super().__getstate__() if hasattr(super(), "__getstate__") else self.__dict__.copy()
        return {**state, "_act_cache": None}

    def _build_act_cache(self) -> _ActCache:
        def mlp_layers(encoder: nn.Module | None) -> list[tuple[torch.Tensor, torch.Tensor]] | None:
            if not isinstance(encoder, MlpEncoder):
                return None
            return [(layer.weight, layer.bias) for layer in encoder.layers]

        cache = _ActCache(
            device=self.value_head.weight.device,
            actor_layers=mlp_layers(self.actor_encoder),
            critic_layers=mlp_layers(self.critic_encoder),
            head_weight=self.action_head.linear.weight,
            head_bias=self.action_head.linear.bias,
            value_weight=self.value_head.weight,
            value_bias=self.value_head.bias,
        )
        self._act_cache = cache
        return cache

    def _prepare_obs(self, obs: ObsLike, device: torch.device | None = None) -> torch.Tensor:
        """Raw observations `[N, *obs_shape]` -> network input on the model's device (normalized / flattened)."""
        if isinstance(obs, np.ndarray):
            obs = torch.from_numpy(obs)
        device = device or self.value_head.weight.device
        if obs.device != device:
            obs = obs.to(device, non_blocking=True)
        if self.image_obs:
            return obs if obs.dtype == torch.uint8 else obs.float()
        if obs.dtype != torch.float32:
            obs = obs.float()
        if self.obs_normalizer is not None:
            obs = self.obs_normalizer.normalize(obs)
        return obs.reshape(obs.shape[0], -1)

    def _split_states(self, states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.shared:
            return states, None
        return states[:, : self._core_state_size], states[:, self._core_state_size :]

    def denormalize_values(self, values: torch.Tensor) -> torch.Tensor:
        """Value-head outputs -> return units."""
        return values if self.returns_normalizer is None else self.returns_normalizer.denormalize(values)

    def normalize_returns(self, returns: torch.Tensor) -> torch.Tensor:
        """Return units -> value-head units (identity without `--normalize_returns`)."""
        if self.returns_normalizer is None:
            return returns
        return (returns - self.returns_normalizer.mean_f32) * self.returns_normalizer.inv_std_f32

    # ---- rollout hot path -------------------------------------------------------------------------------------

    def act(
        self,
        obs: ObsLike,
        rnn_states: torch.Tensor | None = None,
        deterministic: bool = False,
        logits_out: torch.Tensor | None = None,
    ) -> ActResult:
        """Choose actions for one step of `B` envs, without gradients.

        Args:
            obs: raw observations `[B, *obs_shape]` (tensor or numpy array, any device).
            rnn_states: `[B, rnn_state_size]` for a recurrent model (zeros where an episode starts: the caller
                zeroes the state of an env whose episode ended); ignored otherwise.
            deterministic: take the most likely action (the mean for Box) instead of sampling.
            logits_out: a `[B, n]` tensor (Discrete actions) that receives the action logits, e.g. a row of the
                trajectory's `action_logits` (for curricula that score levels from the acting policy).

        Returns:
            ActResult(actions, log_probs, values, rnn_states) on the model's device.
        """
        with torch.no_grad():
            cache = self._act_cache or self._build_act_cache()
            x = self._prepare_obs(obs, cache.device)
            actor = self._encode(x, cache.actor_layers, self.actor_encoder)
            critic = actor if self.shared else self._encode(x, cache.critic_layers, self.critic_encoder)
            new_states = None
            if self.actor_core is not None:
                if rnn_states is None:
                    raise ValueError("this model is recurrent (--use_rnn): pass rnn_states [B, rnn_state_size] to act")
                actor_state, critic_state = self._split_states(rnn_states.to(cache.device))
                actor, new_states = self.actor_core.step(actor, actor_state)
                if self.shared:
                    critic = actor
                else:
                    critic, critic_new = self.critic_core.step(critic, critic_state)
                    new_states = torch.cat([new_states, critic_new], dim=-1)
            params = self.action_head.shape_params(F.linear(actor, cache.head_weight, cache.head_bias))
            if logits_out is not None:
                logits_out.copy_(params)
            actions, log_probs = self.action_head.sample(params, deterministic)
            values = self.denormalize_values(F.linear(critic, cache.value_weight, cache.value_bias).squeeze(-1))
        return ActResult(actions, log_probs, values, new_states)

    def _encode(
        self, x: torch.Tensor, layers: list[tuple[torch.Tensor, torch.Tensor]] | None, encoder: nn.Module
    ) -> torch.Tensor:
        if layers is None:  # CNN: module call overhead is small next to the convolutions
            return encoder(x)
        activation_fn = encoder.activation_fn
        for weight, bias in layers:
            x = activation_fn(F.linear(x, weight, bias))
        return x

    def to_env_actions(self, actions: torch.Tensor) -> np.ndarray:
        """Actions from `act` -> what `env.step` takes: numpy, Box actions clipped to the bounds, the space's
        `start` added for Discrete/MultiDiscrete."""
        out = actions.cpu().numpy()
        if isinstance(self.action_space, spaces.Box):
            return np.clip(out, self.action_space.low, self.action_space.high).astype(self.action_space.dtype)
        if self._action_start is not None:
            out = out + self._action_start
        return out

    # ---- learning ---------------------------------------------------------------------------------------------

    def forward_sequence(
        self,
        obs: torch.Tensor,
        rnn_states: torch.Tensor | None = None,
        episode_starts: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Policy parameters and raw (normalized) values for observations with leading shape `[T, B]`.

        A non-recurrent model accepts any leading shape `[*lead]`; a recurrent one needs `[T, B]`, `rnn_states
        [B, H]` (the state before `obs[0]`) and `episode_starts [T, B]` (zero the state before `obs[t]`).

        Returns:
            (policy params `[*lead, ...]`, values `[*lead]`) with gradients.
        """
        lead = obs.shape[: obs.dim() - len(self.obs_shape)]
        x = self._prepare_obs(obs.reshape(-1, *self.obs_shape))
        actor = self.actor_encoder(x)
        critic = actor if self.shared else self.critic_encoder(x)
        if self.actor_core is not None:
            if rnn_states is None or episode_starts is None or len(lead) != 2:
                raise ValueError("a recurrent model needs obs [T, B, ...], rnn_states [B, H] and dones [T, B]")
            steps, batch = lead
            actor_state, critic_state = self._split_states(rnn_states.to(x.device))
            starts = episode_starts.to(x.device)
            actor, _ = self.actor_core.sequence(actor.view(steps, batch, -1), actor_state, starts)
            if self.shared:
                critic = actor
            else:
                critic, _ = self.critic_core.sequence(critic.view(steps, batch, -1), critic_state, starts)
            actor, critic = actor.reshape(steps * batch, -1), critic.reshape(steps * batch, -1)
        params = self.action_head(actor)
        values = self.value_head(critic).squeeze(-1)
        return params.view(*lead, *params.shape[1:]), values.view(lead)

    def evaluate(
        self,
        obs: torch.Tensor,
        actions: torch.Tensor,
        rnn_states: torch.Tensor | None = None,
        dones: torch.Tensor | None = None,
    ) -> EvalResult:
        """Log-probs, entropy and values of a `[T, B]` sequence (with gradients), for the learner.

        Args:
            obs: raw observations `[T, B, *obs_shape]` (any leading shape for a non-recurrent model).
            actions: the actions taken, `[T, B, *act_shape]` as returned by `act` (unclipped).
            rnn_states: `[B, H]` state before `obs[0]` (recurrent models).
            dones: `[T, B]` bool, True where `obs[t]` is the first observation of a new episode (the step before
                ended one); the recurrent state is zeroed before `obs[t]` there. In trajectory terms:
                `dones[t] = terminated[t-1] | truncated[t-1]`, `dones[0] = False`.

        Returns:
            EvalResult(log_probs, entropy, values) — values in normalized units, see `EvalResult`.
        """
        params, values = self.forward_sequence(obs, rnn_states, dones)
        log_probs, entropy = self.action_head.log_prob_entropy(params, actions)
        return EvalResult(log_probs, entropy, values)
