"""End to end through the command line: train CartPole briefly, then enjoy (video, no display) and eval (JSON)."""

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sf_curric.errors import install_command

ROOT = Path(__file__).resolve().parents[2]


def _run(module, *args, timeout=180):
    env = dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy")
    env.pop("DISPLAY", None)  # this machine has no display: enjoy must not try to open a window
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    train_dir = tmp_path_factory.mktemp("train_dir")
    result = _run(
        "sf_curric.train",
        "--env=CartPole-v1",
        f"--train_dir={train_dir}",
        "--experiment=cp",
        "--serial_mode=True",
        "--train_for_env_steps=3072",
        "--seed=1",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return train_dir


def _t975(df):
    try:
        from scipy import stats
    except ImportError:  # two-sided 95 % critical values from a t table
        return {11: 2.200985, 7: 2.364624}[df]
    return float(stats.t.ppf(0.975, df))


@pytest.mark.heavy
def test_enjoy_writes_an_h264_video_at_the_asked_fps(trained):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")

    result = _run(
        "sf_curric.enjoy",
        f"--train_dir={trained}",
        "--experiment=cp",
        "--max_num_episodes=2",
        "--save_video",
        "--video_name=clip",
        "--fps=25",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("episode ")]
    assert len(lines) == 2, result.stdout
    lengths = [int(line.rsplit("length ", 1)[1].split(",")[0]) for line in lines]
    returns = [float(line.split("return ", 1)[1].split(",")[0]) for line in lines]
    assert returns == [float(n) for n in lengths]  # CartPole: reward 1 per step

    video = trained / "cp" / "clip.mp4"
    assert video.is_file()
    assert f"video: {video} ({sum(lengths) + len(lengths)} frames)" in result.stdout
    reader = imageio_ffmpeg.read_frames(str(video))
    meta = next(reader)
    assert meta["fps"] == pytest.approx(25.0)
    assert meta["codec"].startswith("h264"), meta  # H.264: browsers play it (mp4v they do not)
    frames = [np.frombuffer(f, np.uint8).reshape(400, 600, 3) for f in reader]
    # one frame after each reset and one after each step
    assert len(frames) == sum(lengths) + len(lengths)


@pytest.mark.heavy
def test_video_decodes_with_ffmpeg_to_the_frame_count(trained):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    result = _run(
        "sf_curric.enjoy", f"--train_dir={trained}", "--experiment=cp", "--max_num_episodes=3", "--save_video",
        "--video_name=three", "--seed=5",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    lengths = [int(line.rsplit("length ", 1)[1].split(",")[0]) for line in result.stdout.splitlines()
               if line.startswith("episode ")]  # fmt: skip
    reader = imageio_ffmpeg.read_frames(str(trained / "cp" / "three.mp4"))
    meta = next(reader)
    assert meta["codec"].startswith("h264") and meta["size"] == (600, 400), meta
    frames = list(reader)
    assert len(frames) == sum(lengths) + 3 and len(frames[0]) == 600 * 400 * 3


@pytest.mark.parametrize("missing", ["pygame", "imageio_ffmpeg"])
def test_missing_video_dependency_is_one_line_naming_the_extra(trained, missing):
    # the package is hidden from this process only: `import pygame` raises ImportError as on a bare install
    code = f"import sys; sys.modules[{missing!r}] = None; from sf_curric.enjoy import main; sys.exit(main())"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("DISPLAY", None)
    result = subprocess.run(
        [sys.executable, "-c", code, f"--train_dir={trained}", "--experiment=cp", "--save_video",
         "--max_num_episodes=1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    line = result.stderr.strip().splitlines()[-1]  # the lines before it are the log
    assert line.startswith("sf_curric.enjoy: error:") and install_command("video") in line, line


def test_eval_json_matches_its_episodes(trained, tmp_path):
    out = tmp_path / "eval_out"
    result = _run(
        "sf_curric.eval",
        f"--train_dir={trained}",
        "--experiment=cp",
        "--eval_tasks=train",
        "--eval_num_episodes=12",
        "--eval_num_envs=5",
        "--seed=3",
        f"--eval_output={out}",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "95% interval" in result.stdout and "default" in result.stdout
    data = json.loads((out / "eval.json").read_text())
    episodes = data["episodes"]
    assert len(episodes) == 12
    returns = np.array([e["episode_return"] for e in episodes])
    assert np.array_equal(returns, [e["episode_length"] for e in episodes])
    group = data["groups"]["default"]
    assert group["n"] == 12
    assert group["mean"] == pytest.approx(returns.mean(), rel=1e-12)
    assert group["std"] == pytest.approx(returns.std(ddof=1), rel=1e-12)
    half = _t975(11) * returns.std(ddof=1) / math.sqrt(12)
    assert group["ci95_low"] == pytest.approx(returns.mean() - half, rel=1e-6)
    assert group["ci95_high"] == pytest.approx(returns.mean() + half, rel=1e-6)

    # deterministic given --seed: the same command in this process gives the same episodes (sampled actions)
    from sf_curric import eval as eval_cli

    again = eval_cli.run(
        [
            f"--train_dir={trained}",
            "--experiment=cp",
            "--eval_tasks=train",
            "--eval_num_episodes=12",
            "--eval_num_envs=5",
            "--seed=3",
            f"--eval_output={tmp_path / 'again'}",
        ]
    )
    assert [e["episode_return"] for e in again.data["episodes"]] == returns.tolist()

    with open(out / "eval_episodes.csv") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["episode_return"]) for r in rows] == returns.tolist()
    with open(out / "eval_summary.csv") as f:
        (summary,) = list(csv.DictReader(f))
    assert summary["group"] == "default" and int(summary["n"]) == 12
    assert float(summary["mean"]) == pytest.approx(returns.mean())


def test_errors_are_one_line_that_name_the_fix(trained, tmp_path, capsys):
    from sf_curric import enjoy
    from sf_curric import eval as eval_cli

    with pytest.raises(SystemExit) as exit_info:
        enjoy.run([f"--train_dir={trained}", "--experiment=nope"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "train first" in err

    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit) as exit_info:
        eval_cli.run(["--env=CartPole-v1", f"--train_dir={tmp_path}", "--experiment=empty"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().count("\n") == 0 and "no latest checkpoint" in err

    with pytest.raises(SystemExit):
        eval_cli.run([f"--train_dir={trained}", "--experiment=cp", "--test_tasks=5:3"])
    err = capsys.readouterr().err
    assert "START:STOP" in err or "no task space" in err
