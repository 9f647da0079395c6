"""SIGKILL of a whole training run, then resume: model, optimizer, normalizers, counters and curriculum state
continue from the last checkpoint; nothing but the last save interval is lost and no process is left behind."""

import os
import signal
import time

import numpy as np
import psutil
import torch

import tests.faults.envs  # noqa: F401 - registers test_faulty_task_env
from sf_curric.algo.runner import Runner
from sf_curric.cfg.experiment import prepare_experiment_dir, resolve_config
from sf_curric.cfg.validation import validate_cfg
from sf_curric.command_line import parse_args
from sf_curric.utils.checkpoint import list_checkpoints, load_checkpoint
from sf_curric.utils.logs import close_log_file
from tests.faults.helpers import train_subprocess
from tests.parallel.helpers import is_alive

SAVE_EVERY_SEC = 1


def _args(tmp_path, *extra):
    return [
        "--env=test_faulty_task_env", f"--train_dir={tmp_path}", "--experiment=killed", "--curriculum=plr",
        "--num_workers=2", "--num_envs_per_worker=2", "--rollout=8", "--batch_size=32", "--device=cpu", "--seed=3",
        "--normalize_input=True", "--normalize_returns=True", f"--save_every_sec={SAVE_EVERY_SEC}",
        "--keep_checkpoints=3", "--restart_behavior=resume", *extra,
    ]  # fmt: skip


def _assert_same(a, b, where=""):
    if torch.is_tensor(a):
        assert torch.equal(a.cpu(), b.cpu()), where
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_same(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and a != a:
        assert b != b, where
    else:
        assert a == b, where


def test_sigkill_of_the_run_then_resume_continues_from_the_last_checkpoint(tmp_path):
    proc = train_subprocess(_args(tmp_path, "--train_for_env_steps=100000000"), wait=False)
    ckpt_dir = tmp_path / "killed" / "checkpoint_p0"
    deadline = time.monotonic() + 120
    try:
        while len(list_checkpoints(ckpt_dir)) < 3:
            assert proc.poll() is None, proc.stdout.read()[-3000:]
            assert time.monotonic() < deadline, "no checkpoints written in time"
            time.sleep(0.1)
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert len(workers) >= 2
        os.kill(proc.pid, signal.SIGKILL)  # the runner only: its workers must notice and exit by themselves
        killed_at = time.time()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    gone_by = time.monotonic() + 10
    while any(is_alive(w.pid) for w in workers):
        assert time.monotonic() < gone_by, "worker processes outlived the killed runner"
        time.sleep(0.1)

    newest = list_checkpoints(ckpt_dir)[-1]
    saved = load_checkpoint(newest)
    # nothing but the last save interval is lost (plus one training iteration that was in progress)
    assert killed_at - newest.stat().st_mtime < SAVE_EVERY_SEC + 5
    assert saved["curriculum"] is not None and saved["learner"]["optimizer"]["state"]
    norm_keys = [k for k in saved["learner"]["model"] if "normalizer" in k]
    assert norm_keys, "the checkpoint holds no normalizer"

    # resumed in serial mode (the same 4 envs, no worker start-up: a faster test); the flag overrides the saved one
    cfg = resolve_config(
        parse_args(_args(tmp_path, "--serial_mode=True", f"--train_for_env_steps={saved['env_steps'] + 256}"))
    )
    validate_cfg(cfg)
    prepare_experiment_dir(cfg)
    runner = Runner(cfg)
    load = runner._load_checkpoint
    restored = {}

    def load_and_look():
        load()  # compare right after the load, before workers start (they prefetch tasks from the curriculum)
        _assert_same(runner.learner.state_dict(), saved["learner"], "learner")  # model, normalizers, optimizer
        _assert_same(runner.curriculum_host.state_dict(), saved["curriculum"], "curriculum")
        restored["counters"] = (runner.env_steps, runner.iteration, runner.stats.num_episodes)

    runner._load_checkpoint = load_and_look
    try:
        result = runner.run()
    finally:
        close_log_file()
    assert restored["counters"] == (saved["env_steps"], saved["iteration"], saved["episode_stats"]["num_episodes"])
    assert result.env_steps >= saved["env_steps"] + 256 and runner.iteration > saved["iteration"]
    assert result.num_episodes > saved["episode_stats"]["num_episodes"]
    final = load_checkpoint(list_checkpoints(ckpt_dir)[-1])
    assert final["learner"]["version"] > saved["learner"]["version"]
    steps = [s["step"] for s in final["learner"]["optimizer"]["state"].values()]
    saved_steps = [s["step"] for s in saved["learner"]["optimizer"]["state"].values()]
    assert all(a > b for a, b in zip(steps, saved_steps))  # Adam's step counts continue, not restart at 0
