"""jaxued (DramaCow/jaxued, UED in JAX) as a peer: its virtual environment, installed on first use.

PyPI has jaxued 0.0.1 only; it calls `jax.tree_map`, which jax >= 0.6 removed, so the venv pins jax[cpu] 0.5.3 and
the releases of its companions that work with it (flax 0.10.4, optax 0.2.4, chex 0.1.89, distrax 0.1.5, gymnax
0.0.8). The training scripts (examples/maze_plr.py, maze_dr.py) are not in the wheel: jaxued_train.py drives the
wheel's modules the same way, and record_jaxued_trajectories.py records its Maze for the equivalence test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict

HERE = Path(__file__).resolve().parent
JAXUED_VENV = HERE / ".venv-jaxued"
JAXUED_PYTHON = JAXUED_VENV / "bin" / "python"
JAXUED_PINS = [
    "jax[cpu]==0.5.3",
    "jaxued==0.0.1",
    "flax==0.10.4",
    "optax==0.2.4",
    "chex==0.1.89",
    "distrax==0.1.5",
    "gymnax==0.0.8",
]
# an import that proves the venv has every jaxued module the peer scripts use, at the pinned versions
JAXUED_CHECK = (
    "import jax, distrax, optax, flax; "
    "from jaxued.environments import Maze; "
    "from jaxued.environments.maze import Level, make_level_generator, make_level_mutator_minimax; "
    "from jaxued.level_sampler import LevelSampler; from jaxued.linen import ResetRNN; "
    "from jaxued.wrappers import AutoReplayWrapper, AutoResetWrapper; "
    "assert jax.__version__ == '0.5.3', jax.__version__"
)


def has_jaxued() -> bool:
    """Whether benchmarks/.venv-jaxued imports jaxued 0.0.1 on jax 0.5.3 with the modules the peer scripts use."""
    check = [str(JAXUED_PYTHON), "-c", JAXUED_CHECK]
    return JAXUED_PYTHON.exists() and subprocess.run(check, capture_output=True, env=jaxued_env()).returncode == 0


def ensure_jaxued() -> Path:
    """benchmarks/.venv-jaxued with jaxued 0.0.1 on jax[cpu] 0.5.3 (wheels, about a minute); returns its python."""
    if has_jaxued():
        return JAXUED_PYTHON
    print(f"installing jaxued 0.0.1 (jax[cpu] 0.5.3) into {JAXUED_VENV} (wheels: about a minute)...", flush=True)
    python311 = sys.executable if sys.version_info[:2] == (3, 11) else "python3.11"
    pip = [str(JAXUED_PYTHON), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    for cmd in ([python311, "-m", "venv", str(JAXUED_VENV)], [*pip, *JAXUED_PINS]):
        if subprocess.run(cmd).returncode != 0:
            raise RuntimeError(
                f"`{' '.join(cmd)}` failed: fix it by hand (python3.11 and the package registry are needed) or "
                f"delete {JAXUED_VENV} and retry"
            )
    if not has_jaxued():
        raise RuntimeError(f"{JAXUED_VENV} does not import jaxued 0.0.1 on jax 0.5.3: delete it and run again")
    return JAXUED_PYTHON


def jaxued_env() -> Dict[str, str]:
    """The environment of a jaxued process: this checkout's PYTHONPATH removed, JAX on the CPU, no wandb."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update({"JAX_PLATFORMS": "cpu", "WANDB_MODE": "disabled", "TF_CPP_MIN_LOG_LEVEL": "3"})
    return env
