"""The best-policy check: is the current policy the best so far, and if so write the best checkpoint.

Runs every `--save_best_every_sec` seconds (Sample Factory's flag) and with every periodic checkpoint. "Best" is the
highest value of `--save_best_metric` (SF's flag): `reward`, the average return of the last `--stats_avg` training
episodes, or any scalar the run logs, at its newest logged value (the current policy is saved); never before
`--save_best_after` env steps. With evaluation during training choosing the best by eval return
(`sf_curric.tracking.best_by_eval`, when the metric is `reward`), the training-return check stands aside.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from sf_curric.algo.nan_guard import check_finite_model
from sf_curric.utils.checkpoint import save_best_checkpoint

log = logging.getLogger("sf_curric")

REWARD = "reward"  # Sample Factory's name of the average training return


def best_metric_value(runner: Any) -> float | None:
    """The current value of `--save_best_metric`, or None when there is none yet.

    Args:
        runner: the `Runner` (its episode stats and the newest logged scalars of its writer).
    """
    metric = runner.cfg.save_best_metric
    if metric == REWARD:
        return runner.stats.avg_return() if runner.stats.returns else None
    writer = runner.writer
    return None if writer is None or not hasattr(writer, "value_of") else writer.value_of(metric)


def save_best_if_improved(runner: Any, state: dict[str, Any] | None = None) -> bool:
    """Write the best checkpoint when the runner's `--save_best_metric` beats its best so far.

    Args:
        runner: the `Runner` (reads its stats, writer, best_avg_return, learner; updates best_avg_return, which holds
            the best value of the metric).
        state: the checkpoint state when the caller has it already (default: built from the runner).

    Returns:
        True when a best checkpoint was written.
    """
    cfg = runner.cfg
    evaluator = getattr(runner, "evaluator", None)
    if evaluator is not None and evaluator.selects_best:  # eval during training keeps the best (best_by_eval.py)
        return False
    if runner.env_steps < cfg.save_best_after:
        return False
    value = best_metric_value(runner)
    if value is None or not math.isfinite(value) or not value > runner.best_avg_return:
        return False
    if state is None:
        check_finite_model(runner.learner.model)  # a checkpoint never holds NaN/Inf weights
        state = runner.checkpoint_state()
    state["best_avg_return"] = value
    metric = "return" if cfg.save_best_metric == REWARD else cfg.save_best_metric
    try:
        save_best_checkpoint(runner.checkpoint_dir, state, runner.iteration, runner.env_steps, value, metric)
    except OSError as e:  # a full disk: the previous best stays, training goes on (stop_and_save.py)
        log.warning("could not write the best checkpoint (%s); the previous best stays", e.strerror or e)
        return False
    runner.best_avg_return = value  # only once written: a failed write is retried at the next check
    return True
