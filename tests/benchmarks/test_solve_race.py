"""The time-to-solve race and the start-up benchmark: their parsers read each trainer's real output lines, the
start-up probe records the first env step of a real run (the races themselves are benchmarks, not tests).

The PufferLib smoke run is skipped unless benchmarks/.venv-puffer exists (the tests never install anything).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import puffer_bench  # noqa: E402  (benchmarks/ is not a package)
import solve_race  # noqa: E402
import startup  # noqa: E402


def test_sf_curric_watcher_needs_100_episodes_at_475():
    w = solve_race.SolveWatcher(solve_race.SFC_RE)
    w("[09:00:01][1] INFO env steps 8192 (8.2%), FPS 4000, avg return 480.00 (last 40 episodes), ETA 00:00:20", 1.5)
    assert w.first_progress_s == 1.5 and not w.solved()  # 40 episodes only
    w("[09:00:02][1] INFO env steps 60416 (60.4%), FPS 4000, avg return 476.10 (last 100 episodes), ETA -", 9.0)
    assert w.solved() and (w.solved_s, w.solved_steps) == (9.0, 60416)


def test_peer_watchers():
    sb3 = solve_race.SolveWatcher(solve_race.SB3_RE)
    sb3("progress steps 256 avg nan n 0", 3.0)
    sb3("progress steps 65536 avg 475.5 n 100", 14.0)
    assert (sb3.first_progress_s, sb3.solved_s, sb3.solved_steps) == (3.0, 14.0, 65536)
    sf = solve_race.SfWatcher()
    sf("[2026-12-03 09:00:00,000][1] Fps is (10 sec: 14000.0). Total num frames: 180224. Throughput: 0: 14000.", 20.0)
    sf("[2026-12-03 09:00:00,001][1] Avg episode reward: [(0, '481.700')]", 20.1)
    assert (sf.first_progress_s, sf.solved_s, sf.solved_steps) == (20.0, 20.1, 180224)
    puffer = solve_race.SolveWatcher(solve_race.PUFFER_RE)
    puffer("progress steps 204800 avg 490.00 n 100 fps 9000", 30.0)
    assert puffer.solved_steps == 204800


def test_throughput_cli_has_the_peer_flags():
    import throughput

    args = throughput.parse_cli(["--puffer", "--time_to_solve", "--trainers", "sfc_defaults", "sb3"])
    assert args.puffer and args.time_to_solve and args.trainers == ["sfc_defaults", "sb3"]


def test_startup_probe_records_the_first_env_step(tmp_path):
    cmd = [sys.executable, "-m", "sf_curric.train", "--env=CartPole-v1", f"--train_dir={tmp_path}",
           "--experiment=s", "--train_for_env_steps=600", "--seed=1"]  # fmt: skip
    times = startup.time_command(cmd)
    assert 0 < times["first_env_step"] <= times["first_progress"] <= times["exit"]


PUFFER_PYTHON = ROOT / "benchmarks" / ".venv-puffer" / "bin" / "python"


@pytest.mark.skipif(
    not puffer_bench.has_pufferlib(),
    reason="benchmarks/.venv-puffer with pufferlib 2.0.2 is not installed (`python benchmarks/throughput.py --puffer`)",
)
def test_puffer_train_runs(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    cmd = [str(PUFFER_PYTHON), str(ROOT / "benchmarks" / "puffer_train.py"), "fps", "--seconds=3", "--budget=20000"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "progress steps" in out.stdout and "fps " in out.stdout
