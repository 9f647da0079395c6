"""Sample Factory's flags that have nothing to do here: accepted with SF's name and type, and explained.

A Sample Factory user's command line runs as typed (`python -m sf_curric.train --algo=APPO --batched_sampling=True
...`). Every SF 2.1.1 flag (`sample_factory_2.1.1_flags.json`) is either implemented with SF's meaning by the
package that reads it (`sample_factory_implemented.IMPLEMENTED` names the tests of its effect), or listed here:
accepted, and the run logs one line per flag typed saying what it does here (`sample_factory_notes`), so no flag is a
silent no-op. The flag walk
(`tests/cfg/test_sample_factory_flags.py`) and docs/sample_factory_flags.md (`sf_curric.reference_sample_factory`)
read these lists.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable, NamedTuple

from sf_curric.flags import FlagSpec, bool_flag


class AcceptedFlag(NamedTuple):
    """A Sample Factory flag accepted here without an effect of its own.

    Attributes:
        flag: SF's name, e.g. `--batched_sampling`.
        kwargs: `add_argument` kwargs with SF's type and default.
        here: what it does here: its `--help` text and the line a run that typed it logs.
    """

    flag: str
    kwargs: dict[str, Any]
    here: str


def _accepted(flag: str, default: Any, here: str, kind: Any = None, **extra: Any) -> AcceptedFlag:
    if isinstance(default, bool):
        kwargs = bool_flag(default, f"Sample Factory's flag. {here}")
    else:
        kwargs = {"type": kind or type(default), "default": default, "help": f"Sample Factory's flag. {here}", **extra}
    return AcceptedFlag(flag, kwargs, here)


_NO_GPU_IN_WORKERS = "No effect: rollout workers step envs and act on the CPU"
ACCEPTED: list[AcceptedFlag] = [
    _accepted(
        "--batched_sampling",
        False,
        "No effect: a rollout worker always steps all its envs and computes their actions in one batched forward "
        "pass (there is no per-env sampler to switch from).",
    ),
    _accepted(
        "--policy_workers_per_policy",
        1,
        "No effect: actions are computed in the rollout workers on CPU copies of the policy, or by one central "
        "inference thread with --inference_mode=central; there are no policy-worker processes to multiply.",
    ),
    _accepted(
        "--decorrelate_experience_max_seconds",
        0,
        "No effect: workers start at once; their rollouts drift apart by themselves as episodes end at different "
        "times.",
        kind=float,
    ),
    _accepted(
        "--decorrelate_envs_on_one_worker",
        True,
        "No effect: envs are not stepped before training to spread their resets (each env has its own seed).",
    ),
    _accepted(
        "--actor_worker_gpus",
        [],
        f"{_NO_GPU_IN_WORKERS}; with a GPU learner, --inference_mode=central computes actions on the GPU.",
        kind=int,
        nargs="*",
    ),
    _accepted(
        "--set_workers_cpu_affinity",
        True,
        "No effect: worker processes are not pinned to cores; the OS schedules them.",
    ),
    _accepted(
        "--force_envs_single_thread",
        False,
        "No effect: the envs' own thread pools (OpenMP, MKL) are left alone; run with OMP_NUM_THREADS=1 to limit "
        "them (worker processes inherit the environment).",
    ),
    _accepted(
        "--heartbeat_interval",
        20,
        "No effect: workers record a heartbeat at every env step and every wait; --worker_stall_timeout_sec decides "
        "when a silent worker is replaced.",
    ),
    _accepted(
        "--heartbeat_reporting_interval",
        180,
        "No effect: the runner checks that workers live every second while it waits for data; see "
        "--worker_stall_timeout_sec.",
    ),
    _accepted(
        "--benchmark",
        False,
        "No effect: there is no benchmark mode; benchmarks/throughput.py measures throughput beside Sample Factory.",
    ),
    _accepted(
        "--use_env_info_cache",
        False,
        "No effect: the observation and action spaces come from one env made at start.",
    ),
    _accepted("--env_gpu_actions", False, f"{_NO_GPU_IN_WORKERS}: envs get numpy actions."),
    _accepted(
        "--env_gpu_observations",
        True,
        f"{_NO_GPU_IN_WORKERS}: observations stay in CPU shared memory; the learner moves each batch to its device.",
    ),
    _accepted(
        "--pixel_format",
        "CHW",
        "No effect: images stay as envs return them, (H, W, C), and the CNN moves the channels first itself (a "
        "channels-first env is refused with the fix).",
    ),
    _accepted(
        "--use_record_episode_statistics",
        False,
        "No effect: the rollout worker sums each episode's rewards and steps itself (returns before --reward_scale).",
    ),
]


class ConditionalNote(NamedTuple):
    """A flag implemented here that has no effect in some configurations: the run says so when it is typed there.

    Attributes:
        flag: e.g. `--recurrence`.
        applies: `applies(cfg)`: the typed value has no effect with this config.
        here: the line logged.
    """

    flag: str
    applies: Callable[[argparse.Namespace], bool]
    here: str


CONDITIONAL_NOTES: list[ConditionalNote] = [
    ConditionalNote(
        "--num_batches_to_accumulate",
        lambda cfg: cfg.serial_mode or not cfg.async_rl,
        "No effect in serial or synchronous mode: each batch is collected after the previous one trained.",
    ),
    ConditionalNote(
        "--recurrence",
        lambda cfg: not cfg.use_rnn and cfg.recurrence not in (-1, 1),
        "No effect on a feed-forward model: its samples are drawn one by one (sequences only matter with --use_rnn).",
    ),
    ConditionalNote(
        "--algo",
        lambda cfg: True,
        "APPO is the only algorithm here, as in Sample Factory (asynchronous PPO; --async_rl=False makes it "
        "synchronous PPO).",
    ),
    ConditionalNote(
        "--pbt_mix_policies_in_one_env",
        lambda cfg: cfg.num_policies < 2,
        "No effect with one policy: the policies of a --num_policies run play each other in multi-agent envs.",
    ),
    ConditionalNote(
        "--with_pbt",
        lambda cfg: cfg.with_pbt and cfg.num_policies < 2,
        "No effect with one policy (as in Sample Factory): PBT needs --num_policies >= 2.",
    ),
]


SAMPLE_FACTORY_ARGS: list[FlagSpec] = [(a.flag, a.kwargs) for a in ACCEPTED]


def sample_factory_notes(cfg: argparse.Namespace) -> list[str]:
    """One line per Sample Factory flag typed on the command line that has no effect here (or not with this
    config), saying what it does here. The runner logs them at
    start.

    Args:
        cfg: the run's config (`cfg.cli_args`: the flags typed).

    Example:
        >>> from sf_curric.command_line import parse_args
        >>> sample_factory_notes(parse_args(["--env=CartPole-v1", "--batched_sampling=True"]))[0][:40]
        '--batched_sampling=True (Sample Factory)'
    """
    typed = getattr(cfg, "cli_args", {}) or {}
    lines = []
    for accepted in ACCEPTED:
        name = accepted.flag[2:]
        if name in typed:
            lines.append(f"{accepted.flag}={_shown(typed[name])} (Sample Factory): {accepted.here}")
    for note in CONDITIONAL_NOTES:
        name = note.flag[2:]
        if name in typed and note.applies(cfg):
            lines.append(f"{note.flag}={_shown(typed[name])} (Sample Factory): {note.here}")
    return lines


def _shown(value: Any) -> str:
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)
