"""The worker-side task feed and the runner-side task server, in one process (real faster-fifo queues, a thread)."""

import time

import gymnasium as gym

from sf_curric.algo.curriculum_host import CurriculumHost
from sf_curric.algo.task_feed import TaskFeed, TaskServer
from sf_curric.curricula import DomainRandomization


def test_feed_hands_out_the_served_tasks_in_order_and_stays_within_its_target():
    host = CurriculumHost(DomainRandomization(gym.spaces.Discrete(50), seed=0), num_envs=4)
    issued = []
    take = host.take_tasks
    host.take_tasks = lambda n: issued.extend(take(n)) or issued[len(issued) - n :]
    server = TaskServer(host, num_workers=1, envs_per_worker=4, prefetch_per_env=1)
    server.start()
    try:
        timing = {}
        feed = TaskFeed(0, server.queues_for(0), lambda: False, timing)
        got = [feed(env_id=i % 4) for i in range(200)]
        assert got == issued[:200]  # every task once, in the order the curriculum issued them
        assert server.sent[0] - 200 <= server.target  # prefetching never runs away
        # a replacement worker on the same queues (e.g. after a crash) starts with no stock and is served at once
        replacement = TaskFeed(0, server.queues_for(0), lambda: False)
        more = [replacement(env_id=0) for _ in range(50)]
        assert len(more) == 50
        # the server counts a batch as sent after the curriculum issued it: wait for a send still in flight
        deadline = time.monotonic() + 10.0
        while len(issued) != server.sent[0] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(issued) == server.sent[0]
        server.raise_if_failed()
    finally:
        server.stop()


def test_serial_mode_feed_is_the_same_feed_answered_at_once_in_process():
    host = CurriculumHost(DomainRandomization(gym.spaces.Discrete(50), seed=0), num_envs=4, prefetch_per_env=2)
    issued, sizes = [], []
    take = host.take_tasks

    def recording_take(n):
        sizes.append(n)
        out = take(n)
        issued.extend(out)
        return out

    host.take_tasks = recording_take
    got = [host.next_task(env_id=i % 4) for i in range(20)]
    assert got == issued[:20]  # in the order the curriculum issued them, each once
    assert sizes == [8, 8, 8]  # asked only when out of tasks, for the whole target (2 per env x 4 envs)
    assert host.pending_tasks() == issued[20:]
