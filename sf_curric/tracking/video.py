"""Videos during training: one episode of a policy snapshot, written as mp4 with `sf_curric.evaluation.video`'s
`VideoWriter` (the file enjoy writes too) plus a small GIF for tensorboard, whose image dashboard plays GIFs but not
mp4. The summary writer decides where it goes (`log_video`): tensorboard gets the GIF, wandb the mp4."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("sf_curric")

GIF_MAX_FRAMES = 150  # tensorboard GIFs are subsampled to this many frames ...
GIF_MAX_WIDTH = 320  # ... and shrunk to this width, to keep event files small


def _gif_bytes(frames: list[np.ndarray], fps: int) -> bytes | None:
    """The frames as a looping GIF (subsampled to `GIF_MAX_FRAMES`, shrunk to `GIF_MAX_WIDTH`), encoded by OpenCV's
    `imencodeanimation` (OpenCV >= 4.11, a core requirement); None for no frames."""
    import cv2

    if not frames:
        return None
    stride = max(1, int(np.ceil(len(frames) / GIF_MAX_FRAMES)))
    picked = frames[::stride]
    height, width = picked[0].shape[:2]
    scale = min(1.0, GIF_MAX_WIDTH / width)
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    animation = cv2.Animation()
    animation.frames = [cv2.resize(np.ascontiguousarray(f[..., 2::-1]), size) for f in picked]  # RGB -> BGR
    animation.durations = [int(1000 * stride / max(1, fps))] * len(picked)
    ok, buf = cv2.imencodeanimation(".gif", animation)
    return bytes(buf) if ok else None


def record_episode(
    cfg: argparse.Namespace, snapshot: str, output_dir: Path, env_steps: int
) -> tuple[Path, Path | None, int]:
    """Play one episode of the snapshot's policy and write `<output_dir>/episode_<env_steps>.mp4` (and a .gif).

    Args:
        cfg: the training run's config (reads the model flags, `--env`, `--video_max_frames`, `--seed`).
        snapshot: the checkpoint file of the policy.
        output_dir: the videos folder.
        env_steps: env steps of the policy (in the file name).

    Returns:
        (mp4 path, GIF path (None for an episode without frames), frames per second).

    Raises:
        ValueError: the env renders no frames (its make_env_fn must pass render_mode on).
    """
    from sf_curric.envs.registry import make_env
    from sf_curric.evaluation.episodes import EpisodeJob, run_episodes
    from sf_curric.evaluation.policy import load_policy
    from sf_curric.evaluation.video import DEFAULT_VIDEO_FPS, VideoWriter, render_offscreen

    render_offscreen()  # before pygame starts: no "XDG_RUNTIME_DIR is invalid" line during training
    env = make_env(cfg, {"worker_index": 0, "vector_index": 0, "env_id": 0, "evaluation": True},
                   render_mode="rgb_array")  # fmt: skip
    frames: list[np.ndarray] = []
    path = Path(output_dir) / f"episode_{env_steps:012d}.mp4"
    try:
        fps = int(env.metadata.get("render_fps") or DEFAULT_VIDEO_FPS)
        writer = VideoWriter(path, fps, cfg.video_max_frames)

        def on_frame(_: int, e: Any) -> None:
            if len(frames) >= cfg.video_max_frames:
                return
            try:
                frame = e.render()
            except NotImplementedError:
                frame = None
            if isinstance(frame, list):  # render_mode="rgb_array_list"
                frame = frame[-1] if frame else None
            if frame is None:
                raise ValueError(
                    f"env {cfg.env!r} renders no frames: give its make_env_fn a render_mode parameter and pass it on"
                )
            frame = np.asarray(frame)
            frames.append(frame)
            writer.add(frame)

        policy = load_policy(cfg, env.observation_space, env.action_space, checkpoint_path=snapshot)
        seed = (0 if cfg.seed is None else int(cfg.seed)) + env_steps
        job = EpisodeJob("video", None, "default", 0, seed % (2**31 - 1))
        try:
            run_episodes([env], policy.model, [job], training_info=policy.training_info, on_frame=on_frame,
                         max_frames=cfg.video_max_frames)  # fmt: skip
        finally:
            writer.close()
    finally:
        env.close()
    gif = _gif_bytes(frames, fps)
    gif_path = None
    if gif is not None:
        gif_path = path.with_suffix(".gif")
        gif_path.write_bytes(gif)
    return path, gif_path, fps


def log_video(writer: Any, tag: str, mp4: str, gif: str | None, fps: int, step: int) -> None:
    """Log a recorded episode: a writer with `add_video_file` (the wandb tee) gets both files; a tensorboardX writer
    gets the GIF as an image summary.

    Args:
        writer: the run's summary writer.
        tag: e.g. "videos/episode".
        mp4: the mp4 file.
        gif: the GIF file (None: nothing for tensorboard).
        fps: frames per second.
        step: env steps of the policy.
    """
    add_video_file = getattr(writer, "add_video_file", None)
    if add_video_file is not None:
        add_video_file(tag, mp4, gif, fps, step)
        return
    add_gif(writer, tag, gif, step)


def add_gif(writer: Any, tag: str, gif: str | None, step: int) -> None:
    """Write a GIF file as a tensorboard image summary (tensorboard plays it)."""
    get_file_writer = getattr(writer, "_get_file_writer", None)
    if gif is None or get_file_writer is None:
        return
    import cv2
    from tensorboardX.proto.summary_pb2 import Summary

    data = Path(gif).read_bytes()
    first = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    height, width = (first.shape[:2]) if first is not None else (0, 0)
    image = Summary.Image(height=height, width=width, colorspace=3, encoded_image_string=data)
    get_file_writer().add_summary(Summary(value=[Summary.Value(tag=tag, image=image)]), step)
