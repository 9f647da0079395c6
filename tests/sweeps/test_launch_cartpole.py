"""Real sweeps of sf_curric.train (CartPole, 2 configs x 2 seeds, a few thousand steps each): locally, on a local
Ray cluster, and a launcher killed mid-sweep then launched again. Each CartPole run needs ~10 s of start-up and
more on a loaded machine, so these are `slow`; test_launch_mechanics.py covers the same logic fast."""

import re
import signal
from pathlib import Path

import pytest

from sf_curric.launch import launch
from sf_curric.report import report
from sf_curric.sweeps.run_one import DONE_FILE
from sf_curric.utils.checkpoint import find_newest_checkpoint

from .helpers import start_launcher, wait_for, write_sweep

pytestmark = pytest.mark.slow

CARTPOLE = (
    "python -m sf_curric.train --env=CartPole-v1 --serial_mode=True --num_workers=1 --num_envs_per_worker=8 "
    "--rollout=16 --batch_size=128 --device=cpu"
)


def _sweep(tmp_path: Path, steps: int, extra: str = "") -> Path:
    return write_sweep(
        tmp_path / "sweep.py",
        f"""
        RUN_DESCRIPTION = RunDescription(
            "cp",
            [Experiment("cp", "{CARTPOLE} --train_for_env_steps={steps} {extra}",
                        ParamGrid([("learning_rate", [0.001, 0.0003])]))],
            seeds=[1, 2],
        )
        """,
    )


def _check_finished(tmp_path: Path, steps: int) -> None:
    runs = sorted(p for p in (tmp_path / "cp" / "cp").iterdir() if p.is_dir())  # not the trainers' .lock files
    assert len(runs) == 4
    for run in runs:
        assert (run / DONE_FILE).exists()
        ckpt = find_newest_checkpoint(run)
        assert ckpt is not None and int(re.search(r"_(\d+)\.pth$", ckpt.name).group(1)) >= steps
    pytest.importorskip("rliable", reason='the report extra: pip install -e ".[report]"')
    reports = report([str(tmp_path / "cp"), "--reps=500"])
    assert {m: s["final"]["runs"] for m, s in reports[0]["methods"].items()} == {"cp_lr_0.001": 2, "cp_lr_0.0003": 2}


def test_local_sweep(tmp_path):
    sweep = _sweep(tmp_path, 3000)
    outcomes = launch([f"--run={sweep}", f"--train_dir={tmp_path}", "--max_parallel=2"])
    assert [o.status for o in outcomes] == ["done"] * 4
    _check_finished(tmp_path, 3000)


@pytest.mark.ray
def test_ray_sweep(tmp_path):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        sweep = _sweep(tmp_path, 3000)
        outcomes = launch([f"--run={sweep}", f"--train_dir={tmp_path}", "--backend=ray", "--cpus_per_run=1"])
    finally:
        ray.shutdown()
    assert [o.status for o in outcomes] == ["done"] * 4
    _check_finished(tmp_path, 3000)


def _kill_sweep(tmp_path: Path, long_steps: int) -> Path:
    # the long run's budget is in its base command, not a parameter: changing it keeps the run's name and folder
    return write_sweep(
        tmp_path / "sweep.py",
        f"""
        RUN_DESCRIPTION = RunDescription(
            "cp",
            [
                Experiment("short", "{CARTPOLE} --train_for_env_steps=1024",
                           ParamGrid([("learning_rate", [0.001, 0.0003])])),
                Experiment("long", "{CARTPOLE} --save_every_sec=1 --log_level=info --train_for_env_steps={long_steps}"),
            ],
            seeds=[1],
        )
        """,
    )


def test_killed_launcher_then_relaunch(tmp_path):
    sweep = _kill_sweep(tmp_path, 10**9)  # cannot finish before the kill
    short = [tmp_path / "cp" / "short" / f"short_lr_{lr}_seed_1" for lr in ("0.001", "0.0003")]
    long = tmp_path / "cp" / "long" / "long_seed_1"
    launcher = start_launcher(sweep, tmp_path, "--max_parallel=1")  # one at a time, in sweep order
    wait_for(lambda: all((r / DONE_FILE).exists() for r in short), 900, "the short runs to finish")
    wait_for(lambda: find_newest_checkpoint(long) is not None, 900, "a checkpoint of the long run")
    launcher.send_signal(signal.SIGKILL)  # no clean-up in the launcher: the run gets SIGTERM from the kernel
    launcher.wait()
    wait_for(lambda: "stopped (interrupted)" in (long / "sf_log.txt").read_text(), 300, "the run to save and stop")
    saved_steps = int(re.search(r"_(\d+)\.pth$", find_newest_checkpoint(long).name).group(1))
    assert saved_steps > 0 and not (long / DONE_FILE).exists()
    done_times = [(r / DONE_FILE).stat().st_mtime for r in short]

    _kill_sweep(tmp_path, saved_steps + 1024)  # the same runs; the long one now ends 1024 steps after its checkpoint
    outcomes = launch([f"--run={sweep}", f"--train_dir={tmp_path}", "--max_parallel=2"])
    status = {o.name: o.status for o in outcomes}
    assert status == {short[0].name: "skipped", short[1].name: "skipped", long.name: "done"}
    assert [(r / DONE_FILE).stat().st_mtime for r in short] == done_times  # not touched
    log = (long / "sf_log.txt").read_text()
    assert re.search(rf"resumed from .*: {saved_steps} env steps", log), log[-2000:]
    assert log.count("resumed from") == 1
    final = int(re.search(r"_(\d+)\.pth$", find_newest_checkpoint(long).name).group(1))
    assert final >= saved_steps + 1024


@pytest.mark.ray
def test_ray_run_lost_with_its_worker_is_retried_and_resumes(tmp_path):
    """Kill the Ray worker that runs a task (what losing its node does to it): Ray retries the task, and the run
    resumes from its checkpoint in the same folder."""
    import threading

    import psutil

    ray = pytest.importorskip("ray")
    sweep = write_sweep(
        tmp_path / "sweep.py",
        f"""
        RUN_DESCRIPTION = RunDescription(
            "cp",
            [Experiment("cp", "{CARTPOLE} --save_every_sec=1 --log_level=info --train_for_env_steps=40000")],
            seeds=[1],
        )
        """,
    )
    run = tmp_path / "cp" / "cp" / "cp_seed_1"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        result = {}
        argv = [f"--run={sweep}", f"--train_dir={tmp_path}", "--backend=ray", "--max_retries=2"]
        thread = threading.Thread(target=lambda: result.update(outcomes=launch(argv)))
        thread.start()
        wait_for(lambda: find_newest_checkpoint(run) is not None, 900, "a checkpoint of the run")
        child = next(
            p
            for p in psutil.process_iter(["cmdline"])
            if f"--experiment={run.name}" in " ".join(p.info["cmdline"] or [])
        )
        child.parent().kill()  # the Ray worker; the run gets SIGTERM with it, saves and stops
        thread.join(timeout=600)
    finally:
        ray.shutdown()
    assert [o.status for o in result["outcomes"]] == ["done"]
    log = (run / "sf_log.txt").read_text()
    assert "stopped (interrupted)" in log and re.search(r"resumed from .*: [1-9]\d* env steps", log), log[-2000:]
    ckpt = find_newest_checkpoint(run)
    assert int(re.search(r"_(\d+)\.pth$", ckpt.name).group(1)) >= 40000


def test_run_sigtermed_by_someone_else_resumes_on_relaunch(tmp_path):
    """SIGTERM to one sf_curric.train process (not from the launcher): it saves and exits 0, yet its run_end.json
    says 'interrupted', so the launcher does not mark it finished; the next launch resumes it from its checkpoint."""
    import psutil

    sweep = _kill_sweep(tmp_path, 10**9)  # cannot finish before the signal
    long = tmp_path / "cp" / "long" / "long_seed_1"
    launcher = start_launcher(sweep, tmp_path, "--max_parallel=3")
    wait_for(lambda: find_newest_checkpoint(long) is not None, 900, "a checkpoint of the long run")
    (trainer,) = [
        p
        for p in psutil.process_iter(["cmdline"])
        if f"--experiment={long.name}" in " ".join(p.info["cmdline"] or [])
        and "run_guard.py" not in " ".join(p.info["cmdline"] or [])
    ]
    trainer.send_signal(signal.SIGTERM)
    assert launcher.wait(timeout=600) == 1  # a run stopped: exit status 1
    assert "long_seed_1: stopped" in (tmp_path / "launcher.log").read_text()
    assert "stopped (interrupted)" in (long / "sf_log.txt").read_text() and not (long / DONE_FILE).exists()
    saved_steps = int(re.search(r"_(\d+)\.pth$", find_newest_checkpoint(long).name).group(1))
    assert saved_steps > 0

    _kill_sweep(tmp_path, saved_steps + 1024)  # the same runs; the long one now ends 1024 steps after its checkpoint
    outcomes = launch([f"--run={sweep}", f"--train_dir={tmp_path}", "--max_parallel=2"])
    assert {o.name: o.status for o in outcomes}[long.name] == "done"
    log = (long / "sf_log.txt").read_text()
    assert re.search(rf"resumed from .*: {saved_steps} env steps", log) and log.count("resumed from") == 1, log[-2000:]
    assert int(re.search(r"_(\d+)\.pth$", find_newest_checkpoint(long).name).group(1)) >= saved_steps + 1024
