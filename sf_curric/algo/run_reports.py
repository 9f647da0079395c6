"""What a `Runner` reports while it trains: its tensorboard scalars (and closing their writer), the progress line and
the time per phase."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from sf_curric.algo.ppo import logged_as_losses
from sf_curric.cfg.budget import eta_seconds, format_eta, training_progress
from sf_curric.tracking.curriculum_status import curriculum_suffix
from sf_curric.utils.timing import PhaseTimer

log = logging.getLogger("sf_curric")


def close_writer(writer: Any) -> None:
    """Close the tensorboard writer; on a full disk that is a warning, and its exit hook is not retried."""
    try:
        writer.close()
    except OSError as e:
        log.warning("could not finish the tensorboard files (%s)", e.strerror or e)
        for file_writer in getattr(writer, "all_writers", {}).values():
            file_writer.event_writer._closed = True  # tensorboardX's atexit hook would fail the same way again


def write_summaries(runner: Any) -> None:
    """The runner's scalars at its env steps: returns, losses, timings, the curriculum's and the sampler's."""
    w, step = runner.writer, runner.env_steps
    if runner.stats.returns:
        w.add_scalar("charts/episodic_return", runner.stats.avg_return(), step)
        w.add_scalar("charts/episodic_length", float(np.mean(runner.stats.lengths)), step)
    if runner.stats.task_completion:
        w.add_scalar("charts/task_completion", float(np.mean(runner.stats.task_completion)), step)
    w.add_scalar("charts/FPS", runner.fps_meter.rate(), step)
    w.add_scalar("train/nonfinite_returns", runner.stats.num_nonfinite_returns, step)  # episodes kept out
    for key, values in runner.stats.custom.items():
        w.add_scalar(key, float(np.mean(values)), step)
    losses = logged_as_losses()
    for key, value in runner.last_train_stats.items():
        if not np.isfinite(value):  # a batch with nothing to train on (Robust PLR, ACCEL) has no losses
            continue
        if key == "learning_rate":
            w.add_scalar("charts/learning_rate", value, step)
        elif key in losses:
            w.add_scalar(f"losses/{key}", value, step)
        else:
            w.add_scalar(f"train/{key}", value, step)
    for phase, seconds in phase_totals(runner).items():
        w.add_scalar(f"perf/{phase}_sec", seconds, step)
    if runner.curriculum_host is not None:
        runner.curriculum_host.log(w, step)
    sampler_stats = getattr(runner.sampler, "stats", None)  # optional: e.g. policy lag of the parallel sampler
    if sampler_stats is not None:
        for key, value in sampler_stats().items():
            w.add_scalar(f"perf/{key}", value, step)


def phase_totals(runner: Any) -> dict[str, float]:
    """Seconds per phase so far."""
    # the runner's own phases (get_batch, learn) and the sampler's (env_step, inference, ...): in serial mode
    # the sampler's phases are part of get_batch
    totals = dict(runner.timer.totals)
    totals.update({f"sampler_{k}": v for k, v in runner.sampler.timing().items()})
    return totals


def progress_line(runner: Any) -> None:
    """Log the progress line (env steps, FPS, average return, ETA, the curriculum's state)."""
    cfg = runner.cfg
    fps = runner.fps_meter.rate()
    seconds = runner._train_seconds_now()
    episodes = len(runner.stats.returns)
    returns = f"avg return {runner.stats.avg_return():.2f} (last {episodes} episodes)" if episodes else (
        "no episode finished yet")  # fmt: skip
    log.info(
        "%senv steps %d (%.1f%%), FPS %.0f, %s, ETA %s%s",
        runner._name(),
        runner.env_steps,
        100.0 * training_progress(cfg, runner.env_steps, seconds),
        fps,
        returns,
        format_eta(eta_seconds(cfg, runner.env_steps, seconds, fps)),
        curriculum_suffix(runner.curriculum_host),
    )


def timing_line(runner: Any) -> str:
    """The time per phase of the runner and of its sampler, for its last log line."""
    sampler = PhaseTimer()
    for phase, seconds in runner.sampler.timing().items():
        sampler.add(phase, seconds)
    return f"{runner.timer.summary()}; sampler: {sampler.summary()}"
