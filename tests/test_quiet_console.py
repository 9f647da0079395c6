"""A successful run prints nothing that reads as an error: no torch or tensorboardX NaN warnings while ACCEL's first
batches train on nothing, no `nan` average before the first episode, no SDL `error: XDG_RUNTIME_DIR` line when
enjoy renders a video without a display."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALARMING = ("error", "warning", "nan", "NaN", "Traceback", "degrees of freedom")


def _run(tmp_path, *argv):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "SDL_VIDEODRIVER", "SDL_AUDIODRIVER"):
        env.pop(name, None)  # a headless machine, as CI's
    result = subprocess.run([sys.executable, "-m", *argv], cwd=tmp_path, env=env, capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout + result.stderr


def _alarming_lines(output):
    return [line for line in output.splitlines() if any(word in line for word in ALARMING)]


def test_accel_first_batches_print_no_nan_warnings(tmp_path):
    # ACCEL scores new levels before training on them: the first batches have no trained step and no losses
    output = _run(tmp_path, "sf_curric.train", "--env=maze_levels", "--curriculum=accel", "--experiment=accel",
                  "--train_for_env_steps=4096", "--progress_interval_sec=0.01")  # fmt: skip
    assert "env steps" in output and not _alarming_lines(output), _alarming_lines(output)


@pytest.mark.heavy
def test_enjoy_video_without_a_display_prints_no_sdl_error(tmp_path):
    pytest.importorskip("imageio_ffmpeg", reason='the video extra: pip install -e ".[video]"')
    _run(tmp_path, "sf_curric.train", "--env=CartPole-v1", "--experiment=cp", "--train_for_env_steps=2048")
    output = _run(tmp_path, "sf_curric.enjoy", "--experiment=cp", "--save_video", "--max_num_episodes=1")
    assert "video: train_dir/cp/replay.mp4" in output
    assert not _alarming_lines(output), _alarming_lines(output)
    assert "pygame" not in output  # nor its banner
