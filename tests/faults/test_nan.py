"""NaN/Inf in training data or weights: the update is skipped and counted, checkpoints stay finite, repeated
NaNs stop the run with a clear message."""

import math

import pytest
import torch

from sf_curric.algo.nan_guard import NonFiniteTrainingError, non_finite_tensors
from sf_curric.algo.runner import Runner
from sf_curric.utils.checkpoint import list_checkpoints, load_checkpoint
from tests.faults import envs
from tests.faults.helpers import small_cfg, train_subprocess


def _record_train_stats(runner):
    stats = []
    train = None

    def setup_hook():
        nonlocal train
        original_setup()
        train = runner.learner.train

        def recording_train(traj, env_steps, train_seconds):
            result = train(traj, env_steps, train_seconds)
            stats.append(result.stats)
            return result

        runner.learner.train = recording_train

    original_setup = runner._setup
    runner._setup = setup_hook
    return stats


def test_occasional_nan_batches_are_skipped_counted_and_training_goes_on(tmp_path, monkeypatch):
    record = tmp_path / "faults"
    record.mkdir()
    # one NaN observation every 300 steps of an env: about one batch in 9 holds one
    envs.set_faults(monkeypatch, record_dir=str(record), nan_obs_every=300)
    cfg = small_cfg(tmp_path, train_for_env_steps=4096, max_nan_batches=2, save_every_sec=1)
    runner = Runner(cfg)
    stats = _record_train_stats(runner)
    result = runner.run()

    injected = envs.count_injected(record)["nan"]
    skipped = [s for s in stats if s["nan_skipped"] > 0]
    assert result.reason == "env_steps" and injected >= 3
    # a NaN observation of the last step of a rollout is the bootstrap obs of that batch and the first of the next
    assert injected <= len(skipped) <= 2 * injected, (injected, [s["nan_skipped"] for s in stats])
    assert runner.nan_guard.total_batches == len(skipped)
    assert all(s["sgd_steps"] == 0 for s in skipped)  # skipped whole: no optimizer step on NaN data
    assert not non_finite_tensors(runner.learner.model.state_dict())
    for path in list_checkpoints(tmp_path / "exp" / "checkpoint_p0"):
        assert not non_finite_tensors(load_checkpoint(path)["learner"]["model"])


def test_repeated_nan_batches_stop_the_run_and_the_cli_says_what_to_check(tmp_path):
    out = train_subprocess(
        ["--env=test_faulty_env", f"--train_dir={tmp_path}", "--experiment=nan", "--serial_mode=True",
         "--num_workers=1", "--num_envs_per_worker=2", "--rollout=8", "--batch_size=16", "--device=cpu",
         "--max_nan_batches=3", "--save_every_sec=1"],
        env_vars={envs.FAULTS_ENV_VAR: '{"nan_obs_after": 40}'},
    )  # fmt: skip
    assert out.returncode == 1, out.stderr[-2000:]
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("sf_curric.train: stopped: 4 training batches in a row held NaN/Inf")
    assert "--max_nan_batches=3" in last and "--learning_rate" in last
    ckpts = list_checkpoints(tmp_path / "nan" / "checkpoint_p0")
    for path in ckpts:
        assert not non_finite_tensors(load_checkpoint(path)["learner"]["model"])


def test_non_finite_weights_are_never_checkpointed(tmp_path, monkeypatch):
    envs.set_faults(monkeypatch)
    runner = Runner(small_cfg(tmp_path, train_for_env_steps=64))
    runner.run()
    ckpt_dir = tmp_path / "exp" / "checkpoint_p0"
    before = {p.name: p.stat().st_mtime_ns for p in ckpt_dir.iterdir()}
    with torch.no_grad():
        next(runner.learner.model.parameters()).view(-1)[0] = math.inf
    with pytest.raises(NonFiniteTrainingError, match="not checkpointed"):
        runner.save()
    assert {p.name: p.stat().st_mtime_ns for p in ckpt_dir.iterdir()} == before  # nothing written or deleted
    # and the guard stops training at once when an update made the weights non-finite
    with pytest.raises(NonFiniteTrainingError, match="hold NaN/Inf"):
        runner.nan_guard.after_train({"nan_skipped": 0.0}, runner.learner.model)
