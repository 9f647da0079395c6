"""The MiniGrid race reads each trainer's output against the 0.9 target, and its peer children are valid Python
(the race itself is a benchmark, not a test; it installs the peers' venvs on first use)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import minigrid_race  # noqa: E402  (benchmarks/ is not a package)
import solve_race  # noqa: E402


def test_watchers_stop_at_the_minigrid_target():
    sfc = solve_race.SolveWatcher(solve_race.SFC_RE, minigrid_race.TARGET)
    sfc("[01:00:00][1] INFO env steps 30720 (3.1%), FPS 500, avg return 0.89 (last 100 episodes), ETA 00:30:00", 60.0)
    assert not sfc.solved()
    sfc("[01:00:01][1] INFO env steps 32768 (3.3%), FPS 500, avg return 0.91 (last 100 episodes), ETA 00:30:00", 64.0)
    assert (sfc.solved_s, sfc.solved_steps) == (64.0, 32768)
    sb3 = solve_race.SolveWatcher(solve_race.SB3_RE, minigrid_race.TARGET)
    sb3("progress steps 40960 avg 0.899 n 100", 80.0)  # three decimals: 0.899 is not rounded up to 0.90
    assert not sb3.solved()
    sf = solve_race.SfWatcher(minigrid_race.TARGET)
    sf("[2026-12-03 09:00:00,000][1] Fps is (10 sec: 900.0). Total num frames: 49152. Throughput: 0: 900.", 90.0)
    sf("[2026-12-03 09:00:00,001][1] Avg episode reward: [(0, '0.905')]", 90.1)
    assert (sf.solved_s, sf.solved_steps) == (90.1, 49152)


def test_peer_children_parse():
    for code in (minigrid_race.SB3_CHILD, minigrid_race.SF_CHILD):
        ast.parse(code)
