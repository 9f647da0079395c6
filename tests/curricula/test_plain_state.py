"""Curriculum state holding deques (learnability's outcomes, ACCEL's children) survives a weights_only load."""

import io
from collections import deque

import torch

from sf_curric.curricula.plain_state import from_plain, to_plain


def test_deques_round_trip_through_a_weights_only_load():
    state = {"outcomes": {3: deque([1.0, 0.0], maxlen=4)}, "children": deque([(1, "#.G")], maxlen=2), "n": [1, 2]}
    buffer = io.BytesIO()
    torch.save(to_plain(state), buffer)
    buffer.seek(0)
    loaded = from_plain(torch.load(buffer, weights_only=True))
    assert loaded == state
    assert loaded["outcomes"][3].maxlen == 4 and loaded["children"].maxlen == 2
