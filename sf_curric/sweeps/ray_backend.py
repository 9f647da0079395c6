"""The Ray backend: each run is a Ray task with declared CPU/GPU resources, on any node of an existing cluster.

The task starts the run's command as a child process on its node, exactly like the local backend. A task whose
node is lost is retried by Ray (`max_retries`) and, run again on the same experiment folder, the run resumes from
its newest checkpoint; this needs the sweep folder on storage every node sees (a shared file system).
"""

from __future__ import annotations

from typing import Callable, Sequence

from sf_curric.errors import install_command
from sf_curric.sweeps.run_description import RunSpec
from sf_curric.sweeps.run_one import RunOutcome, run_one
from sf_curric.utils.local_ray import init_local_ray


def _import_ray():
    try:
        import ray
    except ImportError:
        raise SystemExit(f"sf_curric.launch: --backend=ray needs ray: {install_command('ray')}") from None
    return ray


def run_ray(
    runs: Sequence[RunSpec],
    address: str | None,
    cpus_per_run: float,
    gpus_per_run: float,
    max_retries: int,
    report: Callable[[RunOutcome], None],
) -> list[RunOutcome]:
    """Run every run as a Ray task and wait for all of them.

    Args:
        runs: the sweep's runs (finished ones are skipped by the task itself).
        address: `auto`, `HOST:PORT`, or None: join the Ray of this process if there is one, else start a local
            one bound to 127.0.0.1 with token authentication (`sf_curric.utils.local_ray`).
        cpus_per_run: CPUs Ray reserves for one run (also its thread count).
        gpus_per_run: GPUs Ray reserves for one run.
        max_retries: times a run lost with its node (or its worker) is started again.
        report: called with each run's outcome as it ends.
    """
    ray = _import_ray()
    started_here = False
    if not ray.is_initialized():
        if address is None:  # every server on 127.0.0.1, token authentication on
            init_local_ray(configure_logging=False)
        else:
            ray.init(address=address, configure_logging=False)
        started_here = True
    threads = max(1, int(cpus_per_run))
    task = ray.remote(num_cpus=cpus_per_run, num_gpus=gpus_per_run, max_retries=max_retries)(_run_task)
    try:
        pending = {task.remote(spec, threads): spec for spec in runs}
        outcomes: dict[str, RunOutcome] = {}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            spec = pending.pop(ready[0])
            try:
                outcome = ray.get(ready[0])
            except ray.exceptions.RayError as e:  # retries exhausted: the run stays resumable
                outcome = RunOutcome(spec.name, f"failed ({e.__class__.__name__})", None, 0.0)
            outcomes[spec.name] = outcome
            report(outcome)
        return [outcomes[spec.name] for spec in runs]
    finally:
        if started_here:
            ray.shutdown()


def _run_task(spec: RunSpec, threads: int) -> RunOutcome:
    return run_one(spec, threads)
