"""benchmarks/readme_figures.py on a short budget: it runs the README's quick-start command and reads the env steps
and average returns from the real progress lines (the 300k-step measurement itself is a benchmark, not a test)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import readme_figures  # noqa: E402  (benchmarks/ is not a package)


def test_a_short_quick_start_run_is_read_back(capsys):
    assert readme_figures.main(["--seeds", "1", "--train_for_env_steps=6144"]) == 0
    out = capsys.readouterr().out
    # three iterations of CartPole's 2048 samples: the last progress line was read; no target reached so early
    row = re.search(r"\| 1 \| - \| - \| ([\d.]+) \(6k\) \| [\d.]+ \|", out)
    assert row and 9.0 < float(row.group(1)) < 475.0, out
    assert "avg 475: 0 of 1 seeds" in out and "load average" in out
    assert "--train_for_env_steps=6144 --seed=S" in out  # the command as run
