"""Recurrent cores (GRU / LSTM) that reset their state where an episode starts."""

from __future__ import annotations

import torch
from torch import nn


class RnnCore(nn.Module):
    """One GRU or LSTM cell applied step by step.

    The state is one flat tensor `[B, state_size]`: the GRU hidden state, or the LSTM `h` and `c` concatenated
    (`state_size = 2 * rnn_size`), so states can live in a single preallocated buffer.

    Args:
        input_size: size of the encoder output.
        rnn_type: "gru" or "lstm".
        rnn_size: hidden size.
    """

    def __init__(self, input_size: int, rnn_type: str, rnn_size: int):
        super().__init__()
        if rnn_type == "gru":
            self.cell: nn.Module = nn.GRUCell(input_size, rnn_size)
        elif rnn_type == "lstm":
            self.cell = nn.LSTMCell(input_size, rnn_size)
        else:
            raise ValueError(f"--rnn_type={rnn_type!r} is not supported: use gru or lstm")
        if rnn_size <= 0:
            raise ValueError(f"--rnn_size={rnn_size} must be positive")
        self.is_lstm = rnn_type == "lstm"
        self.rnn_size = rnn_size
        self.output_size = rnn_size
        self.state_size = 2 * rnn_size if self.is_lstm else rnn_size
        for name, param in self.cell.named_parameters():
            if name.startswith("weight"):
                nn.init.orthogonal_(param)
            else:
                nn.init.zeros_(param)

    def step(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: `x [B, F]`, `state [B, state_size]` -> `(output [B, rnn_size], new_state)`."""
        if self.is_lstm:
            h, c = self.cell(x, (state[:, : self.rnn_size], state[:, self.rnn_size :]))
            return h, torch.cat([h, c], dim=-1)
        h = self.cell(x, state)
        return h, h

    def sequence(
        self, x: torch.Tensor, state: torch.Tensor, episode_starts: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run `x [T, B, F]` from `state [B, state_size]`, zeroing the state before step t where
        `episode_starts[t]` is set. Returns `(outputs [T, B, rnn_size], final_state)`."""
        keep = (~episode_starts.bool()).to(x.dtype).unsqueeze(-1)
        outputs = []
        for t in range(x.shape[0]):
            out, state = self.step(x[t], state * keep[t])
            outputs.append(out)
        return torch.stack(outputs), state
