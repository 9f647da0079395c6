"""Process helpers shared by the multi-process tests (module-level functions so that spawn can pickle them)."""

import os
import time
from pathlib import Path
from typing import Set

import psutil
import torch

from sf_curric.algo.parallel.process_utils import die_with_parent
from sf_curric.algo.parallel.queues import put_blocking
from sf_curric.algo.parallel.shared_buffers import ControlBlock, SharedTrajectories, SharedWeights


def shm_entries() -> Set[str]:
    """Names in /dev/shm (where POSIX shared memory and multiprocessing arenas live on Linux)."""
    return set(os.listdir("/dev/shm")) if Path("/dev/shm").exists() else set()


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


def fill_slot(buffers: SharedTrajectories, slot: int, value: float) -> None:
    """Child: write `value` into every tensor of one slot."""
    for t in buffers.slot(slot).values():
        t.fill_(value)


def read_weights(weights: SharedWeights, out: SharedTrajectories) -> None:
    """Child: read the published weights into a local model and report version and a weight sum."""
    model = torch.nn.Linear(3, 2)
    version = weights.read_into(model)
    out.slot(0)["version"].fill_(version)
    out.slot(0)["sum"].fill_(float(model.weight.sum()))


def produce(q, n: int, control: ControlBlock) -> None:
    """Child: put `n` numbered messages, blocking whenever the queue is full."""
    for i in range(n):
        put_blocking(q, ("msg", i, "x" * 50), lambda: control.stop_requested)


def idle_worker(control: ControlBlock, buffers: SharedTrajectories) -> None:
    """Child: hold the shared buffers and wait for the stop flag (or the parent's death)."""
    die_with_parent()
    while not control.stop_requested:
        buffers.slot(0)["x"].add_(1)
        time.sleep(0.01)
