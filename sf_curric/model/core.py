"""Recurrent cores (GRU / LSTM) that reset their state where an episode starts."""

from __future__ import annotations

import torch
from torch import nn


class RnnCore(nn.Module):
    """A one-layer GRU or LSTM with a flat state.

    The state is one tensor `[B, state_size]`: the GRU hidden state, or the LSTM `h` and `c` concatenated
    (`state_size = 2 * rnn_size`), so states can live in a single preallocated buffer. `step` (acting) uses the
    fused single-step cell kernel; `sequence` (learning) runs `nn.GRU`/`nn.LSTM` over the stretches between
    episode starts, which is much faster than a Python loop over time steps.

    Args:
        input_size: size of the encoder output.
        rnn_type: "gru" or "lstm".
        rnn_size: hidden size.
    """

    def __init__(self, input_size: int, rnn_type: str, rnn_size: int):
        super().__init__()
        if rnn_size <= 0:
            raise ValueError(f"--rnn_size={rnn_size} must be positive")
        if rnn_type == "gru":
            self.rnn: nn.Module = nn.GRU(input_size, rnn_size)
        elif rnn_type == "lstm":
            self.rnn = nn.LSTM(input_size, rnn_size)
        else:
            raise ValueError(f"--rnn_type={rnn_type!r} is not supported: use gru or lstm")
        self.is_lstm = rnn_type == "lstm"
        self.rnn_size = rnn_size
        self.output_size = rnn_size
        self.state_size = 2 * rnn_size if self.is_lstm else rnn_size
        for name, param in self.rnn.named_parameters():
            if name.startswith("weight"):
                nn.init.orthogonal_(param)
            else:
                nn.init.zeros_(param)

    def _weights(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        rnn = self.rnn
        return rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0

    def step(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: `x [B, F]`, `state [B, state_size]` -> `(output [B, rnn_size], new_state)`."""
        if self.is_lstm:
            h, c = torch.lstm_cell(x, (state[:, : self.rnn_size], state[:, self.rnn_size :]), *self._weights())
            return h, torch.cat([h, c], dim=-1)
        h = torch.gru_cell(x, state, *self._weights())
        return h, h

    def _run(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # nn.GRU / nn.LSTM over x [L, B, F] from a flat state, no resets inside
        if self.is_lstm:
            out, (h, c) = self.rnn(x, (state[None, :, : self.rnn_size], state[None, :, self.rnn_size :]))
            return out, torch.cat([h[0], c[0]], dim=-1)
        out, h = self.rnn(x, state[None])
        return out, h[0]

    def sequence(
        self, x: torch.Tensor, state: torch.Tensor, episode_starts: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run `x [T, B, F]` from `state [B, state_size]`, zeroing the state of column b before step t where
        `episode_starts[t, b]` is set. Returns `(outputs [T, B, rnn_size], final_state)`."""
        keep = (~episode_starts.bool()).to(x.dtype).unsqueeze(-1)
        steps = x.shape[0]
        reset_steps = episode_starts.bool().any(dim=1).nonzero().flatten().tolist()
        bounds = sorted({0, steps, *reset_steps})
        if len(bounds) - 1 > steps // 2:  # resets nearly every step: the cell loop has less overhead
            outputs = []
            for t in range(steps):
                out, state = self.step(x[t], state * keep[t])
                outputs.append(out)
            return torch.stack(outputs), state
        outputs = []
        for start, end in zip(bounds[:-1], bounds[1:]):
            out, state = self._run(x[start:end], state * keep[start])
            outputs.append(out)
        return torch.cat(outputs), state
