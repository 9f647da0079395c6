"""Kill a training run with SIGKILL, resume it: the curriculum state after resume equals the checkpoint's."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sf_curric.utils.checkpoint import list_checkpoints, load_checkpoint
from sf_curric.utils.logs import close_log_file
from tests.curriculum_integration.helpers import assert_states_equal, level_args, make_runner

ROOT = Path(__file__).resolve().parents[2]


def _wait_for_checkpoints(ckpt_dir: Path, count: int, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while len(list_checkpoints(ckpt_dir)) < count:
        assert proc.poll() is None, "the training run exited before it was killed"
        assert time.monotonic() < deadline, "no checkpoint written in time"
        time.sleep(0.2)


def test_sigkill_then_resume_restores_the_curriculum_state(tmp_path):
    args = level_args(
        tmp_path, "--curriculum=plr", "--num_workers=2", "--num_envs_per_worker=2", "--save_every_sec=1",
        "--train_for_env_steps=100000000", "--keep_checkpoints=3",
    )  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.curriculum_integration.train_level", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    ckpt_dir = tmp_path / "exp" / "checkpoint_p0"
    try:
        _wait_for_checkpoints(ckpt_dir, 2, proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    saved = load_checkpoint(list_checkpoints(ckpt_dir)[-1])
    saved_plr = saved["curriculum"]["curriculum"]
    assert saved_plr["class"] == "PrioritizedLevelReplay"
    sampler_state = saved_plr["state"]["_sampler"]["__nested__"]
    assert sampler_state["num_scored_episodes"] > 0 and sampler_state["sample_count"] > 0

    # resume in this process (serial mode: the same 4 envs) and look at the curriculum before any new data
    runner = make_runner(level_args(tmp_path, "--serial_mode=True", "--restart_behavior=resume",
                                    "--train_for_env_steps=100000000"))  # fmt: skip
    try:
        runner._setup()
        assert runner.env_steps == saved["env_steps"]
        assert_states_equal(runner.curriculum_host.state_dict(), saved["curriculum"])
    finally:
        runner.sampler.close()
        runner.writer.close()
        close_log_file()

    # and a resumed run continues from there: more scored episodes, the same PLR (rng, scores carried on)
    more = saved["env_steps"] + 320
    result = make_runner(level_args(tmp_path, "--serial_mode=True", f"--train_for_env_steps={more}")).run()
    assert result.env_steps >= more
    final = load_checkpoint(list_checkpoints(ckpt_dir)[-1])["curriculum"]["curriculum"]["state"]["_sampler"]
    assert final["__nested__"]["num_scored_episodes"] > sampler_state["num_scored_episodes"]
