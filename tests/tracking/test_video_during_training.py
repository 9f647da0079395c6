"""--video_every_env_steps: one episode per interval as an mp4 in <experiment>/videos, a GIF in tensorboard and the
mp4 in wandb (offline), at the snapshot's env steps."""

import glob

import pytest

from sf_curric.train import run

pytest.importorskip("wandb", reason='pip install -e ".[wandb]"')
pytest.importorskip("tensorboard", reason='pip install -e ".[tensorboard]"')
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from tests.tracking.wandb_files import OfflineRun  # noqa: E402

pytestmark = pytest.mark.heavy  # the test-heavy extra: CI's second step


def test_videos_reach_disk_tensorboard_and_wandb(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.delenv("DISPLAY", raising=False)
    run([
        "--env=CartPole-v1", f"--train_dir={tmp_path}", "--experiment=v", "--serial_mode=True", "--num_workers=1",
        "--num_envs_per_worker=8", "--batch_size=256", "--train_for_env_steps=2048", "--video_every_env_steps=1000",
        "--video_max_frames=60", "--with_wandb=True", "--seed=1",
    ])  # fmt: skip
    exp_dir = tmp_path / "v"
    expected = [1024, 2048]  # first iteration (256 env steps each) at or after 1000 and 2000
    mp4s = sorted((exp_dir / "videos").glob("episode_*.mp4"))
    assert [int(p.stem.split("_")[1]) for p in mp4s] == expected
    assert all(p.stat().st_size > 1000 for p in mp4s)
    acc = EventAccumulator(str(exp_dir / "tensorboard"), size_guidance={"images": 0})
    acc.Reload()
    gifs = acc.Images("videos/episode")
    assert [e.step for e in gifs] == expected
    assert all(e.encoded_image_string[:6] == b"GIF89a" for e in gifs)
    (run_dir,) = glob.glob(str(exp_dir / "wandb" / "offline-run-*"))
    offline = OfflineRun(run_dir)
    videos = offline.media("videos/episode")
    assert [step for step, _ in videos] == expected
    for _, desc in videos:
        assert desc["_type"] == "video-file" and (offline.dir / "files" / desc["path"]).stat().st_size > 1000
