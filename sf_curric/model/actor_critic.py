"""The policy/value network used by rollout workers (`act`) and by the learner (`evaluate`)."""

from __future__ import annotations

import argparse
from typing import Any, Callable, Mapping, NamedTuple, Union

import numpy as np
import torch
from gymnasium import spaces
from torch import nn
from torch.nn import functional as F

from sf_curric.envs.observation_space import policy_space
from sf_curric.errors import ConfigError
from sf_curric.model.action_heads import make_action_head
from sf_curric.model.core import RnnCore
from sf_curric.model.dict_encoder import DictEncoder, check_channels_last, is_image_space
from sf_curric.model.encoders import ConvEncoder, MlpEncoder, orthogonal_init
from sf_curric.model.initialization import apply_initialization
from sf_curric.model.normalizer import RunningMeanStd

# raw observations: an array [B, *obs_shape], or a dict of them (one per key) for a Dict observation space
ObsLike = Union[torch.Tensor, np.ndarray, dict]


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
        params: the action distribution's parameters (what the action head outputs: logits, or Gaussian means).
    """

    log_probs: torch.Tensor
    entropy: torch.Tensor
    values: torch.Tensor
    params: torch.Tensor


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


def _is_vector(space: spaces.Space) -> bool:
    """A Box that is not an image: running-normalized with `--normalize_input`."""
    return isinstance(space, spaces.Box) and not is_image_space(space)


def _normalized_input_keys(keys: list[str] | None, available: list[str]) -> set[str]:
    """Sample Factory's --normalize_input_keys: the observation keys to running-normalize (None: every key; an array
    observation's one key is `obs`); a name the observation lacks is a one-line error."""
    if keys is None:
        return set(available)
    unknown = sorted(set(keys) - set(available))
    if unknown:
        raise ConfigError(
            f"--normalize_input_keys names {unknown}, which the observation lacks: its keys are "
            f"{', '.join(available)} (an array observation's key is obs)"
        )
    return set(keys)


class ActorCritic(nn.Module):
    """Encoder (MLP, CNN, or one per key of a Dict) -> optional GRU/LSTM core -> action head and value head.

    Observation normalization and return normalization are submodules (`obs_normalizer`, `returns_normalizer`),
    so `state_dict()` carries them; only the learner updates them. Image observations must be `(H, W, C)`;
    uint8 images are divided by `--image_obs_scale` and not running-normalized.

    Args:
        obs_space: a gymnasium Box (vector of any shape, flattened; or an `(H, W, C)` image), or any space that
            `sf_curric.envs.observation_space.policy_space` turns into a flat Dict (Dict, Tuple, Discrete, ...):
            `obs_space` is then that Dict, and observations are dicts of its keys (what `make_env`'s envs return;
            see `sf_curric.model.dict_encoder`).
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
        self.obs_space = obs_space = policy_space(obs_space).space
        self.action_space = action_space
        self.dict_obs = isinstance(obs_space, spaces.Dict)
        # trailing shape of the observation array, or of each key's
        self.obs_shape: tuple[int, ...] | dict[str, tuple[int, ...]] = (
            {key: tuple(sub.shape) for key, sub in obs_space.spaces.items()}
            if self.dict_obs
            else tuple(obs_space.shape)
        )
        self.image_obs = not self.dict_obs and is_image_space(obs_space)
        if self.image_obs:
            check_channels_last(self.obs_shape)
        self.shared = bool(cfg.actor_critic_share_weights)

        # Sample Factory's preprocessing: (obs - --obs_subtract_mean) / --obs_scale, before the running normalizer
        # (of an array observation, or of a Dict's key "obs", as in SF); uint8 images without it are divided by 255
        self.obs_subtract_mean = float(cfg.obs_subtract_mean)
        self.obs_scale = float(cfg.obs_scale)
        if self.obs_scale == 0:
            raise ConfigError("--obs_scale=0 divides the observations by zero: use e.g. --obs_scale=255")
        self._rescale = self.obs_subtract_mean != 0.0 or self.obs_scale != 1.0
        # running mean/std of vector observations (one per vector Box key of a Dict, in `normalized_keys` order);
        # --normalize_input_keys picks the keys (an array observation's key is "obs")
        keys = _normalized_input_keys(cfg.normalize_input_keys, list(self.obs_shape) if self.dict_obs else ["obs"])
        self.normalized_keys: list[str] = []
        self.obs_normalizer: RunningMeanStd | nn.ModuleList | None = None
        if cfg.normalize_input and self.dict_obs:
            self.normalized_keys = [k for k, sub in obs_space.spaces.items() if _is_vector(sub) and k in keys]
            if self.normalized_keys:
                self.obs_normalizer = nn.ModuleList(RunningMeanStd(self.obs_shape[k]) for k in self.normalized_keys)
        elif cfg.normalize_input and not self.image_obs and "obs" in keys:
            self.obs_normalizer = RunningMeanStd(self.obs_shape)
        self.returns_normalizer = RunningMeanStd((), clip=0.0) if cfg.normalize_returns else None

        self.actor_encoder = self._make_encoder(cfg)
        self.critic_encoder = None if self.shared else self._make_encoder(cfg)
        size = self.actor_encoder.output_size
        self.actor_core = self.critic_core = None
        if cfg.use_rnn:
            self.actor_core = RnnCore(size, cfg.rnn_type, cfg.rnn_size, cfg.rnn_num_layers)
            self.critic_core = None if self.shared else RnnCore(size, cfg.rnn_type, cfg.rnn_size, cfg.rnn_num_layers)
            size = cfg.rnn_size
        self._core_state_size = self.actor_core.state_size if self.actor_core is not None else 0

        # hidden layers of each head (--decoder_mlp_layers): the actor's and the critic's own, after the core
        self.actor_decoder = self.critic_decoder = None
        if cfg.decoder_mlp_layers:
            self.actor_decoder = MlpEncoder(size, cfg.decoder_mlp_layers, cfg.nonlinearity)
            self.critic_decoder = MlpEncoder(size, cfg.decoder_mlp_layers, cfg.nonlinearity)
            size = self.actor_decoder.output_size
        self.action_head = make_action_head(
            action_space, size, cfg.policy_init_gain, cfg.initial_stddev, cfg.adaptive_stddev,
            cfg.continuous_tanh_scale,
        )  # fmt: skip
        self.value_head = orthogonal_init(nn.Linear(size, 1), 1.0)

        apply_initialization(self, cfg.policy_initialization, cfg.nonlinearity, cfg.policy_init_gain)

        self._act_cache: _ActCache | None = None
        self._action_start = None
        if isinstance(action_space, (spaces.Discrete, spaces.MultiDiscrete)) and np.any(action_space.start != 0):
            self._action_start = np.asarray(action_space.start, dtype=np.int64)

    def _make_encoder(self, cfg: argparse.Namespace) -> nn.Module:
        if self.dict_obs:
            return DictEncoder(self.obs_space, cfg)
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

    def _prepare_obs(self, obs: ObsLike, device: torch.device | None = None) -> torch.Tensor | dict:
        """Raw observations `[N, *obs_shape]` -> network input on the model's device (normalized / flattened)."""
        device = device or self.value_head.weight.device
        if self.dict_obs:
            return self._prepare_dict_obs(obs, device)
        if isinstance(obs, np.ndarray):
            obs = torch.from_numpy(obs)
        if obs.device != device:
            obs = obs.to(device, non_blocking=True)
        if self._rescale:
            obs = self.rescale_obs(obs)
        if self.image_obs:
            return obs if obs.dtype == torch.uint8 else obs.float()
        if obs.dtype != torch.float32:
            obs = obs.float()
        if self.obs_normalizer is not None:
            obs = self.obs_normalizer.normalize(obs)
        return obs.reshape(obs.shape[0], -1)

    def rescale_obs(self, obs: torch.Tensor) -> torch.Tensor:
        """`(obs - --obs_subtract_mean) / --obs_scale` as float32 (identity without those flags)."""
        if not self._rescale:
            return obs
        return (obs.float() - self.obs_subtract_mean) * (1.0 / self.obs_scale)

    def _prepare_dict_obs(self, obs: dict, device: torch.device) -> dict:
        out = {}
        for key in self.obs_shape:
            x = obs[key]
            x = torch.from_numpy(x) if isinstance(x, np.ndarray) else torch.as_tensor(x)
            out[key] = x.to(device, non_blocking=True) if x.device != device else x
        if self._rescale and "obs" in out:
            out["obs"] = self.rescale_obs(out["obs"])
        for key, normalizer in zip(self.normalized_keys, self.obs_normalizer or ()):
            out[key] = normalizer.normalize(out[key].float())
        return out

    @torch.no_grad()
    def update_obs_normalizer(self, obs: ObsLike) -> None:
        """Fold raw observations (any leading shape) into the running observation statistics, after the same
        rescaling as `act` (the learner's job, after the PPO epochs of a batch); nothing without `--normalize_input`
        or without vector observations."""
        if self.obs_normalizer is None:
            return
        if not self.dict_obs:
            self.obs_normalizer.update(self.rescale_obs(obs))
            return
        for key, normalizer in zip(self.normalized_keys, self.obs_normalizer):
            normalizer.update(self.rescale_obs(obs[key]) if key == "obs" else obs[key])

    def _flatten_lead(self, obs: ObsLike) -> tuple[tuple[int, ...], ObsLike]:
        """`(lead shape, obs with the lead dimensions flattened into one)` for observations `[*lead, *obs_shape]`."""
        if not self.dict_obs:
            return tuple(obs.shape[: obs.dim() - len(self.obs_shape)]), obs.reshape(-1, *self.obs_shape)
        key, shape = next(iter(self.obs_shape.items()))
        lead = tuple(obs[key].shape[: obs[key].dim() - len(shape)])
        return lead, {key: obs[key].reshape(-1, *shape) for key, shape in self.obs_shape.items()}

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
            actor, critic = self.decode(actor, critic)
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
        lead, flat = self._flatten_lead(obs)
        x = self._prepare_obs(flat)
        actor = self.actor_encoder(x)
        critic = actor if self.shared else self.critic_encoder(x)
        if self.actor_core is not None:
            if rnn_states is None or episode_starts is None or len(lead) != 2:
                raise ValueError("a recurrent model needs obs [T, B, ...], rnn_states [B, H] and dones [T, B]")
            steps, batch = lead
            actor_state, critic_state = self._split_states(rnn_states.to(actor.device))
            starts = episode_starts.to(actor.device)
            actor, _ = self.actor_core.sequence(actor.view(steps, batch, -1), actor_state, starts)
            if self.shared:
                critic = actor
            else:
                critic, _ = self.critic_core.sequence(critic.view(steps, batch, -1), critic_state, starts)
            actor, critic = actor.reshape(steps * batch, -1), critic.reshape(steps * batch, -1)
        actor, critic = self.decode(actor, critic)
        params = self.action_head(actor)
        values = self.value_head(critic).squeeze(-1)
        return params.view(*lead, *params.shape[1:]), values.view(lead)

    @torch.no_grad()
    def rnn_states_at(
        self, obs: ObsLike, rnn_states: torch.Tensor, episode_starts: torch.Tensor, every: int
    ) -> torch.Tensor:
        """The recurrent states `[T // every, B, H]` before steps 0, every, 2 * every, ... of a `[T, B]` sequence,
        run from `rnn_states [B, H]` (the state before `obs[0]`) with the current weights, zeroed where
        `episode_starts [T, B]` is set (what `--recurrence` sequences start from)."""
        (steps, batch), flat = self._flatten_lead(obs)
        x = self._prepare_obs(flat)
        actor = self.actor_encoder(x).view(steps, batch, -1)
        critic = None if self.shared else self.critic_encoder(x).view(steps, batch, -1)
        actor_state, critic_state = self._split_states(rnn_states.to(actor.device))
        starts = episode_starts.to(actor.device)
        states = []
        for first in range(0, steps - steps % every, every):
            part = slice(first, first + every)
            states.append(actor_state if self.shared else torch.cat([actor_state, critic_state], dim=-1))
            _, actor_state = self.actor_core.sequence(actor[part], actor_state, starts[part])
            if not self.shared:
                _, critic_state = self.critic_core.sequence(critic[part], critic_state, starts[part])
        return torch.stack(states)

    def decode(self, actor: torch.Tensor, critic: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The heads' hidden layers (`--decoder_mlp_layers`) on the core's actor and critic outputs (identity
        without them)."""
        if self.actor_decoder is None:
            return actor, critic
        return self.actor_decoder(actor), self.critic_decoder(critic)

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
            EvalResult(log_probs, entropy, values, params) — values in normalized units, see `EvalResult`.
        """
        params, values = self.forward_sequence(obs, rnn_states, dones)
        log_probs, entropy = self.action_head.log_prob_entropy(params, actions)
        return EvalResult(log_probs, entropy, values, params)
