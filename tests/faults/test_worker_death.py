"""A rollout worker process killed with SIGKILL: detected within seconds, replaced, its slots reclaimed."""

import os
import signal
import time

from sf_curric.algo.learner import Learner
from sf_curric.algo.parallel.sampler import ParallelSampler
from tests.faults import envs
from tests.faults.helpers import small_cfg
from tests.parallel.helpers import is_alive


def _sampler(tmp_path):
    cfg = small_cfg(tmp_path, serial_mode=False, num_workers=2, num_envs_per_worker=2, rollout=8, batch_size=16)
    env = envs.FaultyEnv()
    learner = Learner(cfg, env.observation_space, env.action_space)
    sampler = ParallelSampler(cfg, learner)
    received_slots = []
    dispatch = sampler._dispatch

    def recording_dispatch(msgs):
        ready = dispatch(msgs)
        received_slots.extend((m.worker_idx, m.slot) for m in ready)
        return ready

    sampler._dispatch = recording_dispatch
    return sampler, learner, received_slots


def test_killed_worker_is_replaced_and_its_slots_reclaimed(tmp_path):
    sampler, learner, received = _sampler(tmp_path)
    try:
        sampler.wait_for_workers()
        sampler.set_training_info({"approx_total_training_steps": 7})
        for _ in range(4):
            sampler.get_batch()
            learner.version += 1
            sampler.on_weights_updated()
        victim = sampler.processes[0].pid
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        while sampler.worker_restarts[0] == 0:
            sampler.get_batch()  # worker 1 keeps sending: the check must not wait for a quiet queue
            assert time.monotonic() - killed_at < 10, "the dead worker was not detected"
        detected_s = time.monotonic() - killed_at
        assert detected_s < 5
        assert not is_alive(victim) and sampler.processes[0].pid != victim and sampler.processes[0].is_alive()
        assert sampler.processes[1].is_alive() and sampler.worker_restarts[1] == 0

        # the new worker samples again, with every one of worker 0's slots (the reclaimed ones included)
        worker0_slots = {s for s, owner in enumerate(sampler.slot_owner) if owner == 0}
        mark = len(received)
        deadline = time.monotonic() + 60
        while {s for w, s in received[mark:] if w == 0} != worker0_slots:
            sampler.get_batch()
            assert time.monotonic() < deadline, "worker 0's slots did not come back after its restart"
        # bookkeeping: every slot is either with a worker or waiting in the sampler, none lost
        pending = {m.slot for m in sampler._pending}
        assert sampler.pool.with_workers | pending == set(range(len(sampler.slot_owner)))
        stats = sampler.stats()
        assert stats["worker_restarts"] == 1 and stats["slots_reclaimed"] == sampler.num_slots_reclaimed
        print(f"dead worker detected and replaced after {detected_s:.2f} s, {sampler.num_slots_reclaimed} slot(s)")
    finally:
        sampler.close()
