"""Shared helpers of the fault-injection tests: configs, subprocess runs of `python -m sf_curric.train`."""

import os
import subprocess
import sys
from pathlib import Path

from sf_curric.command_line import default_cfg

REPO = Path(__file__).resolve().parents[2]
TRAIN_SCRIPT = "tests.faults.train_faulty"


def small_cfg(tmp_path, env="test_faulty_env", **overrides):
    """A tiny fast config for the fault envs (serial mode unless overridden)."""
    base = dict(
        train_dir=str(tmp_path), experiment="exp", serial_mode=True, num_workers=1, num_envs_per_worker=4,
        rollout=8, batch_size=32, num_batches_per_epoch=1, num_epochs=1, device="cpu", seed=1,
        train_for_env_steps=3000, save_every_sec=1000, restart_behavior="restart", num_torch_threads=1,
    )  # fmt: skip
    base.update(overrides)
    return default_cfg(env, **base)


def train_subprocess(args, timeout=120, env_vars=None, wait=True):
    """Run `python -m tests.faults.train_faulty ARGS` (the fault envs registered, then sf_curric.train.run())."""
    env = dict(os.environ, **(env_vars or {}))
    cmd = [sys.executable, "-m", TRAIN_SCRIPT, *args]
    if not wait:
        return subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)  # fmt: skip
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
