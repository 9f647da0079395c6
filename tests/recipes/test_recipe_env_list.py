"""docs/minigrid_curricula.md's recipe "Your own list of envs", done as written: register the list of MiniGrid ids
and the paper's defaults, then train from the command line (Mastering Rate, the env list's default curriculum)."""

import pytest

from sf_curric.train import run_with_result
from sf_curric.utils.checkpoint import load_newest_checkpoint
from sf_curric.utils.logs import close_log_file

pytest.importorskip("minigrid")


def test_your_own_env_list(tmp_path):
    from sf_curric import register_env_list
    from sf_curric.cfg.env_defaults import MASTERING_RATE_PAPER, register_env_defaults

    ids = ["MiniGrid-DoorKey-5x5-v0", "MiniGrid-DoorKey-6x6-v0", "MiniGrid-DoorKey-8x8-v0"]
    register_env_list("doorkeys", ids)
    register_env_defaults("doorkeys", **MASTERING_RATE_PAPER)
    argv = [
        "--env=doorkeys", f"--train_dir={tmp_path}", "--experiment=doorkeys", "--num_envs_per_worker=4",
        "--train_for_env_steps=2048", "--teacher_update_every=128", "--save_every_sec=1000", "--final_eval_episodes=0",
    ]  # fmt: skip
    try:
        run_with_result(argv)
    finally:
        close_log_file()
    cfg_state = load_newest_checkpoint(tmp_path / "doorkeys")[1]
    assert cfg_state["cfg"]["rollout"] == 128 and cfg_state["cfg"]["reward_scale"] == 20.0  # the paper's PPO
    assert cfg_state["curriculum"]["curriculum"]["class"] == "MasteringRate"  # the env list's default curriculum
