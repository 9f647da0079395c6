"""`python -m sf_curric.eval`: evaluate a trained policy on its training tasks and on held-out tasks.

Prints a table (mean, std, 95 % t-interval per task group, and the generalization gap train minus test) and writes
eval.json, eval_summary.csv and eval_episodes.csv. A user's own script can call `run()` after `register_env(...)`.
"""

from __future__ import annotations

import sys
from typing import Sequence

from sf_curric.cfg.validation import ConfigError
from sf_curric.command_line import parse_args
from sf_curric.evaluation.evaluate import EvalReport, evaluate
from sf_curric.evaluation.policy import EvaluationError
from sf_curric.utils.checkpoint import CheckpointError
from sf_curric.utils.logs import setup_logging


def run(argv: Sequence[str] | None = None) -> EvalReport:
    """Evaluate the experiment named on the command line `argv` (default: `sys.argv[1:]`).

    Bad flags, no experiment or no checkpoint stop the program with one line on stderr and exit status 2.

    Args:
        argv: arguments without the program name, e.g. `["--experiment=demo", "--eval_tasks=all"]`.

    Example:
        >>> report = run(["--experiment=demo", "--test_tasks=1000:1100", "--eval_episodes_per_task=2"])
    """
    try:
        cfg = parse_args(argv, evaluation=True, program="eval")
        setup_logging(cfg.log_level)
        report = evaluate(cfg)
    except (EvaluationError, ConfigError, CheckpointError) as e:
        print(f"sf_curric.eval: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    print(report.table, flush=True)
    print(f"results: {report.output_dir}", flush=True)
    return report


def main() -> int:
    """Entry point of `python -m sf_curric.eval`; returns the exit status."""
    run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
