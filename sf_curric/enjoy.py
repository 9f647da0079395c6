"""`python -m sf_curric.enjoy`: watch or record a trained policy, printing each episode's return and length.

A user's own script can call `run()` after `register_env(...)`: it parses the same command line.
"""

from __future__ import annotations

import sys
from typing import Sequence

from sf_curric.cfg.validation import ConfigError
from sf_curric.command_line import parse_args
from sf_curric.evaluation.policy import EvaluationError
from sf_curric.evaluation.replay import EnjoyResult, describe_episode, enjoy
from sf_curric.utils.checkpoint import CheckpointError
from sf_curric.utils.logs import setup_logging


def run(argv: Sequence[str] | None = None) -> EnjoyResult:
    """Play the policy of the experiment named on the command line `argv` (default: `sys.argv[1:]`).

    An experiment or checkpoint that cannot be used stops the program with one line on stderr and exit status 2.

    Args:
        argv: arguments without the program name, e.g. `["--experiment=demo", "--save_video"]`.

    Example:
        >>> run(["--env=CartPole-v1", "--experiment=demo", "--max_num_episodes=3", "--save_video"])
    """
    try:
        cfg = parse_args(argv, evaluation=True, program="enjoy")
        setup_logging(cfg.log_level)
        result = enjoy(cfg, on_episode=lambda record: print(describe_episode(record), flush=True))
    except (EvaluationError, ConfigError, CheckpointError) as e:
        print(f"sf_curric.enjoy: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    if result.video_path is not None:
        print(f"video: {result.video_path} ({result.video_frames} frames)", flush=True)
    return result


def main() -> int:
    """Entry point of `python -m sf_curric.enjoy`; returns the exit status."""
    run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
