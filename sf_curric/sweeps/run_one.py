"""One run of a sweep as a child process: its log, its completion marker, and what a re-launch does with it.

A run is *finished* when its command exited with status 0 while the launcher was not stopping it and, when the
command is `sf_curric.train` (or a script that calls its `run()`), the trainer's `run_end.json` says it reached its
budget rather than stopped on a signal (someone else's SIGTERM also ends it with status 0). The launcher then writes
`sweep_done.json` in its experiment folder and a re-launch skips it. Any other run is started again with the same
command line; `sf_curric.train` resumes from the newest checkpoint in the same experiment folder
(`--restart_behavior=resume`, its default).

Two launchers of one sweep share its runs: each run is claimed (`claim_run`, an OS file lock beside the run's
folder, held by the launcher or Ray task for as long as the run's process lives); a launcher skips a run another
one holds, saying which, and runs the others.
"""

from __future__ import annotations

import fcntl
import json
import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NamedTuple

from sf_curric.sweeps.run_description import RunSpec, write_run_info
from sf_curric.sweeps.run_guard import die_with_parent
from sf_curric.utils.run_end import FINISHED_REASONS, RUN_END_FILE, read_run_end

DONE_FILE = "sweep_done.json"
LOG_FILE = "sweep_stdout.log"
_GUARD = str(Path(__file__).with_name("run_guard.py"))
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # the folder that holds sf_curric/


class RunOutcome(NamedTuple):
    """How one run ended in this launch.

    Attributes:
        name: the run's name.
        status: "done", "skipped" (finished in an earlier launch), "held" (another launcher runs it now), "failed"
            or "stopped" (the launcher stopped it, or a signal from elsewhere stopped the trainer before its budget:
            a re-launch resumes it).
        returncode: the child's exit status (None when skipped or held).
        seconds: wall seconds of the child.
        note: for "held", who holds it (e.g. "launcher pid 1234 on host").
    """

    name: str
    status: str
    returncode: int | None
    seconds: float
    note: str = ""


class RunHeld(Exception):
    """Another launcher (or Ray task) holds the run; the message says which process."""


def claim_run(spec: RunSpec) -> int:
    """Claim the run for this process: lock `<sweep>/<experiment>/.<run>.launch.lock` (never blocking).

    Keep the returned descriptor open while the run's process lives, then `os.close` it; the kernel drops the
    lock however this process ends, so a claim is never stale.

    Args:
        spec: the run.

    Raises:
        RunHeld: another live process holds it (message: "launcher pid N on HOST").
    """
    path = spec.exp_dir.parent / f".{spec.name}.launch.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another launcher"
        os.close(fd)
        raise RunHeld(holder) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"launcher pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
    return fd


def held_outcome(spec: RunSpec, held: RunHeld) -> RunOutcome:
    """The outcome of a run another launcher holds: skipped here, not failed."""
    return RunOutcome(spec.name, "held", None, 0.0, str(held))


def is_done(exp_dir: Path) -> bool:
    """Whether the run in `exp_dir` finished in an earlier launch."""
    return (exp_dir / DONE_FILE).exists()


def child_env(spec: RunSpec, threads: int) -> dict[str, str]:
    """The child's environment: thread counts capped so that parallel runs do not fight over cores."""
    env = dict(os.environ)
    env.update({k: str(threads) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
    env.update(spec.env_vars)
    return env


def _lock_file(spec: RunSpec) -> str:
    import argparse

    from sf_curric.utils.run_lock import lock_path

    return str(lock_path(argparse.Namespace(train_dir=str(spec.exp_dir.parent), experiment=spec.name)))


def start_run(spec: RunSpec, threads: int) -> subprocess.Popen:
    """Start the run's command behind `run_guard.py` (output appended to its `sweep_stdout.log`).

    The guard waits for the experiment's lock, passes a stop on to the run once, and gets SIGTERM when the thread
    that started it ends (launcher killed, Ray worker lost); call this from the thread that lives as long as the
    run (the local launcher's main thread, the Ray task's).

    Args:
        spec: the run.
        threads: CPU threads the run may use (OMP/MKL/OpenBLAS).
    """
    write_run_info(spec)
    (spec.exp_dir / RUN_END_FILE).unlink(missing_ok=True)  # an earlier session's: only this session's one counts
    with open(spec.exp_dir / LOG_FILE, "ab") as log_file:
        log_file.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} {shlex.join(spec.argv)}\n".encode())
        log_file.flush()
        return subprocess.Popen(
            [sys.executable, _GUARD, _lock_file(spec), "--", *spec.argv],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=child_env(spec, threads),
            preexec_fn=die_with_parent,
            start_new_session=True,  # out of the terminal's and the Ray worker's process group (see run_guard)
        )


def finish_run(spec: RunSpec, returncode: int, seconds: float, stopping: bool) -> RunOutcome:
    """The outcome of a run whose child exited; writes the completion marker when it finished.

    Args:
        spec: the run.
        returncode: the child's exit status.
        seconds: wall seconds of the child.
        stopping: whether the launcher was asked to stop (then an exit is not a finish).
    """
    if stopping:
        return RunOutcome(spec.name, "stopped", returncode, seconds)
    if returncode != 0:
        return RunOutcome(spec.name, "failed", returncode, seconds)
    run_end = read_run_end(spec.exp_dir)  # None: a command that is not sf_curric.train; its exit status decides
    if run_end is not None and run_end.get("reason") not in FINISHED_REASONS:
        return RunOutcome(spec.name, "stopped", returncode, seconds)
    marker = {"returncode": 0, "seconds_last_launch": seconds, "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    tmp = spec.exp_dir / (DONE_FILE + ".tmp")
    tmp.write_text(json.dumps(marker) + "\n")
    os.replace(tmp, spec.exp_dir / DONE_FILE)
    return RunOutcome(spec.name, "done", 0, seconds)


def run_one(spec: RunSpec, threads: int) -> RunOutcome:
    """Run `spec` to its end unless it finished earlier (a Ray task: one run per worker, in its main thread).

    Args:
        spec: the run.
        threads: CPU threads the run may use.
    """
    try:
        claim = claim_run(spec)
    except RunHeld as held:
        return held_outcome(spec, held)
    try:
        if is_done(spec.exp_dir):  # checked once claimed: another launcher may have just finished it
            return RunOutcome(spec.name, "skipped", None, 0.0)
        start = time.monotonic()
        returncode = start_run(spec, threads).wait()
        return finish_run(spec, returncode, time.monotonic() - start, stopping=False)
    finally:
        os.close(claim)
