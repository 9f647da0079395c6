"""benchmarks/soak.py end to end (slow: minutes of faults): no injected fault fails the run (each is handled, or the
soak's own stop came first), no checkpoint is bad, every session ends by the soak's own signal, and the curriculum
never counts more episodes than envs finished."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_a_short_soak_survives_what_it_injects(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "soak.py"), "--minutes=2", f"--work_dir={tmp_path / 'soak'}",
         "--session_sec", "20", "30", "--seed=5"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    table = out.stdout
    rows = re.findall(r"^\| ([^|]+?) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$", table, re.M)
    assert len(rows) == 8, table
    for kind, injected, handled, stop_first, failed in rows:
        assert int(failed) == 0 and int(handled) + int(stop_first) == int(injected), f"{kind}\n{table}"
    assert "| checkpoints loaded back and SHA-256 verified / bad |" in table and " / 0 |" in table
    assert re.search(r"sessions that ended other than by the soak's signal \| 0 \|", table), table
    finished, counted = map(lambda s: int(s.replace(",", "")), re.search(
        r"finished by envs / counted by the curriculum \| ([\d,]+) / ([\d,]+) \|", table).groups())  # fmt: skip
    assert 0 < counted <= finished
