"""`TrainingEvaluator`: the runner's side of evaluation and videos during training.

Every `--eval_every_env_steps` (and `--video_every_env_steps`) env steps the runner writes a snapshot of the
current policy (a checkpoint file); the evaluation process (`sf_curric.tracking.eval_process`) evaluates it, and the
results are logged at the snapshot's env steps, as eval/<group>/return, eval/gap and so on, however late they come
back. Evaluations are due at the first iteration at or after each multiple of the interval. The process gets one
request at a time; the others wait here (at most `MAX_WAITING` per kind: beyond, the oldest is dropped).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import math
import os
import pickle
import queue
from pathlib import Path
from typing import Any, Callable

from sf_curric.cfg.validation import ConfigError
from sf_curric.tracking.best_by_eval import BestByEval
from sf_curric.tracking.curve import CURVE_FILE
from sf_curric.tracking.eval_process import (
    EVAL,
    VIDEO,
    EvalBook,
    EvalOutcome,
    EvalRequest,
    eval_config,
    eval_process_main,
    history_entry,
    lower_priority,
)
from sf_curric.utils.checkpoint import checkpoint_dir
from sf_curric.version import __version__

log = logging.getLogger("sf_curric")

EVAL_SUBDIR = "eval_in_training"  # snapshots, eval.json of each evaluation, history.jsonl
HISTORY_FILE = "history.jsonl"
VIDEO_SUBDIR = "videos"
MAX_WAITING = 20  # snapshots waiting per kind; when the process is further behind, the oldest waiting one is dropped


class TrackingConfigError(ConfigError):
    """Bad tracking flags; one line that names the fix (`python -m sf_curric.train` prints it and exits 2)."""


def _next_due(env_steps: int, every: int) -> int:
    return (env_steps // every + 1) * every


def eval_group_names(cfg: argparse.Namespace) -> list[str]:
    """The task groups an evaluation during training produces (checked at start-up: a bad flag fails at once).

    Args:
        cfg: the training run's config.

    Raises:
        TrackingConfigError: the groups cannot be built (e.g. held-out tasks of an env without integer tasks).
    """
    from sf_curric.evaluation.policy import EvaluationError
    from sf_curric.evaluation.tasks import episodes_per_task, task_groups

    probe = eval_config(cfg, ".")
    try:
        if cfg.eval_test_tasks is None:
            probe.eval_tasks = "all"
        groups = task_groups(probe)
        for group in groups:
            episodes_per_task(len(group.tasks), probe)
    except EvaluationError as e:
        raise TrackingConfigError(f"evaluation during training: {e}") from None
    return [g.name for g in groups]


class TrainingEvaluator:
    """Schedules evaluations and videos, and logs what the evaluation process sends back.

    Args:
        cfg: the training run's config.
        exp_dir: the experiment folder.
        writer: the run's summary writer (tensorboardX, or the wandb tee).
        best_eval_return: the best eval return of a resumed run (-inf when none).
        env_steps: env steps of the run so far (a resumed run continues the schedule).

    Raises:
        TrackingConfigError: bad flags.
    """

    def __init__(
        self, cfg: argparse.Namespace, exp_dir: Path, writer: Any, best_eval_return: float = -math.inf,
        env_steps: int = 0,
    ):  # fmt: skip
        for flag in ("eval_every_env_steps", "video_every_env_steps"):
            if getattr(cfg, flag) < 0:
                raise TrackingConfigError(f"--{flag}={getattr(cfg, flag)} must be >= 0 (0: never)")
        if cfg.eval_episodes < 1:
            raise TrackingConfigError(f"--eval_episodes={cfg.eval_episodes} must be at least 1")
        self.cfg = cfg
        self.exp_dir = Path(exp_dir)
        self.writer = writer
        self.root = self.exp_dir / EVAL_SUBDIR
        self.best: BestByEval | None = None
        if cfg.eval_every_env_steps > 0:
            try:
                self.best = BestByEval.from_cfg(cfg, eval_group_names(cfg), best_eval_return)
            except ValueError as e:
                raise TrackingConfigError(str(e)) from None
        self.every = {EVAL: cfg.eval_every_env_steps, VIDEO: cfg.video_every_env_steps}
        self.due = {kind: _next_due(env_steps, every) for kind, every in self.every.items() if every > 0}
        self.waiting: list[EvalRequest] = []  # written snapshots not sent yet, oldest first
        self.in_flight: EvalRequest | None = None
        self.history = self._load_history()
        self.num_skipped = 0
        self.process: Any = None
        self.requests: Any = None
        self.outcomes: Any = None

    @property
    def selects_best(self) -> bool:
        """True when the best checkpoint is chosen by eval return (evaluation is on)."""
        return self.best is not None

    @property
    def best_eval_return(self) -> float:
        """The best eval return so far (-inf before the first evaluation)."""
        return -math.inf if self.best is None else self.best.best

    # ---- process -------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the evaluation process (spawned: it shares nothing with the trainer but files and two queues)."""
        import multiprocessing

        from sf_curric.envs.registry import get_env_spec

        spec = get_env_spec(self.cfg.env)
        if spec is not None:
            spec = dataclasses.replace(spec, curriculum=None)
            try:
                pickle.dumps(spec)
            except (pickle.PicklingError, AttributeError, TypeError) as e:
                raise TrackingConfigError(
                    f"env {self.cfg.env!r}: its make_env_fn cannot be sent to the evaluation process ({e}); define "
                    "it as a module-level function (not a lambda or a nested function)"
                ) from None
        ctx = multiprocessing.get_context("spawn")
        self.requests, self.outcomes = ctx.Queue(), ctx.Queue()
        ckpt_dir = checkpoint_dir(self.exp_dir)
        book = EvalBook(self.best, list(self.history), str(ckpt_dir / CURVE_FILE), str(ckpt_dir))
        self.process = ctx.Process(
            target=eval_process_main,
            args=(self.cfg, spec, self.requests, self.outcomes, os.getpid(), book),
            name="sf_curric-eval",
            daemon=True,
        )
        self.process.start()
        lower_priority(self.process.pid)  # at once: the new process imports torch before it runs any of our code
        log.info(
            "evaluation during training: every %s env steps (%d episodes per group%s), videos every %s env steps",
            self.every[EVAL] or "-",
            self.cfg.eval_episodes,
            f", best checkpoint by eval/{self.best.group}/return" if self.best else "",
            self.every[VIDEO] or "-",
        )

    def close(self, wait: bool) -> None:
        """Stop the evaluation process.

        Args:
            wait: first log the evaluations still pending (end of training); False drops them (Ctrl-C).
        """
        if self.process is None:
            return
        if wait and self.num_pending:
            log.info("waiting for %d evaluation(s) and video(s) still to come", self.num_pending)
            while self.num_pending and self.process.is_alive():
                self.poll(timeout=1.0)
        self.requests.put(None)
        self.process.join(timeout=10.0)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5.0)
        self.process = None
        for request in self.waiting + ([self.in_flight] if self.in_flight else []):
            Path(request.snapshot).unlink(missing_ok=True)
        self.waiting.clear()
        self.in_flight = None

    @property
    def num_pending(self) -> int:
        """Requests not answered yet (waiting or in the process)."""
        return len(self.waiting) + (self.in_flight is not None)

    # ---- schedule ------------------------------------------------------------------------------------------

    def after_iteration(self, env_steps: int, iteration: int, state: Callable[[], dict[str, Any]]) -> None:
        """Send the evaluations and videos that are due, then log any results that came back.

        Args:
            env_steps: env steps so far.
            iteration: training iterations so far.
            state: returns the checkpoint state of the current policy (called only when a snapshot is needed).
        """
        for kind, due in list(self.due.items()):
            if env_steps < due:
                continue
            self.due[kind] = _next_due(env_steps, self.every[kind])
            same_kind = [r for r in self.waiting if r.kind == kind]
            if len(same_kind) >= MAX_WAITING:
                dropped = same_kind[0]
                self.waiting.remove(dropped)
                Path(dropped.snapshot).unlink(missing_ok=True)
                self.num_skipped += 1
                log.warning("%s at %d env steps dropped: the evaluation process is %d behind", kind,
                            dropped.env_steps, MAX_WAITING)  # fmt: skip
            path = self._write_snapshot(kind, state(), iteration, env_steps)
            output = self.root / f"{env_steps:012d}" if kind == EVAL else self.exp_dir / VIDEO_SUBDIR
            self.waiting.append(EvalRequest(kind, str(path), env_steps, iteration, str(output)))
        self.poll()

    def _write_snapshot(self, kind: str, state: dict[str, Any], iteration: int, env_steps: int) -> Path:
        # a plain write, renamed into place: no fsync in the training loop (a snapshot lives for seconds)
        import torch

        folder = self.root / f"snapshots_{kind}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"checkpoint_{iteration:09d}_{env_steps}.pth"
        tmp = path.with_name(f".{path.name}.tmp")
        torch.save({**state, "sf_curric_version": __version__}, tmp)
        os.replace(tmp, path)
        return path

    def _send_next(self) -> None:
        if self.in_flight is None and self.waiting:
            self.in_flight = self.waiting.pop(0)
            self.requests.put(self.in_flight)

    def poll(self, timeout: float = 0.0) -> None:
        """Log the outcomes that arrived (waiting up to `timeout` seconds for the first); send the next request."""
        while self.outcomes is not None:
            self._send_next()
            try:
                outcome = self.outcomes.get(timeout=timeout) if timeout > 0 else self.outcomes.get_nowait()
            except queue.Empty:
                return
            timeout = 0.0
            self._handle(outcome)

    # ---- results -------------------------------------------------------------------------------------------

    def _handle(self, outcome: EvalOutcome) -> None:
        request = outcome.request
        self.in_flight = None
        try:
            if outcome.error is not None:
                log.warning("%s at %d env steps failed: %s", request.kind, request.env_steps, outcome.error)
            elif request.kind == EVAL:
                self._log_eval(outcome)
            else:
                from sf_curric.tracking.video import log_video

                log_video(self.writer, "videos/episode", outcome.video, outcome.gif, outcome.fps, request.env_steps)
                log.info("video at %d env steps: %s", request.env_steps, outcome.video)
        finally:
            Path(request.snapshot).unlink(missing_ok=True)

    def _log_eval(self, outcome: EvalOutcome) -> None:
        request = outcome.request
        step = request.env_steps
        for tag, value in outcome.scalars.items():
            self.writer.add_scalar(tag, value, step)
        self.writer.add_scalar("perf/eval_sec", outcome.seconds, step)
        self.writer.flush()
        entry = history_entry(outcome)
        self.history.append(entry)
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / HISTORY_FILE, "a") as f:
            f.write(json.dumps(entry) + "\n")
        summary = ", ".join(f"{g} {v:.3f}" for g, v in outcome.group_returns.items())
        log.info("eval at %d env steps (%.1f s): return %s", step, outcome.seconds, summary)
        if self.best is not None and outcome.new_best is not None:  # the evaluation process wrote it
            self.best.best = float(outcome.group_returns[self.best.group])
            log.info("new best checkpoint by eval/%s/return: %s", self.best.group, Path(outcome.new_best).name)

    def _load_history(self) -> list[dict[str, Any]]:
        path = self.root / HISTORY_FILE
        if not path.exists():
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
