"""Action distributions for Discrete, Box and MultiDiscrete spaces, written as plain tensor ops.

`torch.distributions` validates arguments and builds objects on every call; on the rollout hot path (small CPU
batches) a few tensor ops are several times faster. Tests check these formulas against torch.distributions.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from sf_curric.model.encoders import orthogonal_init

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
# Padding logit for MultiDiscrete sub-spaces smaller than the largest: finite (no 0 * -inf = nan in the entropy),
# low enough that its probability is exactly 0 in float32.
_PAD_LOGIT = -1e9


def _sample_categorical(log_p: torch.Tensor) -> torch.Tensor:
    # Gumbel-max trick in its exponential form: argmax(p / E) with E ~ Exp(1) is a sample of p (argmax of
    # log p - log E, i.e. log p plus Gumbel noise); a few tensor ops, cheaper than torch.multinomial on small batches.
    # E is floored so that E == 0 (rare in float32) cannot turn an impossible action (p == 0) into 0 / 0 = nan.
    noise = torch.empty_like(log_p).exponential_().clamp_min_(1e-30)
    return torch.argmax(log_p.exp() / noise, dim=-1)


class CategoricalHead(nn.Module):
    """Categorical policy for `Discrete(n)`: actions are indices in [0, n) (the env's `start` is added later)."""

    def __init__(self, input_size: int, num_actions: int, init_gain: float):
        super().__init__()
        self.linear = orthogonal_init(nn.Linear(input_size, num_actions), init_gain)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.linear(features)

    def shape_params(self, flat: torch.Tensor) -> torch.Tensor:
        """Output of `self.linear` -> distribution parameters (identity here)."""
        return flat

    def sample(self, params: torch.Tensor, deterministic: bool) -> tuple[torch.Tensor, torch.Tensor]:
        log_p = torch.log_softmax(params, dim=-1)
        actions = torch.argmax(log_p, dim=-1) if deterministic else _sample_categorical(log_p)
        return actions, log_p.gather(-1, actions.unsqueeze(-1)).squeeze(-1)

    def log_prob_entropy(self, params: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        log_p = torch.log_softmax(params, dim=-1)
        log_prob = log_p.gather(-1, actions.long().unsqueeze(-1)).squeeze(-1)
        entropy = -(log_p.exp() * log_p).sum(-1)
        return log_prob, entropy

    def symmetric_kl_with_uniform(self, params: torch.Tensor) -> torch.Tensor:
        """`0.5 * (KL(p || U) + KL(U || p))` per sample, U uniform over the actions (Sample Factory's
        `symmetric_kl_with_uniform_prior`)."""
        log_p = torch.log_softmax(params, dim=-1)
        log_u = -math.log(params.shape[-1])
        return 0.5 * ((log_p.exp() * (log_p - log_u)).sum(-1) + (log_u - log_p).mean(-1))


class MultiCategoricalHead(nn.Module):
    """Independent categoricals for `MultiDiscrete(nvec)` (1-D nvec), padded to one `[N, k, max(nvec)]` tensor."""

    def __init__(self, input_size: int, nvec: np.ndarray, init_gain: float):
        super().__init__()
        self.nvec = [int(n) for n in nvec]
        self.max_n = max(self.nvec)
        self.linear = orthogonal_init(nn.Linear(input_size, sum(self.nvec)), init_gain)
        # index of each real logit inside the padded [k * max_n] layout
        index = [i * self.max_n + j for i, n in enumerate(self.nvec) for j in range(n)]
        self.register_buffer("pad_index", torch.tensor(index, dtype=torch.long), persistent=False)
        self.uniform = all(n == self.max_n for n in self.nvec)
        # the uniform distribution of each sub-action in the padded layout (0 on padding), and its log
        prior = torch.tensor([[1.0 / n if j < n else 0.0 for j in range(self.max_n)] for n in self.nvec])
        self.register_buffer("prior", prior, persistent=False)
        self.register_buffer("log_prior", -torch.tensor(self.nvec, dtype=torch.float).log()[:, None], persistent=False)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.shape_params(self.linear(features))

    def shape_params(self, flat: torch.Tensor) -> torch.Tensor:
        """Output of `self.linear` `[N, sum(nvec)]` -> padded logits `[N, k, max(nvec)]`."""
        if self.uniform:
            return flat.view(*flat.shape[:-1], len(self.nvec), self.max_n)
        padded = flat.new_full((*flat.shape[:-1], len(self.nvec) * self.max_n), _PAD_LOGIT)
        padded.index_copy_(-1, self.pad_index, flat)
        return padded.view(*flat.shape[:-1], len(self.nvec), self.max_n)

    def sample(self, params: torch.Tensor, deterministic: bool) -> tuple[torch.Tensor, torch.Tensor]:
        log_p = torch.log_softmax(params, dim=-1)
        actions = torch.argmax(log_p, dim=-1) if deterministic else _sample_categorical(log_p)
        return actions, log_p.gather(-1, actions.unsqueeze(-1)).squeeze(-1).sum(-1)

    def log_prob_entropy(self, params: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        log_p = torch.log_softmax(params, dim=-1)
        log_prob = log_p.gather(-1, actions.long().unsqueeze(-1)).squeeze(-1).sum(-1)
        entropy = -(log_p.exp() * log_p).sum((-2, -1))
        return log_prob, entropy

    def symmetric_kl_with_uniform(self, params: torch.Tensor) -> torch.Tensor:
        """The symmetric KL with the uniform distribution of each sub-action, summed over the sub-actions (Sample
        Factory's TupleActionDistribution)."""
        log_p = torch.log_softmax(params, dim=-1)
        kl_p_u = (log_p.exp() * (log_p - self.log_prior)).sum((-2, -1))
        kl_u_p = (self.prior * (self.log_prior - log_p)).sum((-2, -1))
        return 0.5 * (kl_p_u + kl_u_p)


# Sample Factory's bounds on a Gaussian policy's std (ContinuousActionDistribution.stddev_min/max)
_LOG_STD_MIN, _LOG_STD_MAX = math.log(1e-4), math.log(1e4)


class GaussianHead(nn.Module):
    """Diagonal Gaussian for `Box` actions (Sample Factory's continuous parameterizations).

    `adaptive` (`--adaptive_stddev`): the log std is computed from the features, like the mean (params `[N, 2d]`:
    means then log stds); otherwise it is one learned vector, starting at `log(initial_stddev)` (params: the means).
    `tanh_scale > 0` (`--continuous_tanh_scale`) squashes the means to `tanh(mean / scale) * scale`. The std is kept
    in [1e-4, 1e4], as in Sample Factory.

    Samples are NOT clipped here: the unclipped sample is stored and used for log-probs; actions are clipped to
    the space's bounds only when applied to the env (`ActorCritic.to_env_actions`).
    """

    def __init__(
        self,
        input_size: int,
        action_size: int,
        init_gain: float,
        initial_stddev: float = 1.0,
        adaptive: bool = False,
        tanh_scale: float = 0.0,
    ):
        super().__init__()
        if initial_stddev <= 0:
            raise ValueError(f"--initial_stddev={initial_stddev} must be positive, e.g. 1.0")
        self.action_size = action_size
        self.adaptive = adaptive
        self.tanh_scale = float(tanh_scale)
        self.initial_stddev = float(initial_stddev)
        self.linear = orthogonal_init(nn.Linear(input_size, action_size * (2 if adaptive else 1)), init_gain)
        if adaptive:
            self.reset_log_std_bias()
        else:
            self.log_std = nn.Parameter(torch.full((action_size,), math.log(initial_stddev)))

    def reset_log_std_bias(self) -> None:
        """With `adaptive`: the log-std outputs start around log(initial_stddev)."""
        with torch.no_grad():
            self.linear.bias[self.action_size :] = math.log(self.initial_stddev)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.shape_params(self.linear(features))

    def shape_params(self, flat: torch.Tensor) -> torch.Tensor:
        """Output of `self.linear` -> the distribution's parameters (means squashed with `tanh_scale`)."""
        if self.tanh_scale <= 0:
            return flat
        scale = self.tanh_scale
        if not self.adaptive:
            return torch.tanh(flat / scale) * scale
        means, log_stds = flat[..., : self.action_size], flat[..., self.action_size :]
        return torch.cat([torch.tanh(means / scale) * scale, log_stds], dim=-1)

    def mean_log_std(self, params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The means and (bounded) log stds of `params`."""
        if self.adaptive:
            means, log_std = params[..., : self.action_size], params[..., self.action_size :]
        else:
            means, log_std = params, self.log_std
        return means, log_std.clamp(_LOG_STD_MIN, _LOG_STD_MAX)

    def sample(self, params: torch.Tensor, deterministic: bool) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std = self.mean_log_std(params)
        if deterministic:
            log_prob = (-log_std - _LOG_SQRT_2PI).expand_as(mean).sum(-1)
            return mean, log_prob
        noise = torch.randn_like(mean)
        actions = mean + noise * log_std.exp()
        log_prob = (-0.5 * noise.square() - log_std - _LOG_SQRT_2PI).sum(-1)
        return actions, log_prob

    def log_prob_entropy(self, params: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, log_std = self.mean_log_std(params)
        z = (actions - mean) * torch.exp(-log_std)
        log_prob = (-0.5 * z.square() - log_std - _LOG_SQRT_2PI).sum(-1)
        entropy = (0.5 + _LOG_SQRT_2PI + log_std).expand_as(mean).sum(-1)
        return log_prob, entropy


def make_action_head(
    action_space: spaces.Space,
    input_size: int,
    init_gain: float,
    initial_stddev: float = 1.0,
    adaptive_stddev: bool = False,
    tanh_scale: float = 0.0,
) -> nn.Module:
    """The head for `action_space`; raises a ValueError naming the supported spaces otherwise. The last three
    arguments shape a Box's Gaussian (`GaussianHead`)."""
    if isinstance(action_space, spaces.Discrete):
        return CategoricalHead(input_size, int(action_space.n), init_gain)
    if isinstance(action_space, spaces.MultiDiscrete):
        if action_space.nvec.ndim != 1:
            raise ValueError(f"MultiDiscrete with nvec of shape {action_space.nvec.shape}: flatten it to 1-D")
        return MultiCategoricalHead(input_size, action_space.nvec, init_gain)
    if isinstance(action_space, spaces.Box):
        if len(action_space.shape) != 1:
            raise ValueError(f"Box action space of shape {action_space.shape}: flatten it to 1-D (a FlattenAction)")
        return GaussianHead(input_size, action_space.shape[0], init_gain, initial_stddev, adaptive_stddev, tanh_scale)
    raise ValueError(
        f"action space {action_space} is not supported: use Discrete, MultiDiscrete or a 1-D Box "
        "(wrap the env to convert other spaces)"
    )
