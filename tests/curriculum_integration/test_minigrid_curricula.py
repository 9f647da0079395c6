"""Short command-line training runs of the built-in MiniGrid curricula (mr_*), each through `sf_curric.train`'s
command line, with the Mastering Rate and Teacher-Student teachers taking steps inside the trainer."""

import json

import numpy as np
import pytest

from sf_curric.envs.builtin.minigrid_curricula import MASTERING_RATE_CURRICULA
from sf_curric.train import run_with_result
from sf_curric.utils.checkpoint import load_newest_checkpoint
from sf_curric.utils.logs import close_log_file

pytest.importorskip("minigrid")


@pytest.mark.parametrize(
    "env, curriculum",
    [
        ("mr_blockedunlockpickup", "mastering_rate"),
        ("mr_keycorridor", "teacher_student"),
        ("mr_obstructedmaze", "mastering_rate"),
    ],
)
def test_short_run_from_the_command_line(tmp_path, env, curriculum):
    argv = [
        f"--env={env}", f"--train_dir={tmp_path}", "--experiment=exp", f"--curriculum={curriculum}",
        "--num_envs_per_worker=4", "--rollout=32", "--batch_size=64", "--num_batches_per_epoch=2", "--num_epochs=1",
        "--train_for_env_steps=2560", "--teacher_update_every=128", "--seed=1", "--save_every_sec=1000",
        f"--final_eval_episodes={1 if env == 'mr_blockedunlockpickup' else 0}",
    ]  # fmt: skip
    try:
        result = run_with_result(argv)
    finally:
        close_log_file()
    assert result.env_steps >= 2560
    state = load_newest_checkpoint(tmp_path / "exp")[1]["curriculum"]
    teacher = state["curriculum"]["state"]
    env_ids = MASTERING_RATE_CURRICULA[env].env_ids
    assert (
        state["curriculum"]["class"]
        == {"mastering_rate": "MasteringRate", "teacher_student": "TeacherStudent"}[curriculum]
    )
    assert teacher["teacher_steps"] > 2  # episodes came back and the teacher stepped on their env steps
    assert len(teacher["distribution"]) == len(env_ids) and np.isclose(np.sum(teacher["distribution"]), 1.0)
    assert state["num_tasks_issued"] >= 4 and set(state["returns"]) <= set(range(len(env_ids)))
    if env == "mr_blockedunlockpickup":  # the end-of-training table has one group per env of the list
        table = json.loads((tmp_path / "exp" / "final_eval.json").read_text())
        assert set(table["groups"]) == {"Unlock-v0", "UnlockPickup-v0", "BlockedUnlockPickup-v0"}
