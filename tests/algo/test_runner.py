"""Runner end to end in serial mode: files, tensorboard names, custom metrics, training info, checkpoints."""

import pytest
import torch

from sf_curric.envs.registry import register_env
from sf_curric.train import run, run_with_result
from sf_curric.utils.checkpoint import list_checkpoints, load_checkpoint
from tests.algo.runner_helpers import StatsCartPole, read_scalars, short_args


def test_a_short_run_writes_config_log_checkpoint_and_summaries(tmp_path):
    result = run_with_result(short_args(tmp_path))
    exp = tmp_path / "exp"
    assert result.env_steps == 2048 and result.reason == "env_steps" and result.num_episodes > 0
    assert (exp / "config.json").is_file() and "env steps 2048" in (exp / "sf_log.txt").read_text()
    [ckpt] = list_checkpoints(exp / "checkpoint_p0")
    state = load_checkpoint(ckpt)
    assert state["env_steps"] == 2048 and state["iteration"] == 8 and state["sf_curric_version"]
    assert state["cfg"]["env"] == "CartPole-v1" and state["learner"]["version"] == 8
    assert {"model", "optimizer"} <= set(state["learner"])
    scalars = read_scalars(exp)
    for tag in (
        "charts/episodic_return",
        "charts/episodic_length",
        "charts/FPS",
        "charts/learning_rate",
        "losses/policy_loss",
        "losses/value_loss",
        "losses/entropy",
        "losses/approx_kl",
        "losses/clipfrac",
        "losses/explained_variance",
        "perf/learn_sec",
    ):
        assert tag in scalars, (tag, sorted(scalars))
    assert scalars["charts/episodic_return"][-1][0] == 2048


@pytest.mark.parametrize(
    "every_env_steps, expected_steps",
    [(0, [*range(256, 2049, 256), 2048]), (1000, [256, 1280, 2048])],
)
def test_summaries_come_every_n_env_steps_of_a_fast_run(tmp_path, every_env_steps, expected_steps):
    """Seconds or env steps, whichever first: a run shorter than --experiment_summaries_interval still has a
    curve. 0: a hundredth of the budget, here every iteration of 256 steps (and the final summary at the end);
    1000: the first iteration, the first one 1000 steps after it, then the final summary."""
    argv = short_args(tmp_path, "exp", "--experiment_summaries_interval=3600",
                      f"--summaries_every_env_steps={every_env_steps}")  # fmt: skip
    run(argv)
    assert [step for step, _ in read_scalars(tmp_path / "exp")["charts/FPS"]] == expected_steps


def test_custom_metrics_and_training_info_in_serial_mode(tmp_path):
    register_env("test_runner_stats_cartpole", StatsCartPole)
    StatsCartPole.received.clear()
    args = short_args(tmp_path, "stats", "--env=test_runner_stats_cartpole", "--training_info_interval_sec=0.0001")
    run([a for a in args if a != "--env=CartPole-v1"])
    scalars = read_scalars(tmp_path / "stats")
    # from the first report on, averaged over the episode window
    first_step = scalars["charts/episodic_return"][0][0]
    assert scalars["custom/group/one"][0] == (first_step, 1.0)
    assert scalars["custom/len_x2"][0][0] == first_step
    lengths = dict(scalars["charts/episodic_length"])
    assert scalars["custom/len_x2"][-1][1] == pytest.approx(2 * lengths[scalars["custom/len_x2"][-1][0]], rel=1e-4)
    # every reset after the first training iteration knows the env steps so far (sent before its reset)
    received = StatsCartPole.received
    assert received[0] == 0 and max(received) > 0 and None not in received
    assert received == sorted(received)


def test_resume_continues_counters_and_weights(tmp_path):
    run(short_args(tmp_path))
    ckpt_before = list_checkpoints(tmp_path / "exp" / "checkpoint_p0")[-1]
    weights_before = load_checkpoint(ckpt_before)["learner"]["model"]
    result = run_with_result(short_args(tmp_path, "exp", "--train_for_env_steps=4096"))
    assert result.env_steps == 4096
    newest = list_checkpoints(tmp_path / "exp" / "checkpoint_p0")[-1]
    state = load_checkpoint(newest)
    assert state["env_steps"] == 4096 and state["iteration"] == 16 and state["learner"]["version"] == 16
    assert "resumed from" in (tmp_path / "exp" / "sf_log.txt").read_text()
    changed = [k for k in weights_before if not torch.equal(weights_before[k], state["learner"]["model"][k])]
    assert changed  # it trained further from the saved weights


def test_keep_checkpoints_and_best(tmp_path):
    run(short_args(tmp_path, "keep", "--save_every_sec=1", "--keep_checkpoints=2", "--train_for_env_steps=1024"))
    for steps in (2048, 3072):
        run(short_args(tmp_path, "keep", f"--train_for_env_steps={steps}"))
    ckpt_dir = tmp_path / "keep" / "checkpoint_p0"
    latest = list_checkpoints(ckpt_dir)
    assert [p.name for p in latest] == ["checkpoint_000000008_2048.pth", "checkpoint_000000012_3072.pth"]
    [best] = list_checkpoints(ckpt_dir, "best")
    assert load_checkpoint(best)["best_avg_return"] == pytest.approx(float(best.name.split("_")[-1][:-4]), abs=1e-3)


def test_corrupt_checkpoint_refuses_to_start_and_deletes_nothing(tmp_path, capsys):
    run(short_args(tmp_path))
    exp = tmp_path / "exp"
    [ckpt] = list_checkpoints(exp / "checkpoint_p0")
    ckpt.write_bytes(b"this is not a checkpoint")
    before = {p: p.read_bytes() for p in exp.rglob("*") if p.is_file()}
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        run(short_args(tmp_path, "exp", "--train_for_env_steps=4096"))
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no usable latest checkpoint" in err and f"{ckpt.name} is damaged" in err
    after = {p: p.read_bytes() for p in exp.rglob("*") if p.is_file()}
    # nothing deleted or rewritten (the log file may only grow)
    assert set(before) <= set(after)
    assert all(after[p] == content for p, content in before.items() if p.name != "sf_log.txt")
