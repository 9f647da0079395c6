"""The local launcher with a stand-in trainer (fast): runs in parallel, finished runs skipped on re-launch, runs
interrupted by killing the launcher resume where they saved. The same with sf_curric.train: test_launch_cartpole.py.
"""

import signal
from pathlib import Path

from sf_curric.launch import launch
from sf_curric.sweeps.run_one import DONE_FILE

from .helpers import ROOT, start_launcher, wait_for, write_sweep

FAKE = Path(__file__).with_name("fake_trainer.py")


def _sweep(tmp_path: Path, long_steps: int, step_sec: float = 0.01) -> Path:
    env = {"FAKE_STEP_SEC": str(step_sec)}  # not a parameter: run names stay the same when it changes
    return write_sweep(
        tmp_path / "sweep.py",
        f"""
        RUN_DESCRIPTION = RunDescription(
            "mech",
            [Experiment("f", "python {FAKE}", ParamGrid([("steps", [5, {long_steps}])]), env_vars={env!r})],
            seeds=[0, 1],
        )
        """,
    )


def _starts(folder: Path) -> list[int]:
    return [int(x) for x in (folder / "starts.txt").read_text().split()]


def test_runs_finish_and_a_relaunch_skips_them(tmp_path):
    sweep = _sweep(tmp_path, 20)
    outcomes = launch([f"--run={sweep}", f"--train_dir={tmp_path}", "--max_parallel=2"])
    assert [o.status for o in outcomes] == ["done"] * 4
    runs = sorted(p for p in (tmp_path / "mech" / "f").iterdir() if not p.name.startswith("."))  # not the locks
    assert [r.name for r in runs] == ["f_steps_20_seed_0", "f_steps_20_seed_1", "f_steps_5_seed_0", "f_steps_5_seed_1"]
    for run in runs:
        assert (run / DONE_FILE).exists() and _starts(run) == [0]
    again = launch([f"--run={sweep}", f"--train_dir={tmp_path}", "--max_parallel=2"])
    assert [o.status for o in again] == ["skipped"] * 4
    assert all(_starts(run) == [0] for run in runs)  # nothing started again


def test_killed_launcher_then_relaunch_resumes_the_interrupted_runs(tmp_path):
    sweep = _sweep(tmp_path, 300, step_sec=0.5)  # the long runs cannot finish before the kill
    base = tmp_path / "mech" / "f"
    short = [base / f"f_steps_5_seed_{s}" for s in (0, 1)]
    long = [base / f"f_steps_300_seed_{s}" for s in (0, 1)]
    launcher = start_launcher(sweep, tmp_path, "--max_parallel=4")
    wait_for(lambda: all((r / DONE_FILE).exists() for r in short), 60, "the short runs to finish")
    wait_for(lambda: all((r / "progress.txt").exists() for r in long), 60, "the long runs to make progress")
    launcher.send_signal(signal.SIGKILL)  # no chance to clean up: the children get SIGTERM from the kernel
    launcher.wait()
    wait_for(lambda: all(_stopped(r) for r in long), 30, "the children to stop")
    saved = [int((r / "progress.txt").read_text()) for r in long]
    assert all(s > 0 for s in saved) and not any((r / DONE_FILE).exists() for r in long)
    assert [(r / "sigterms.txt").read_text() for r in long] == ["1\n", "1\n"]  # exactly one SIGTERM each

    _sweep(tmp_path, 300, step_sec=0.001)  # the same runs, faster steps: they finish in this launch
    outcomes = launch([f"--run={sweep}", f"--train_dir={tmp_path}", "--max_parallel=4", "--threads_per_run=1"])
    statuses = {o.name: o.status for o in outcomes}
    assert statuses["f_steps_5_seed_0"] == statuses["f_steps_5_seed_1"] == "skipped"
    assert all(_starts(r) == [0] for r in short)
    for run, at in zip(long, saved):
        assert statuses[run.name] == "done" and (run / DONE_FILE).exists()
        assert _starts(run) == [0, at]  # started twice; the second time where the killed one saved
        assert int((run / "progress.txt").read_text()) == 300


def _stopped(run: Path) -> bool:
    import psutil

    def cmdline(p):
        return " ".join(p.info["cmdline"] or [])

    return not any(f"--experiment={run.name}" in cmdline(p) for p in psutil.process_iter(["cmdline"]))


def _pids(run: Path) -> list[int]:
    path = run / "pids.txt"
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def test_a_run_stopped_by_someone_else_is_resumed_not_skipped(tmp_path):
    """SIGTERM to the trainer itself (not from the launcher): it saves and exits 0, but its run_end.json says
    'interrupted', so the run is 'stopped', not finished; the next launch resumes it where it saved."""
    import os

    env = {"FAKE_STEP_SEC": "0.05", "FAKE_RUN_END": "1"}
    body = f"""
        RUN_DESCRIPTION = RunDescription(
            "ext", [Experiment("f", "python {FAKE} --steps=200", env_vars={env!r})], seeds=[0, 1],
        )
        """
    sweep = write_sweep(tmp_path / "sweep.py", body)
    victim, other = tmp_path / "ext" / "f" / "f_seed_0", tmp_path / "ext" / "f" / "f_seed_1"
    launcher = start_launcher(sweep, tmp_path, "--max_parallel=2")
    wait_for(lambda: _pids(victim) and (victim / "progress.txt").exists(), 60, "the run to make progress")
    os.kill(_pids(victim)[0], signal.SIGTERM)
    assert launcher.wait(timeout=120) == 1  # a run was stopped: exit status 1
    log = (tmp_path / "launcher.log").read_text()
    assert "f_seed_0: stopped" in log and "f_seed_1: done" in log, log
    saved = int((victim / "progress.txt").read_text())
    assert 0 < saved < 200 and not (victim / DONE_FILE).exists() and (other / DONE_FILE).exists()

    write_sweep(tmp_path / "sweep.py", body.replace("0.05", "0.001"))  # same runs, faster steps
    outcomes = launch([f"--run={sweep}", f"--train_dir={tmp_path}", "--max_parallel=2"])
    assert {o.name: o.status for o in outcomes} == {"f_seed_0": "done", "f_seed_1": "skipped"}
    assert _starts(victim) == [0, saved] and _starts(other) == [0]
    assert int((victim / "progress.txt").read_text()) == 200 and (victim / DONE_FILE).exists()


def test_the_run_gets_one_sigterm_however_many_its_guard_gets(tmp_path):
    """A lost Ray worker sends several SIGTERMs (one per dying thread, then the raylet's); sf_curric.train stops
    without saving on a second one, so the guard between launcher and run passes exactly one on."""
    import os
    import subprocess
    import sys

    from sf_curric.sweeps import run_guard

    run = tmp_path / "r"
    cmd = [sys.executable, str(FAKE), "--steps=100000", "--experiment=r", f"--train_dir={tmp_path}"]
    env = {
        **os.environ,
        "FAKE_RUN_END": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    guard = subprocess.Popen([sys.executable, run_guard.__file__, str(tmp_path / ".r.lock"), "--", *cmd], env=env)
    wait_for(lambda: (run / "progress.txt").exists(), 60, "the run to start")
    for _ in range(3):
        guard.send_signal(signal.SIGTERM)
    guard.send_signal(signal.SIGINT)
    assert guard.wait(timeout=60) == 0
    assert (run / "sigterms.txt").read_text() == "1\n"
    assert '"interrupted"' in (run / "run_end.json").read_text()
