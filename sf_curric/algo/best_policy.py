"""The best-policy check: is the current policy the best so far, and if so write the best checkpoint.

Runs every `--save_best_every_sec` seconds (Sample Factory's flag) and with every periodic checkpoint. "Best" is
the highest average return of the last `--stats_avg` training episodes; extend `save_best_if_improved` to rank by
another score in this one place. With evaluation during training choosing the best
(`sf_curric.tracking.best_by_eval`), the training-return check stands aside.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from sf_curric.algo.nan_guard import check_finite_model
from sf_curric.utils.checkpoint import checkpoint_dir, save_best_checkpoint

log = logging.getLogger("sf_curric")


def save_best_if_improved(runner: Any, state: dict[str, Any] | None = None) -> bool:
    """Write the best checkpoint when the runner's average return beats its best so far.

    Args:
        runner: the `Runner` (reads its stats, best_avg_return, learner; updates best_avg_return).
        state: the checkpoint state when the caller has it already (default: built from the runner).

    Returns:
        True when a best checkpoint was written.
    """
    evaluator = getattr(runner, "evaluator", None)
    if evaluator is not None and evaluator.selects_best:  # eval during training keeps the best (best_by_eval.py)
        return False
    avg = runner.stats.avg_return()
    if len(runner.stats.returns) == 0 or not math.isfinite(avg) or not avg > runner.best_avg_return:
        return False
    if state is None:
        check_finite_model(runner.learner.model)  # a checkpoint never holds NaN/Inf weights
        state = runner.checkpoint_state()
    state["best_avg_return"] = avg
    try:
        save_best_checkpoint(checkpoint_dir(runner.exp_dir), state, runner.iteration, runner.env_steps, avg)
    except OSError as e:  # a full disk: the previous best stays, training goes on (stop_and_save.py)
        log.warning("could not write the best checkpoint (%s); the previous best stays", e.strerror or e)
        return False
    runner.best_avg_return = avg  # only once written: a failed write is retried at the next check
    return True
