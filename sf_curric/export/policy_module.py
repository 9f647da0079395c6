"""`ExportedPolicy`: the forward pass of a trained `ActorCritic` as one plain module, ready for tracing.

Inputs and outputs (batch first, N any):

- `obs`: raw observations `[N, *obs_shape]`, in the env's dtype (float32 vectors, uint8 images); the running
  observation normalization of training is inside (and the scaling of uint8 images). For a Dict observation space
  the input is one tensor per key instead, named by the key (ONNX inputs; TorchScript takes the dict
  `{key: tensor}`), in the dtype of `sf_curric.envs.observation_space.storage_fields` (int64 for Discrete and
  MultiDiscrete, which enter as the env gives them, `start` included).
- `rnn_states` (recurrent models only): `[N, rnn_state_size]`, zeros at the start of an episode.
- `action_params`: the action head's output: logits `[N, n]` (Discrete; action = argmax or a sample), padded
  logits `[N, k, max(nvec)]` (MultiDiscrete) or the Gaussian mean `[N, d]` (Box; the std is `exp(log_std)`, stored
  in the metadata; with `--adaptive_stddev` `[N, 2d]`: the means, then the log stds).
- `values`: value estimates `[N]` in return units.
- `new_rnn_states` (recurrent models only): the state to feed back at the next step.

The recurrent core runs as `nn.GRU`/`nn.LSTM` over one step (exports to the ONNX GRU/LSTM operators); it computes
what training's fused cell kernel computes.
"""

from __future__ import annotations

import copy
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from sf_curric.envs.observation_space import storage_fields
from sf_curric.model.obs_batch import obs_map, obs_rows, stack_obs, to_torch


def _core_step(core: Any, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    out, new_state = core.rnn(x.unsqueeze(0), core.torch_state(state))
    return out[0], core.flat_state(new_state)


def _normalize(x: torch.Tensor, rms: Any) -> torch.Tensor:
    """`RunningMeanStd.normalize` without its in-place clamp (traced graphs keep out-of-place ops)."""
    x = x * rms.inv_std_f32 + rms.shift_f32
    return torch.clamp(x, -rms.clip, rms.clip) if rms.clip > 0 else x


class ExportedPolicy(nn.Module):
    """A frozen copy of an `ActorCritic` whose `forward` is the whole policy (see the module docstring).

    Args:
        model: the trained `ActorCritic` (copied; the original is not changed).

    Example:
        >>> policy = ExportedPolicy(model)
        >>> action_params, values = policy(torch.zeros(1, 4))                    # non-recurrent
        >>> action_params, values, state = policy(torch.zeros(1, 4), state)      # recurrent
    """

    def __init__(self, model: Any):
        super().__init__()
        self.model = copy.deepcopy(model).cpu().eval()
        for param in self.model.parameters():
            param.requires_grad_(False)
        self.is_recurrent = bool(self.model.is_recurrent)

    def _features(self, obs: torch.Tensor | dict[str, torch.Tensor]) -> torch.Tensor | dict[str, torch.Tensor]:
        m = self.model
        if m.dict_obs:
            out = dict(obs)
            if "obs" in out:
                out["obs"] = m.rescale_obs(out["obs"])  # --obs_subtract_mean / --obs_scale: SF's "obs" key
            for key, rms in zip(m.normalized_keys, m.obs_normalizer or ()):
                out[key] = _normalize(out[key].float(), rms)
            return out
        obs = m.rescale_obs(obs)  # --obs_subtract_mean / --obs_scale
        if m.image_obs:
            return obs if obs.dtype == torch.uint8 else obs.float()
        x = obs.float()
        if m.obs_normalizer is not None:
            x = _normalize(x, m.obs_normalizer)
        return x.reshape(x.shape[0], -1)

    def forward(
        self, obs: torch.Tensor | dict[str, torch.Tensor], rnn_states: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, ...]:
        m = self.model
        x = self._features(obs)
        actor = m.actor_encoder(x)
        critic = actor if m.shared else m.critic_encoder(x)
        new_states = None
        if self.is_recurrent:
            if m.shared:
                actor, new_states = _core_step(m.actor_core, actor, rnn_states)
                critic = actor
            else:
                size = m.actor_core.state_size
                actor, actor_new = _core_step(m.actor_core, actor, rnn_states[:, :size])
                critic, critic_new = _core_step(m.critic_core, critic, rnn_states[:, size:])
                new_states = torch.cat([actor_new, critic_new], dim=-1)
        actor, critic = m.decode(actor, critic)
        action_params = m.action_head(actor)
        values = m.value_head(critic).squeeze(-1)
        if m.returns_normalizer is not None:
            values = values * m.returns_normalizer.std_f32 + m.returns_normalizer.mean_f32
        if new_states is None:
            return action_params, values
        return action_params, values, new_states

    def example_inputs(self, batch_size: int = 2) -> tuple[Any, ...]:
        """Valid inputs of the right shapes and dtypes (samples of the space, a dict of them for a Dict space; zeros
        could fall outside a Discrete with a `start`), for tracing."""
        m = self.model
        space = copy.deepcopy(m.obs_space)
        space.seed(0)
        obs = to_torch(stack_obs(space, [space.sample() for _ in range(batch_size)]))
        if not self.is_recurrent:
            return (obs,)
        return obs, torch.zeros(batch_size, m.rnn_state_size)

    def metadata(self) -> dict[str, Any]:
        """What a user of the exported file needs to know: shapes, dtypes, names, the action space."""
        m = self.model
        space = m.action_space
        fields = storage_fields(m.obs_space)
        if isinstance(fields, dict):
            obs_meta = {
                "obs_keys": list(fields),
                "obs_shape": {key: list(shape) for key, (shape, _) in fields.items()},
                "obs_dtype": {key: str(dtype) for key, (_, dtype) in fields.items()},
            }
        else:
            obs_meta = {"obs_shape": list(fields[0]), "obs_dtype": str(fields[1])}
        inputs = obs_meta.get("obs_keys", ["obs"])
        meta: dict[str, Any] = {
            **obs_meta,
            "recurrent": self.is_recurrent,
            "rnn_state_size": int(m.rnn_state_size),
            "inputs": [*inputs, "rnn_states"] if self.is_recurrent else list(inputs),
            "outputs": ["action_params", "values", "new_rnn_states"]
            if self.is_recurrent
            else ["action_params", "values"],
            "action_space": type(space).__name__,
        }
        if hasattr(space, "n"):
            meta["action_start"] = int(getattr(space, "start", 0))
        if hasattr(space, "nvec"):
            meta["nvec"] = [int(n) for n in space.nvec]
            meta["action_start"] = [int(s) for s in np.broadcast_to(getattr(space, "start", 0), space.nvec.shape)]
        if hasattr(space, "low"):
            meta["action_low"] = np.asarray(space.low).tolist()
            meta["action_high"] = np.asarray(space.high).tolist()
            meta["adaptive_stddev"] = bool(m.action_head.adaptive)
            if not m.action_head.adaptive:
                meta["log_std"] = m.action_head.log_std.detach().cpu().numpy().tolist()
        return meta


class ReferenceOutputs(NamedTuple):
    """The trained model's own outputs (through `ActorCritic`'s training code path), for parity checks."""

    action_params: torch.Tensor
    values: torch.Tensor
    new_rnn_states: torch.Tensor | None


@torch.no_grad()
def reference_outputs(model: Any, obs: torch.Tensor, rnn_states: torch.Tensor | None = None) -> ReferenceOutputs:
    """Action parameters, values (return units) and the next recurrent state of `model` itself, computed the way
    the learner and the rollout workers compute them (`forward_sequence`, `act`).

    Args:
        model: an `ActorCritic`.
        obs: `[N, *obs_shape]` (a dict of them for a Dict observation space).
        rnn_states: `[N, rnn_state_size]` for a recurrent model.
    """
    model = model.eval()
    if not model.is_recurrent:
        params, values = model.forward_sequence(obs)
        return ReferenceOutputs(params, model.denormalize_values(values), None)
    starts = torch.zeros(1, obs_rows(obs), dtype=torch.bool)
    params, values = model.forward_sequence(obs_map(lambda x: x.unsqueeze(0), obs), rnn_states, starts)
    new_states = model.act(obs, rnn_states).rnn_states
    return ReferenceOutputs(params[0], model.denormalize_values(values[0]), new_states)
