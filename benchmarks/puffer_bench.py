"""PufferLib 3.0 as a benchmark peer: its virtual environment and its CartPole run (benchmarks/puffer_train.py).

PufferLib is a 60.7 MB source distribution that compiles at install; it gets its own venv, benchmarks/.venv-puffer,
with CPU torch==2.13.0 installed first (so pip never pulls a CUDA build). There is no wheel of any version, and
3.0.0's setup.py downloads raylib from GitHub while building: on a machine that reaches only package registries
the install fails (what happened in the session that wrote this; the runner is untested against PufferLib).
"""

import subprocess
import sys
from pathlib import Path
from typing import Dict, List

HERE = Path(__file__).resolve().parent
PUFFER_VENV = HERE / ".venv-puffer"
PUFFER_PYTHON = PUFFER_VENV / "bin" / "python"
PUFFER_TRAIN = HERE / "puffer_train.py"
PUFFER_NAME = "PufferLib 3.0 (MLP 64-64 tanh, 2 workers x 32 envs, its PPO on CPU)"
# puffer_train.py's line after every training epoch
PUFFER_FPS_RE = r"progress steps \d+ avg \S+ n \d+ fps ([0-9.]+)"
PUFFER_FRAMES_RE = r"progress steps (\d+)"
PUFFER_REWARD_RE = r"progress steps \d+ avg (-?[0-9.]+) n 100\b"


def ensure_pufferlib() -> Path:
    """benchmarks/.venv-puffer with torch==2.13.0 (CPU) first, then pufferlib==3.0.0; returns its python."""
    check = [str(PUFFER_PYTHON), "-c", "import pufferlib.pufferl"]
    if PUFFER_PYTHON.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return PUFFER_PYTHON
    print(f"installing PufferLib 3.0.0 into {PUFFER_VENV} (compiles: several minutes)...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(PUFFER_VENV)], check=True)
    pip = [str(PUFFER_PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "torch==2.13.0"], check=True)
    if subprocess.run([*pip, "pufferlib==3.0.0"]).returncode != 0:
        raise RuntimeError(
            "pufferlib 3.0.0 did not install: it has no wheel, and its setup.py downloads raylib from GitHub while "
            "building (a machine that reaches only package registries cannot build it); leave out --puffer"
        )
    return PUFFER_PYTHON


def puffer_command(seed: int, budget: int) -> List[str]:
    """The command of one PufferLib learning run on CartPole-v1."""
    return [str(ensure_pufferlib()), "-u", str(PUFFER_TRAIN), "solve", f"--seed={seed}", f"--budget={budget}"]


def puffer_env() -> Dict[str, str]:
    """The environment of a PufferLib run: this checkout's PYTHONPATH removed."""
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
