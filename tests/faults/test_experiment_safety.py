"""The experiment folder is safe from careless input: names, overwrite, train_dir, and two runs at once.

Every case runs the real command line (`python -m tests.faults.train_faulty`) in a subprocess and checks exit
status, the one line on stderr and the files around it.
"""

import os
import signal
import subprocess
import threading
import time

import pytest

from sf_curric.train import run
from sf_curric.utils.checkpoint import list_checkpoints, load_checkpoint
from tests.faults import envs
from tests.faults.helpers import train_subprocess

NO_FAULTS = {envs.FAULTS_ENV_VAR: "{}"}


def _args(train_dir, experiment, *extra):
    return [
        "--env=test_faulty_env", f"--train_dir={train_dir}", f"--experiment={experiment}", "--serial_mode=True",
        "--num_workers=1", "--num_envs_per_worker=2", "--rollout=8", "--batch_size=16", "--device=cpu",
        "--train_for_env_steps=64", "--num_torch_threads=1", *extra,
    ]  # fmt: skip


def _snapshot(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _one_line_error(out, *expected):
    assert out.returncode == 2, out.stdout + out.stderr
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("sf_curric.train: error: "), out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    for text in expected:
        assert text in last, last
    return last


@pytest.fixture
def precious(tmp_path):
    """A train_dir with two other experiments and a sibling folder that must survive everything."""
    train_dir = tmp_path / "train_dir"
    for name in ("other1", "other2"):
        (train_dir / name / "checkpoint_p0").mkdir(parents=True)
        (train_dir / name / "config.json").write_text("{}")
        (train_dir / name / "checkpoint_p0" / "checkpoint_000000001_8.pth").write_bytes(b"weights")
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "thesis.txt").write_text("years of work")
    return tmp_path, train_dir


@pytest.mark.parametrize("name", ["", "..", "../precious", "ABSOLUTE", "a/b/c", "with space", ".hidden"])
def test_overwrite_with_a_bad_experiment_name_deletes_nothing(precious, name, capsys):
    tmp_path, train_dir = precious
    if name == "ABSOLUTE":
        name = str(tmp_path / "precious")
    before = _snapshot(tmp_path)
    argv = _args(train_dir, name, "--restart_behavior=overwrite")
    if name == "../precious":  # one case end to end through the command line (exit status, stderr)
        out = train_subprocess(argv, env_vars=NO_FAULTS)
    else:  # the others through run(), the same code, without a process start each
        with pytest.raises(SystemExit) as info:
            run(argv)
        out = subprocess.CompletedProcess(argv, info.value.code, "", capsys.readouterr().err)
    _one_line_error(out, "is not a plain folder name", "--experiment=")
    assert _snapshot(tmp_path) == before
    assert (tmp_path / "precious" / "thesis.txt").read_text() == "years of work"


def test_overwrite_refuses_a_folder_that_is_not_an_experiment(precious):
    tmp_path, train_dir = precious
    (train_dir / "notes").mkdir()
    (train_dir / "notes" / "todo.txt").write_text("keep me")
    out = train_subprocess(_args(train_dir, "notes", "--restart_behavior=overwrite"), env_vars=NO_FAULTS)
    _one_line_error(out, "overwrite refused", "not an sf_curric experiment folder")
    assert (train_dir / "notes" / "todo.txt").read_text() == "keep me"
    # an experiment folder of ours is overwritten (only it)
    out = train_subprocess(_args(train_dir, "other1", "--restart_behavior=overwrite"), env_vars=NO_FAULTS)
    assert out.returncode == 0, out.stderr
    assert not (train_dir / "other1" / "checkpoint_p0" / "checkpoint_000000001_8.pth").exists()
    assert (train_dir / "other2" / "checkpoint_p0" / "checkpoint_000000001_8.pth").read_bytes() == b"weights"
    assert (tmp_path / "precious" / "thesis.txt").exists()


def test_train_dir_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "afile").write_text("x")
    out = train_subprocess(_args(tmp_path / "afile", "exp"), env_vars=NO_FAULTS)
    _one_line_error(out, "is a file, not a folder")


def test_read_only_train_dir_is_one_line(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    mounted = False
    if os.geteuid() == 0:  # permission bits do not stop root: a read-only mount does
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(ro)]).returncode == 0
        if not mounted:
            pytest.skip("root, but cannot mount a read-only tmpfs here")
    else:
        ro.chmod(0o555)
    try:
        out = train_subprocess(_args(ro, "exp"), env_vars=NO_FAULTS)
        _one_line_error(out, "writable")
    finally:
        if mounted:
            subprocess.run(["umount", str(ro)])
        else:
            ro.chmod(0o755)


class _Lines:
    """Collects a process's output lines in a thread (so its pipe never fills)."""

    def __init__(self, proc):
        self.lines = []
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc):
        for line in proc.stdout:
            self.lines.append(line)

    def wait_for(self, text, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} in:\n" + "".join(self.lines[-30:]))

    def text(self):
        self.thread.join(timeout=30)
        return "".join(self.lines)


def test_second_run_on_a_live_experiment_refuses_and_both_outputs_stay_intact(tmp_path):
    long_run = _args(tmp_path, "exp", "--train_for_env_steps=100000000", "--save_every_sec=1",
                     "--progress_interval_sec=0.2")  # fmt: skip
    first = train_subprocess(long_run, env_vars=NO_FAULTS, wait=False)
    lines = _Lines(first)
    try:
        lines.wait_for("saved ", timeout=120)
        for behavior in ("resume", "restart", "overwrite"):  # none may touch a live run's folder
            second = train_subprocess(long_run + [f"--restart_behavior={behavior}"], env_vars=NO_FAULTS)
            _one_line_error(second, f"pid {first.pid}", "in use by another run")
        assert not [p for p in tmp_path.iterdir() if "_old_" in p.name]  # restart renamed nothing
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    output = lines.text()
    assert first.returncode == 0, output
    assert "stopped (interrupted)" in output
    newest = list_checkpoints(tmp_path / "exp" / "checkpoint_p0")[-1]
    assert load_checkpoint(newest)["env_steps"] > 0
    # the log holds the first run's lines only (the refused runs wrote nothing there)
    pids = {line.split("]")[1].strip("[") for line in (tmp_path / "exp" / "sf_log.txt").read_text().splitlines()
            if line.startswith("[")}  # fmt: skip
    assert pids == {str(first.pid)}


def test_kill_9_leaves_no_stale_lock(tmp_path):
    long_run = _args(tmp_path, "exp", "--train_for_env_steps=100000000", "--save_every_sec=1")
    first = train_subprocess(long_run, env_vars=NO_FAULTS, wait=False)
    lines = _Lines(first)
    try:
        lines.wait_for("saved ", timeout=120)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    out = train_subprocess(_args(tmp_path, "exp"), env_vars=NO_FAULTS)  # resumes past 64 steps: stops at once
    assert out.returncode == 0, out.stderr
    assert "resumed from" in out.stdout + out.stderr
