"""Resume: load a checkpoint's state into a freshly built runner, every value range-checked first.

A checkpoint that unpickles may still hold values no run writes (edited by hand or by a tool, or written by
another sf_curric version): negative env steps, NaN curriculum bounds, a counter of the wrong kind. Each is compared
with the same place in the fresh runner's own state (`sf_curric.utils.state_check`) and refused in one line naming
the file and the value, before anything of it is used; the model and the optimizer must hold finite numbers.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from sf_curric.algo.nan_guard import non_finite_tensors
from sf_curric.utils.checkpoint import CheckpointError
from sf_curric.utils.state_check import StateMismatch, check_like

log = logging.getLogger("sf_curric")

_CHECKED_KEYS = ("train_seconds", "best_avg_return", "best_eval_return", "episode_stats", "curriculum", "self_play")


def _refuse(path: Path, what: str) -> CheckpointError:
    return CheckpointError(
        f"{path} holds {what}, which no run writes (edited, or from another sf_curric version): move it away to "
        f"resume from an older one, or pass --restart_behavior=restart"
    )


def _finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _first_line(e: BaseException) -> str:
    lines = [line.strip() for line in str(e).splitlines() if line.strip()] or [type(e).__name__]
    return lines[1 if len(lines) > 1 and lines[0].endswith(":") else 0][:200]  # torch: a header, then what


def _check_values(path: Path, state: dict[str, Any], fresh: dict[str, Any]) -> None:
    for key in ("env_steps", "iteration"):
        value = state.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _refuse(path, f"{key}={value!r} (a count of at least 0)")
    stats = state.get("episode_stats", {})
    numbers_ok = isinstance(stats, dict) and all(
        isinstance(values, list) and all(_finite_number(v) and (key == "returns" or v >= 0) for v in values)
        for key, values in stats.items()
        if key in ("returns", "lengths")
    )
    if not numbers_ok:
        raise _refuse(path, "episode statistics that are not finite numbers (returns) and counts (lengths)")
    seconds = state.get("train_seconds", 0.0)
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds < 0:
        raise _refuse(path, f"train_seconds={seconds!r} (finite, at least 0)")
    try:
        for key in _CHECKED_KEYS:
            if state.get(key) is not None:
                check_like(state[key], fresh[key], key)
        check_like(state["learner"]["version"], 0, "learner.version")
    except StateMismatch as e:
        raise _refuse(path, str(e)) from None
    except (KeyError, TypeError) as e:
        raise _refuse(path, f"no {e}") from None


def _load_learner(runner: Any, path: Path, state: dict[str, Any]) -> None:
    try:
        runner.learner.load_state_dict(state["learner"])
    except (KeyError, RuntimeError, ValueError, TypeError) as e:  # another model size, or not ours
        raise CheckpointError(
            f"{path} does not fit this run's model ({type(e).__name__}: {_first_line(e)}): resume with the flags it "
            f"was trained with, or pass --restart_behavior=restart"
        ) from None
    optimizer_state = {
        f"optimizer.{index}.{name}": value
        for index, per_param in runner.learner.optimizer.state.items()
        for name, value in (per_param.items() if isinstance(per_param, dict) else [])
    }
    bad = non_finite_tensors(runner.learner.model.state_dict()) + non_finite_tensors(optimizer_state)
    if bad:
        raise _refuse(path, f"NaN/Inf in {', '.join(bad[:3])}")


def _load_curriculum(runner: Any, path: Path, state: dict[str, Any]) -> None:
    host = runner.curriculum_host
    try:
        host.load_state_dict(state["curriculum"])
        check_state = getattr(host.curriculum, "check_state", None)  # a curriculum's own invariants, if it has any
        if check_state is not None:
            check_state()
    except Exception as e:  # noqa: BLE001 - whatever the curriculum raises, the state does not fit it
        raise CheckpointError(
            f"the curriculum state in {path} does not fit --curriculum={runner.cfg.curriculum} "
            f"({type(e).__name__}: {_first_line(e)}): resume with the flags it was trained with, move the file away "
            f"to resume from an older one, or pass --restart_behavior=restart"
        ) from None


def restore_runner(runner: Any, path: Path, state: dict[str, Any]) -> None:
    """Check `state` against the fresh runner's own, then load it: learner, counters, episode statistics,
    curriculum and self-play pool.

    Args:
        runner: the `Runner` after its learner, curriculum host and self-play manager were built.
        path: the checkpoint file (for messages).
        state: what `load_checkpoint(path)` returned.

    Raises:
        CheckpointError: a value no run writes, or a state that does not fit this run (one line naming the file).
    """
    _check_values(path, state, runner.checkpoint_state())
    _load_learner(runner, path, state)
    runner.env_steps = state["env_steps"]
    runner.iteration = state["iteration"]
    runner.train_seconds = float(state.get("train_seconds", 0.0))
    runner.best_avg_return = float(state.get("best_avg_return", float("-inf")))
    runner.best_eval_return = float(state.get("best_eval_return", float("-inf")))
    runner.stats.load_state_dict(state.get("episode_stats", {}))
    if runner.curriculum_host is not None and state.get("curriculum") is not None:
        _load_curriculum(runner, path, state)
    if runner.self_play is not None and state.get("self_play") is not None:
        try:
            runner.self_play.load_state_dict(state["self_play"])
        except (KeyError, TypeError, ValueError) as e:
            raise _refuse(path, f"a self-play pool it cannot use ({_first_line(e)})") from None
    log.info("resumed from %s: %d env steps, iteration %d", path, runner.env_steps, runner.iteration)
