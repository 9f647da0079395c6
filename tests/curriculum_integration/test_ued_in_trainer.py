"""Robust PLR and ACCEL inside the trainer (maze_levels, serial mode): the learner trains on replayed levels only,
the trained fraction is logged, and ACCEL's buffer of level values (beyond the seed list) survives a resume."""

import numpy as np
import pytest

from sf_curric.algo.runner import Runner
from sf_curric.cfg.experiment import prepare_experiment_dir, resolve_config
from sf_curric.cfg.validation import validate_cfg
from sf_curric.command_line import parse_args
from sf_curric.envs.builtin.maze_levels import Level, register_maze_levels
from sf_curric.utils.logs import close_log_file


def _run(tmp_path, curriculum, steps, *extra, accel_generator="seeds"):
    env = f"maze_levels_test_{accel_generator}"
    register_maze_levels(num_levels=20, name=env, accel_generator=accel_generator)
    argv = [
        f"--env={env}", f"--train_dir={tmp_path}", "--experiment=exp", f"--curriculum={curriculum}",
        "--serial_mode=True", "--num_workers=1", "--num_envs_per_worker=8", "--rollout=16", "--batch_size=64",
        "--num_epochs=1", "--seed=1", "--device=cpu", f"--train_for_env_steps={steps}", "--save_every_sec=1000",
        "--restart_behavior=resume", *extra,
    ]  # fmt: skip
    cfg = resolve_config(parse_args(argv))
    validate_cfg(cfg)
    prepare_experiment_dir(cfg)
    runner = Runner(cfg)
    try:
        runner.run()
    finally:
        close_log_file()
    return runner


@pytest.mark.parametrize("curriculum", ["robust_plr", "accel"])
def test_trains_only_on_replays_and_logs_the_fraction(tmp_path, curriculum, monkeypatch):
    masks = []
    from sf_curric.algo import learner as learner_module

    train = learner_module.Learner.train

    def recording_train(self, traj, env_steps, train_seconds):
        masks.append(traj["train_mask"].clone())
        before = [p.detach().clone() for p in self.model.parameters()]
        result = train(self, traj, env_steps, train_seconds)
        moved = any(not (a == b).all() for a, b in zip(before, self.model.parameters()))
        assert moved == bool(traj["train_mask"].any())  # weights move exactly on batches with replayed steps
        return result

    monkeypatch.setattr(learner_module.Learner, "train", recording_train)
    runner = _run(tmp_path, curriculum, 1600)
    host = runner.curriculum_host
    trained = sum(int(m.sum()) for m in masks)
    total = sum(m.numel() for m in masks)
    assert 0 < trained < total  # exploratory steps were left out, replays trained on
    assert host.trained_fraction() == pytest.approx(trained / total)
    assert not masks[0].any()  # the first batch: no level had a score yet
    from tests.algo.runner_helpers import read_scalars

    scalars = read_scalars(tmp_path / "exp" / "tensorboard")
    assert scalars["curriculum/trained_fraction"][-1][1] == pytest.approx(trained / total, rel=1e-4)
    assert "charts/FPS_trained_on" in scalars and "charts/FPS" in scalars


def test_accel_buffer_grows_beyond_the_seeds_and_survives_resume(tmp_path):
    runner = _run(tmp_path, "accel", 2000, "--accel_num_edits=3")
    accel = runner.curriculum_host.curriculum
    levels = accel.levels
    assert len(levels) > 0 and accel.counts["edited"] > 0
    seed_layouts = {Level(s).layout() for s in range(20)}
    edited = [lv for lv in levels if isinstance(lv, str) and lv not in seed_layouts]
    assert edited, "no edited level joined the buffer"
    scores = accel.buffer_scores()
    # already at the step budget: the resumed run loads the checkpoint and stops without training
    resumed = _run(tmp_path, "accel", 2000).curriculum_host.curriculum
    assert resumed.buffer_scores() == scores and resumed.counts == accel.counts
    assert list(resumed.children) == list(accel.children)


def test_accel_with_the_papers_empty_generator_builds_every_wall_by_edits(tmp_path):
    """register_maze_levels(accel_generator="empty"): ACCEL's new levels have no walls (the paper's maze generator),
    so every wall of a buffer level comes from edits: at most num_edits per generation of an edited level."""
    from sf_curric.envs.builtin.maze_levels import empty_level

    rng = np.random.default_rng(0)
    for _ in range(20):
        level = Level(empty_level(rng))
        assert not level.walls.any() and level.start != level.goal
    runner = _run(tmp_path, "accel", 1500, "--accel_num_edits=2", accel_generator="empty")
    accel = runner.curriculum_host.curriculum
    walls = [int(Level(lv).walls.sum()) for lv in accel.levels]
    assert walls and min(walls) == 0  # generated levels joined the buffer wall-free
    seed_layouts = {Level(s).layout() for s in range(20)}
    assert not seed_layouts & {lv for lv in accel.levels if isinstance(lv, str)}  # no training seed is drawn
    assert max(walls) <= 2 * accel.counts["edited"]  # each edit adds at most num_edits=2 walls
    with pytest.raises(ValueError, match="accel_generator"):
        register_maze_levels(accel_generator="rooms")
