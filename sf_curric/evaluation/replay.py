"""`enjoy(cfg)`: watch a trained policy play, in a window (when a display exists) and/or recorded to an mp4 file."""

from __future__ import annotations

import argparse
import itertools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import gymnasium as gym
import numpy as np
import torch

from sf_curric.cfg.experiment import experiment_dir
from sf_curric.envs.registry import make_env
from sf_curric.evaluation.episodes import EpisodeJob, EpisodeRecord, run_episodes
from sf_curric.evaluation.policy import EvaluationError, load_eval_config, load_policy
from sf_curric.evaluation.video import (
    DEFAULT_VIDEO_FPS,
    VIDEO_EXTRA_HINT,
    VideoDependencyError,
    VideoWriter,
    Window,
    display_available,
)

log = logging.getLogger("sf_curric")

DEFAULT_VIDEO_NAME = "replay.mp4"


@dataclass
class EnjoyResult:
    """What `enjoy` did.

    Attributes:
        episodes: the finished episodes.
        video_path: the mp4 file written (None without `--save_video`).
        video_frames: frames in it.
        checkpoint: the checkpoint that played.
        env_steps: env steps that checkpoint was trained for.
    """

    episodes: list[EpisodeRecord]
    video_path: Path | None
    video_frames: int
    checkpoint: Path
    env_steps: int


def _jobs(cfg: argparse.Namespace) -> Iterator[EpisodeJob]:
    for episode in itertools.count():
        if episode >= cfg.max_num_episodes:
            return
        seed = None if cfg.seed is None else int(cfg.seed) + episode
        yield EpisodeJob("default", None, "default", episode, seed)


def video_path(cfg: argparse.Namespace) -> Path:
    """Where `--save_video` writes: `<experiment folder>/<--video_name or replay.mp4>` (".mp4" added if missing).

    Args:
        cfg: reads `--video_name`, `--train_dir`, `--experiment`.
    """
    name = cfg.video_name or DEFAULT_VIDEO_NAME
    if not name.endswith(".mp4"):
        name += ".mp4"
    path = Path(name)
    return path if path.is_absolute() else experiment_dir(cfg) / path


def _frame(env: gym.Env, env_name: str) -> np.ndarray:
    try:
        frame = env.render()
    except gym.error.DependencyNotInstalled as e:  # e.g. pygame for CartPole's renderer
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise EvaluationError(
            f"env {env_name!r} cannot render ({reason}): install the extra, {VIDEO_EXTRA_HINT}"
        ) from None
    if frame is None:
        raise EvaluationError(
            f"env {env_name!r} returned no frame from render(): give its make_env_fn a render_mode parameter and "
            f"pass it on (gym.make(..., render_mode=render_mode)), or use --no_render without --save_video"
        )
    if isinstance(frame, list):  # render_mode="rgb_array_list"
        frame = frame[-1]
    return np.asarray(frame)


def enjoy(cfg: argparse.Namespace, on_episode: Callable[[EpisodeRecord], None] | None = None) -> EnjoyResult:
    """Play the experiment's policy for `--max_num_episodes` / `--max_num_frames`.

    Args:
        cfg: parsed with `parse_args(argv, evaluation=True)`; the experiment's config.json is merged in.
        on_episode: called with each finished episode (the CLI prints its return and length).

    Raises:
        EvaluationError: no experiment, no checkpoint, or an env that cannot render when frames are needed.

    Example:
        >>> from sf_curric.command_line import parse_args
        >>> enjoy(parse_args(["--experiment=demo", "--save_video", "--max_num_episodes=2"], evaluation=True))
    """
    cfg = load_eval_config(cfg)
    if cfg.seed is not None:
        torch.manual_seed(int(cfg.seed))
    show = display_available() and not cfg.no_render
    need_frames = show or cfg.save_video
    env_config = {"worker_index": 0, "vector_index": 0, "env_id": 0}
    env = make_env(cfg, env_config, render_mode="rgb_array" if need_frames else None)
    window = Window(f"sf_curric: {cfg.experiment}", cfg.fps) if show else None
    writer: VideoWriter | None = None
    if cfg.save_video:
        fps = cfg.fps or int(env.metadata.get("render_fps") or DEFAULT_VIDEO_FPS)
        try:
            writer = VideoWriter(video_path(cfg), fps, cfg.video_frames)
        except VideoDependencyError as e:
            env.close()
            raise EvaluationError(str(e)) from None

    def on_frame(_: int, e: gym.Env) -> None:
        frame = _frame(e, cfg.env)
        if window is not None:
            window.show(frame)
        if writer is not None:
            writer.add(frame)

    try:
        policy = load_policy(cfg, env.observation_space, env.action_space)
        episodes = run_episodes(
            [env],
            policy.model,
            _jobs(cfg),
            deterministic=bool(cfg.deterministic),
            training_info=policy.training_info,
            on_frame=on_frame if need_frames else None,
            on_episode=on_episode,
            max_frames=cfg.max_num_frames,
        )
    finally:
        if writer is not None:
            writer.close()
        if window is not None:
            window.close()
        env.close()
    frames = writer.num_frames if writer is not None else 0
    if writer is not None and frames == 0:
        raise EvaluationError("no frame was recorded: raise --max_num_frames / --video_frames")
    return EnjoyResult(episodes, writer.path if writer else None, frames, policy.checkpoint_path, policy.env_steps)


def describe_episode(record: EpisodeRecord) -> str:
    """One line per episode for the terminal.

    Args:
        record: a finished episode.
    """
    extra: dict[str, Any] = {}
    if record.task_completion is not None:
        extra["task_completion"] = round(record.task_completion, 3)
    suffix = "".join(f", {k} {v}" for k, v in extra.items())
    return f"episode {record.job.episode}: return {record.episode_return:.2f}, length {record.episode_length}{suffix}"
