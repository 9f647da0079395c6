"""Env steps/s through the curriculum sync wrappers, against a bare vector env and Syllabus 0.7.

Every row steps the same trivial task env (reward 1 per step, fixed episode length, no work per step) in a
gymnasium `AsyncVectorEnv` (same-step autoreset) with constant actions, so the table measures the cost of
getting a task on every reset and reporting every episode, nothing else.

Each row also reports the mean time a reset takes, measured inside the env processes: for a synced env that
is mostly the wait for its next task, which is what a sleeping poller makes long.

Rows:
  bare AsyncVectorEnv                  no curriculum at all (the ceiling)
  sf_curric                            MultiProcessingSyncWrapper, server thread in the main process
  sf_curric + step updates             the same, with a curriculum that asks for step batches
  sf_curric, busy main process         the main process also runs a pure-Python "learner" thread (GIL contention)
  sf_curric, server in own process     the same server code hosted by a separate process
  Syllabus 0.7, buffer_size=1          syllabus-rl 0.7 GymnasiumSyncWrapper + make_multiprocessing_curriculum

  (--ray) one env in a Ray actor: bare, and through RaySyncWrapper with prefetch 1 and 8

Syllabus runs in its own virtual environment, benchmarks/.venv-syllabus, which this script creates on first use
(torch==2.13.0 first, then syllabus-rl==0.7, scipy and matplotlib, which its imports need).

Usage:
    python benchmarks/sync_throughput.py                      # full table (about 8 minutes)
    python benchmarks/sync_throughput.py --no-syllabus --seconds 3
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SYLLABUS_VENV = ROOT / "benchmarks" / ".venv-syllabus"
NUM_TASKS = 16


class TrivialTaskEnv(gym.Env):
    """Reward 1 per step, episodes of `length` steps; accepts reset(new_task=...) like a TaskEnv."""

    observation_space = gym.spaces.Box(0.0, 1.0, (4,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def __init__(self, length: int) -> None:
        self.length = length
        self.t = 0
        self.task = 0
        self._obs = np.zeros(4, np.float32)

    def reset(self, *, seed=None, options=None, new_task=None):
        super().reset(seed=seed)
        if new_task is not None:
            self.task = int(new_task)
        self.t = 0
        return self._obs, {}

    def step(self, action):
        self.t += 1
        return self._obs, 1.0, self.t >= self.length, False, {}


class ResetTimer(gym.Wrapper):
    """Measures, inside the env's process, how long each reset takes (for a synced env: the wait for a task)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.reset_seconds = 0.0
        self.resets = 0

    def reset(self, **kwargs):
        start = time.perf_counter()
        out = self.env.reset(**kwargs)
        self.reset_seconds += time.perf_counter() - start
        self.resets += 1
        return out


def steps_per_second(make_env, num_envs: int, seconds: float, vector: str) -> tuple:
    """Step a vector env ("sync" or "async") of `make_env` for `seconds` (after 1 s of warm-up).

    Returns:
        (env steps/s, mean reset time in ms over the whole run, measured inside the envs).
    """
    vector_cls = gym.vector.SyncVectorEnv if vector == "sync" else gym.vector.AsyncVectorEnv
    envs = vector_cls([lambda: ResetTimer(make_env())] * num_envs, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    actions = np.zeros(num_envs, dtype=np.int64)
    try:
        envs.reset(seed=0)
        end_warmup = time.perf_counter() + 1.0
        while time.perf_counter() < end_warmup:
            envs.step(actions)
        steps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for _ in range(100):
                envs.step(actions)
            steps += 100 * num_envs
        rate = steps / (time.perf_counter() - start)
        reset_ms = 1000 * sum(envs.get_attr("reset_seconds")) / max(1, sum(envs.get_attr("resets")))
        return rate, reset_ms
    finally:
        envs.close()


@contextlib.contextmanager
def busy_main_process(enabled: bool):
    """Optionally run a pure-Python "learner" thread that holds the GIL most of the time, as a busy trainer does."""
    stop = threading.Event()

    def learner() -> None:
        x = 0
        while not stop.is_set():
            for i in range(10000):
                x += i * i

    worker = threading.Thread(target=learner, daemon=True)
    if enabled:
        worker.start()
    try:
        yield
    finally:
        stop.set()
        if enabled:
            worker.join()


# --- sf_curric rows ---------------------------------------------------------------------------------------------
def _sf_curriculum(step_updates: bool):
    from gymnasium.spaces import Discrete

    from sf_curric.curricula.constant import Constant
    from sf_curric.curricula.domain_randomization import DomainRandomization

    if step_updates:
        return Constant(0, Discrete(NUM_TASKS), require_step_updates=True)
    return DomainRandomization(Discrete(NUM_TASKS), seed=0)


def run_sf(args, vector: str, length: int, step_updates: bool = False, busy_main: bool = False) -> tuple:
    from sf_curric.sync import MultiProcessingSyncWrapper, make_multiprocessing_curriculum

    curriculum, task_queue, update_queue = make_multiprocessing_curriculum(_sf_curriculum(step_updates))

    def make_env():
        return MultiProcessingSyncWrapper(TrivialTaskEnv(length), task_queue, update_queue, buffer_size=1)

    try:
        with busy_main_process(busy_main):
            return steps_per_second(make_env, args.num_envs, args.seconds, vector)
    finally:
        curriculum.stop()


def _host_server(curriculum, task_queue, update_queue, started, stop) -> None:
    from sf_curric.sync.mp_curriculum import MultiProcessingCurriculumWrapper

    task_queue.status.set_pid(os.getpid())  # the server's process is this one now
    server = MultiProcessingCurriculumWrapper(curriculum, task_queue, update_queue)
    server.start()
    started.set()
    stop.wait()
    server.stop()


def run_sf_server_process(args, vector: str, length: int) -> tuple:
    """The same server code, hosted by a forked process instead of a thread of the main process."""
    from faster_fifo import Queue

    from sf_curric.sync import MultiProcessingSyncWrapper
    from sf_curric.sync.channel import TaskQueue

    curriculum = _sf_curriculum(False)
    task_queue = TaskQueue(curriculum.task_space, False, max_size_bytes=1024 * 1024)
    update_queue = Queue(max_size_bytes=16 * 1024 * 1024)
    ctx = multiprocessing.get_context("fork")
    started, stop = ctx.Event(), ctx.Event()
    host = ctx.Process(target=_host_server, args=(curriculum, task_queue, update_queue, started, stop), daemon=True)
    host.start()
    started.wait(30)

    def make_env():
        return MultiProcessingSyncWrapper(TrivialTaskEnv(length), task_queue, update_queue, buffer_size=1)

    try:
        return steps_per_second(make_env, args.num_envs, args.seconds, vector)
    finally:
        stop.set()
        host.join(30)


# --- Syllabus rows (run inside benchmarks/.venv-syllabus) ------------------------------------------------------
def run_syllabus(args, vector: str, length: int) -> tuple:
    from syllabus.core import GymnasiumSyncWrapper, make_multiprocessing_curriculum
    from syllabus.curricula import DomainRandomization
    from syllabus.task_space import DiscreteTaskSpace

    task_space = DiscreteTaskSpace(NUM_TASKS)
    curriculum = make_multiprocessing_curriculum(DomainRandomization(task_space))

    def make_env():
        return GymnasiumSyncWrapper(TrivialTaskEnv(length), task_space, curriculum.components, buffer_size=1)

    try:
        return steps_per_second(make_env, args.num_envs, args.seconds, vector)
    finally:
        curriculum.stop()


def ensure_syllabus_venv() -> Path:
    python = SYLLABUS_VENV / "bin" / "python"
    check = [str(python), "-c", "import syllabus.core, syllabus.curricula"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"creating {SYLLABUS_VENV} (torch==2.13.0, syllabus-rl==0.7, scipy, matplotlib) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(SYLLABUS_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q"]
    subprocess.run(pip + ["torch==2.13.0"], check=True)  # first, so that pip never resolves a CUDA build
    subprocess.run(pip + ["syllabus-rl==0.7", "scipy", "matplotlib"], check=True)
    return python


def syllabus_in_venv(args, vector: str, length: int) -> tuple:
    python = ensure_syllabus_venv()
    cmd = [str(python), __file__, "--syllabus-worker", "--num-envs", str(args.num_envs)]
    cmd += ["--seconds", str(args.seconds), "--episode-lengths", str(length), "--vectors", vector]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return result["steps_per_s"], result["reset_ms"]


# --- Ray rows: one env in one Ray actor ------------------------------------------------------------------------
class _RayStepper:
    """Steps one env inside a Ray actor for a fixed time (constant actions) and returns env steps/s."""

    def run(self, length: int, seconds: float, prefetch: int) -> tuple:
        env = TrivialTaskEnv(length)
        if prefetch:
            from sf_curric.sync import RaySyncWrapper

            env = RaySyncWrapper(env, actor_name="bench_curriculum", prefetch=prefetch)
        steps, resets, reset_seconds, start = 0, 0, 0.0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            before = time.perf_counter()
            env.reset()
            reset_seconds += time.perf_counter() - before
            resets += 1
            for _ in range(length):
                env.step(0)
            steps += length
        rate = steps / (time.perf_counter() - start)
        env.close()
        return rate, 1000 * reset_seconds / resets


def run_ray_rows(args, length: int) -> dict:
    import ray

    from sf_curric.sync import make_ray_curriculum

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    curriculum = make_ray_curriculum(_sf_curriculum(False), actor_name="bench_curriculum")
    try:
        stepper = ray.remote(num_cpus=1)(_RayStepper).remote()
        rows = {"bare env in a Ray actor": ray.get(stepper.run.remote(length, args.seconds, 0))}
        for prefetch in (1, 8):
            rows[f"RaySyncWrapper, prefetch={prefetch}"] = ray.get(stepper.run.remote(length, args.seconds, prefetch))
        return rows
    finally:
        curriculum.kill()
        ray.shutdown()


def run_bare(args, vector: str, length: int, busy_main: bool = False) -> tuple:
    with busy_main_process(busy_main):
        return steps_per_second(lambda: TrivialTaskEnv(length), args.num_envs, args.seconds, vector)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num-envs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=3.0, help="measured seconds per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per row (interleaved); the table shows medians")
    parser.add_argument("--episode-lengths", default="10,100", help="comma-separated episode lengths")
    parser.add_argument("--vectors", default="sync,async", help="vector env kinds: sync (CleanRL's default), async")
    parser.add_argument("--no-syllabus", action="store_true", help="skip the Syllabus rows")
    parser.add_argument("--ray", action="store_true", help="add rows for one env in a Ray actor (needs ray)")
    parser.add_argument("--syllabus-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    lengths = [int(x) for x in args.episode_lengths.split(",")]
    vectors = [v for v in args.vectors.split(",") if v]

    if args.syllabus_worker:
        rate, reset_ms = run_syllabus(args, vectors[0], lengths[0])
        print(json.dumps({"steps_per_s": rate, "reset_ms": reset_ms}))
        return

    sys.path.insert(0, str(ROOT))
    jobs = []  # (block, row name, measurement); the first row of each block is its bare baseline
    for vector in vectors:
        for length in lengths:
            block = (vector, length)
            jobs += [
                (block, "bare vector env", functools.partial(run_bare, args, vector, length)),
                (block, "sf_curric", functools.partial(run_sf, args, vector, length)),
                (block, "sf_curric + step updates", functools.partial(run_sf, args, vector, length, True)),
            ]
            if vector == "async":
                jobs += [
                    (
                        block,
                        "bare vector env, busy main process",
                        functools.partial(run_bare, args, vector, length, True),
                    ),
                    (
                        block,
                        "sf_curric, busy main process",
                        functools.partial(run_sf, args, vector, length, False, True),
                    ),
                    (
                        block,
                        "sf_curric, server in own process",
                        functools.partial(run_sf_server_process, args, vector, length),
                    ),
                ]
            if not args.no_syllabus:
                jobs.append(
                    (block, "Syllabus 0.7, buffer_size=1", functools.partial(syllabus_in_venv, args, vector, length))
                )
    # repeats are interleaved, so that a change in machine load hits every row alike; the table shows medians
    samples = {(block, name): [] for block, name, _ in jobs}
    for repeat in range(args.repeats):
        for block, name, measure in jobs:
            samples[(block, name)].append(measure())
            rate, reset_ms = samples[(block, name)][-1]
            print(f"repeat {repeat + 1}/{args.repeats} {block} {name}: {rate:,.0f} ({reset_ms:.3f} ms)", flush=True)
    rows = []
    for block in dict.fromkeys(block for block, _, _ in jobs):
        results = {name: tuple(np.median(np.array(v), axis=0)) for (b, name), v in samples.items() if b == block}
        rows.append((*block, results))
    if args.ray:
        for length in lengths:
            rows.append(("ray", length, run_ray_rows(args, length)))

    print(
        f"\n{args.num_envs} envs, {os.cpu_count()} CPUs, same-step autoreset, "
        f"median of {args.repeats} interleaved runs of {args.seconds:.0f} s per row\n"
    )
    print("| vector env | episode length | setup | env steps/s | vs bare | vs Syllabus | mean reset (ms) |")
    print("|---|---|---|---|---|---|---|")
    for vector, length, results in rows:
        bare = next(iter(results.values()))[0]  # the first row of each block is its bare baseline
        syllabus = results.get("Syllabus 0.7, buffer_size=1", (None,))[0]
        for name, (sps, reset_ms) in results.items():
            vs_syl = f"{sps / syllabus:.1f}x" if syllabus else "-"
            print(f"| {vector} | {length} | {name} | {sps:,.0f} | {sps / bare:.2f} | {vs_syl} | {reset_ms:.3f} |")


if __name__ == "__main__":
    main()
