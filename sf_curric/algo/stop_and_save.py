"""How a run stops without losing what its weights hold: signals, fatal errors, a full disk.

- SIGTERM/SIGINT while the runner waits for a batch (workers busy, an env hung) interrupt the wait at once
  (`StopRequested`, raised by the runner's signal handler only inside `get_batch`), so the checkpoint is written
  from the learner's weights, which live in the runner process, within about a second plus one training
  iteration of the signal.
- A fatal error in the loop (EnvErrorLimitExceeded, WorkerRestartLimitExceeded, a failed worker, ...) writes a
  final checkpoint first when this session trained at all and the weights are finite, then re-raises.
- A periodic save that fails with an OSError (ENOSPC, EIO, a read-only remount) warns and training goes on: the
  atomic write left the last good checkpoint in place. Only a failed final save stops the run (`FinalSaveError`).
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from sf_curric.algo.nan_guard import NonFiniteTrainingError
from sf_curric.utils.checkpoint import find_newest_checkpoint
from sf_curric.utils.checkpoint import save_milestone as checkpoint_milestone
from sf_curric.utils.logs import log_to_file_only

log = logging.getLogger("sf_curric")


class StopRequested(BaseException):
    """Raised by the signal handler into a blocked `get_batch` (a BaseException: env guards must not catch it)."""


class FinalSaveError(RuntimeError):
    """The checkpoint at the end of the run could not be written; the message names the last good one."""


def _last_good(runner: Any) -> str:
    newest = find_newest_checkpoint(runner.exp_dir, policy_id=runner.policy_id)
    return f"the last good checkpoint is {newest}" if newest else f"{runner.checkpoint_dir} has none"


def periodic_save(runner: Any) -> bool:
    """`runner.save()`; an OSError is a warning (training goes on). Returns whether it saved.

    Args:
        runner: the `Runner`.
    """
    try:
        runner.save()
        return True
    except OSError as e:
        runner.failed_saves += 1
        log.warning(
            "could not write a checkpoint (%s): %s and training goes on; the next save is tried in "
            "--save_every_sec (%d failed so far)",
            e.strerror or e,
            _last_good(runner),
            runner.failed_saves,
        )
        return False


def final_save(runner: Any) -> None:
    """`runner.save()` at the end of a run.

    Args:
        runner: the `Runner`.

    Raises:
        FinalSaveError: it could not be written (one line naming the last good checkpoint).
    """
    try:
        runner.save()
    except OSError as e:
        raise FinalSaveError(
            f"the final checkpoint could not be written ({e.strerror or e}) at {runner.env_steps} env steps; "
            f"{_last_good(runner)}: free space in {runner.exp_dir.parent} and resume"
        ) from None


def record_stop_cause(error: BaseException) -> None:
    """Write why the run stops into sf_log.txt, with the traceback and its causes (in parallel mode the worker's
    traceback is in the message); the console shows the same when the exception leaves the program.

    Args:
        error: the exception that stops the run.
    """
    text = "".join(traceback.format_exception(error)).rstrip()
    log_to_file_only(
        logging.ERROR, f"stopping on {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}\n{text}"
    )


def save_before_fatal_stop(runner: Any, error: BaseException, start_iteration: int) -> None:
    """Write a final checkpoint before the run stops on `error` (when this session trained and the weights are
    finite); failures to do so are logged, never raised over `error`.

    Args:
        runner: the `Runner`.
        error: why the run stops.
        start_iteration: the runner's iteration when this session started (nothing to save if unchanged).
    """
    if runner.learner is None or runner.iteration == start_iteration:
        return
    try:
        path = runner.save()
        log.warning("stopping on %s: saved a final checkpoint %s first", type(error).__name__, path)
    except NonFiniteTrainingError:
        log.error("stopping on %s: the weights are not finite, so no final checkpoint", type(error).__name__)
    except Exception as e:  # noqa: BLE001 - the error that stops the run is the one to report
        log.error(
            "stopping on %s: the final checkpoint could not be written either (%s); %s",
            type(error).__name__,
            e,
            _last_good(runner),
        )


def save_milestone(runner: Any) -> None:
    """A milestone checkpoint (`--save_milestones_sec`, kept for later evaluation); an OSError is a warning."""
    try:
        path = checkpoint_milestone(runner.checkpoint_dir, runner.checkpoint_state(), runner.iteration,
                                    runner.env_steps)  # fmt: skip
        log.info("saved milestone %s", path)
    except OSError as e:
        log.warning("could not write a milestone checkpoint (%s); training goes on", e.strerror or e)


def warn_if_best_metric_missing(runner: Any) -> None:
    """At the end of a run: say so when `--save_best_metric` named a scalar the run never logged (no best)."""
    from sf_curric.algo.best_policy import REWARD

    metric = runner.cfg.save_best_metric
    writer = runner.writer
    if metric != REWARD and writer is not None and writer.value_of(metric) is None:
        tags = ", ".join(sorted(writer.latest)[:12])
        log.warning(
            "--save_best_metric=%s was never logged, so no best checkpoint was written; logged: %s", metric, tags
        )


def set_niceness(niceness: int) -> None:
    """`--default_niceness`: this process's scheduling niceness (Sample Factory sets its learner's); 0 leaves it."""
    if niceness == 0:
        return
    import psutil

    try:
        psutil.Process().nice(niceness)
    except (psutil.AccessDenied, PermissionError):
        log.warning("--default_niceness=%d needs privileges (below the current niceness): left as it is", niceness)
