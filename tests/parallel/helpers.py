"""Process helpers shared by the multi-process tests (module-level functions so that spawn can pickle them)."""

import os
import threading
import time
from pathlib import Path
from typing import Iterable, Set

import psutil
import torch

from sf_curric.algo.parallel.shared_buffers import ControlBlock, SharedTrajectories, SharedWeights  # noqa: F401
from sf_curric.utils.parent_process import die_with_parent, parent_alive
from tests.algo.runner_helpers import read_scalars  # noqa: F401 (the tests' one event-file reader)


def shm_entries(pids: Iterable[int]) -> Set[str]:
    """Entries of /dev/shm (where shared memory lives on Linux) that processes `pids` created.

    torch names its segments `torch_<pid>_...` and multiprocessing's heap arenas are `pym-<pid>-...`; entries of
    other programs on this shared machine are ignored.
    """
    if not Path("/dev/shm").exists():
        return set()
    tags = [tag for pid in pids for tag in (f"torch_{pid}_", f"pym-{pid}-")]
    return {name for name in os.listdir("/dev/shm") if any(name.startswith(tag) for tag in tags)}


def child_pids(pid: int) -> Set[int]:
    """All live descendants of `pid` (zombies excluded)."""
    try:
        kids = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return set()
    return {k.pid for k in kids if k.is_running() and k.status() != psutil.STATUS_ZOMBIE}


def is_alive(pid: int) -> bool:
    """True if `pid` runs and is not a zombie."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def fill_slots_and_read_weights(buffers: SharedTrajectories, weights: SharedWeights, out: SharedTrajectories) -> None:
    """Child: write slot+1 into every tensor of slots 0 and 2; read the published weights into a local model and
    report their version and weight sum."""
    for slot in (0, 2):
        for t in buffers.slot(slot).values():
            t.fill_(slot + 1.0)
    model = torch.nn.Linear(3, 2)
    version = weights.read_into(model)
    out.slot(0)["version"].fill_(version)
    out.slot(0)["sum"].fill_(float(model.weight.sum()))


def idle_worker(control: ControlBlock, buffers: SharedTrajectories, index: int, parent_pid: int) -> None:
    """Child: hold the shared buffers, count in element `index` and wait for the stop flag (or the parent's death)."""
    die_with_parent(parent_pid)
    while not control.stop_requested and parent_alive(parent_pid):
        buffers.slot(0)["x"][index] += 1
        time.sleep(0.01)


def hung_worker(control: ControlBlock, buffers: SharedTrajectories, index: int, parent_pid: int) -> None:
    """Child: like `idle_worker` until it counted to 5, then stuck for good (an env that hangs in step): it never
    looks at the stop flag or the parent again."""
    die_with_parent(parent_pid)
    while buffers.slot(0)["x"][index] < 5:
        buffers.slot(0)["x"][index] += 1
        time.sleep(0.01)
    threading.Event().wait()


def train_batches(sampler, learner, n: int) -> None:
    """Take `n` batches from `sampler`, train `learner` on each and publish the new weights (the runner's loop)."""
    for _ in range(n):
        batch = sampler.get_batch()
        learner.train(batch.traj, 0)
        sampler.on_weights_updated()
