"""Shared-memory buffers and back-pressure queues across real processes."""

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from sf_curric.algo.parallel.process_utils import stop_processes, worker_context
from sf_curric.algo.parallel.queues import get_many_blocking, make_queue
from sf_curric.algo.parallel.shared_buffers import ControlBlock, SharedTrajectories, SharedWeights
from tests.parallel import helpers, producer


def test_child_writes_and_weights_cross_processes_and_gather_concatenates_envs():
    template = {"rewards": torch.zeros(4, 3), "env_ids": torch.zeros(3, dtype=torch.int64)}
    buffers = SharedTrajectories(template, num_slots=3)
    model = torch.nn.Linear(3, 2)
    weights = SharedWeights(model.state_dict())
    with torch.no_grad():
        model.weight.fill_(0.25)
    weights.publish(model.state_dict(), version=7)
    out = SharedTrajectories({"version": torch.zeros(1), "sum": torch.zeros(1)}, num_slots=1)
    p = worker_context().Process(target=helpers.fill_slots_and_read_weights, args=(buffers, weights, out))
    p.start()
    stop_processes([p], timeout=60)
    assert torch.all(buffers.slot(0)["rewards"] == 1.0)
    assert torch.all(buffers.slot(1)["rewards"] == 0.0)
    assert torch.all(buffers.slot(2)["env_ids"] == 3)
    batch = buffers.gather([0, 2])
    assert batch["rewards"].shape == (4, 6) and batch["env_ids"].shape == (6,)
    assert batch["rewards"][:, :3].eq(1).all() and batch["rewards"][:, 3:].eq(3).all()
    assert out.slot(0)["version"].item() == 7
    assert abs(out.slot(0)["sum"].item() - 0.25 * 6) < 1e-6


def test_full_queue_blocks_the_sender_and_drops_nothing():
    # 2 KB hold about 20 messages: the producer is blocked most of the time by the slow consumer
    q = make_queue(max_size_bytes=2048)
    n = 3000
    producer_proc = worker_context().Process(target=producer.produce, args=(q, n))
    producer_proc.start()
    received = []
    deadline = time.monotonic() + 60
    while len(received) < n and time.monotonic() < deadline:
        received.extend(get_many_blocking(q, lambda: time.monotonic() > deadline))
        if len(received) < 200:
            time.sleep(0.05)  # slow consumer at first: the queue fills up and the producer must wait
    stop_processes([producer_proc], timeout=10)
    assert [i for _, i, _ in received] == list(range(n))  # all of them, in order


def test_stop_flag_ends_workers_and_leaves_no_shm_segment():
    control = ControlBlock(2)
    buffers = SharedTrajectories({"x": torch.zeros(8)}, num_slots=1)
    ctx = worker_context()
    procs = [ctx.Process(target=helpers.idle_worker, args=(control, buffers, i, os.getpid())) for i in range(2)]
    for p in procs:
        p.start()
    deadline = time.monotonic() + 30
    while buffers.slot(0)["x"][:2].min() < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = {p.pid for p in procs}
    control.request_stop()
    stop_processes(procs, timeout=10)
    assert buffers.slot(0)["x"].sum() > 0  # the workers really wrote into the shared buffer
    del buffers, control
    assert not (pids & helpers.child_pids(os.getpid()))
    assert not helpers.shm_entries([os.getpid(), *pids])


_KILLED_PARENT = textwrap.dedent(
    """
    import os, sys, time, torch
    from sf_curric.algo.parallel.process_utils import worker_context
    from sf_curric.algo.parallel.shared_buffers import ControlBlock, SharedTrajectories
    from tests.parallel import helpers, producer

    if __name__ == "__main__":
        control, buffers = ControlBlock(2), SharedTrajectories({"x": torch.zeros(1 << 20)}, num_slots=2)
        targets = [helpers.idle_worker, getattr(helpers, sys.argv[1])]
        procs = [
            worker_context().Process(target=targets[i], args=(control, buffers, i, os.getpid()))
            for i in range(2)
        ]
        for p in procs:
            p.start()
        while buffers.slot(0)["x"][:2].min() < 5:  # both workers run (past die_with_parent)
            time.sleep(0.05)
        print(" ".join(str(p.pid) for p in procs), flush=True)
        time.sleep(600)
    """
)


@pytest.mark.parametrize("second_worker", ["idle_worker", "hung_worker"])
def test_sigkill_of_the_parent_leaves_no_orphan_and_no_shm_segment(tmp_path, second_worker):
    """A hung worker too (found by benchmarks/soak.py: a worker stuck in an env's step kept the forkserver alive, so
    the parent-death signal never came; the watchdog thread of die_with_parent ends it)."""
    script = tmp_path / "parent.py"
    script.write_text(_KILLED_PARENT)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parent = subprocess.Popen(
        [sys.executable, str(script), second_worker],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": root},
    )
    worker_pids = [int(p) for p in parent.stdout.readline().split()]
    assert len(worker_pids) == 2
    descendants = helpers.child_pids(parent.pid)  # the workers and multiprocessing's resource tracker
    assert set(worker_pids) <= descendants
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    alive = set(descendants)
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if helpers.is_alive(pid)}
        time.sleep(0.1)
    assert not alive, f"processes left: {[(pid, helpers.psutil.Process(pid).cmdline()) for pid in alive]}"
    assert not helpers.shm_entries([parent.pid, *descendants])


def test_stop_processes_skips_a_process_object_closed_already():
    # found by benchmarks/soak.py: a SIGTERM between closing a dead worker's process object and starting its
    # successor left the closed object in the pool, and the stop then failed with "process object is closed"
    ctx = multiprocessing.get_context("fork")
    closed, running = ctx.Process(target=time.sleep, args=(0,)), ctx.Process(target=time.sleep, args=(30,))
    closed.start()
    closed.join()
    closed.close()
    running.start()
    stop_processes([closed, running], timeout=0.5)  # escalates to SIGTERM for the sleeper
    with pytest.raises(ValueError, match="closed"):
        running.is_alive()  # closed by stop_processes once it was gone
