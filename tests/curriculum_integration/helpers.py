"""Helpers of the curriculum integration tests: run a Runner in this process, record what the host hands out."""

from collections import defaultdict
from pathlib import Path

import numpy as np

import tests.curriculum_integration.envs  # noqa: F401  (registers test_level_env)
from sf_curric.algo.curriculum_host import CurriculumHost
from sf_curric.algo.runner import Runner
from sf_curric.cfg.experiment import prepare_experiment_dir, resolve_config
from sf_curric.cfg.validation import validate_cfg
from sf_curric.command_line import parse_args


def level_args(tmp_path, *extra, experiment="exp"):
    """A short run of the level env (4 envs, rollouts of 8 steps, one PPO epoch)."""
    return [
        "--env=test_level_env",
        f"--train_dir={tmp_path}",
        f"--experiment={experiment}",
        "--rollout=8",
        "--batch_size=32",
        "--num_epochs=1",
        "--seed=3",
        "--device=cpu",
        "--save_every_sec=1000",
        *extra,
    ]


def make_runner(argv):
    cfg = resolve_config(parse_args(argv))
    validate_cfg(cfg)
    prepare_experiment_dir(cfg)
    return Runner(cfg)


def read_resets(record_dir: Path):
    """{worker: [(env_id, task or None), ...]} in reset order, from the level env's files."""
    out = {}
    for path in sorted(Path(record_dir).glob("resets_w*.txt")):
        rows = []
        for line in path.read_text().splitlines():
            env_id, task = line.split()
            rows.append((int(env_id), None if task == "NONE" else int(task)))
        out[int(path.stem[len("resets_w") :])] = rows
    return out


class HostRecorder:
    """Patches `CurriculumHost` (and the task server) to record tasks issued and batches seen, in order."""

    def __init__(self, monkeypatch):
        self.issued = []  # codes, in the order the host issued them
        self.per_worker = defaultdict(list)  # parallel mode: codes sent to each worker, in order
        self.batches = []  # numpy copies of each trajectory given to on_batch
        recorder = self
        take, on_batch = CurriculumHost.take_tasks, CurriculumHost.on_batch

        def take_tasks(self, n):
            out = take(self, n)
            recorder.issued.extend(code for code, _ in out)
            return out

        def record_batch(self, traj, result=None, feedback=()):
            recorder.batches.append({k: v.detach().cpu().numpy().copy() for k, v in traj.items()})
            return on_batch(self, traj, result, feedback)

        monkeypatch.setattr(CurriculumHost, "take_tasks", take_tasks)
        monkeypatch.setattr(CurriculumHost, "on_batch", record_batch)
        from sf_curric.algo.task_feed import TaskServer

        send = TaskServer._send

        def send_and_record(self, worker_idx, count):
            before = len(recorder.issued)
            send(self, worker_idx, count)
            recorder.per_worker[worker_idx].extend(recorder.issued[before:])

        monkeypatch.setattr(TaskServer, "_send", send_and_record)


def assert_states_equal(a, b, path="state"):
    """Deep equality of curriculum states (dicts, lists, deques, numpy arrays, RNG states)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), (path, sorted(a), sorted(b) if isinstance(b, dict) else b)
        for key in a:
            assert_states_equal(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b), path
    elif isinstance(a, (list, tuple)) or type(a).__name__ == "deque":
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_states_equal(x, y, f"{path}[{i}]")
    else:
        assert type(a) is type(b) and (a == b or (a != a and b != b)), (path, a, b)
