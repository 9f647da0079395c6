"""`evaluate(cfg)`: many episodes of a trained policy on the training tasks and on held-out tasks, summarized.

Writes `eval.json` (summary per group, per task, the generalization gap and every episode), `eval_summary.csv` (one
line per group) and `eval_episodes.csv` (one line per episode) into `--eval_output`, and returns the terminal table.
"""

from __future__ import annotations

import argparse
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sf_curric.cfg.arguments import flag_value
from sf_curric.cfg.experiment import experiment_dir
from sf_curric.cfg.population import policy_suffix
from sf_curric.envs.registry import make_env
from sf_curric.evaluation.episodes import EpisodeRecord, run_episodes
from sf_curric.evaluation.group_stats import group_returns, group_summaries
from sf_curric.evaluation.levels import format_level_table, level_rows
from sf_curric.evaluation.policy import EvaluationError, load_eval_config, load_policy
from sf_curric.evaluation.stats import CONFIDENCE, INTERVAL_METHOD, welch_gap
from sf_curric.evaluation.tasks import episode_jobs, level_groups, task_groups
from sf_curric.evaluation.writers import jsonable, write_csv, write_json

log = logging.getLogger("sf_curric")

JSON_FILE = "eval.json"
SUMMARY_CSV = "eval_summary.csv"
EPISODES_CSV = "eval_episodes.csv"
SUMMARY_COLUMNS = ("group", "num_tasks", "n", "mean", "std", "ci95_low", "ci95_high")
EPISODE_COLUMNS = (
    "group",
    "task",
    "episode",
    "seed",
    "episode_return",
    "episode_length",
    "terminated",
    "task_completion",
)


@dataclass
class EvalReport:
    """What `evaluate` produced.

    Attributes:
        data: the content of eval.json.
        table: the terminal table.
        output_dir: where the files are.
        records: every finished episode.
    """

    data: dict[str, Any]
    table: str
    output_dir: Path
    records: list[EpisodeRecord]


def _check_flags(cfg: argparse.Namespace) -> None:
    if cfg.eval_num_envs < 1:
        raise EvaluationError(f"--eval_num_envs={cfg.eval_num_envs} must be at least 1")


def _episode_row(record: EpisodeRecord) -> dict[str, Any]:
    job = record.job
    return {
        "group": job.group,
        "task": job.task_label,
        "episode": job.episode,
        "seed": job.seed,
        "episode_return": record.episode_return,
        "episode_length": record.episode_length,
        "terminated": record.terminated,
        "task_completion": record.task_completion,
        "extra_stats": record.extra_stats,
    }


def _fmt(value: float) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.2f}"


def format_table(data: dict[str, Any]) -> str:
    """The terminal table of an eval.json dict: one line per group, then the generalization gap.

    Args:
        data: as written to eval.json (or `EvalReport.data`).
    """
    width = max([8, *(len(name) for name in data["groups"])])
    lines = [f"{'group':<{width}} {'tasks':>6} {'episodes':>9} {'mean':>10} {'std':>10}   95% interval (t)"]
    for name, s in data["groups"].items():
        interval = f"[{_fmt(s['ci95_low'])}, {_fmt(s['ci95_high'])}]"
        lines.append(
            f"{name:<{width}} {s['num_tasks']:>6} {s['n']:>9} {_fmt(s['mean']):>10} {_fmt(s['std']):>10}   {interval}"
        )
    gap = data.get("generalization_gap")
    if gap is not None:
        lines.append(
            f"generalization gap (train - test): {_fmt(gap['value'])}, 95% interval (Welch) "
            f"[{_fmt(gap['ci95_low'])}, {_fmt(gap['ci95_high'])}]"
        )
    return "\n".join(lines)


def evaluate(cfg: argparse.Namespace, checkpoint_path: Path | str | None = None) -> EvalReport:
    """Evaluate the experiment named by `cfg` and write eval.json and the CSV files.

    Args:
        cfg: parsed with `parse_args(argv, evaluation=True)`; the experiment's config.json is merged in.
        checkpoint_path: evaluate this checkpoint file instead of the newest one (e.g. for learning curves).

    Raises:
        EvaluationError: bad flags, no experiment, no checkpoint (one line that names the fix).

    Example:
        >>> from sf_curric.command_line import parse_args
        >>> report = evaluate(parse_args(["--experiment=demo", "--eval_tasks=all"], evaluation=True))
        >>> report.data["groups"]["test"]["mean"]
    """
    cfg = load_eval_config(cfg)
    _check_flags(cfg)
    seed = 0 if cfg.seed is None else int(cfg.seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if flag_value(cfg, "num_torch_threads") > 0:
        torch.set_num_threads(cfg.num_torch_threads)

    groups = task_groups(cfg)
    jobs = episode_jobs(groups, cfg)
    num_envs = max(1, min(cfg.eval_num_envs, len(jobs)))
    envs = [
        make_env(cfg, {"worker_index": 0, "vector_index": i, "env_id": i, "evaluation": True}) for i in range(num_envs)
    ]
    try:
        policy = load_policy(cfg, envs[0].observation_space, envs[0].action_space, checkpoint_path=checkpoint_path)
        start = time.monotonic()
        records = run_episodes(envs, policy.model, jobs, bool(cfg.deterministic), policy.training_info)
        seconds = time.monotonic() - start
    finally:
        for env in envs:
            env.close()

    summary, per_task = group_summaries(groups, records)
    gap = None
    if "train" in summary and "test" in summary:
        gap = welch_gap(group_returns(records, "train"), group_returns(records, "test")).as_dict()
    data = {
        "env": cfg.env,
        "experiment": cfg.experiment,
        "checkpoint": str(policy.checkpoint_path),
        "env_steps": policy.env_steps,
        "seed": seed,
        "deterministic": bool(cfg.deterministic),
        "eval_num_envs": num_envs,
        "interval": {"method": INTERVAL_METHOD, "confidence": CONFIDENCE, "over": "episodes", "std_ddof": 1},
        "groups": summary,
        "generalization_gap": gap,
        "tasks": per_task,
        "levels": [row for g in groups if g.name in level_groups(cfg) for row in level_rows(g.name, g.labels, records)],
        "episodes": [_episode_row(r) for r in records],
        "seconds": seconds,
    }
    data = jsonable(data)
    output = Path(cfg.eval_output) if cfg.eval_output else experiment_dir(cfg) / f"eval{policy_suffix(cfg)}"
    write_json(output / JSON_FILE, data)
    write_csv(output / SUMMARY_CSV, [{"group": g, **s} for g, s in data["groups"].items()], SUMMARY_COLUMNS)
    write_csv(output / EPISODES_CSV, data["episodes"], EPISODE_COLUMNS)
    log.info("eval: %d episodes in %.1f s, results in %s", len(records), seconds, output)
    table = "\n\n".join(part for part in (format_table(data), format_level_table(data["levels"])) if part)
    return EvalReport(data, table, output, records)
