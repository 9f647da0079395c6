"""Start-up: the worker server is started before the learner is built, and stopped when the setup fails."""

import os
import time
from multiprocessing import forkserver

import pytest

from sf_curric.algo.parallel.process_utils import prestart_worker_server, stop_worker_server
from sf_curric.algo.runner import Runner
from sf_curric.command_line import default_cfg
from sf_curric.utils.checkpoint import CheckpointError
from tests.parallel.helpers import child_pids


def _server_pid():
    """The forkserver's pid (None when none runs); the resource tracker it starts stays, as with any sampler."""
    return getattr(forkserver._forkserver, "_forkserver_pid", None)


def _gone(pid, deadline_s=10.0):
    end = time.monotonic() + deadline_s
    while pid in child_pids(os.getpid()) and time.monotonic() < end:
        time.sleep(0.1)
    return pid not in child_pids(os.getpid())


def test_prestart_starts_the_server_and_stop_ends_it():
    assert prestart_worker_server()
    pid = _server_pid()
    assert pid in child_pids(os.getpid())  # the forkserver runs (it imports torch meanwhile)
    stop_worker_server()
    assert _gone(pid)


def test_failed_setup_leaves_no_worker_server(tmp_path):
    exp = tmp_path / "broken"
    ckpt_dir = exp / "checkpoint_p0"
    ckpt_dir.mkdir(parents=True)
    (ckpt_dir / "checkpoint_000000001_100.pth").write_bytes(b"not a checkpoint")
    cfg = default_cfg(
        "CartPole-v1", train_dir=str(tmp_path), experiment="broken", serial_mode=False, num_workers=1,
        num_envs_per_worker=2, rollout=8, batch_size=16, device="cpu", restart_behavior="resume",
    )  # fmt: skip
    seen = []
    runner = Runner(cfg)
    runner._load_checkpoint_original, runner._load_checkpoint = (
        runner._load_checkpoint,
        lambda: (
            seen.append(_server_pid()),
            runner._load_checkpoint_original(),
        ),
    )  # records the server that setup prestarted, then fails like any unreadable checkpoint
    with pytest.raises(CheckpointError):
        runner.run()
    assert seen and seen[0] is not None and _gone(seen[0])
