"""The evaluation process of a training run: evaluates checkpoint snapshots and records videos, one at a time.

It runs `sf_curric.evaluation.evaluate.evaluate` on each snapshot, with the same flags as
`python -m sf_curric.eval --eval_tasks=all` (see `eval_argv`): the same task groups, episode seeds and numbers. It
lowers its own priority (nice 19) so the trainer's processes keep the CPU; evaluation finishes later under load,
training does not slow down. Messages are small dataclasses; weights travel as files.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("sf_curric")

EVAL = "eval"
VIDEO = "video"
EVAL_PRIORITY = 19  # the lowest priority: training keeps the cores


def lower_priority(pid: int) -> None:
    """Set process `pid` (0: this one) to the lowest CPU priority; where that is not allowed, leave it."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, EVAL_PRIORITY)
    except (OSError, AttributeError):  # AttributeError: no setpriority (Windows)
        pass


@dataclass(frozen=True)
class EvalRequest:
    """One job for the evaluation process.

    Attributes:
        kind: EVAL (task groups) or VIDEO (one recorded episode).
        snapshot: checkpoint file of the policy to use (the runner deletes it after the outcome).
        env_steps: env steps of the policy (the step its results are logged at).
        iteration: training iteration of the policy.
        output: folder for eval.json (EVAL) or the mp4 file (VIDEO).
    """

    kind: str
    snapshot: str
    env_steps: int
    iteration: int
    output: str


@dataclass
class EvalOutcome:
    """What the evaluation process sends back for one request.

    Attributes:
        request: the request it answers.
        scalars: tag -> value, e.g. "eval/test/return" (EVAL only).
        group_returns: group -> mean return (EVAL only).
        video: path of the mp4 file (VIDEO only).
        gif: path of its small GIF for tensorboard (VIDEO only; None when OpenCV cannot write GIFs).
        fps: frames per second of the video.
        seconds: how long the job took.
        error: one line when the job failed (the run goes on).
        new_best: the best checkpoint written for this evaluation (None: not better than the best so far).
    """

    request: EvalRequest
    scalars: dict[str, float] = field(default_factory=dict)
    group_returns: dict[str, float] = field(default_factory=dict)
    video: str | None = None
    gif: str | None = None
    fps: int = 30
    seconds: float = 0.0
    error: str | None = None
    new_best: str | None = None


def eval_settings(cfg: argparse.Namespace, output: Path | str) -> dict[str, Any]:
    """The `python -m sf_curric.eval` flags of an evaluation during training, by name (they reproduce its numbers).

    Args:
        cfg: the training run's config (`--eval_episodes` or `--eval_episodes_per_level`, `--eval_test_tasks`,
            `--eval_test_level_set`, `--train_dir`, `--experiment`).
        output: the `--eval_output` folder.
    """
    settings: dict[str, Any] = {"train_dir": cfg.train_dir, "experiment": cfg.experiment, "eval_tasks": "all"}
    if getattr(cfg, "eval_episodes_per_level", None) is None:  # getattr: configs saved before the flag existed
        settings["eval_num_episodes"] = cfg.eval_episodes
    else:
        settings["eval_episodes_per_task"] = cfg.eval_episodes_per_level
    settings["eval_output"] = str(output)
    if cfg.eval_test_tasks is not None:
        settings["test_tasks"] = cfg.eval_test_tasks
    if getattr(cfg, "eval_test_level_set", None):  # getattr: configs saved before the flag existed
        settings["eval_level_set"] = cfg.eval_test_level_set
    return settings


def eval_argv(cfg: argparse.Namespace, output: Path | str) -> list[str]:
    """`eval_settings` as the command line of `python -m sf_curric.eval` (the first two: train_dir, experiment)."""
    return [f"--{name}={value}" for name, value in eval_settings(cfg, output).items()]


def eval_config(cfg: argparse.Namespace, output: Path | str) -> argparse.Namespace:
    """The config of that evaluation, built from the run's own config (what `python -m sf_curric.eval` would parse
    from `eval_argv` and merge with the run's config.json)."""
    from sf_curric.evaluation.args import evaluation_config

    return evaluation_config(cfg, **eval_settings(cfg, output))


def _finite(values: list[float]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def group_scalars(data: dict[str, Any], records: list[Any]) -> dict[str, float]:
    """The eval/* scalars of one evaluation. Per group: the mean return and its std, the mean length, the share of
    episodes that ended in a terminal state (`terminated`: the success rate of goal-reaching envs such as
    maze_levels), the mean task completion when the env reports it, `success` when episodes report a `success` or
    `is_success` stat, and the mean of every custom stat (`custom/...`). Then `eval/gap` (train minus test return)
    when both groups exist.

    Args:
        data: `EvalReport.data` (eval.json).
        records: `EvalReport.records`.
    """
    from sf_curric.utils.flat_stats import flatten_stats

    out: dict[str, float] = {}
    for group, summary in data["groups"].items():
        mine = [r for r in records if r.job.group == group]
        prefix = f"eval/{group}"
        out[f"{prefix}/return"] = float(summary["mean"])
        out[f"{prefix}/return_std"] = float(summary["std"]) if summary["std"] is not None else float("nan")
        out[f"{prefix}/length"] = float(summary["mean_length"])
        out[f"{prefix}/episodes"] = float(summary["n"])
        if mine:
            out[f"{prefix}/terminated"] = float(np.mean([r.terminated for r in mine]))
        completion = _finite([r.task_completion for r in mine])
        if completion:
            out[f"{prefix}/task_completion"] = float(np.mean(completion))
        custom: dict[str, list[float]] = {}
        for r in mine:
            if r.extra_stats:
                flat: dict[str, float] = {}
                flatten_stats(f"{prefix}/custom", r.extra_stats, flat)
                for key, value in flat.items():
                    custom.setdefault(key, []).append(value)
        out.update({key: float(np.mean(values)) for key, values in custom.items()})
        for name in ("success", "is_success"):
            if f"{prefix}/custom/{name}" in out:
                out[f"{prefix}/success"] = out[f"{prefix}/custom/{name}"]
    gap = data.get("generalization_gap")
    if gap is not None and gap.get("value") is not None:
        out["eval/gap"] = float(gap["value"])
    return out


def _evaluate(cfg: argparse.Namespace, request: EvalRequest) -> EvalOutcome:
    from sf_curric.evaluation.evaluate import evaluate

    report = evaluate(eval_config(cfg, request.output), checkpoint_path=request.snapshot)
    groups = {name: float(s["mean"]) for name, s in report.data["groups"].items()}
    return EvalOutcome(request, scalars=group_scalars(report.data, report.records), group_returns=groups)


def _video(cfg: argparse.Namespace, request: EvalRequest) -> EvalOutcome:
    from sf_curric.tracking.video import record_episode

    path, gif, fps = record_episode(cfg, request.snapshot, Path(request.output), request.env_steps)
    return EvalOutcome(request, video=str(path), gif=None if gif is None else str(gif), fps=fps)


@dataclass
class EvalBook:
    """What the evaluation process keeps between evaluations, so that the trainer's process does none of the
    plotting and file copying (they take CPU and disk time from training).

    Attributes:
        best: picks and writes the best checkpoint by eval return (None: evaluation does not select it).
        history: earlier evaluations of the experiment (`history.jsonl` lines), for the curve.
        curve: the curve PNG file.
        checkpoint_dir: the experiment's checkpoint folder.
    """

    best: Any
    history: list[dict[str, Any]]
    curve: str
    checkpoint_dir: str

    def record(self, cfg: argparse.Namespace, outcome: EvalOutcome) -> None:
        """Add an evaluation to the curve and keep its snapshot when it is the best so far."""
        from sf_curric.tracking.curve import plot_eval_curve

        request = outcome.request
        self.history.append(history_entry(outcome))
        plot_eval_curve(self.history, self.curve, f"{cfg.experiment}: evaluation during training")
        if self.best is not None:
            path = self.best.consider(
                outcome.group_returns, request.snapshot, self.checkpoint_dir, request.iteration, request.env_steps
            )
            outcome.new_best = None if path is None else str(path)


def history_entry(outcome: EvalOutcome) -> dict[str, Any]:
    """One line of `history.jsonl`: env steps, iteration, seconds and the eval/* values of an evaluation."""
    request = outcome.request
    return {"env_steps": request.env_steps, "iteration": request.iteration, "seconds": outcome.seconds,
            "scalars": outcome.scalars}  # fmt: skip


def eval_process_main(
    cfg: argparse.Namespace, env_spec: Any, requests: Any, outcomes: Any, parent_pid: int, book: EvalBook
) -> None:
    """Entry point of the evaluation process: answer requests until a None arrives or the runner dies.

    Args:
        cfg: the training run's config.
        env_spec: the run's registered `EnvSpec` (None for a gymnasium id), registered again here.
        requests: queue of `EvalRequest` (None: stop).
        outcomes: queue of `EvalOutcome`.
        parent_pid: the runner's pid.
        book: the curve and best-checkpoint keeping.
    """
    lower_priority(0)  # before the imports below: they take CPU too (the runner lowered it already, at start)
    import queue

    import torch

    from sf_curric.envs.registry import register_env
    from sf_curric.utils.parent_process import die_with_parent, parent_alive

    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the runner's to handle
    torch.set_num_threads(1)
    logging.basicConfig(level=logging.WARNING)
    if env_spec is not None:
        # level_sets too: --eval_test_level_set evaluates them (the curriculum stays the runner's)
        register_env(env_spec.name, env_spec.make_env_fn, env_spec.task_space, None, level_sets=env_spec.level_sets)
    while parent_alive(parent_pid):
        try:
            request = requests.get(timeout=1.0)
        except queue.Empty:
            continue
        if request is None:
            return
        start = time.monotonic()
        try:
            outcome = _evaluate(cfg, request) if request.kind == EVAL else _video(cfg, request)
            outcome.seconds = time.monotonic() - start
            if request.kind == EVAL:
                book.record(cfg, outcome)
        except Exception as e:  # the run goes on; the runner logs the line
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            log.debug("evaluation failed: %s", traceback.format_exc())
            outcome = EvalOutcome(request, error=f"{type(e).__name__}: {first[:200]}")
            outcome.seconds = time.monotonic() - start
        outcomes.put(outcome)
