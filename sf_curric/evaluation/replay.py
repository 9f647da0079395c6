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
from sf_curric.cfg.population import policy_suffix
from sf_curric.envs.registry import make_env
from sf_curric.evaluation.args import DEFAULT_EPISODES_WITHOUT_WINDOW
from sf_curric.evaluation.episodes import EpisodeJob, EpisodeRecord, run_episodes
from sf_curric.evaluation.policy import EvaluationError, load_eval_config, load_policy
from sf_curric.evaluation.video import (
    DEFAULT_VIDEO_FPS,
    VIDEO_EXTRA_HINT,
    VideoDependencyError,
    VideoWriter,
    Window,
    display_available,
    render_offscreen,
)
from sf_curric.utils.ctrl_c import ctrl_c_requests

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


def episode_limit(cfg: argparse.Namespace, window_shown: bool) -> int | None:
    """How many episodes enjoy plays: `--max_num_episodes`, else unlimited while a window is shown (the user closes
    it or presses Ctrl-C, as in Sample Factory, whose default is 1e9) and `DEFAULT_EPISODES_WITHOUT_WINDOW` without
    one (a console or a video has nothing to close: the program must end by itself).

    Args:
        cfg: reads `--max_num_episodes`.
        window_shown: whether enjoy shows a window.
    """
    if cfg.max_num_episodes is not None:
        return int(cfg.max_num_episodes)
    return None if window_shown else DEFAULT_EPISODES_WITHOUT_WINDOW


def _jobs(cfg: argparse.Namespace, limit: int | None, window: Window | None) -> Iterator[EpisodeJob]:
    for episode in itertools.count():
        if (limit is not None and episode >= limit) or (window is not None and window.closed):
            return
        seed = None if cfg.seed is None else int(cfg.seed) + episode
        yield EpisodeJob("default", None, "default", episode, seed)


def video_path(cfg: argparse.Namespace) -> Path:
    """Where `--save_video` writes: `<experiment folder>/<--video_name or replay.mp4>` (".mp4" added if missing;
    replay_p<i>.mp4 for `--policy_index=i` > 0).

    Args:
        cfg: reads `--video_name`, `--train_dir`, `--experiment`.
    """
    name = cfg.video_name or DEFAULT_VIDEO_NAME.replace(".mp4", f"{policy_suffix(cfg)}.mp4")  # replay_p<i>.mp4
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
    """Play the experiment's policy for `--max_num_episodes` (default: `episode_limit`) / `--max_num_frames`.

    Ctrl-C ends the show after the episodes finished so far (the video keeps their frames).

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
    render_offscreen()  # no display: pygame draws CartPole's frames quietly
    try:
        window = Window(f"sf_curric: {cfg.experiment}", cfg.fps) if show else None
    except VideoDependencyError as e:
        raise EvaluationError(str(e)) from None
    env_config = {"worker_index": 0, "vector_index": 0, "env_id": 0}
    env = make_env(cfg, env_config, render_mode="rgb_array" if need_frames else None)
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

    episodes: list[EpisodeRecord] = []

    def finished(record: EpisodeRecord) -> None:
        episodes.append(record)
        if on_episode is not None:
            on_episode(record)

    try:
        policy = load_policy(cfg, env.observation_space, env.action_space)
        with ctrl_c_requests() as ctrl_c:
            try:
                run_episodes(
                    [env],
                    policy.model,
                    _jobs(cfg, episode_limit(cfg, window is not None), window),
                    deterministic=bool(cfg.deterministic),
                    training_info=policy.training_info,
                    on_frame=on_frame if need_frames else None,
                    on_episode=finished,
                    max_frames=cfg.max_num_frames,
                    should_stop=ctrl_c.is_set,
                )
            except KeyboardInterrupt:  # a second Ctrl-C, or one outside the main thread's handler
                ctrl_c.set()
            if ctrl_c.is_set():
                log.info("enjoy: stopped by Ctrl-C after %d finished episode(s)", len(episodes))
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
