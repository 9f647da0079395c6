"""The pixel section of benchmarks/throughput.py: both trainers see the same Breakout, and the section runs (slow).

Skipped where ale-py is not installed (here or in benchmarks/.venv-ale) or Sample Factory's venv is missing; the
tests never install anything.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SF_PYTHON = ROOT / "benchmarks" / ".venv-sf" / "bin" / "python"
ALE_PYTHON = ROOT / "benchmarks" / ".venv-ale" / "bin" / "python"

# Steps a fixed random action sequence through the pixel env (CHW and HWC) and prints a digest of all frames.
TRAJECTORY_DIGEST = """
import hashlib, sys
import numpy as np
sys.path.insert(0, "benchmarks")
from pixel_env import make_breakout
digests = []
for channels_last in (False, True):
    env = make_breakout(channels_last=channels_last)
    obs, _ = env.reset(seed=3)
    rng = np.random.default_rng(0)
    digest, total = hashlib.sha1(), 0.0
    for _ in range(150):
        obs, reward, terminated, truncated, _ = env.step(int(rng.integers(env.action_space.n)))
        chw = np.moveaxis(obs, -1, 0) if channels_last else obs
        digest.update(np.ascontiguousarray(chw).tobytes())
        total += reward
        if terminated or truncated:
            obs, _ = env.reset()
    digests.append(f"{digest.hexdigest()} {total} {obs.shape} {obs.dtype}")
print(digests[0].split()[0] == digests[1].split()[0], digests[0])
"""


def _ale_python() -> str:
    if importlib.util.find_spec("ale_py") is not None:
        return sys.executable
    if ALE_PYTHON.exists():
        return str(ALE_PYTHON)
    pytest.skip("ale-py is not installed and benchmarks/.venv-ale does not exist")


def _digest(python: str) -> str:
    out = subprocess.run([python, "-c", TRAJECTORY_DIGEST], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_both_venvs_step_the_same_breakout():
    """Same seed and actions: bit-identical frames under ale-py 0.12/gymnasium 1.x and SF's ale-py 0.9/gymnasium
    0.29, and the HWC frames (sf_curric) are the CHW frames (Sample Factory) transposed."""
    ours = _digest(_ale_python())
    assert ours.startswith("True "), ours
    assert "(4, 84, 84) uint8" in ours  # the last observation of the CHW pass
    if not SF_PYTHON.exists():
        pytest.skip("Sample Factory's venv benchmarks/.venv-sf is missing")
    assert _digest(str(SF_PYTHON)) == ours


@pytest.mark.slow  # two trainer start-ups: ~30 s on the shared 2-core machine
def test_pixel_learning_section_runs_sf_curric_and_passes_extra_flags():
    python = _ale_python()
    base = [python, "benchmarks/throughput.py", "--pixels", "--skip_cartpole", "--skip_sampling", "--skip_sf"]
    small = ["--num_workers=1", "--pixel_envs_per_worker=4", "--pixel_frames=256", "--timeout=120"]
    out = subprocess.run([*base, *small], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "sf_curric (async, local CPU inference) seed 1:" in out.stdout and "(exit 0)" in out.stdout, out.stdout
    assert "| sf_curric (async, local CPU inference) |" in out.stdout
    assert "1 workers x 4 envs, 256 env steps" in out.stdout

    # --sf_curric_args reaches the trainer: an unknown flag makes sf_curric's own parser fail
    out = subprocess.run(
        [*base, *small, "--sf_curric_args=--no_such_flag=1"], cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    assert "unrecognized arguments: --no_such_flag=1" in out.stdout, out.stdout
    assert "(exit 2)" in out.stdout
