"""The best checkpoint by evaluation return: with `--eval_every_env_steps`, the policy with the highest eval return
on one task group (`--eval_best_group`) is kept as the experiment's best checkpoint (`--load_checkpoint_kind=best`),
instead of the one with the best training return."""

from __future__ import annotations

import argparse
import logging
import math
from pathlib import Path

from sf_curric.utils.checkpoint import CheckpointError, load_checkpoint, save_best_checkpoint

log = logging.getLogger("sf_curric")

STATE_KEY = "best_eval_return"  # in every checkpoint, so a resumed run keeps comparing against the same best


def resolve_best_group(requested: str, group_names: list[str]) -> str:
    """The group whose eval return picks the best checkpoint.

    Args:
        requested: the `--eval_best_group` value ("auto": test when there are held-out tasks, else the first group).
        group_names: the groups an evaluation produces, in order.

    Raises:
        ValueError: the requested group is not evaluated (one line naming the choices).
    """
    if requested == "auto":
        return "test" if "test" in group_names else group_names[0]
    if requested not in group_names:
        raise ValueError(
            f"--eval_best_group={requested}: evaluation produces the groups {group_names}; choose one of them"
        )
    return requested


class BestByEval:
    """Keeps the best checkpoint by the eval return on one group.

    Args:
        group: the task group that decides.
        best: the best return so far (from a resumed run's checkpoint; -inf when none).

    Example:
        >>> best = BestByEval("test")
        >>> best.consider({"test": 0.7}, "snapshot.pth", checkpoint_dir(exp_dir), iteration=10, env_steps=4096)
    """

    def __init__(self, group: str, best: float = -math.inf):
        self.group = group
        self.best = float(best)

    @classmethod
    def from_cfg(cls, cfg: argparse.Namespace, group_names: list[str], best: float = -math.inf) -> BestByEval:
        """Build it from `--eval_best_group` and the evaluated groups."""
        return cls(resolve_best_group(cfg.eval_best_group, group_names), best)

    def consider(
        self,
        group_returns: dict[str, float],
        snapshot: Path | str,
        ckpt_dir: Path | str,
        iteration: int,
        env_steps: int,
    ) -> Path | None:
        """Save `snapshot` as the best checkpoint when its return on the group beats the best so far.

        Args:
            group_returns: group -> mean eval return of the snapshot's policy.
            snapshot: the checkpoint file that was evaluated.
            ckpt_dir: the experiment's checkpoint folder.
            iteration: training iteration of the snapshot.
            env_steps: env steps of the snapshot.

        Returns:
            The new best checkpoint's path, or None when it is not better.
        """
        value = group_returns.get(self.group)
        if value is None or not math.isfinite(value) or value <= self.best:
            return None
        try:
            state = load_checkpoint(snapshot)  # its SHA-256 checked: a damaged snapshot never becomes the best
            state[STATE_KEY] = float(value)
            state.pop("sf_curric_version", None)  # stamped again when written
            path = save_best_checkpoint(ckpt_dir, state, iteration, env_steps, float(value))
        except (CheckpointError, OSError) as e:  # damaged, or a full disk: the previous best stays
            log.warning("the evaluation's best policy at %d env steps is not kept: %s", env_steps, e)
            return None
        self.best = float(value)  # only once written: a failed write is retried by the next better one
        return path
