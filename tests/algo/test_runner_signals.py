"""Ctrl-C (SIGINT to a real training process) saves a checkpoint and exits with status 0."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sf_curric.utils.checkpoint import list_checkpoints, load_checkpoint

ROOT = Path(__file__).resolve().parents[2]


def test_sigint_saves_and_exits_cleanly(tmp_path):
    cmd = [
        sys.executable,
        "-m",
        "sf_curric.train",
        "--env=CartPole-v1",
        "--serial_mode=True",
        f"--train_dir={tmp_path}",
        "--experiment=sigint",
        "--train_for_env_steps=1000000000",
        "--save_every_sec=100000",
        "--progress_interval_sec=0.2",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # wait until it is training
            line = proc.stdout.readline()
            lines.append(line)
            if "env steps" in line and "env steps 0 " not in line:
                break
        else:
            raise AssertionError("no progress line: " + "".join(lines))
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = "".join(lines) + out
    assert proc.returncode == 0, output
    assert "SIGINT received" in output and "stopped (interrupted)" in output
    assert "Traceback" not in output
    [ckpt] = list_checkpoints(tmp_path / "sigint" / "checkpoint_p0")
    assert load_checkpoint(ckpt)["env_steps"] > 0
