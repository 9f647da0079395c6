"""Recurrent cores (GRU / LSTM) that reset their state where an episode starts."""

from __future__ import annotations

import torch
from torch import nn


class RnnCore(nn.Module):
    """A GRU or LSTM of one or more layers (`--rnn_num_layers`) with a flat state.

    The state is one tensor `[B, state_size]`: the GRU hidden states of the layers, or the LSTM's `h` of every layer
    then `c` of every layer, concatenated (`state_size = layers * rnn_size`, twice that for an LSTM), so states can
    live in a single preallocated buffer. `step` (acting) uses the fused single-step cell kernel, layer by layer;
    `sequence` (learning) runs `nn.GRU`/`nn.LSTM` over the stretches between episode starts, which is much faster
    than a Python loop over time steps.

    Args:
        input_size: size of the encoder output.
        rnn_type: "gru" or "lstm".
        rnn_size: hidden size.
        num_layers: stacked layers (Sample Factory's `--rnn_num_layers`).
    """

    def __init__(self, input_size: int, rnn_type: str, rnn_size: int, num_layers: int = 1):
        super().__init__()
        if rnn_size <= 0 or num_layers <= 0:
            raise ValueError(f"--rnn_size={rnn_size} and --rnn_num_layers={num_layers} must be positive")
        if rnn_type == "gru":
            self.rnn: nn.Module = nn.GRU(input_size, rnn_size, num_layers)
        elif rnn_type == "lstm":
            self.rnn = nn.LSTM(input_size, rnn_size, num_layers)
        else:
            raise ValueError(f"--rnn_type={rnn_type!r} is not supported: use gru or lstm")
        self.is_lstm = rnn_type == "lstm"
        self.rnn_size = rnn_size
        self.num_layers = num_layers
        self.output_size = rnn_size
        self.state_size = (2 if self.is_lstm else 1) * num_layers * rnn_size
        for name, param in self.rnn.named_parameters():
            if name.startswith("weight"):
                nn.init.orthogonal_(param)
            else:
                nn.init.zeros_(param)

    def _weights(self, layer: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        rnn = self.rnn
        return tuple(getattr(rnn, f"{name}_l{layer}") for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def torch_state(self, state: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Flat `[B, state_size]` -> what `nn.GRU` (`h [layers, B, H]`) or `nn.LSTM` (`(h, c)`) takes."""
        layers = state.view(state.shape[0], -1, self.rnn_size).transpose(0, 1)  # [layers (x2 for c), B, H]
        if self.is_lstm:
            return layers[: self.num_layers].contiguous(), layers[self.num_layers :].contiguous()
        return layers.contiguous()

    def flat_state(self, torch_state: torch.Tensor | tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Inverse of `torch_state`."""
        layers = torch.cat(torch_state) if self.is_lstm else torch_state
        return layers.transpose(0, 1).reshape(layers.shape[1], -1)

    def step(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step: `x [B, F]`, `state [B, state_size]` -> `(output [B, rnn_size], new_state)`."""
        size, layers = self.rnn_size, self.num_layers
        hs, cs = [], []
        for layer in range(layers):
            h = state[:, layer * size : (layer + 1) * size]
            if self.is_lstm:
                c = state[:, (layers + layer) * size : (layers + layer + 1) * size]
                h, c = torch.lstm_cell(x, (h, c), *self._weights(layer))
                cs.append(c)
            else:
                h = torch.gru_cell(x, h, *self._weights(layer))
            hs.append(h)
            x = h
        return x, (hs[0] if layers == 1 and not cs else torch.cat(hs + cs, dim=-1))

    def _run(self, x: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # nn.GRU / nn.LSTM over x [L, B, F] from a flat state, no resets inside
        out, new_state = self.rnn(x, self.torch_state(state))
        return out, self.flat_state(new_state)

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
