"""eval on a level-seeded task env: tasks reach the env, numbers match an independent computation, seeds repeat."""

import argparse
import json

import numpy as np
import pytest

from sf_curric.command_line import parse_args
from sf_curric.evaluation.evaluate import evaluate
from sf_curric.evaluation.policy import EvaluationError
from sf_curric.evaluation.replay import enjoy
from sf_curric.train import run_with_result as train
from tests.evaluation import corridor
from tests.evaluation.corridor import NUM_TRAIN_LEVELS, Corridor, corridor_length


def _cfg(train_dir, *extra):
    argv = [f"--env={corridor.ENV_NAME}", f"--train_dir={train_dir}", "--experiment=corr", *extra]
    return parse_args(argv, evaluation=True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    corridor.register()
    train_dir = tmp_path_factory.mktemp("corridor")
    result = train(
        [
            f"--env={corridor.ENV_NAME}",
            f"--train_dir={train_dir}",
            "--experiment=corr",
            "--serial_mode=True",
            "--num_workers=1",
            "--num_envs_per_worker=2",
            "--rollout=16",
            "--batch_size=32",
            "--num_epochs=1",
            "--train_for_env_steps=96",
            "--seed=0",
        ]
    )
    return train_dir, result.env_steps


def test_train_and_test_groups_run_their_tasks(trained, tmp_path):
    train_dir, env_steps = trained
    Corridor.received.clear()
    report = evaluate(_cfg(train_dir, "--eval_episodes_per_task=3", "--eval_num_envs=4", f"--eval_output={tmp_path}"))
    data = json.loads((tmp_path / "eval.json").read_text())
    assert data == report.data

    # default held-out tasks: the level seeds right after the training levels, as many as there are
    n = NUM_TRAIN_LEVELS
    expected_tasks = {"train": list(range(n)), "test": list(range(n, 2 * n))}
    for group, tasks in expected_tasks.items():
        episodes = [e for e in data["episodes"] if e["group"] == group]
        assert sorted({int(e["task"]) for e in episodes}) == tasks
        assert len(episodes) == 3 * len(tasks)
        for e in episodes:  # each episode ran on its own level: the env's return says which level it was
            assert e["episode_return"] == corridor_length(int(e["task"]))
            assert e["extra_stats"] == {"level": int(e["task"])}

    train_returns = np.array([corridor_length(t) for t in expected_tasks["train"] for _ in range(3)], float)
    test_returns = np.array([corridor_length(t) for t in expected_tasks["test"] for _ in range(3)], float)
    assert data["groups"]["train"]["mean"] == pytest.approx(train_returns.mean())
    assert data["groups"]["test"]["std"] == pytest.approx(test_returns.std(ddof=1))
    assert data["groups"]["train"]["num_tasks"] == NUM_TRAIN_LEVELS
    assert data["generalization_gap"]["value"] == pytest.approx(train_returns.mean() - test_returns.mean())
    per_task = {(t["group"], t["task"]): t for t in data["tasks"]}
    assert per_task[("test", "7")]["mean"] == corridor_length(7) and per_task[("test", "7")]["n"] == 3

    # curriculum-aware envs hear the checkpoint's training steps before every reset
    assert data["env_steps"] == env_steps
    assert len(Corridor.received) >= len(data["episodes"]) and set(Corridor.received) == {env_steps}
    assert "generalization gap (train - test)" in report.table


def test_explicit_test_range_and_overlap_error(trained, tmp_path):
    train_dir, _ = trained
    report = evaluate(
        _cfg(
            train_dir, "--eval_tasks=test", "--test_tasks=100:104", "--eval_num_episodes=6", f"--eval_output={tmp_path}"
        )
    )
    assert list(report.data["groups"]) == ["test"]
    counts = {}
    for e in report.data["episodes"]:
        counts[int(e["task"])] = counts.get(int(e["task"]), 0) + 1
    assert counts == {100: 2, 101: 2, 102: 1, 103: 1}  # 6 episodes round-robin over 4 tasks
    assert report.data["generalization_gap"] is None

    with pytest.raises(EvaluationError, match="overlaps"):
        evaluate(_cfg(train_dir, "--test_tasks=3:20"))
    with pytest.raises(EvaluationError, match="not both"):
        evaluate(_cfg(train_dir, "--eval_num_episodes=3", "--eval_episodes_per_task=1"))


def test_same_seed_same_results_other_seed_other_actions(trained, tmp_path):
    train_dir, _ = trained
    runs = [
        evaluate(_cfg(train_dir, "--eval_tasks=train", f"--seed={seed}", f"--eval_output={tmp_path / str(i)}"))
        for i, seed in enumerate((5, 5, 6))
    ]
    assert runs[0].data["episodes"] == runs[1].data["episodes"]
    assert [e["seed"] for e in runs[0].data["episodes"]] != [e["seed"] for e in runs[2].data["episodes"]]


def test_env_that_rejects_held_out_tasks_gets_a_fix(trained, tmp_path):
    train_dir, _ = trained
    corridor.register(strict_task_space=True)
    try:
        with pytest.raises(EvaluationError, match="env_config\\['evaluation'\\]"):
            evaluate(_cfg(train_dir, "--eval_tasks=test", "--eval_num_episodes=2", f"--eval_output={tmp_path}"))
    finally:
        corridor.register()


def test_enjoy_sends_training_info_and_counts_frames(trained):
    train_dir, env_steps = trained
    Corridor.received.clear()
    seen = []
    result = enjoy(_cfg(train_dir, "--max_num_episodes=3", "--no_render"), on_episode=seen.append)
    assert [r.episode_length for r in result.episodes] == [r.episode_length for r in seen]
    assert len(seen) == 3 and result.video_path is None
    assert Corridor.received == [env_steps] * 3

    capped = enjoy(_cfg(train_dir, "--max_num_frames=4", "--no_render"))
    assert sum(r.episode_length for r in capped.episodes) <= 4


def test_evaluation_flags_reach_cfg():
    cfg = parse_args(
        ["--eval_tasks=test", "--test_tasks=10:20", "--deterministic", "--eval_num_envs=3"],
        evaluation=True,
    )
    assert isinstance(cfg, argparse.Namespace)
    assert (cfg.eval_tasks, cfg.test_tasks, cfg.deterministic, cfg.eval_num_envs) == ("test", "10:20", True, 3)


def test_evaluate_a_given_checkpoint_file(trained, tmp_path):
    from sf_curric.utils.checkpoint import list_checkpoints

    train_dir, env_steps = trained
    (path,) = list_checkpoints(train_dir / "corr" / "checkpoint_p0")[-1:]
    report = evaluate(_cfg(train_dir, "--eval_tasks=train", f"--eval_output={tmp_path}"), checkpoint_path=path)
    assert report.data["checkpoint"] == str(path) and report.data["env_steps"] == env_steps
