"""Sample Factory 2.1.1, the throughput peer: its own virtual environment and the model flags that match ours.

Used by throughput.py and solve_race.py (docs/benchmarks.md; install notes in /work/shared/PEERS.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SF_VENV = ROOT / "benchmarks" / ".venv-sf"
SF_PYTHON = SF_VENV / "bin" / "python"
SF_NAME = "Sample Factory 2.1.1 (MLP 64-64 tanh)"
SF_SAME_MODEL = ["--encoder_mlp_layers", "64", "64", "--nonlinearity=tanh"]


def ensure_sample_factory() -> None:
    """Create benchmarks/.venv-sf with CPU torch first, then sample-factory 2.1.1 (torch pinned, never CUDA)."""
    if SF_PYTHON.exists() and subprocess.run([str(SF_PYTHON), "-c", "import sample_factory"]).returncode == 0:
        return
    print(f"installing Sample Factory 2.1.1 into {SF_VENV} (a few minutes)...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(SF_VENV)], check=True)
    pip = [str(SF_PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "torch==2.13.0"], check=True)
    subprocess.run([*pip, "sample-factory==2.1.1"], check=True)
