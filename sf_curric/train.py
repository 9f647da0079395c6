"""`python -m sf_curric.train`: parse the command line, prepare the experiment folder, train.

A user's own script can call `run()` after `register_env(...)`: it parses the same command line.
"""

from __future__ import annotations

import sys
from typing import Any, Sequence

from sf_curric.algo.nan_guard import NonFiniteTrainingError
from sf_curric.algo.runner import Runner, RunResult
from sf_curric.algo.stop_and_save import FinalSaveError
from sf_curric.cfg.auto_defaults import apply_auto_defaults
from sf_curric.cfg.experiment import experiment_dir, resolve_config
from sf_curric.cfg.validation import ConfigError, validate_cfg
from sf_curric.command_line import parse_args
from sf_curric.evaluation.baseline_arm import check_baseline_flags, finish_baseline, start_baseline, stop_baseline
from sf_curric.utils.checkpoint import CheckpointError, find_newest_checkpoint
from sf_curric.utils.logs import setup_logging
from sf_curric.utils.run_end import write_run_end
from sf_curric.utils.run_lock import experiment_lock


def run_with_result(argv: Sequence[str] | None = None) -> RunResult:
    """Train with the command line `argv` (default: `sys.argv[1:]`) and return how the run ended.

    Invalid flags, an unknown env or an unreadable checkpoint stop the program with one line on stderr and exit
    status 2 (like argparse errors).

    Args:
        argv: arguments without the program name, e.g. `["--env=CartPole-v1", "--experiment=demo"]`.

    Returns:
        How the run ended (env steps, average return, stop reason).

    Example:
        >>> result = run_with_result(["--env=CartPole-v1", "--experiment=demo", "--serial_mode=True"])
        >>> result.avg_return
    """
    try:
        cfg = resolve_config(parse_args(argv))
        validate_cfg(cfg)
        check_baseline_flags(cfg)
        setup_logging(cfg.log_level)  # console only (the runner adds the log file): the auto defaults log their choice
        cfg = apply_auto_defaults(cfg)  # after validation: a bad flag is reported alone; resumed runs keep theirs
        with experiment_lock(cfg):  # one run per experiment; taken before the folder is renamed or deleted
            baseline = start_baseline(cfg, sys.argv[1:] if argv is None else argv)
            try:
                result = _runner(cfg).run()  # --restart_behavior applied once its checks passed
            except BaseException:
                stop_baseline(baseline)
                raise
            write_run_end(experiment_dir(cfg), result.reason, result.env_steps)  # for sf_curric.launch
            if result.reason == "interrupted":
                stop_baseline(baseline)
            else:
                finish_baseline(baseline, cfg)
            return result
    except (ConfigError, CheckpointError) as e:
        print(f"sf_curric.train: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    except ImportError as e:  # an optional dependency of the env or a feature, named with its extra
        if "pip install" not in str(e):
            raise
        print(f"sf_curric.train: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    except NonFiniteTrainingError as e:  # not a bug to debug: one line that says what to check
        print(f"sf_curric.train: stopped: {e}; {_resume_hint(cfg)}", file=sys.stderr)
        raise SystemExit(1) from None
    except FinalSaveError as e:  # names the last good checkpoint itself
        print(f"sf_curric.train: stopped: {e}", file=sys.stderr)
        raise SystemExit(1) from None


def _runner(cfg: Any) -> Any:
    """One policy's `Runner`, or a `MultiPolicyRunner` with --num_policies > 1 (the same `run()`)."""
    if cfg.num_policies > 1:
        from sf_curric.algo.multi_policy import MultiPolicyRunner

        return MultiPolicyRunner(cfg, prepare_dir=True)
    return Runner(cfg, prepare_dir=True)


def _resume_hint(cfg: Any) -> str:
    """Where a run stopped on NaN/Inf can resume from (it never checkpoints non-finite weights)."""
    newest = find_newest_checkpoint(experiment_dir(cfg))
    if newest is None:
        return "no checkpoint was written yet: start again once that is fixed"
    return f"then resume from the last checkpoint, {newest} (its weights are finite)"


def run(argv: Sequence[str] | None = None) -> int:
    """Train with the command line `argv` (default: `sys.argv[1:]`); returns 0, the exit status of a run that ended.

    Like Sample Factory's `run_rl`, so that a user's script can end in `sys.exit(main())` with `main()` returning
    `run()`. Errors exit as in `run_with_result`, which returns the detailed `RunResult` instead.

    Args:
        argv: arguments without the program name, e.g. `["--env=CartPole-v1", "--experiment=demo"]`.

    Example:
        >>> sys.exit(run(["--env=CartPole-v1", "--experiment=demo", "--serial_mode=True"]))
    """
    run_with_result(argv)
    return 0


def main() -> int:
    """Entry point of `python -m sf_curric.train`; returns the exit status."""
    return run()


if __name__ == "__main__":
    sys.exit(main())
