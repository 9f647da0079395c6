"""`python benchmarks/soak.py --minutes=N`: one parallel training run with a PLR curriculum, stopped and resumed for N
minutes while faults are injected at random, then a table of what was injected, what the run survived, and where
every env step, curriculum episode and checkpoint went.

Faults (docs/reliability.md): envs that raise in step or reset, hang in step, or end their worker process (env
exit); worker processes killed with SIGKILL; a disk full for a few seconds (every checkpoint write fails with ENOSPC
at the write: benchmarks/soak_train.py); the run stopped with SIGTERM or killed with SIGKILL and resumed; the newest
checkpoint damaged (100 bytes XORed inside a tensor) before a resume.

Accounting, per session (start to stop of one process): episodes finished by the envs (their own records) against
episodes the curriculum counted between the checkpoint the session resumed from and the one the next session
resumes from; env steps trained against env steps kept; every checkpoint file loaded back (SHA-256 checked) at each
stop.

    python benchmarks/soak.py --minutes=30 --work_dir=/tmp/soak
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sf_curric.sweeps.run_guard import die_with_parent  # noqa: E402
from sf_curric.utils.checkpoint import (  # noqa: E402
    CheckpointError,
    checkpoint_dir,
    list_checkpoints,
    load_checkpoint,
)
from tests.faults.helpers import flip_bytes_inside_tensor  # noqa: E402

_STALL_SEC = 15  # --worker_stall_timeout_sec of the run
FAULTS = ("env raise", "env hang", "env exit", "worker SIGKILL", "disk full", "SIGTERM + resume", "SIGKILL + resume",
          "checkpoint damage")  # fmt: skip


@dataclass
class Session:
    """One process of the run: how it started and ended, what it logged."""

    number: int
    resumed_from: Path | None
    start_steps: int
    start_episodes: int
    expected_resume: Path | None = None
    damaged: Path | None = None
    stop: str = ""
    returncode: int | None = None
    stop_seconds: float = 0.0
    log: str = ""
    episodes_finished: int = 0
    faults: Counter = field(default_factory=Counter)  # injected while it ran (env faults from the envs' records)
    end_steps: int = 0
    end_episodes: int = 0
    reached_steps: int = 0


@dataclass
class Tally:
    injected: Counter = field(default_factory=Counter)
    survived: Counter = field(default_factory=Counter)  # handled: found and recovered from while the run went on
    stop_first: Counter = field(default_factory=Counter)  # not handled yet when the soak stopped the session
    failed: Counter = field(default_factory=Counter)  # in a session that ended other than by the soak's signal
    checkpoints_verified: int = 0
    checkpoints_bad: list = field(default_factory=list)


def _counters(path: Path | None) -> tuple[int, int]:
    """(env steps, curriculum episodes) of a checkpoint (0, 0 for none)."""
    if path is None:
        return 0, 0
    state = load_checkpoint(path)
    return int(state["env_steps"]), int(state["curriculum"]["num_episodes_reported"])


class Soak:
    """The run, its sessions and the faults injected into them."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.rng = random.Random(args.seed)
        self.work = Path(args.work_dir)
        if self.work.exists():
            shutil.rmtree(self.work)
        self.records = self.work / "faults"
        self.records.mkdir(parents=True)
        self.disk_flag = self.work / "disk_full"
        self.exp_dir = self.work / "train_dir" / "soak"
        self.sessions: list[Session] = []
        self.tally = Tally()

    # ---- the process ---------------------------------------------------------------------------------------

    def _command(self) -> list[str]:
        return [
            sys.executable, str(ROOT / "benchmarks" / "soak_train.py"), "--env=test_faulty_task_env",
            "--curriculum=plr", f"--train_dir={self.exp_dir.parent}", "--experiment=soak", "--serial_mode=False",
            f"--num_workers={self.args.workers}", f"--num_envs_per_worker={self.args.envs}", "--rollout=16",
            "--batch_size=64", "--device=cpu", "--num_torch_threads=1", "--train_for_env_steps=10000000000",
            "--save_every_sec=5", "--save_best_every_sec=3", "--max_env_errors=100000", "--env_error_window=0",
            f"--worker_stall_timeout_sec={_STALL_SEC}", "--progress_interval_sec=2", "--seed=1",
        ]  # fmt: skip

    def _environment(self) -> dict[str, str]:
        faults = {
            "record_dir": str(self.records), "episode_ids": True, "step_raise_prob": 2e-4,
            "reset_raise_prob": 2e-3, "step_exit_prob": 2e-5, "hang_env": 0, "hang_after_steps": 400,
        }  # fmt: skip
        (self.records / "hung_once").touch()  # hangs only when the soak removes the marker
        return {**os.environ, "SF_CURRIC_FAULTS": json.dumps(faults), "SOAK_DISK_FULL": str(self.disk_flag),
                "PYTHONPATH": str(ROOT)}  # fmt: skip

    def _workers(self, proc: subprocess.Popen) -> list:
        import psutil

        def cmdline(p) -> str:
            try:
                return " ".join(p.cmdline())
            except psutil.Error:  # gone, or a zombie waiting for its parent
                return ""

        try:
            children = psutil.Process(proc.pid).children(recursive=True)
            servers = [p for p in children if "multiprocessing.forkserver" in cmdline(p)]
            return [p for server in servers for p in server.children() if cmdline(p)]
        except psutil.Error:
            return []

    # ---- one session ---------------------------------------------------------------------------------------

    def _recorded(self) -> Counter:
        """What the envs recorded so far, by kind (episode, step, reset, hang, exit)."""
        text = "".join(p.read_text() for p in self.records.glob("faults_*.txt"))
        return Counter(line.split(" ", 1)[0] for line in text.splitlines())

    def _wait_until_training(self, proc: subprocess.Popen, log_file: Path, offset: int) -> None:
        """Faults and the stop count from the session's first progress line (start-up takes seconds when loaded)."""
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            if log_file.exists() and "env steps " in log_file.read_bytes()[offset:].decode(errors="replace"):
                return
            time.sleep(0.5)

    def _inject(self, proc: subprocess.Popen, until: float) -> None:
        """Random faults every few seconds while the session runs (env raise/exit are random in the envs)."""
        import psutil

        next_fault = time.monotonic() + self.rng.uniform(3, 8)
        disk_until = 0.0
        while proc.poll() is None and time.monotonic() < until:
            now = time.monotonic()
            if disk_until and now >= disk_until:
                self.disk_flag.unlink(missing_ok=True)
                disk_until = 0.0
                self.tally.survived["disk full"] += int(proc.poll() is None)  # trained on through it
            if now >= next_fault:
                kind = self.rng.choice(["worker SIGKILL", "disk full", "env hang"])
                if kind == "worker SIGKILL" and (workers := self._workers(proc)):
                    try:
                        self.rng.choice(workers).kill()
                        self.tally.injected[kind] += 1
                    except psutil.Error:  # it died by itself just now
                        pass
                elif kind == "disk full" and not disk_until and until - now > 10:
                    self.disk_flag.touch()
                    disk_until = now + self.rng.uniform(3, 8)
                    self.tally.injected[kind] += 1
                elif kind == "env hang" and until - now > 2 * _STALL_SEC:  # time to be found, killed and replaced
                    (self.records / "hung_once").unlink(missing_ok=True)  # env 0 hangs at its next step past 400
                next_fault = now + self.rng.uniform(3, 8)
            time.sleep(0.2)
        self.disk_flag.unlink(missing_ok=True)

    def _stop(self, proc: subprocess.Popen, session: Session, final: bool) -> None:
        session.stop = "SIGTERM" if final or self.rng.random() < 0.7 else "SIGKILL"
        sent = time.monotonic()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM if session.stop == "SIGTERM" else signal.SIGKILL)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        session.stop_seconds = time.monotonic() - sent
        session.returncode = proc.returncode

    def run_session(self, seconds: float, final: bool) -> Session:
        newest = list_checkpoints(checkpoint_dir(self.exp_dir))
        expected, damaged = (newest[-1] if newest else None), None
        if len(newest) >= 2 and not final and self.rng.random() < 0.3:
            damaged, expected = newest[-1], newest[-2]
            flip_bytes_inside_tensor(damaged)  # the resume must set it aside and take the one before
            self.tally.injected["checkpoint damage"] += 1
        steps, episodes = _counters(expected)
        session = Session(len(self.sessions) + 1, None, steps, episodes, expected_resume=expected, damaged=damaged)
        log_file = self.exp_dir / "sf_log.txt"
        offset = log_file.stat().st_size if log_file.exists() else 0
        recorded_before, kills_before = self._recorded(), self.tally.injected["worker SIGKILL"]
        with open(self.work / f"session_{session.number}.out", "wb") as out:
            proc = subprocess.Popen(
                self._command(),
                env=self._environment(),
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,  # a soak that dies leaves no training run behind
            )
            self._wait_until_training(proc, log_file, offset)
            self._inject(proc, time.monotonic() + seconds)
            self._stop(proc, session, final)
        session.log = log_file.read_bytes()[offset:].decode(errors="replace") if log_file.exists() else ""
        recorded = self._recorded() - recorded_before
        session.episodes_finished = recorded["episode"]
        session.faults = Counter({"env raise": recorded["step"] + recorded["reset"], "env hang": recorded["hang"],
                                  "env exit": recorded["exit"],
                                  "worker SIGKILL": self.tally.injected["worker SIGKILL"] - kills_before})  # fmt: skip
        self.sessions.append(session)
        return session

    # ---- what the logs and files say -----------------------------------------------------------------------

    def verify_checkpoints(self) -> Path | None:
        """Load every checkpoint back (SHA-256 checked); returns the newest good one."""
        good = None
        for path in list_checkpoints(checkpoint_dir(self.exp_dir)):
            try:
                load_checkpoint(path)
                self.tally.checkpoints_verified += 1
                good = path
            except CheckpointError as e:  # never expected: damaged files were set aside by the resume
                self.tally.checkpoints_bad.append(str(e))
        return good

    def account(self, final: Path | None) -> None:
        """Close each session's books with the counters of the checkpoint the next one resumed from.

        Args:
            final: the newest good checkpoint after the last session.
        """
        for session, following in zip(self.sessions, self.sessions[1:] + [None]):
            resumed = re.search(r"resumed from (\S+): ", following.log) if following else None
            end = Path(resumed.group(1)) if resumed else final
            session.end_steps, session.end_episodes = (session.start_steps, session.start_episodes)
            if end is not None and end.exists():
                session.end_steps, session.end_episodes = _counters(end)
            elif end is not None and following is not None:
                session.end_steps, session.end_episodes = following.start_steps, following.start_episodes
            progress = [int(s) for s in re.findall(r"env steps (\d+) \(", session.log)]
            session.reached_steps = max(progress + [session.end_steps])

    def judge(self) -> None:
        """Which injected faults the run survived, from the logs of the sessions they hit."""
        t = self.tally
        for session in self.sessions:
            log = session.log
            handled = {
                "env raise": len(re.findall(r"raised InjectedFault in (?:step|reset)", log)),
                "env hang": log.count("made no progress for"),
                "env exit": log.count("died (exit code 3)"),
                "worker SIGKILL": log.count("died (exit code -9)"),
            }
            ended_by_soak = session.returncode == (0 if session.stop == "SIGTERM" else -9)
            for kind, count in handled.items():
                injected = session.faults[kind]
                t.injected[kind] += injected if kind != "worker SIGKILL" else 0  # counted when sent
                t.survived[kind] += min(count, injected)
                (t.stop_first if ended_by_soak else t.failed)[kind] += max(0, injected - count)
        logs = "".join(s.log for s in self.sessions)
        self.refused_saves = logs.count("could not write a checkpoint") + logs.count("could not write the best")
        for session, following in zip(self.sessions, self.sessions[1:]):
            kind = "SIGTERM + resume" if session.stop == "SIGTERM" else "SIGKILL + resume"
            t.injected[kind] += 1
            resumed = following.expected_resume is None or f"resumed from {following.expected_resume}:" in following.log
            clean = session.stop == "SIGKILL" or session.returncode == 0
            t.survived[kind] += int(resumed and clean)
            t.failed[kind] += int(not (resumed and clean))
            if following.damaged is not None:
                ok = resumed and f"checkpoint {following.damaged} is damaged" in following.log
                t.survived["checkpoint damage"] += int(ok)
                t.failed["checkpoint damage"] += int(not ok)
        t.failed["disk full"] = t.injected["disk full"] - t.survived["disk full"]


def _table(soak: Soak, minutes: float) -> str:
    t, s = soak.tally, soak.sessions
    rows = [
        f"| {kind} | {t.injected[kind]} | {t.survived[kind]} | {t.stop_first[kind]} | {t.failed[kind]} |"
        for kind in FAULTS
    ]
    finished = sum(x.episodes_finished for x in s)
    counted = sum(x.end_episodes - x.start_episodes for x in s)
    # a session whose last checkpoint the next one did not resume from (SIGKILL after it, or damaged) rolled back
    rolled = [x.stop == "SIGKILL" or (nxt is not None and nxt.damaged is not None) for x, nxt in zip(s, s[1:] + [None])]
    clean_gap = sum(x.episodes_finished - (x.end_episodes - x.start_episodes) for x, r in zip(s, rolled) if not r)
    trained = sum(x.reached_steps - x.start_steps for x in s)
    kept = sum(x.end_steps - x.start_steps for x in s)
    sigterm = [x.stop_seconds for x in s if x.stop == "SIGTERM"]
    lines = [
        f"soak: {minutes:g} min, {len(s)} sessions, load average {os.getloadavg()[0]:.1f} at the end",
        "",
        "| fault | injected | handled, run went on | stop came first | run failed |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "| accounting | value |",
        "|---|---|",
        f"| env steps at the end (final checkpoint) | {s[-1].end_steps:,} |",
        f"| env steps trained / kept / redone (after a SIGKILL or damage) | {trained:,} / {kept:,} / "
        f"{trained - kept:,} |",
        f"| curriculum episodes: finished by envs / counted by the curriculum | {finished:,} / {counted:,} |",
        f"| ... not counted, sessions resumed from their last checkpoint (in flight in killed workers, at the stop) | "
        f"{clean_gap:,} |",
        f"| ... rolled back with a SIGKILLed or damaged session's unsaved work | {finished - counted - clean_gap:,} |",
        f"| checkpoint saves refused by the full disk (warned, run went on) | {soak.refused_saves} |",
        f"| checkpoints loaded back and SHA-256 verified / bad | {t.checkpoints_verified} / {len(t.checkpoints_bad)} |",
        f"| slowest SIGTERM to exit (s) | {max(sigterm or [0]):.1f} |",
        f"| sessions that ended other than by the soak's signal | {sum(x.returncode not in (0, -9) for x in s)} |",
    ]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=5.0, help="Wall minutes of the soak.")
    p.add_argument("--work_dir", default="/tmp/sf_curric_soak", help="Scratch folder (deleted first).")
    p.add_argument("--workers", type=int, default=2, help="Rollout worker processes.")
    p.add_argument("--envs", type=int, default=4, help="Envs per worker.")
    p.add_argument("--session_sec", type=float, nargs=2, default=(25.0, 70.0), help="Session length range.")
    p.add_argument("--seed", type=int, default=0, help="Seed of the fault schedule.")
    args = p.parse_args()
    soak = Soak(args)
    deadline = time.monotonic() + 60 * args.minutes
    while True:
        left = deadline - time.monotonic()
        final = left < args.session_sec[0] * 1.5
        soak.run_session(max(10.0, left) if final else soak.rng.uniform(*args.session_sec), final)
        soak.verify_checkpoints()
        print(f"session {len(soak.sessions)}: {soak.sessions[-1].stop}, exit {soak.sessions[-1].returncode}",
              flush=True)  # fmt: skip
        if final:
            break
    soak.account(soak.verify_checkpoints())
    soak.judge()
    print(_table(soak, args.minutes))
    for problem in soak.tally.checkpoints_bad:
        print("bad checkpoint:", problem)
    return 0


if __name__ == "__main__":
    sys.exit(main())
