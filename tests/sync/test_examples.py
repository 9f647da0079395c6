"""Brief runs of the sync examples; each checks that every episode reached the curriculum exactly once."""

from __future__ import annotations

import importlib.util

import pytest


def test_cleanrl_plr_example_runs_and_reports_every_episode():
    from sf_curric_examples import cleanrl_plr

    argv = ["--total-timesteps", "1024", "--num-steps", "64", "--num-envs", "4", "--num-levels", "16"]
    stats = cleanrl_plr.main(argv)
    assert stats["episodes"] > 10
    assert stats["curriculum_episodes"] == stats["episodes"]
    assert stats["levels_seen"] > 4  # PLR handed out and scored several levels


@pytest.mark.skipif(importlib.util.find_spec("stable_baselines3") is None, reason="stable_baselines3 not installed")
def test_sb3_plr_callback_example_runs_and_reports_every_episode():
    from sf_curric_examples import sb3_plr_callback

    stats = sb3_plr_callback.main(["--total-timesteps", "1024", "--n-steps", "64", "--num-levels", "16"])
    assert stats["plr_updates"] == 1024 // 4
    assert stats["episodes"] > 10
    assert stats["curriculum_episodes"] == stats["episodes"]
    assert stats["levels_seen"] > 4


@pytest.mark.ray
def test_ray_example_runs_and_reports_every_episode(ray_cluster):
    from sf_curric_examples import ray_curriculum

    out = ray_curriculum.main(["--runners", "2", "--episodes", "5", "--levels", "4"])
    assert out["curriculum_episodes"] == 10
    assert sorted(r["env_id"] for r in out["results"]) == [0, 1]
    assert out["metrics"]["curriculum/num_active_tasks"] == 4.0
