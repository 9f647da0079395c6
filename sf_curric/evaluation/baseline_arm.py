"""`--baseline_curriculum=NAME`: train the same command with `--curriculum=NAME` alongside, then compare the tables.

The README's demo uses it to measure its claim on the user's machine instead of quoting one: while the run trains
with its curriculum, a second process trains the same command with `--curriculum=none` (experiment
`<experiment>_none`, same seed, same budget); at the end the run prints both end-of-training tables side by side
and one sentence saying, group by group, whether its 95 % interval lies above, below or overlaps the baseline's.
On a machine with two cores or more each arm has a core of its own, so the comparison costs little extra wall time.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Sequence

from sf_curric.cfg.experiment import experiment_dir
from sf_curric.cfg.validation import ConfigError
from sf_curric.evaluation.writers import write_json
from sf_curric.utils.logs import setup_logging

log = logging.getLogger("sf_curric")

COMPARISON_FILE = "baseline_comparison.json"
# How long a stopped run waits for its baseline to save and exit before ending it.
STOP_WAIT_S = 60.0


@dataclass
class BaselineArm:
    """The second training process of a `--baseline_curriculum` run.

    Attributes:
        curriculum: the baseline's `--curriculum`.
        experiment: its experiment name.
        exp_dir: its experiment folder.
        process: the training process.
        stderr: its console output (a temporary file, shown when it fails).
    """

    curriculum: str
    experiment: str
    exp_dir: Path
    process: subprocess.Popen
    stderr: IO[bytes]


def baseline_command(argv: Sequence[str], curriculum: str, experiment: str) -> list[str]:
    """The baseline's command line: the run's own program and flags, with its curriculum and experiment.

    The overrides come last (argparse keeps the last value of a flag); `--baseline_curriculum=` (empty) keeps the
    baseline from starting a baseline of its own. A run started with `python -m sf_curric.train` starts the module
    again; a user's script (which registers its envs first) is started again as a script.

    Args:
        argv: the run's flags (without the program).
        curriculum: the baseline's `--curriculum`.
        experiment: the baseline's `--experiment`.
    """
    main_spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if main_spec is not None and main_spec.name:
        program = ["-m", main_spec.name.removesuffix(".__main__")]
    else:
        program = [sys.argv[0]]
    overrides = [f"--curriculum={curriculum}", f"--experiment={experiment}", "--baseline_curriculum="]
    return [sys.executable, *program, *argv, *overrides]


def check_baseline_flags(cfg: argparse.Namespace) -> None:
    """A ConfigError naming the fix when `--baseline_curriculum` cannot run (checked before anything starts).

    Args:
        cfg: the run's config.
    """
    name = getattr(cfg, "baseline_curriculum", None)
    if not name:
        return
    from sf_curric.curricula.registry import curriculum_names

    if name not in curriculum_names():
        raise ConfigError(f"unknown --baseline_curriculum={name!r}: use one of {', '.join(curriculum_names())}")
    if name == run_curriculum_name(cfg):
        raise ConfigError(f"--baseline_curriculum={name} is the run's own --curriculum: name another one (e.g. none)")
    if cfg.final_eval_episodes < 1:
        raise ConfigError("--baseline_curriculum compares the end-of-training tables: set --final_eval_episodes=50")


def start_baseline(cfg: argparse.Namespace, argv: Sequence[str]) -> BaselineArm | None:
    """Start the baseline's training process, or return None when the run has no `--baseline_curriculum`.

    Args:
        cfg: the run's config (after validation).
        argv: the run's flags (without the program).
    """
    check_baseline_flags(cfg)
    name = getattr(cfg, "baseline_curriculum", None)
    if not name:
        return None
    experiment = f"{cfg.experiment}_{name}"
    stderr = tempfile.TemporaryFile()
    command = baseline_command(argv, name, experiment)
    # its own session: a Ctrl-C in the terminal reaches this run alone, which then stops the baseline with one
    # SIGTERM (a second signal would make the baseline stop without saving)
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
    arm = BaselineArm(name, experiment, Path(cfg.train_dir) / experiment, process, stderr)
    setup_logging(cfg.log_level)  # console only, before the runner starts (it adds the log file)
    log.info(
        "training the same command with --curriculum=%s alongside (experiment %s, log %s)",
        name,
        experiment,
        arm.exp_dir / "sf_log.txt",
    )
    return arm


def stop_baseline(arm: BaselineArm | None) -> None:
    """Ask the baseline to save and stop (SIGTERM), and wait for it (a run that failed or was interrupted)."""
    if arm is None:
        return
    if arm.process.poll() is None:
        arm.process.terminate()
    try:
        arm.process.wait(STOP_WAIT_S)
    except subprocess.TimeoutExpired:
        arm.process.kill()
        arm.process.wait()
    arm.stderr.close()


def finish_baseline(arm: BaselineArm | None, cfg: argparse.Namespace) -> dict[str, Any] | None:
    """Wait for the baseline, then log both tables side by side and what they show (None when there is nothing
    to compare).

    Args:
        arm: the baseline, from `start_baseline`.
        cfg: the run's config (its own table is `final_eval.json` in its experiment folder).

    Returns:
        What `baseline_comparison.json` in the run's experiment folder holds: the baseline's curriculum and
        experiment, `groups` (`{group: "above" | "below" | "overlaps" | "unknown"}`) and the `sentence`; or None.
    """
    if arm is None:
        return None
    from sf_curric.evaluation.final_eval import FINAL_EVAL_FILE  # the table's module, loaded when it is needed

    if arm.process.poll() is None:
        log.info("waiting for the --curriculum=%s run (%s) to finish", arm.curriculum, arm.experiment)
    status = arm.process.wait()
    arm.stderr.seek(0)
    errors = arm.stderr.read().decode(errors="replace").strip().splitlines()
    arm.stderr.close()
    ours_file, theirs_file = experiment_dir(cfg) / FINAL_EVAL_FILE, arm.exp_dir / FINAL_EVAL_FILE
    if status != 0 or not theirs_file.exists() or not ours_file.exists():
        last = errors[-1] if errors else f"see {arm.exp_dir / 'sf_log.txt'}"
        log.warning("no comparison: the --curriculum=%s run ended with status %s (%s)", arm.curriculum, status, last)
        return None
    ours = json.loads(ours_file.read_text())["groups"]
    theirs = json.loads(theirs_file.read_text())["groups"]
    ours_name = f"--curriculum={run_curriculum_name(cfg)}"
    verdicts = {group: interval_verdict(ours[group], theirs.get(group)) for group in ours}
    sentence = comparison_sentence(verdicts, ours_name, f"--curriculum={arm.curriculum}")
    table = comparison_table(ours, theirs, ours_name, f"--curriculum={arm.curriculum}", verdicts)
    log.info("the same command with --curriculum=%s (experiment %s):\n%s\n%s", arm.curriculum, arm.experiment,
             table, sentence)  # fmt: skip
    comparison = {"baseline_curriculum": arm.curriculum, "baseline_experiment": arm.experiment,
                  "groups": verdicts, "sentence": sentence}  # fmt: skip
    write_json(experiment_dir(cfg) / COMPARISON_FILE, comparison)
    return comparison


def run_curriculum_name(cfg: argparse.Namespace) -> str:
    """The run's `--curriculum`, or the name of the curriculum its env was registered with."""
    if cfg.curriculum:
        return str(cfg.curriculum)
    from sf_curric.envs.registry import get_env_spec

    registered = getattr(get_env_spec(cfg.env), "curriculum", None)
    if registered is None:
        return "none"
    return registered if isinstance(registered, str) else type(registered).__name__


def _interval(summary: dict[str, Any] | None) -> tuple[float, float]:
    if summary is None:
        return math.nan, math.nan
    low, high = summary.get("ci95_low"), summary.get("ci95_high")
    return (math.nan if low is None else float(low)), (math.nan if high is None else float(high))


def interval_verdict(ours: dict[str, Any], theirs: dict[str, Any] | None) -> str:
    """ "above" when our 95 % interval lies entirely above theirs, "below" when entirely below, "overlaps"
    otherwise, "unknown" when either interval is missing (fewer than 2 episodes).

    Example:
        >>> interval_verdict({"ci95_low": 0.9, "ci95_high": 1.0}, {"ci95_low": 0.0, "ci95_high": 0.1})
        'above'
    """
    (low, high), (their_low, their_high) = _interval(ours), _interval(theirs)
    if any(math.isnan(x) for x in (low, high, their_low, their_high)):
        return "unknown"
    if low > their_high:
        return "above"
    if high < their_low:
        return "below"
    return "overlaps"


def comparison_sentence(verdicts: dict[str, str], ours: str, theirs: str) -> str:
    """One sentence saying, group by group, where our interval lies against the baseline's.

    Example:
        >>> comparison_sentence({"easiest": "overlaps", "hardest": "above"}, "--curriculum=performance",
        ...                     "--curriculum=none")
        "The 95 % interval of --curriculum=performance lies above that of --curriculum=none on hardest and overlaps it on easiest."
    """  # noqa: E501
    parts, compared = [], False  # after the first comparison, "that of <baseline>" becomes "it"
    for verdict in ("above", "below", "overlaps", "unknown"):
        groups = [g for g, v in verdicts.items() if v == verdict]
        if not groups:
            continue
        listed = groups[0] if len(groups) == 1 else ", ".join(groups[:-1]) + " and " + groups[-1]
        target = "it" if compared else f"that of {theirs}"
        if verdict == "unknown":
            parts.append(f"cannot be compared on {listed} (too few episodes)")
        else:
            parts.append(f"{'overlaps' if verdict == 'overlaps' else 'lies ' + verdict} {target} on {listed}")
            compared = True
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"The 95 % interval of {ours} {joined}."


def comparison_table(
    ours: dict[str, Any], theirs: dict[str, Any], ours_name: str, theirs_name: str, verdicts: dict[str, str]
) -> str:
    """Both runs' mean and 95 % interval per group, and the verdict."""

    def cell(summary: dict[str, Any] | None) -> str:
        if summary is None:
            return "-"
        low, high = _interval(summary)
        return f"{summary['mean']:.2f} [{low:.2f}, {high:.2f}]"

    width = max([8, *(len(g) for g in ours)])
    column = max(24, len(ours_name), len(theirs_name))
    lines = [f"{'group':<{width}}  {ours_name:<{column}}  {theirs_name:<{column}}  95 % intervals"]
    for group, summary in ours.items():
        lines.append(f"{group:<{width}}  {cell(summary):<{column}}  {cell(theirs.get(group)):<{column}}  "
                     f"{verdicts[group]}")  # fmt: skip
    return "\n".join(lines)
