"""--with_wandb with WANDB_MODE=offline: the offline run directory holds every scalar tensorboard got (same steps,
same values), the config and the curriculum's images, read back from wandb's own files; a resumed experiment
continues the same wandb run; without wandb the flag is a one-line error naming the extra."""

import glob
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sf_curric.errors import install_command
from sf_curric.train import run
from tests.tracking.maze_env import MAZE_ENV

pytest.importorskip("wandb", reason='pip install -e ".[wandb]"')
pytest.importorskip("tensorboard", reason='pip install -e ".[tensorboard]"')
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from tests.tracking.wandb_files import OfflineRun  # noqa: E402  (needs wandb's protobufs)

pytestmark = pytest.mark.heavy  # the test-heavy extra: CI's second step

ROOT = Path(__file__).resolve().parents[2]


def _argv(train_dir, steps, restart="overwrite"):
    return [
        f"--env={MAZE_ENV}", f"--train_dir={train_dir}", "--experiment=wb", f"--restart_behavior={restart}",
        "--serial_mode=True", "--num_workers=1", "--num_envs_per_worker=8", "--batch_size=256",
        f"--train_for_env_steps={steps}", "--experiment_summaries_interval=0.5", "--eval_every_env_steps=1500",
        "--eval_episodes=8", "--with_wandb=True", "--wandb_tags", "a", "b", "--seed=2", "--wandb_project=sfc_tests",
        "--wandb_group=grp", "--wandb_job_type=jt", "--wandb_user=someone",
    ]  # fmt: skip


def _tensorboard_scalars(exp_dir):
    acc = EventAccumulator(str(exp_dir / "tensorboard"), size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: {e.step: e.value for e in acc.Scalars(tag)} for tag in acc.Tags()["scalars"]}


@pytest.fixture(scope="module")
def offline_runs(tmp_path_factory):
    train_dir = tmp_path_factory.mktemp("train_dir")
    mp = pytest.MonkeyPatch()
    mp.setenv("WANDB_MODE", "offline")
    mp.setenv("WANDB_SILENT", "true")
    try:
        run(_argv(train_dir, 3000))
        first = sorted(glob.glob(str(train_dir / "wb" / "wandb" / "offline-run-*")))
        tb_first = _tensorboard_scalars(train_dir / "wb")
        run(_argv(train_dir, 4500, restart="resume"))
        tb_all = _tensorboard_scalars(train_dir / "wb")
    finally:
        mp.undo()
    runs = sorted(glob.glob(str(train_dir / "wb" / "wandb" / "offline-run-*")))
    runs = [OfflineRun(p) for p in runs]
    assert all(r.complete for r in runs), "an offline wandb log has no exit record 60 s after its run finished"
    tb_resumed = {  # what the resumed session added to tensorboard: the steps after the first session's last
        tag: {step: v for step, v in points.items() if step > max(max(p) for p in tb_first.values())}
        for tag, points in tb_all.items()
    }
    return train_dir / "wb", runs, len(first), tb_first, tb_resumed


def test_offline_run_holds_every_tensorboard_scalar(offline_runs):
    exp_dir, runs, num_first, tb, _ = offline_runs
    assert num_first == 1
    first = runs[0]
    assert len(tb) > 20
    for tag, points in tb.items():
        logged = first.scalars(tag)
        assert set(points) <= set(logged), tag
        for step, value in points.items():
            assert logged[step] == pytest.approx(value, rel=1e-5, abs=1e-6), (tag, step)
    assert first.scalars("eval/test/return") and "eval/gap" in tb


def test_offline_run_holds_config_and_images(offline_runs):
    _, runs, _, _, _ = offline_runs
    first = runs[0]
    config = {k: v["value"] if isinstance(v, dict) and "value" in v else v for k, v in first.config.items()}
    assert config["env"] == MAZE_ENV and config["eval_every_env_steps"] == 1500 and config["wandb_tags"] == ["a", "b"]
    images = first.media("curriculum/task_probability")
    assert images and all(desc["_type"] == "image-file" for _, desc in images)
    for _, desc in images:
        png = first.dir / "files" / desc["path"]
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png


def test_wandb_flags_reach_the_run(offline_runs):
    _, runs, _, _, _ = offline_runs
    record = runs[0].run_record
    assert (record.project, record.entity, record.run_group, record.job_type) == ("sfc_tests", "someone", "grp", "jt")
    assert list(record.tags) == ["a", "b"]


def test_resumed_experiment_continues_the_same_wandb_run(offline_runs):
    exp_dir, runs, _, _, tb_resumed = offline_runs
    assert len(runs) == 2
    saved_id = (exp_dir / "wandb_run_id.txt").read_text().strip()
    assert runs[0].run_id == runs[1].run_id == saved_id
    # the resumed session's scalars went to the resumed wandb run, at the same steps with the same values
    assert max(tb_resumed["charts/FPS"]) >= 4500
    for tag, points in tb_resumed.items():
        logged = runs[1].scalars(tag)
        for step, value in points.items():
            assert logged.get(step) == pytest.approx(value, rel=1e-5, abs=1e-6), (tag, step, sorted(logged))


def test_with_wandb_without_wandb_is_one_line_error(tmp_path):
    code = (
        "import sys; sys.modules['wandb'] = None\n"  # as if it were not installed
        "from sf_curric.train import run\n"
        f"run(['--env=CartPole-v1', '--train_dir={tmp_path}', '--serial_mode=True', '--with_wandb=True'])\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert errors == [f"sf_curric.train: error: --with_wandb needs wandb: {install_command('wandb')}"], result.stderr
