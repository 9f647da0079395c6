"""The Runner with worker processes (the default mode): learning, Ctrl-C, custom metrics, timing summary."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sf_curric.algo.runner import Runner
from sf_curric.command_line import default_cfg
from tests.parallel.helpers import child_pids, is_alive, read_scalars, shm_entries

ROOT = Path(__file__).resolve().parents[2]


def test_two_worker_async_run_solves_cartpole(tmp_path):
    cfg = default_cfg(
        "CartPole-v1", train_dir=str(tmp_path), experiment="solve", serial_mode=False, async_rl=True,
        num_workers=2, num_envs_per_worker=32, rollout=16, batch_size=256, num_batches_per_epoch=4, num_epochs=4,
        train_for_env_steps=400_000, stop_when_avg_return=475.0, seed=1, save_every_sec=1000,
    )  # fmt: skip
    result = Runner(cfg).run()
    assert result.reason == "avg_return", result
    assert result.avg_return >= 475.0
    scalars = read_scalars(tmp_path / "solve")
    lag_max = [v for _, v in scalars["perf/policy_lag_max"]]
    assert all(0 <= v <= 10 for v in lag_max)  # asynchronous, but a small lag at this learner speed


def test_ctrl_c_saves_and_stops_every_process_custom_metrics_in_tensorboard(tmp_path):
    cmd = [
        sys.executable, "-m", "tests.parallel.train_with_test_envs", "--env=test_extra_stats_env",
        f"--train_dir={tmp_path}", "--experiment=ctrlc", "--num_workers=2", "--num_envs_per_worker=4",
        "--rollout=16", "--batch_size=128", "--num_epochs=1", "--train_for_env_steps=100000000",
        "--experiment_summaries_interval=0.5", "--device=cpu", "--seed=3",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    exp_dir = tmp_path / "ctrlc"
    deadline = time.monotonic() + 90
    scalars: dict = {}
    while time.monotonic() < deadline and "custom/level/score" not in scalars:
        time.sleep(0.5)
        assert proc.poll() is None, "training exited early"
        scalars = read_scalars(exp_dir)
    descendants = child_pids(proc.pid)
    assert len(descendants) >= 2  # the 2 workers (and multiprocessing's resource tracker)
    os.kill(proc.pid, signal.SIGINT)  # Ctrl-C
    assert proc.wait(timeout=60) == 0
    time.sleep(0.5)
    assert not {pid for pid in descendants if is_alive(pid)}, "processes left behind after Ctrl-C"
    assert not shm_entries([proc.pid, *descendants])

    # custom metrics (nested dicts flattened) from the first report on, with the env's values
    scalars = read_scalars(exp_dir)
    first_report = min(step for step, _ in scalars["charts/episodic_return"])
    assert scalars["custom/level/score"][0] == (first_report, 3.0)
    assert scalars["custom/flat"][0] == (first_report, 2.0)
    assert "perf/policy_lag_avg" in scalars and "perf/sampler_env_step_sec" in scalars
    # a checkpoint was saved on Ctrl-C and the log has the per-phase timing summary
    assert list((exp_dir / "checkpoint_p0").glob("checkpoint_*.pth"))
    log_text = (exp_dir / "sf_log.txt").read_text()
    assert "time per phase" in log_text and "env_step" in log_text and "inference" in log_text
