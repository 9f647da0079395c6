"""Running mean / standard deviation normalizer kept as module buffers, so `state_dict()` carries it."""

from __future__ import annotations

import torch
from torch import nn


class RunningMeanStd(nn.Module):
    """Running mean and variance over the leading dimensions of batches (parallel-variance update).

    The statistics are float64 buffers; float32 copies of the mean and of 1/std are kept as buffers too, so the
    hot path (`normalize`) is two float32 ops and any way of copying the state dict (load_state_dict, in-place
    copies into shared memory) carries them. All updates are in place, so a model in shared memory stays shared.

    Args:
        shape: shape of one sample (the trailing dimensions of a batch).
        epsilon: initial pseudo-count and the variance floor, avoids division by zero before the first update.
        clip: normalized values are clipped to [-clip, clip]; 0 disables clipping.

    Example:
        >>> rms = RunningMeanStd((3,))
        >>> rms.update(torch.randn(100, 3) * 5 + 2)
        >>> rms.normalize(torch.zeros(1, 3)).shape
        torch.Size([1, 3])
    """

    def __init__(self, shape: tuple[int, ...] | int, epsilon: float = 1e-4, clip: float = 5.0):
        super().__init__()
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        self.shape = shape
        self.epsilon = epsilon
        self.clip = clip
        self.register_buffer("mean", torch.zeros(shape, dtype=torch.float64))
        self.register_buffer("var", torch.ones(shape, dtype=torch.float64))
        self.register_buffer("count", torch.tensor(epsilon, dtype=torch.float64))
        self.register_buffer("mean_f32", torch.zeros(shape, dtype=torch.float32))
        self.register_buffer("inv_std_f32", torch.ones(shape, dtype=torch.float32))
        self.register_buffer("std_f32", torch.ones(shape, dtype=torch.float32))
        self.register_buffer("shift_f32", torch.zeros(shape, dtype=torch.float32))  # -mean / std

    @torch.no_grad()
    def update(self, batch: torch.Tensor) -> None:
        """Fold a batch `[..., *shape]` into the running statistics (Chan et al. parallel variance)."""
        x = batch.detach().reshape(-1, *self.shape).to(torch.float64)
        n = x.shape[0]
        if n == 0:
            return
        batch_mean = x.mean(dim=0)
        batch_var = x.var(dim=0, unbiased=False)
        total = self.count + n
        delta = batch_mean - self.mean
        new_mean = self.mean + delta * (n / total)
        m2 = self.var * self.count + batch_var * n + delta.square() * (self.count * n / total)
        self.mean.copy_(new_mean)
        self.var.copy_(m2 / total)
        self.count.copy_(total)
        self._refresh_f32()

    def _refresh_f32(self) -> None:
        std = torch.sqrt(self.var + self.epsilon)
        self.mean_f32.copy_(self.mean)
        self.std_f32.copy_(std)
        self.inv_std_f32.copy_(1.0 / std)
        self.shift_f32.copy_(-self.mean / std)

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        """Return `(x - mean) / std`, clipped to [-clip, clip] when clip > 0."""
        out = torch.addcmul(self.shift_f32, x, self.inv_std_f32)  # one op instead of a subtract and a multiply
        if self.clip > 0:
            out = out.clamp_(-self.clip, self.clip)
        return out

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """Inverse of `normalize` (without the clip): `x * std + mean`."""
        return torch.addcmul(self.mean_f32, x, self.std_f32)

    def extra_repr(self) -> str:
        return f"shape={self.shape}, clip={self.clip}"
