"""`Runner`: the main loop of a training run (experiment folder, learner, sampler, logging, checkpoints).

The sampler is either `SerialSampler` (`sf_curric.algo.sampling`: envs stepped in this process) or the parallel
sampler of `sf_curric.algo.parallel.sampler` (same interface, see `Sampler`). The curriculum (when there is one)
lives here too.
"""

from __future__ import annotations

import argparse
import logging
import random
import signal
import threading
import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch

from sf_curric.algo.best_policy import save_best_if_improved
from sf_curric.algo.checkpoint_restore import restore_runner
from sf_curric.algo.episode_stats import EpisodeStats
from sf_curric.algo.nan_guard import NanGuard, NonFiniteTrainingError, check_finite_model
from sf_curric.algo.parallel.process_utils import prestart_worker_server, stop_worker_server
from sf_curric.algo.run_reports import close_writer, progress_line, timing_line, write_summaries
from sf_curric.algo.sampling import Batch, Sampler, SerialSampler  # noqa: F401 (Batch: the sampler interface)
from sf_curric.algo.self_play import build_self_play
from sf_curric.algo.stop_and_save import (
    FinalSaveError,
    StopRequested,
    final_save,
    periodic_save,
    record_stop_cause,
    save_before_fatal_stop,
    save_milestone,
    set_niceness,
    warn_if_best_metric_missing,
)
from sf_curric.cfg.budget import training_progress
from sf_curric.cfg.experiment import experiment_dir, prepare_experiment_dir, save_config, undo_prepare
from sf_curric.cfg.sample_factory import sample_factory_notes
from sf_curric.cfg.validation import check_batch_memory, total_envs
from sf_curric.envs.frames import frame_flag_notes, frames_per_step
from sf_curric.envs.observation_space import describe_dropped
from sf_curric.envs.registry import get_env_spec, make_env
from sf_curric.utils.checkpoint import checkpoint_dir, load_newest_checkpoint, remove_orphan_temp_files, save_checkpoint
from sf_curric.utils.logs import LOG_FILE, attach_log_file, close_log_file, setup_logging
from sf_curric.utils.timing import LoopClock, PhaseTimer, RateMeter, SummaryClock

log = logging.getLogger("sf_curric")

TENSORBOARD_SUBDIR = "tensorboard"


def _build_curriculum_host(cfg: argparse.Namespace, action_space: Any) -> Any:
    """The run's CurriculumHost, or None when the run has no curriculum."""
    from sf_curric.algo.curriculum_host import build_curriculum_host

    return build_curriculum_host(cfg, total_envs(cfg), action_space)


class RunResult(NamedTuple):
    """How a run ended.

    Attributes:
        env_steps: total env steps (resumed runs included).
        avg_return: average return of the last `--stats_avg` episodes (nan when none ended).
        num_episodes: episodes finished (resumed runs included).
        reason: why training stopped: env_steps, seconds, avg_return or interrupted.
        solved_at_env_steps: env steps when the average first reached `--stop_when_avg_return` (None otherwise).
        solved_at_seconds: seconds of this session's training until then (None otherwise).
    """

    env_steps: int
    avg_return: float
    num_episodes: int
    reason: str
    solved_at_env_steps: int | None
    solved_at_seconds: float | None


def seed_everything(seed: int | None) -> None:
    """Seed python, numpy and torch (no-op for None).

    Args:
        seed: the `--seed` value.
    """
    if seed is None:
        return
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class Runner:
    """Runs one training session of an experiment whose config is resolved and validated.

    Args:
        cfg: the resolved config (see `sf_curric.train.run`, which merges a saved config.json on resume).
        prepare_dir: apply `--restart_behavior` to the experiment folder once the setup's checks passed (what
            `sf_curric.train` does, holding the experiment's lock); False: only create the folder.
        policy_id: which policy of a `--num_policies` run this runner trains (`sf_curric.algo.multi_policy`): its
            checkpoints go to checkpoint_p<i>, its summaries to tensorboard/p<i>. Policy 0 also does what is done
            once per experiment (log file, folder, config.json).
        experiment_cfg: the run's config, saved as config.json (a policy's `cfg` holds its share of the envs).

    Example:
        >>> result = Runner(cfg).run()
    """

    def __init__(
        self,
        cfg: argparse.Namespace,
        prepare_dir: bool = False,
        policy_id: int = 0,
        experiment_cfg: argparse.Namespace | None = None,
    ):
        self.cfg = cfg
        self.policy_id = policy_id
        self._experiment_cfg = cfg if experiment_cfg is None else experiment_cfg  # what config.json holds
        self._population = getattr(cfg, "num_policies", 1) > 1
        self._prepare_dir = prepare_dir
        self._prepared: Any = None  # cfg.experiment.PreparedDir: undone when the start fails (undo_prepare)
        self._trained = False  # this session completed a training iteration
        self.exp_dir = experiment_dir(cfg)
        self.env_steps = 0
        self.iteration = 0
        self.train_seconds = 0.0  # earlier sessions of the experiment (and this one once it ended)
        self.best_avg_return = float("-inf")
        self.best_eval_return = float("-inf")  # best by eval return (--eval_every_env_steps)
        self.evaluator: Any = None  # sf_curric.tracking.evaluator.TrainingEvaluator when evaluating during training
        self.stats = EpisodeStats(cfg.stats_avg)
        self.frames_per_step = 1  # env steps counted per policy step (--env_frameskip, set at setup)
        self.timer = PhaseTimer()
        self.fps_meter = RateMeter(window_sec=10.0)
        self.nan_guard = NanGuard(cfg)
        self.learner: Any = None
        self.curriculum_host: Any = None  # sf_curric.algo.curriculum_host.CurriculumHost when the run has one
        self.self_play: Any = None  # sf_curric.algo.self_play.SelfPlayManager with a self-play curriculum
        self.sampler: Sampler | None = None
        self.writer: Any = None
        self.last_train_stats: dict[str, float] = {}
        self._stop_signal: str | None = None
        self._waiting_for_batch = False  # a signal now interrupts get_batch (stop_and_save.py)
        self.failed_saves = 0
        self._start_iteration = 0  # iteration when this session's training started (fatal stops save after it)
        self._session_start: float | None = None  # monotonic time this session's training started (None: not now)
        self._prestarted_server = False
        self._clock: LoopClock | None = None  # the main loop's timers (_begin_loop)

    @property
    def checkpoint_dir(self) -> Path:
        """This policy's checkpoint folder."""
        return checkpoint_dir(self.exp_dir, self.policy_id)

    def _name(self) -> str:
        """The prefix of a multi-policy run's log lines ("policy <i>: "); empty with one policy."""
        return f"policy {self.policy_id}: " if self._population else ""

    # ---- setup ---------------------------------------------------------------------------------------------

    def _setup(self) -> None:
        cfg = self.cfg
        leader = self.policy_id == 0  # what is done once per experiment
        if leader:
            setup_logging(cfg.log_level, keep_early_lines=True)  # nothing on disk until the checks below passed
            set_niceness(cfg.default_niceness)
            for line in sample_factory_notes(cfg):  # what each Sample Factory flag typed does here (no silent no-op)
                log.info(line)
        seed_everything(cfg.seed)
        # start-up: the worker server imports torch on another core while this process builds the learner
        self._prestarted_server = leader and not cfg.serial_mode and prestart_worker_server()
        if cfg.num_torch_threads > 0:
            torch.set_num_threads(cfg.num_torch_threads)

        from sf_curric.algo.learner import Learner

        probe = make_env(cfg, {"worker_index": 0, "vector_index": 0, "env_id": -1})
        obs_space, action_space = probe.observation_space, probe.action_space
        dropped = describe_dropped(probe)
        if dropped:
            log.info(dropped)
        probe.close()
        registered = get_env_spec(cfg.env) is not None
        self.frames_per_step = frames_per_step(cfg, registered, obs_space)
        for line in frame_flag_notes(cfg, registered, obs_space):
            log.info(line)
        check_batch_memory(cfg, obs_space, action_space)  # before a batch of that size is allocated
        self.learner = Learner(cfg, obs_space, action_space)
        self.curriculum_host = _build_curriculum_host(cfg, action_space)
        self.self_play = build_self_play(cfg, self.learner, self.curriculum_host)  # None without self-play
        self._load_checkpoint()  # before anything is written: an unreadable checkpoint changes nothing
        if leader:
            self._open_experiment_dir()
            save_config(self._experiment_cfg)
        else:
            remove_orphan_temp_files(self.checkpoint_dir)
        if self.self_play is not None:
            self.self_play.start(self.env_steps)  # the pool's files, before any worker reads them
        self.sampler = self._make_sampler()

        from sf_curric.tracking.setup import make_evaluator, make_summary_writer

        tensorboard_dir = self.exp_dir / TENSORBOARD_SUBDIR
        if self._population:  # one run per policy in tensorboard (SF: .summary/<i>)
            tensorboard_dir = tensorboard_dir / f"p{self.policy_id}"
        self.writer = make_summary_writer(cfg, self.exp_dir, tensorboard_dir, self.env_steps)
        self.evaluator = make_evaluator(cfg, self.exp_dir, self.writer, self.best_eval_return, self.env_steps)

    def _open_experiment_dir(self) -> None:
        """After the checks that need no disk: apply --restart_behavior, drop cut-short checkpoint temp files,
        start the log file (with the lines logged so far) unless --log_to_file=False."""
        if self._prepare_dir:
            self._prepared = prepare_experiment_dir(self.cfg)
        else:
            self.exp_dir.mkdir(parents=True, exist_ok=True)
        remove_orphan_temp_files(self.checkpoint_dir)
        if self.cfg.log_to_file:  # Sample Factory's --log_to_file
            attach_log_file(self.exp_dir / LOG_FILE)
        else:
            setup_logging(self.cfg.log_level)  # drop the lines kept for the file

    def _make_sampler(self) -> Sampler:
        cfg, host = self.cfg, self.curriculum_host
        if not cfg.serial_mode:
            from sf_curric.algo.parallel.sampler import ParallelSampler  # here: serial runs never load the process code

            return ParallelSampler(cfg, self.learner, curriculum_host=host)
        log.info("serial mode: %d envs stepped in this process", total_envs(cfg))
        opponents = None if self.self_play is None else self.self_play.opponent_policy()
        if host is None:
            return SerialSampler(cfg, self.learner, None, opponents)
        return SerialSampler(cfg, self.learner, host.next_task, opponents, host.curriculum.needs_action_logits)

    def _load_checkpoint(self) -> None:
        if self.cfg.restart_behavior != "resume":
            return
        # Sample Factory's --load_checkpoint_kind: resume from the newest periodic checkpoint, or from the best one
        kind = self.cfg.load_checkpoint_kind
        found = load_newest_checkpoint(
            self.exp_dir, kind, map_location=self.learner.device, skip_damaged=True, policy_id=self.policy_id
        )
        if found is not None:
            restore_runner(self, *found)  # every value range-checked against this fresh runner's own first

    # ---- checkpoints ---------------------------------------------------------------------------------------

    def checkpoint_state(self) -> dict[str, Any]:
        """Everything a checkpoint holds (sf_curric's version is added when it is written)."""
        return {
            "learner": self.learner.state_dict(),
            "env_steps": self.env_steps,
            "iteration": self.iteration,
            "train_seconds": self._train_seconds_now(),
            "best_avg_return": self.best_avg_return,
            "best_eval_return": self.best_eval_return if self.evaluator is None else self.evaluator.best_eval_return,
            "episode_stats": self.stats.state_dict(),
            "curriculum": None if self.curriculum_host is None else self.curriculum_host.state_dict(),
            "self_play": None if self.self_play is None else self.self_play.state_dict(),
            "cfg": {k: v for k, v in vars(self.cfg).items() if k != "cli_args"},
        }

    def save(self) -> Path:
        """Write a checkpoint now (and a best one when the average return improved)."""
        check_finite_model(self.learner.model)  # a checkpoint never holds NaN/Inf weights
        state = self.checkpoint_state()
        path = save_checkpoint(self.checkpoint_dir, state, self.iteration, self.env_steps, self.cfg.keep_checkpoints)
        self.save_best_if_improved(state)
        log.info("saved %s", path)
        return path

    def save_best_if_improved(self, state: dict[str, Any] | None = None) -> bool:
        """Write the best checkpoint when the policy improved (see `sf_curric.algo.best_policy`)."""
        return save_best_if_improved(self, state)

    # ---- training info and reporting ------------------------------------------------------------------------

    def _train_seconds_now(self) -> float:
        """Training seconds of the experiment so far: earlier sessions and this one."""
        if self._session_start is None:
            return self.train_seconds
        return self.train_seconds + (time.monotonic() - self._session_start)

    def _propagate_training_info(self) -> None:
        """Send training info to every env (each receives it before its next reset) and to the curriculum."""
        progress = training_progress(self.cfg, self.env_steps, self._train_seconds_now())
        training_info = {"approx_total_training_steps": self.env_steps, "training_progress": progress}
        if self.self_play is not None:
            training_info.update(self.self_play.training_info())
        self.sampler.set_training_info(training_info)
        if self.curriculum_host is not None:
            self.curriculum_host.set_training_info(training_info)

    def _write_summaries(self) -> None:
        write_summaries(self)

    # ---- main loop -----------------------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self._stop_signal is not None:  # second Ctrl-C: stop now
            raise KeyboardInterrupt
        self._stop_signal = signal.Signals(signum).name
        log.info("%s received: saving a checkpoint and stopping (again to stop without saving)", self._stop_signal)
        if self._waiting_for_batch:  # workers busy or an env hung: stop waiting, the learner's weights are here
            raise StopRequested

    def _install_signal_handlers(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        previous = {}
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, self._on_signal)
        return previous

    def _stop_reason(self, elapsed: float) -> str | None:
        """Why training stops now (None: it goes on); `elapsed`: seconds of this session."""
        cfg = self.cfg
        if self._stop_signal is not None:
            return "interrupted"
        if self.env_steps >= cfg.train_for_env_steps:
            return "env_steps"
        if self.train_seconds + elapsed >= cfg.train_for_seconds:  # over every session, as the env steps
            return "seconds"
        if (
            cfg.stop_when_avg_return is not None
            and len(self.stats.returns) >= cfg.stats_avg
            and self.stats.avg_return() >= cfg.stop_when_avg_return
        ):
            return "avg_return"
        return None

    def run(self) -> RunResult:
        """Train until a stop condition (env steps, seconds, average return, Ctrl-C); save at the end."""
        previous_handlers = self._install_signal_handlers()
        failed = True
        try:
            self._setup()
            self._begin_loop()
            reason = None
            while reason is None:
                reason = self._iterate()
            result = self._end_loop(reason)
            failed = False
            return result
        except (FinalSaveError, NonFiniteTrainingError) as e:
            record_stop_cause(e)
            raise
        except Exception as e:  # a fatal stop: keep what the weights learned (stop_and_save.py)
            record_stop_cause(e)  # in sf_log.txt too, in every mode
            self._save_before_fatal_stop(e)
            raise
        finally:
            for signum, handler in previous_handlers.items():
                signal.signal(signum, handler)
            self._close(failed)

    def _save_before_fatal_stop(self, error: BaseException) -> None:
        if self._trained:  # not a failed start: a checkpoint loaded for a resume is not saved again
            save_before_fatal_stop(self, error, self._start_iteration)

    def _close(self, failed: bool) -> None:
        """Stop what the session started: evaluations, sampler (workers), summaries, log file; a start that failed
        before any training leaves the folder as it found it."""
        if self.evaluator is not None:
            self.evaluator.close(wait=False)
        if self.sampler is not None:
            self.sampler.close()
        elif self._prestarted_server:  # setup failed before the sampler existed: leave no process behind
            stop_worker_server()
        if self.writer is not None:
            close_writer(self.writer)
        if self.policy_id == 0:  # the experiment's log file (a multi-policy run closes policy 0 last)
            close_log_file()
        if failed and not self._trained and self._prepared is not None:
            undo_prepare(self._prepared)

    def _begin_loop(self) -> None:
        """Start the session's clocks (before the first `_iterate`)."""
        cfg = self.cfg
        self._session_start = now = time.monotonic()
        summaries = SummaryClock(cfg.experiment_summaries_interval, cfg.summaries_every_env_steps,
                                 cfg.train_for_env_steps)  # fmt: skip
        summaries.mark(now, self.env_steps)
        self._clock = LoopClock(now, summaries)
        self.fps_meter.record(self.env_steps, now)
        self._propagate_training_info()
        self._start_iteration = self.iteration

    def stop_reason(self) -> str | None:
        """Why training stops now (None: it goes on)."""
        return self._stop_reason(time.monotonic() - self._session_start)

    def _iterate(self) -> str | None:
        """One batch collected and trained on, then logging, summaries and checkpoints as they fall due.

        Returns:
            why training stops now (env_steps, seconds, avg_return, interrupted), or None to go on.
        """
        cfg, clock = self.cfg, self._clock
        reason = self.stop_reason()
        if reason is not None:
            return reason
        try:
            with self.timer.time("get_batch"):
                batch = self._get_batch()
        except StopRequested:  # a signal while waiting (workers busy, an env hung): save and stop now
            return "interrupted"
        self.env_steps += batch.env_steps * self.frames_per_step  # frames with --summaries_use_frameskip
        self.stats.add(batch.episodes)
        if self.curriculum_host is not None:  # Robust PLR / ACCEL: train only on replayed levels
            self.curriculum_host.apply_train_mask(batch.traj)
        with self.timer.time("learn"):
            result = self.learner.train(batch.traj, self.env_steps, self._train_seconds_now())
        self._trained = True
        self.nan_guard.after_train(result.stats, self.learner.model)  # stops on repeated NaN/Inf
        self.sampler.on_weights_updated()
        if self.self_play is not None and self.self_play.after_train(self.env_steps):
            self._propagate_training_info()  # workers re-read the pool before their next resets
        if self.curriculum_host is not None:
            with self.timer.time("curriculum"):
                self.curriculum_host.on_batch(batch.traj, result, batch.feedback)
        self.last_train_stats = result.stats
        self.iteration += 1
        if self.evaluator is not None:
            self.evaluator.after_iteration(self.env_steps, self.iteration, self.checkpoint_state)

        now = time.monotonic()
        self.fps_meter.record(self.env_steps, now)
        elapsed = now - self._session_start
        reason = self._stop_reason(elapsed)
        if reason == "avg_return":
            clock.solved_steps, clock.solved_seconds = self.env_steps, elapsed
        if now - clock.last_info >= cfg.training_info_interval_sec:
            self._propagate_training_info()
            clock.last_info = now
        if clock.summaries.due(now, self.env_steps) or self.iteration == 1:
            self._write_summaries()
            clock.summaries.mark(now, self.env_steps)
        if now - clock.last_progress >= cfg.progress_interval_sec or self.iteration == 1:  # the first one early
            progress_line(self)
            clock.last_progress = now
        if cfg.save_milestones_sec > 0 and now - clock.last_milestone >= cfg.save_milestones_sec and reason is None:
            save_milestone(self)
            clock.last_milestone = now
        if now - clock.last_save >= cfg.save_every_sec and reason is None:
            periodic_save(self)  # an OSError (disk full) warns; the last good checkpoint stays
            clock.last_save = clock.last_best = now
        elif now - clock.last_best >= cfg.save_best_every_sec and reason is None:
            self.save_best_if_improved()
            clock.last_best = now
        return reason

    def _end_loop(self, reason: str) -> RunResult:
        """Final summaries, checkpoint and evaluation once training stopped for `reason`."""
        cfg, clock = self.cfg, self._clock
        self.train_seconds, self._session_start = self._train_seconds_now(), None  # waiting below is not training
        if self.evaluator is not None:  # log the evaluations still running (their best checkpoint) before saving
            self.evaluator.close(wait=reason != "interrupted")
        self._write_summaries()
        progress_line(self)
        final_save(self)  # FinalSaveError (one line) when even this one cannot be written
        warn_if_best_metric_missing(self)
        log.info("%sstopped (%s) after %d env steps; time per phase: %s", self._name(), reason, self.env_steps,
                 timing_line(self))  # fmt: skip
        if cfg.final_eval_episodes > 0 and reason != "interrupted":
            from sf_curric.evaluation.final_eval import FINAL_EVAL_FILE, final_evaluation

            file_name = f"final_eval_p{self.policy_id}.json" if self._population else FINAL_EVAL_FILE
            final_evaluation(cfg, self.learner.model, self.exp_dir, file_name)
        return RunResult(self.env_steps, self.stats.avg_return(), self.stats.num_episodes, reason,
                         clock.solved_steps, clock.solved_seconds)  # fmt: skip

    def _get_batch(self) -> Batch:
        """`sampler.get_batch()`, interruptible by SIGTERM/SIGINT (StopRequested, see stop_and_save.py)."""
        self._waiting_for_batch = True
        try:
            if self._stop_signal is not None:  # it arrived just before
                raise StopRequested
            return self.sampler.get_batch()
        finally:
            self._waiting_for_batch = False
