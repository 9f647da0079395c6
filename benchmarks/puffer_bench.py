"""PufferLib 2.0.2 as a benchmark peer: its virtual environment and its CartPole run (benchmarks/puffer_train.py).

PufferLib gets its own venv, benchmarks/.venv-puffer (python3.11), with CPU torch==2.13.0 installed first (so pip
never resolves a CUDA build), then pufferlib==2.0.2: the newest release with a cp311 manylinux wheel (3.0.0 is
source only and downloads raylib from GitHub while building). Its pins come with it as wheels: numpy 1.23.3,
gymnasium 0.29.1, gym 0.23.0 (built from its sdist, pure Python), pettingzoo 1.24.1, shimmy 1.3.0,
opencv-python 3.4.17.63, psutil 5.9.5, cython, rich, pynvml, imageio. The wheel has no trainer: puffer_train.py
is a CleanRL-style PPO loop on PufferLib's emulation and vector modules (its docstring says what it follows).
"""

import subprocess
import sys
from pathlib import Path
from typing import Dict, List

HERE = Path(__file__).resolve().parent
PUFFER_VENV = HERE / ".venv-puffer"
PUFFER_PYTHON = PUFFER_VENV / "bin" / "python"
PUFFER_TRAIN = HERE / "puffer_train.py"
PUFFER_VERSION = "2.0.2"
PUFFER_NAME = "PufferLib 2.0.2 (MLP 64-64 tanh, Serial vector env x 64 envs, CleanRL-style PPO on CPU)"
# `import` that proves the venv has every PufferLib module puffer_train.py uses, at the pinned version
PUFFER_CHECK = (
    "import pufferlib, pufferlib.cleanrl, pufferlib.emulation, pufferlib.pytorch, pufferlib.vector; "
    f"assert pufferlib.__version__ == '{PUFFER_VERSION}', pufferlib.__version__"
)
# puffer_train.py's line after every update
PUFFER_FPS_RE = r"progress steps \d+ avg \S+ n \d+ fps ([0-9.]+)"
PUFFER_FRAMES_RE = r"progress steps (\d+)"
PUFFER_REWARD_RE = r"progress steps \d+ avg (-?[0-9.]+) n 100\b"


def has_pufferlib() -> bool:
    """Whether benchmarks/.venv-puffer imports pufferlib 2.0.2 with the modules puffer_train.py uses."""
    check = [str(PUFFER_PYTHON), "-c", PUFFER_CHECK]
    return PUFFER_PYTHON.exists() and subprocess.run(check, capture_output=True).returncode == 0


def ensure_pufferlib() -> Path:
    """benchmarks/.venv-puffer with torch==2.13.0 (CPU) first, then pufferlib==2.0.2; returns its python."""
    if has_pufferlib():
        return PUFFER_PYTHON
    print(f"installing PufferLib {PUFFER_VERSION} into {PUFFER_VENV} (wheels: about a minute)...", flush=True)
    pip = [str(PUFFER_PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    python311 = sys.executable if sys.version_info[:2] == (3, 11) else "python3.11"  # the wheel is cp311
    venv = [python311, "-m", "venv", str(PUFFER_VENV)]
    for cmd in (venv, [*pip, "torch==2.13.0"], [*pip, f"pufferlib=={PUFFER_VERSION}"]):
        if subprocess.run(cmd).returncode != 0:
            raise RuntimeError(f"`{' '.join(cmd)}` failed: fix it by hand (python3.11 and the package registry are "
                               f"needed) or delete {PUFFER_VENV} and retry; or leave out --puffer")  # fmt: skip
    if not has_pufferlib():
        raise RuntimeError(f"{PUFFER_VENV} does not import pufferlib {PUFFER_VERSION}: delete it and run again")
    return PUFFER_PYTHON


def puffer_command(seed: int, budget: int) -> List[str]:
    """The command of one PufferLib learning run on CartPole-v1 (budget: env steps and the lr schedule's length)."""
    return [str(ensure_pufferlib()), "-u", str(PUFFER_TRAIN), "solve", f"--seed={seed}", f"--budget={budget}"]


def puffer_env() -> Dict[str, str]:
    """The environment of a PufferLib run: this checkout's PYTHONPATH removed."""
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
