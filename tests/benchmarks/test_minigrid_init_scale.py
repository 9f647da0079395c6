"""benchmarks/minigrid_init_scale.py: the mr_* agent starts unsaturated (torch's init, as the paper's conv), while
orthogonal init on MiniGrid's unscaled codes saturates half its tanh units; and the script prints its table."""

from __future__ import annotations

import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch

from sf_curric.command_line import default_cfg
from sf_curric.model.actor_critic import ActorCritic

ROOT = Path(__file__).resolve().parents[2]
pytest.importorskip("minigrid")
sys.path.insert(0, str(ROOT / "benchmarks"))

import minigrid_init_scale as bench  # noqa: E402  (benchmarks/ is not a package)


@pytest.fixture(scope="module")
def views():
    return bench.random_views(gym.make("MiniGrid-ObstructedMaze-1Dl-v0"), 500)


def _start(views, **flags):
    cfg = default_cfg("mr_obstructedmaze", **flags)
    space = gym.spaces.Box(0, 255, views.shape[1:], np.uint8)
    torch.manual_seed(0)
    return bench.start_statistics(ActorCritic(space, gym.spaces.Discrete(7), cfg), views)


def test_mr_defaults_start_unsaturated_and_orthogonal_saturates(views):
    assert default_cfg("mr_obstructedmaze").policy_initialization == "torch_default"
    paper = _start(views)
    assert paper["saturated"] < 0.02 and paper["tanh input std"] < 0.5, paper
    assert paper["entropy"] > 0.99 * np.log(7), paper  # a near-uniform first policy
    orthogonal = _start(views, policy_initialization="orthogonal")
    assert orthogonal["saturated"] > 0.2 and orthogonal["conv std"] > 5 * paper["conv std"], orthogonal


def test_script_prints_every_scheme(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["minigrid_init_scale.py", "--models=1"])
    bench.main()
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[2:]] == ["orthogonal", "xavier_uniform", "torch_default"]
