"""Queues under load: several producer processes, a slow consumer, a small queue. Nothing is dropped or
duplicated, order per producer holds, and a full queue blocks the producers (back pressure) instead of growing."""

import multiprocessing
import pickle
import time

from sf_curric.algo.parallel.messages import TrajectoryReady
from sf_curric.algo.parallel.queues import get_many_blocking, make_queue, put_blocking
from sf_curric.algo.rollout import EpisodeSummary

NUM_PRODUCERS = 2
MESSAGES_EACH = 600
QUEUE_BYTES = 32 * 1024


def _message(producer: int, seq: int) -> TrajectoryReady:
    # a realistic message: a few episode summaries with extra stats (about 1 KB pickled)
    episodes = [EpisodeSummary(producer, float(seq), 8, seq % 7, True, 0.5, {"score": float(k)}) for k in range(4)]
    return TrajectoryReady(producer, seq, 64, seq, episodes, {"env_step": 0.001})


def _produce(q, producer: int, puts_done) -> None:
    for seq in range(MESSAGES_EACH):
        put_blocking(q, _message(producer, seq), lambda: False)
        with puts_done.get_lock():
            puts_done.value += 1


def test_slow_consumer_applies_back_pressure_and_every_message_arrives_once(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    q = make_queue(QUEUE_BYTES)
    puts_done = ctx.Value("l", 0)
    procs = [ctx.Process(target=_produce, args=(q, p, puts_done), daemon=True) for p in range(NUM_PRODUCERS)]
    for p in procs:
        p.start()
    total = NUM_PRODUCERS * MESSAGES_EACH
    try:
        # consumer asleep: the producers fill the queue and then wait (never drop, never grow past its size)
        deadline = time.monotonic() + 60
        while puts_done.value == 0:
            assert time.monotonic() < deadline, "producers did not start"
            time.sleep(0.05)
        time.sleep(1.0)
        stalled_at = puts_done.value
        message_bytes = len(pickle.dumps(_message(0, 0)))
        assert stalled_at <= QUEUE_BYTES // message_bytes + NUM_PRODUCERS, (stalled_at, message_bytes)
        assert stalled_at < total // 4

        # slow consumer: small reads with pauses; everything arrives exactly once, in order per producer
        received = {p: [] for p in range(NUM_PRODUCERS)}
        count = 0
        while count < total:
            msgs = get_many_blocking(q, lambda: time.monotonic() > deadline + 60)
            for m in msgs:
                received[m.worker_idx].append(m.slot)
                assert m.feedback[3].extra_stats == {"score": 3.0}
            count += len(msgs)
            time.sleep(0.002)  # a slow consumer
        for p in range(NUM_PRODUCERS):
            assert received[p] == list(range(MESSAGES_EACH))  # none lost, none duplicated, order kept
        assert puts_done.value == total
        print(f"{total} messages from {NUM_PRODUCERS} processes through a {QUEUE_BYTES} B queue: 0 lost; producers "
              f"stalled after {stalled_at} puts while the consumer slept")  # fmt: skip
    finally:
        for p in procs:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
