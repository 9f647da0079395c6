"""A parallel training run (PLR curriculum, 2 workers) that would hang if the runner ever waited on a dead or hung
worker. It runs in a subprocess with a timeout (`python -m tests.faults.stuck_scenarios TMPDIR`, with the fault env's
`hang_env`/`hang_after_steps` faults set) and prints one JSON line of figures.

1. Env 1 (worker 0) sleeps forever in `step`: worker 0 stays alive without progress; the stall check kills it and a
   new worker 0 starts.
2. Meanwhile, a helper process takes the locks of all the queues of worker 1 (results, free slots, tasks)
   and dies by SIGKILL, then worker 1 is killed too: this is what a worker killed inside a queue operation leaves
   behind. The runner threads that block on those queues are abandoned, the results queue is read without its
   lock, and a new worker 1 starts on new queues.
3. Once both new workers sent 3 trajectories each, the run trains 2000 more env steps and stops ("env_steps"). If
   it got stuck anywhere it would stop after 90 s ("seconds") or be killed by the test's timeout.
"""

import ctypes
import ctypes.util
import json
import multiprocessing
import os
import signal
import sys
import threading
import time
from pathlib import Path

from sf_curric.algo.parallel.queue_salvage import _MUTEX_OFFSET
from sf_curric.algo.runner import Runner
from tests.faults import envs
from tests.faults.helpers import small_cfg

STALL_TIMEOUT = 3.0


def hold_locks(queues, ready) -> None:
    """Take the lock of every queue and keep it (until this process is killed)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    for q in queues:
        libc.pthread_mutex_lock(ctypes.c_void_p(ctypes.addressof(q.queue_obj_buffer) + _MUTEX_OFFSET))
    ready.set()
    time.sleep(10**6)


def lock_and_die(queues) -> int:
    """Leave `queues` locked by a dead process, as a SIGKILL inside a queue operation does; return its pid."""
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=hold_locks, args=([q for q in queues if q is not None], ready), daemon=True)
    proc.start()
    if not ready.wait(60):
        raise RuntimeError("the lock holder did not take the locks")
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    return proc.pid


def stuck_workers(tmp) -> dict:
    cfg = small_cfg(tmp, env="test_faulty_task_env", serial_mode=False, num_workers=2, num_envs_per_worker=2,
                    rollout=8, batch_size=32, curriculum="plr", worker_stall_timeout_sec=STALL_TIMEOUT,
                    max_env_errors=5, train_for_env_steps=10**9, train_for_seconds=90)  # fmt: skip
    runner = Runner(cfg)
    received = []  # (worker, generation of its link when dispatched, monotonic time)
    event: dict = {}
    hang_marker = Path(json.loads(os.environ[envs.FAULTS_ENV_VAR])["record_dir"]) / "hung_once"

    def lock_worker_1():
        sampler = runner.sampler
        event["lock_holder_pid"] = lock_and_die(sampler.links[1].queues)
        os.kill(sampler.processes[1].pid, signal.SIGKILL)
        event["worker_1_killed_at"] = time.monotonic()

    def on_trajectories(sampler):
        new = {w: sum(1 for x, g, _ in received if x == w and g > 0) for w in (0, 1)}
        if min(new.values()) >= 3 and "stop_at_env_steps" not in event:
            event["stop_at_env_steps"] = cfg.train_for_env_steps = runner.env_steps + 2000

    make_sampler = runner._make_sampler

    def make_recording_sampler():
        sampler = make_sampler()
        dispatch = sampler._dispatch

        def recording_dispatch(msgs):
            ready = dispatch(msgs)
            received.extend((m.worker_idx, sampler.links[m.worker_idx].generation, time.monotonic()) for m in ready)
            if ready:
                on_trajectories(sampler)
            return ready

        sampler._dispatch = recording_dispatch
        return sampler

    runner._make_sampler = make_recording_sampler

    def watch_hang():
        while not hang_marker.exists():
            time.sleep(0.05)
        event["hang_at"] = time.monotonic()
        lock_worker_1()

    threading.Thread(target=watch_hang, daemon=True).start()
    result = runner.run()
    stats = runner.sampler.stats()

    def first_new(w, since):
        times = [t for x, g, t in received if x == w and g > 0]
        return None if since is None or not times else round(min(times) - since, 2)

    return {
        "reason": result.reason,
        "env_steps": int(result.env_steps),
        "curriculum": type(runner.curriculum_host.curriculum).__name__,
        "hang_injected": "hang_at" in event,
        "worker_1_locked_and_killed": "worker_1_killed_at" in event,
        "worker_restarts": stats["worker_restarts"],
        "worker_stalls": stats["worker_stalls"],
        "results_queues_lost": stats["results_queues_lost"],
        "slots_reclaimed": stats["slots_reclaimed"],
        "trajectories_of_new_processes": [sum(1 for x, g, _ in received if x == w and g > 0) for w in (0, 1)],
        "seconds_hang_to_new_worker_0_trajectory": first_new(0, event.get("hang_at")),
        "seconds_kill_to_new_worker_1_trajectory": first_new(1, event.get("worker_1_killed_at")),
        "links": [(link.generation, link.abandoned) for link in runner.sampler.links],
    }


if __name__ == "__main__":
    print("SCENARIO " + json.dumps(stuck_workers(sys.argv[1])), flush=True)
