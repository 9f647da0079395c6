"""RnnCore: the segment-wise nn.GRU/nn.LSTM sequence equals a step-by-step loop with state resets."""

from __future__ import annotations

import pytest
import torch

from sf_curric.model.core import RnnCore


def _loop_reference(core: RnnCore, x, state, starts):
    outputs = []
    for t in range(x.shape[0]):
        state = torch.where(starts[t].unsqueeze(-1), torch.zeros_like(state), state)
        out, state = core.step(x[t], state)
        outputs.append(out)
    return torch.stack(outputs), state


@pytest.mark.parametrize("rnn_num_layers", [1, 3])
@pytest.mark.parametrize("rnn_type", ["gru", "lstm"])
@pytest.mark.parametrize("reset_probability", [0.0, 0.05, 0.6])  # no reset, a few (segments), many (cell loop)
def test_sequence_matches_step_loop(rnn_type, reset_probability, rnn_num_layers):
    # the step loop runs torch's fused cells layer by layer; the sequence runs nn.GRU / nn.LSTM of that many layers
    torch.manual_seed(0)
    core = RnnCore(6, rnn_type, 8, rnn_num_layers)
    assert core.state_size == 8 * rnn_num_layers * (2 if rnn_type == "lstm" else 1)
    x = torch.randn(16, 5, 6)
    state = torch.randn(5, core.state_size)
    starts = torch.rand(16, 5) < reset_probability
    out, final = core.sequence(x, state, starts)
    ref_out, ref_final = _loop_reference(core, x, state, starts)
    torch.testing.assert_close(out, ref_out, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(final, ref_final, rtol=1e-5, atol=1e-5)
    out.sum().backward()  # gradients flow through both paths
    assert core.rnn.weight_hh_l0.grad is not None


def test_bad_rnn_settings_name_the_fix():
    with pytest.raises(ValueError, match="gru or lstm"):
        RnnCore(4, "transformer", 8)
    with pytest.raises(ValueError, match="--rnn_size"):
        RnnCore(4, "gru", 0)
    with pytest.raises(ValueError, match="--rnn_num_layers"):
        RnnCore(4, "gru", 8, 0)
