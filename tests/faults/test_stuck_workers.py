"""A worker killed while it holds a queue's lock, and a worker that hangs: the runner never blocks on them.

faster-fifo's lock is not robust: a process killed inside a queue operation leaves the queue locked, and every later
operation on it blocks forever, non-blocking ones included. The first tests show that with a real dead lock holder
and check that the runner's side (`WorkerLink`) still gets every complete message out of such a queue. The last one
runs real training (2 workers, PLR) in a subprocess with a timeout while a worker hangs in `env.step` and another
one dies leaving all its queues locked (tests/faults/stuck_scenarios.py).
"""

import ctypes
import json
import os
import queue
import subprocess
import sys
import threading
import time

from sf_curric.algo.parallel.messages import TrajectoryReady
from sf_curric.algo.parallel.queue_salvage import lock_owner, owner_is_dead, read_unlocked, salvage_supported
from sf_curric.algo.parallel.queues import make_queue
from sf_curric.algo.parallel.worker_link import LinkDrained, WorkerLink
from tests.faults import envs
from tests.faults.helpers import REPO
from tests.faults.stuck_scenarios import lock_and_die


def _messages(n):
    return [TrajectoryReady(0, slot, 16, 3, [], {"env_step": 0.5}) for slot in range(n)]


def _blocks(call, seconds=1.0) -> bool:
    """True if `call()` in a daemon thread has not returned after `seconds` (the thread is left behind)."""
    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(seconds)
    return thread.is_alive()


def test_a_queue_left_locked_by_a_dead_process_blocks_every_call_but_its_messages_can_be_read():
    assert salvage_supported()
    q = make_queue(4096)
    sent = _messages(5)
    for i, msg in enumerate(sent):
        q.put(msg)
        if i == 1:
            q.get()  # the ring buffer's head moves: reading must start there
    holder = lock_and_die([q])
    assert lock_owner(q) == holder and owner_is_dead(holder)
    assert _blocks(lambda: q.get_many(block=False))  # the hazard: even a non-blocking get waits forever
    assert _blocks(lambda: q.put("x", timeout=0.1))
    assert read_unlocked(q) == sent[1:]


def test_a_message_cut_short_by_its_writers_death_is_not_read():
    q = make_queue(4096)
    sent = _messages(2)
    for msg in sent:
        q.put(msg)
    # what a writer killed in the middle of its next put leaves: the size prefix counted, the body only partly copied
    header = q.queue_obj_buffer
    tail = ctypes.c_size_t.from_buffer(header, 24)
    size = ctypes.c_size_t.from_buffer(header, 32)
    ctypes.c_size_t.from_buffer(q.shared_memory, tail.value).value = 500
    tail.value += 8
    size.value += 8
    assert read_unlocked(q) == sent


def test_worker_link_gets_the_complete_messages_out_of_a_results_queue_left_locked():
    inbox = queue.SimpleQueue()
    link = WorkerLink(0, 7, inbox)
    sent = _messages(3)
    for msg in sent:
        link.queues.results.put(msg)
    lock_and_die([link.queues.results, link.queues.free_slots])
    link.start()
    link.send(link.queues.free_slots, 1)  # the writer thread blocks on the locked queue, the caller does not
    link.retire()
    time.sleep(0.5)
    assert inbox.empty()  # the reader is stuck on the lock as well
    assert link.abandon() == 0
    got = []
    while not inbox.empty():
        got.append(inbox.get_nowait())
    assert got == [*sent, LinkDrained(0, 7, 0)]  # every message once, the marker last
    assert link.abandoned


def test_training_goes_on_when_a_worker_hangs_and_another_dies_leaving_its_queues_locked(tmp_path):
    record = tmp_path / "faults"
    record.mkdir()
    faults = json.dumps({"record_dir": str(record), "hang_env": 1, "hang_after_steps": 200})
    out = subprocess.run(
        [sys.executable, "-m", "tests.faults.stuck_scenarios", str(tmp_path)], cwd=REPO, capture_output=True,
        text=True, timeout=240, env=dict(os.environ, **{envs.FAULTS_ENV_VAR: faults}),
    )  # fmt: skip
    lines = [line for line in out.stdout.splitlines() if line.startswith("SCENARIO ")]
    assert out.returncode == 0 and lines, out.stderr[-3000:]
    figures = json.loads(lines[-1].removeprefix("SCENARIO "))
    print(figures)
    assert figures["hang_injected"] and figures["worker_1_locked_and_killed"]
    assert figures["reason"] == "env_steps"  # both replacements sampled, then training went on to the end
    assert figures["curriculum"] == "PrioritizedLevelReplay"
    assert figures["worker_restarts"] == 2 and figures["worker_stalls"] == 1
    assert figures["results_queues_lost"] == 0
    # each stopped worker was filling a slot (>= 1 each); a slot it had finished and sent is trained on, not reclaimed,
    # so up to all 4 slots, depending on timing
    assert 2 <= figures["slots_reclaimed"] <= 4
    assert min(figures["trajectories_of_new_processes"]) >= 3
    log = (tmp_path / "exp" / "sf_log.txt").read_text()
    assert "worker process 0 (pid" in log and "made no progress" in log and "with envs [0, 1]" in log
    assert "worker 1's results queue was left locked by dead thread" in log
