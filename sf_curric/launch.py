"""`python -m sf_curric.launch --run=my_sweep.py`: run every run of a sweep, locally or on a Ray cluster.

    python -m sf_curric.launch --run=benchmarks/sweeps/curriculum_efficacy.py --max_parallel=2
    python -m sf_curric.launch --run=my_sweep.py --backend=ray --ray_address=auto
    python -m sf_curric.report train_dir/<run_name>

Launching the same sweep again skips finished runs and resumes interrupted ones (see `sf_curric.sweeps.run_one`).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Sequence

from sf_curric.cfg.validation import ConfigError
from sf_curric.sweeps.run_description import RunDescription
from sf_curric.sweeps.run_one import RunOutcome


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def build_parser() -> argparse.ArgumentParser:
    """The launcher's flags (Sample Factory's names where it has them)."""
    p = argparse.ArgumentParser(prog="python -m sf_curric.launch", description=__doc__.split("\n")[0])
    p.add_argument("--run", required=True, help="Sweep: a .py file or a module that defines RUN_DESCRIPTION.")
    p.add_argument("--train_dir", default="./train_dir", help="Root folder; the sweep goes in <train_dir>/<run_name>.")
    p.add_argument("--backend", choices=("local", "ray"), default="local", help="Where runs execute.")
    p.add_argument(
        "--max_parallel", type=int, default=None, help="local: runs at the same time (default: one per CPU core)."
    )
    p.add_argument(
        "--threads_per_run",
        type=int,
        default=None,
        help="CPU threads per run (OMP/MKL and --num_torch_threads; default 1, the trainer's own default: "
        "threads beyond the free cores spin and slow every run down).",
    )
    p.add_argument(
        "--ray_address",
        default=None,
        help="ray: 'auto' or HOST:PORT of a running cluster (default: start a local Ray bound to 127.0.0.1).",
    )
    p.add_argument("--cpus_per_run", type=float, default=1.0, help="ray: CPUs reserved for each run.")
    p.add_argument("--gpus_per_run", type=float, default=0.0, help="ray: GPUs reserved for each run (0.5: two share).")
    p.add_argument(
        "--max_retries", type=int, default=3, help="ray: times a run lost with its node is restarted (it resumes)."
    )
    p.add_argument("--dry_run", action="store_true", help="Print the runs' commands and exit.")
    return p


def load_run_description(run: str) -> RunDescription:
    """`RUN_DESCRIPTION` of a sweep file (`path/to/sweep.py`) or module (`package.sweep`).

    Args:
        run: the `--run` value.

    Raises:
        ConfigError: no such file or module, or no RUN_DESCRIPTION in it (one line).
    """
    if run.endswith(".py"):
        path = Path(run)
        if not path.is_file():
            raise ConfigError(f"--run={run}: no such file")
        spec = importlib.util.spec_from_file_location(f"_sf_curric_sweep_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses in the sweep file look their module up
        spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(run)
        except ImportError as e:
            raise ConfigError(f"--run={run}: cannot import it ({e}); pass a .py path") from None
    description = getattr(module, "RUN_DESCRIPTION", None)
    if not isinstance(description, RunDescription):
        raise ConfigError(
            f"--run={run} defines no RUN_DESCRIPTION = RunDescription(...) "
            f"(from sf_curric.sweeps import RunDescription)"
        )
    return description


def launch(argv: Sequence[str] | None = None) -> list[RunOutcome]:
    """Run the sweep named by the command line `argv`; returns each run's outcome in sweep order.

    Args:
        argv: arguments without the program name, e.g. `["--run=my_sweep.py", "--max_parallel=2"]`.

    Example:
        >>> outcomes = launch(["--run=my_sweep.py", "--train_dir=/tmp/sweeps"])
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    max_parallel = args.max_parallel or _cores()
    if max_parallel < 1:
        parser.error(f"--max_parallel={max_parallel} must be at least 1")
    if args.backend == "ray":
        threads = args.threads_per_run or max(1, int(args.cpus_per_run))
    else:
        threads = args.threads_per_run or 1
    try:  # every name of the whole sweep is checked here, before any run starts
        description = load_run_description(args.run)
        runs = description.generate_runs(Path(args.train_dir).resolve(), python=sys.executable, threads=threads)
    except ConfigError as e:
        print(f"sf_curric.launch: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    sweep_dir = description.sweep_dir(Path(args.train_dir).resolve())
    if args.dry_run:
        for spec in runs:
            print(shlex.join(spec.argv))  # quoted for a POSIX shell: copy-paste runs exactly this command
        return []
    where = f"{max_parallel} at a time" if args.backend == "local" else f"on Ray ({args.ray_address or 'local'})"
    print(
        f"sf_curric.launch: {len(runs)} runs of {description.run_name!r} {where}, {threads} thread(s) each; "
        f"folder {sweep_dir}",
        flush=True,
    )
    start = time.monotonic()

    def report(outcome: RunOutcome) -> None:
        if outcome.status == "held":
            print(f"  {outcome.name}: held by another launcher ({outcome.note}): skipped here", flush=True)
        elif outcome.status != "skipped":
            print(f"  {outcome.name}: {outcome.status} ({outcome.seconds:.0f} s)", flush=True)

    if args.backend == "local":
        from sf_curric.sweeps.local import run_local

        outcomes = run_local(runs, max_parallel, threads, report)
    else:
        from sf_curric.sweeps.ray_backend import run_ray

        outcomes = run_ray(runs, args.ray_address, args.cpus_per_run, args.gpus_per_run, args.max_retries, report)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("done", "skipped", "held", "failed", "stopped")}
    failed = [o.name for o in outcomes if o.status not in ("done", "skipped", "held", "stopped")]
    held = f", {counts['held']} held by another launcher" if counts["held"] else ""
    print(
        f"sf_curric.launch: {counts['done']} finished now, {counts['skipped']} finished earlier{held}, "
        f"{len(failed)} failed, {counts['stopped']} stopped, in {time.monotonic() - start:.0f} s"
        + (f"; logs: <run folder>/sweep_stdout.log of {', '.join(failed)}" if failed else "")
        + f"\nstatistics: python -m sf_curric.report {sweep_dir}",
        flush=True,
    )
    return outcomes


def main() -> int:
    """Entry point; exit status 1 when a run failed or was stopped (launch again to continue); runs another launcher
    holds are that launcher's to finish."""
    outcomes = launch()
    return 0 if all(o.status in ("done", "skipped", "held") for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
