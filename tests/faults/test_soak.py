"""Long fault-injection run (opt-in: `pytest -m slow tests/faults -s`): env exceptions in step and reset, NaN
observations and SIGKILLed worker processes, all during one parallel training run with a PLR curriculum (so every
env reset takes its task through the worker's task queue, and kills land inside queue operations too).

Prints the figures: faults injected by kind, worker kills, what was survived, episodes lost (discarded by design:
episodes of rollouts in flight in a killed worker or at the end) and messages lost (must be 0). Every finished
episode carries a unique id; per env instance the episodes the runner received must be a gap-free, duplicate-free
prefix of those the env finished, so one lost message would show as a gap. SF_CURRIC_SOAK_SECONDS sets the length.
"""

import os
import random
import signal
import threading
from collections import defaultdict
from pathlib import Path

import pytest

from sf_curric.algo.runner import Runner
from tests.faults import envs
from tests.faults.helpers import small_cfg


def _finished_episodes(record_dir):
    """{(pid, instance): [episode indices]} from the env's record files."""
    out = defaultdict(list)
    for path in Path(record_dir).glob("faults_*.txt"):
        for line in path.read_text().splitlines():
            if line.startswith("episode "):
                fields = dict(f.split("=") for f in line.split()[1:])
                out[(int(fields["pid"]), int(fields["instance"]))].append(int(fields["episode"]))
    return out


@pytest.mark.slow
def test_soak_many_faults_nothing_lost(tmp_path, monkeypatch):
    seconds = float(os.environ.get("SF_CURRIC_SOAK_SECONDS", "90"))
    record = tmp_path / "faults"
    record.mkdir()
    envs.set_faults(monkeypatch, record_dir=str(record), episode_ids=True, step_raise_prob=0.001,
                    reset_raise_prob=0.01, nan_obs_every=1000)  # fmt: skip
    cfg = small_cfg(tmp_path, env="test_faulty_task_env", curriculum="plr", serial_mode=False, num_workers=2,
                    num_envs_per_worker=4, rollout=16, batch_size=64, train_for_env_steps=10**12,
                    train_for_seconds=seconds, max_env_errors=100000, save_every_sec=5)  # fmt: skip
    runner = Runner(cfg)
    received = []
    add = runner.stats.add

    def record_episodes(episodes):
        received.extend(episodes)
        add(episodes)

    runner.stats.add = record_episodes
    kills = []
    stop = threading.Event()

    def killer():
        rng = random.Random(0)
        while not stop.wait(rng.uniform(3.0, 6.0)):
            sampler = runner.sampler
            if sampler is None or not getattr(sampler, "processes", None):
                continue
            # only a worker that is sampling (a new one takes seconds to import torch and build its envs) and is
            # not being replaced already
            started = sorted(w for w in sampler.pool.started if not sampler.links[w].retired)
            if not started:
                continue
            victim = rng.choice(started)
            pid = sampler.processes[victim].pid
            try:
                os.kill(pid, signal.SIGKILL)
                kills.append(pid)
            except ProcessLookupError:
                pass

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    try:
        result = runner.run()
    finally:
        stop.set()
        thread.join()

    injected = envs.count_injected(record)
    finished = _finished_episodes(record)
    got = defaultdict(list)
    for ep in received:
        s = ep.extra_stats
        got[(int(s["pid"]), int(s["instance"]))].append(int(s["episode"]))
    gaps = duplicates = in_flight = 0
    for key, indices in finished.items():
        delivered = got.get(key, [])
        duplicates += len(delivered) - len(set(delivered))
        # delivered must be exactly the first len(delivered) finished episodes, in order
        if delivered != sorted(indices)[: len(delivered)]:
            gaps += 1
        in_flight += len(indices) - len(delivered)
    assert set(got) <= set(finished)  # nothing received that no env finished
    stats = runner.sampler.stats()
    salvaged = (tmp_path / "exp" / "sf_log.txt").read_text().count("results queue was left locked by dead thread")
    figures = {
        "run seconds": seconds,
        "stop reason": result.reason,
        "env steps": result.env_steps,
        "env errors injected (step/reset)": f"{injected.get('step', 0)}/{injected.get('reset', 0)}",
        "env errors counted by workers": int(runner.sampler.num_env_errors),
        "NaN observations injected": injected.get("nan", 0),
        "training batches skipped (NaN)": runner.nan_guard.total_batches,
        "worker processes killed": len(kills),
        "workers restarted": int(stats["worker_restarts"]),
        "dead workers' results queues left locked (read without the lock)": salvaged,
        "dead workers' results queues unreadable": int(stats["results_queues_lost"]),
        "slots reclaimed": int(runner.sampler.num_slots_reclaimed),
        "episodes finished by envs": sum(len(v) for v in finished.values()),
        "episodes received": len(received),
        "episodes reported to the curriculum": int(runner.curriculum_host.num_episodes_reported),
        "episodes lost (in flight in killed workers or at the end)": in_flight,
        "messages lost (gaps)": gaps,
        "duplicated episodes": duplicates,
    }
    width = max(map(len, figures))
    print("\n" + "\n".join(f"{k:<{width}}  {v}" for k, v in figures.items()))
    assert result.reason == "seconds"  # survived to the end
    assert len(kills) >= 3 and injected.get("step", 0) + injected.get("reset", 0) >= 10
    assert runner.sampler.num_env_errors <= injected.get("step", 0) + injected.get("reset", 0)
    assert stats["worker_restarts"] >= len(kills) - 1  # the last kill may come after the last check
    assert gaps == 0 and duplicates == 0 and stats["results_queues_lost"] == 0
    assert runner.curriculum_host.num_episodes_reported == len(received)  # each once to the curriculum too
    # lost episodes are at most the in-flight rollouts of the killed workers and of every worker at the end
    per_rollout = cfg.num_envs_per_worker * (cfg.rollout // envs.EPISODE_LENGTH + 1)
    slots_per_worker = len(runner.sampler.slot_owner) // cfg.num_workers
    assert in_flight <= (len(kills) + cfg.num_workers) * slots_per_worker * per_rollout
