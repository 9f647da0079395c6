"""docs/architecture.md's recipe "A message from the envs to the curriculum", done exactly as written: its type, its
handler (`@handles`), and the line that emits it in the rollout worker. Nothing else: the outbox carries it with the
slot, the batch's feedback list holds it and the host delivers it through the table, once per message.

The message is the recipe's example, the seconds each env reset took, per task. A module cannot edit
sf_curric/algo/rollout.py, so the emit line goes in the worker's `_reset_env` through a patch, the one line the recipe
adds there.
"""

import pickle
import time
from typing import NamedTuple

import numpy as np
import pytest

from sf_curric.algo.parallel.messages import TrajectoryReady
from sf_curric.algo.rollout import RolloutWorker
from sf_curric.curricula import Curriculum
from sf_curric.curricula.entry import CurriculumEntry
from sf_curric.curricula.feedback import HANDLERS, handles
from sf_curric.curricula.registry import CURRICULA
from sf_curric.train import run_with_result
from tests.curriculum_integration.envs import NUM_TASKS, RECORD_DIR_ENV_VAR
from tests.curriculum_integration.helpers import level_args, read_resets


# --- its type -----------------------------------------------------------------------------------------------------
class ResetSeconds(NamedTuple):
    """How long one env reset took, and the (encoded) task it started."""

    env_id: int
    task: int
    seconds: float


# --- a curriculum that learns from it -----------------------------------------------------------------------------
class SlowResetsLast(Curriculum):
    """Uniform, and records every reset time it is told about."""

    built: list = []

    def __init__(self, task_space, **kwargs):
        super().__init__(task_space, **kwargs)
        self.reset_seconds: list = []  # (env_id, task, seconds)
        SlowResetsLast.built.append(self)

    def _sample_distribution(self):
        return [1.0 / self.num_tasks] * self.num_tasks

    def update_on_reset_seconds(self, task, seconds, env_id):
        self.reset_seconds.append((env_id, task, seconds))


@pytest.fixture
def reset_seconds_message(monkeypatch):
    # --- its handler ------------------------------------------------------------------------------------------------
    @handles(ResetSeconds)
    def _reset_seconds(curriculum, msg, decode):
        curriculum.update_on_reset_seconds(decode(msg.task), msg.seconds, msg.env_id)

    # --- the line that emits it, in RolloutWorker._reset_env where the time is known --------------------------------
    reset_env = RolloutWorker._reset_env

    def _reset_env(self, i, seed=None):
        start = time.perf_counter()
        obs = reset_env(self, i, seed)
        self.outbox.append(ResetSeconds(int(self.env_ids[i]), int(self._tasks[i]), time.perf_counter() - start))
        return obs

    monkeypatch.setattr(RolloutWorker, "_reset_env", _reset_env)
    monkeypatch.setitem(CURRICULA, "slow_resets_last", CurriculumEntry("slow_resets_last", _build))
    SlowResetsLast.built.clear()
    yield
    HANDLERS.pop(ResetSeconds)


def _build(ctx):
    return SlowResetsLast(ctx.task_space, seed=ctx.seed)


def test_a_new_message_reaches_the_curriculum_once_per_emit(reset_seconds_message, tmp_path, monkeypatch):
    record_dir = tmp_path / "resets"
    record_dir.mkdir()
    monkeypatch.setenv(RECORD_DIR_ENV_VAR, str(record_dir))
    argv = level_args(
        tmp_path, "--curriculum=slow_resets_last", "--serial_mode=True", "--auto_defaults=False", "--num_workers=1",
        "--num_envs_per_worker=4", "--train_for_env_steps=192",
    )  # fmt: skip
    run_with_result(argv)
    (curriculum,) = SlowResetsLast.built
    resets = [row for rows in read_resets(record_dir).values() for row in rows]
    assert len(resets) > 4  # the first reset of each env, then one per finished episode
    # one message per reset, in the order the envs were reset, with the task each reset started
    assert [(env_id, task) for env_id, task, _ in curriculum.reset_seconds] == resets
    assert all(0 <= task < NUM_TASKS for _, task, _ in curriculum.reset_seconds)
    assert all(np.isfinite(s) and s >= 0 for _, _, s in curriculum.reset_seconds)


def test_the_message_crosses_processes_in_the_slot_message():
    msg = ResetSeconds(3, 1, 0.002)
    ready = TrajectoryReady(0, 0, 64, 1, [msg], {})
    assert pickle.loads(pickle.dumps(ready)).feedback == [msg]  # what a worker process sends the runner
