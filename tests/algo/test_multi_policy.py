"""--num_policies: each policy its own share of the envs, learner, checkpoints and summaries; a resumed run and
enjoy/eval find each policy; worker processes of every policy start and stop."""

import json
import math

import pytest
import torch

from sf_curric.cfg.population import policy_config
from sf_curric.cfg.validation import validate_cfg
from sf_curric.command_line import parse_args
from sf_curric.errors import ConfigError
from sf_curric.train import run_with_result
from sf_curric.utils.checkpoint import load_newest_checkpoint
from tests.algo.runner_helpers import read_scalars, short_args


def _weights(exp_dir, policy_id):
    _, state = load_newest_checkpoint(exp_dir, policy_id=policy_id)
    return state["learner"]["model"], state


def test_two_policies_train_side_by_side_each_with_its_own_folder_and_envs(tmp_path):
    args = short_args(tmp_path, "two", "--num_policies=2", "--num_envs_per_worker=16", "--final_eval_episodes=3")
    result = run_with_result(args)
    exp = tmp_path / "two"
    assert result.env_steps == 2 * 2048  # --train_for_env_steps is per policy (as in Sample Factory)
    model0, state0 = _weights(exp, 0)
    model1, state1 = _weights(exp, 1)
    assert state0["env_steps"] == state1["env_steps"] == 2048
    assert state0["cfg"]["num_envs_per_worker"] == state1["cfg"]["num_envs_per_worker"] == 8  # 16 envs, split
    assert (state0["cfg"]["seed"], state1["cfg"]["seed"]) == (1, 2)
    assert any(not torch.equal(model0[k], model1[k]) for k in model0)  # two learners, two initializations
    saved = json.loads((exp / "config.json").read_text())
    assert saved["num_envs_per_worker"] == 16 and saved["num_policies"] == 2  # the run's config, not a policy's
    for p in (0, 1):
        assert "charts/episodic_return" in read_scalars(exp / "tensorboard" / f"p{p}")
        assert json.loads((exp / f"final_eval_p{p}.json").read_text())["episodes_per_group"] == 3
    assert math.isfinite(result.avg_return)


def test_a_resumed_multi_policy_run_continues_each_policy_and_eval_loads_the_one_asked(tmp_path, capsys):
    from sf_curric.eval import run as eval_run

    args = short_args(tmp_path, "resume", "--num_policies=2")
    run_with_result(args)
    result = run_with_result([*args[:-2], "--train_for_env_steps=4096", "--seed=1"])
    assert result.env_steps == 2 * 4096
    for p in (0, 1):
        assert _weights(tmp_path / "resume", p)[1]["env_steps"] == 4096
    common = [f"--train_dir={tmp_path}", "--experiment=resume", "--eval_episodes=2"]
    report = eval_run([*common, "--policy_index=1"])
    assert report.data["checkpoint"].endswith("checkpoint_p1/checkpoint_000000016_4096.pth")
    assert report.output_dir == tmp_path / "resume" / "eval_p1"
    with pytest.raises(SystemExit):
        eval_run([*common, "--policy_index=2"])
    assert "checkpoint_p2: train until one is saved" in capsys.readouterr().err


def test_worker_processes_of_every_policy_sample_and_stop(tmp_path):
    args = [
        "--env=CartPole-v1", f"--train_dir={tmp_path}", "--experiment=workers", "--num_policies=2",
        "--num_workers=2", "--num_envs_per_worker=4", "--train_for_env_steps=4096", "--seed=3",
    ]  # fmt: skip
    result = run_with_result(args)
    assert result.env_steps >= 2 * 4096
    for p in (0, 1):
        _, state = _weights(tmp_path / "workers", p)
        assert state["env_steps"] >= 4096 and state["cfg"]["num_workers"] == 1


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--num_workers=2", "--num_envs_per_worker=3", "--num_policies=4"], "must divide by 4"),
        (["--num_policies=2", "--eval_every_env_steps=1000"], "--eval_every_env_steps does not work"),
        (["--num_policies=0"], "must be >= 1"),
        (["--num_policies=2", "--pbt_perturb_min=0.9"], "1 <= min <= max"),
    ],
)
def test_population_configs_that_cannot_run_name_the_fix(extra, message):
    with pytest.raises(ConfigError) as error:
        validate_cfg(parse_args(["--env=CartPole-v1", *extra]))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_policy_config_splits_workers_first_then_envs():
    cfg = parse_args(["--env=CartPole-v1", "--num_policies=2", "--num_workers=4", "--num_envs_per_worker=6"])
    assert (policy_config(cfg, 1).num_workers, policy_config(cfg, 1).num_envs_per_worker) == (2, 6)
    cfg = parse_args(["--env=CartPole-v1", "--num_policies=2", "--num_workers=3", "--num_envs_per_worker=6"])
    assert (policy_config(cfg, 1).num_workers, policy_config(cfg, 1).num_envs_per_worker) == (3, 3)
    assert policy_config(cfg, 1) is not cfg and cfg.num_envs_per_worker == 6


def test_each_policy_runs_its_own_curriculum(tmp_path):
    args = [
        "--env=cartpole_curriculum", f"--train_dir={tmp_path}", "--experiment=curr", "--serial_mode=True",
        "--num_policies=2", "--num_envs_per_worker=8", "--train_for_env_steps=1024", "--seed=1",
    ]  # fmt: skip
    run_with_result(args)
    states = [_weights(tmp_path / "curr", p)[1]["curriculum"] for p in (0, 1)]
    assert all(state is not None for state in states) and states[0] is not states[1]
    for p in (0, 1):
        tags = read_scalars(tmp_path / "curr" / "tensorboard" / f"p{p}")
        assert any(tag.startswith("curriculum/") for tag in tags)


def test_policies_play_each_other_in_a_multi_agent_env(tmp_path):
    args = [
        "--env=tictactoe", f"--train_dir={tmp_path}", "--experiment=mix", "--serial_mode=True", "--seed=1",
        "--num_policies=3", "--num_envs_per_worker=12", "--train_for_env_steps=2048", "--selfplay_snapshot_every=512",
    ]  # fmt: skip
    run_with_result(args)  # --pbt_mix_policies_in_one_env=True: Sample Factory's default
    exp = tmp_path / "mix"
    for p in range(3):
        _, state = load_newest_checkpoint(exp, policy_id=p)
        pool = state["self_play"]["snapshots"]
        assert sorted(s["policy"] for s in pool.values()) == [q for q in range(3) if q != p]  # the two others
        assert max(s["env_steps"] for s in pool.values()) >= 1536  # refreshed as they trained
        assert state["cfg"]["curriculum"] == "fictitious_self_play" and state["cfg"]["selfplay_pool_size"] == 2
        tags = read_scalars(exp / "tensorboard" / f"p{p}")
        assert "curriculum/win_rate" in tags and "curriculum/opponent_1_prob" in tags
        folder = exp / ("opponent_pool" if p == 0 else f"opponent_pool_p{p}")
        assert len(json.loads((folder / "pool.json").read_text())) == 2


def test_a_curriculum_with_mixed_policies_names_the_flag_that_turns_mixing_off(tmp_path, capsys):
    args = [
        "--env=tictactoe", f"--train_dir={tmp_path}", "--serial_mode=True", "--num_policies=2", "--curriculum=dr",
        "--train_for_env_steps=256",
    ]  # fmt: skip
    with pytest.raises(SystemExit):
        run_with_result(args)
    assert "--pbt_mix_policies_in_one_env=False" in capsys.readouterr().err
    unmixed = [a for a in args if not a.startswith("--curriculum")] + ["--pbt_mix_policies_in_one_env=False"]
    assert run_with_result([*unmixed, "--experiment=unmixed"]).env_steps >= 2 * 256
    assert not (tmp_path / "unmixed" / "opponent_pool").exists()  # every agent of a game acts with one policy
