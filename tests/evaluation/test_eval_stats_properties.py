"""`sf_curric.eval` and evaluation during training against scipy, over random group structures: task spaces of any
size (or none, or continuous), episodes per task or in total, train and held-out groups, any number of envs. The
expected numbers come from the returns the env recorded itself."""

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sf_curric.command_line import parse_args
from sf_curric.evaluation.evaluate import evaluate
from sf_curric.tracking.eval_process import EVAL, EvalRequest, _evaluate
from sf_curric.train import run_with_result as train
from sf_curric.utils.checkpoint import checkpoint_dir, list_checkpoints
from tests.evaluation import random_return_env
from tests.evaluation.random_return_env import NAME, RandomReturnEnv
from tests.evaluation.scipy_reference import assert_matches, reference_gap, reference_summary

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    """A checkpoint of the env (its model does not depend on the task space, which each example re-registers)."""
    random_return_env.register(gym.spaces.Discrete(4))
    train_dir = tmp_path_factory.mktemp("stats_eval")
    argv = [f"--env={NAME}", f"--train_dir={train_dir}", "--experiment=e", "--serial_mode=True", "--num_workers=1",
            "--num_envs_per_worker=2", "--rollout=8", "--batch_size=16", "--num_epochs=1",
            "--train_for_env_steps=32", "--seed=0", "--device=cpu"]  # fmt: skip
    train(argv)
    snapshot = list_checkpoints(checkpoint_dir(train_dir / "e"))[-1]
    return train_dir, argv, snapshot


@st.composite
def task_setups(draw):
    """(task space, flags of its groups): none, finite with train and maybe held-out tasks, or continuous."""
    kind = draw(st.sampled_from(["none", "finite", "finite", "continuous"]))
    if kind == "none":
        return None, []
    if kind == "continuous":
        return random_return_env.continuous_space(), [f"--eval_num_tasks={draw(st.integers(1, 5))}"]
    k = draw(st.integers(1, 8))
    flags = [f"--eval_tasks={draw(st.sampled_from(['train', 'all']))}"]
    if "--eval_tasks=all" in flags and draw(st.booleans()):
        start = k + draw(st.integers(0, 5))
        flags.append(f"--test_tasks={start}:{start + draw(st.integers(1, 6))}")
    return gym.spaces.Discrete(k), flags


def _episodes_flags(draw_flag):
    kind, value = draw_flag
    return [] if kind == "default" else [f"--{kind}={value}"]


def _group_of(task, space) -> str:
    if space is None:
        return "default"
    if isinstance(space, gym.spaces.Discrete):
        return "train" if task < space.n else "test"
    return "train"


def _expected(space) -> dict[str, list]:
    played: dict[str, list] = {}
    for task, value in RandomReturnEnv.finished:
        played.setdefault(_group_of(task, space), []).append((task, value))
    return played


def _check_groups(groups: dict, played: dict) -> None:
    assert set(groups) == set(played)
    for name, episodes in played.items():
        assert_matches(groups[name], reference_summary([v for _, v in episodes]), name)
        assert groups[name]["num_tasks"] == len({repr(t) for t, _ in episodes})


@SETTINGS
@given(setup=task_setups(), count=st.sampled_from([("default", 0), ("eval_episodes_per_task", 1),
       ("eval_episodes_per_task", 3), ("eval_num_episodes", 1), ("eval_num_episodes", 7)]),
       num_envs=st.integers(1, 5), seed=st.integers(0, 50), spread=st.sampled_from([0.0, 2.0]),
       integer=st.booleans())  # fmt: skip
def test_eval_json_matches_scipy(experiment, tmp_path_factory, setup, count, num_envs, seed, spread, integer):
    train_dir, _, _ = experiment
    space, flags = setup
    random_return_env.register(space)
    RandomReturnEnv.spread, RandomReturnEnv.integer, RandomReturnEnv.finished = spread, integer, []
    out = tmp_path_factory.mktemp("out")
    cfg = parse_args([f"--train_dir={train_dir}", "--experiment=e", f"--eval_output={out}", f"--seed={seed}",
                      f"--eval_num_envs={num_envs}", *flags, *_episodes_flags(count)], evaluation=True)  # fmt: skip
    data = evaluate(cfg).data
    played = _expected(space)
    _check_groups(data["groups"], played)
    assert len(data["episodes"]) == len(RandomReturnEnv.finished)
    if isinstance(space, gym.spaces.Discrete):  # integer tasks: one line per distinct task, its own numbers
        per_task = {(t["group"], int(t["task"])): t for t in data["tasks"]}
        expected_keys = {(g, task) for g, episodes in played.items() for task, _ in episodes}
        assert set(per_task) == expected_keys
        for (group, task), line in per_task.items():
            values = [v for t, v in played[group] if t == task]
            assert_matches(line, {k: reference_summary(values)[k] for k in ("n", "mean", "std")}, f"task {task}")
    if "train" in played and "test" in played:
        gap = reference_gap([v for _, v in played["train"]], [v for _, v in played["test"]])
        assert_matches(data["generalization_gap"], gap, "gap")
    else:
        assert data["generalization_gap"] is None


@SETTINGS
@given(k=st.integers(1, 6), per_level=st.one_of(st.none(), st.integers(1, 3)), episodes=st.integers(1, 9),
       test_tasks=st.integers(0, 4), spread=st.sampled_from([0.0, 2.0]))  # fmt: skip
def test_eval_during_training_scalars_match_scipy(experiment, tmp_path_factory, k, per_level, episodes, test_tasks,
                                                  spread):  # fmt: skip
    train_dir, argv, snapshot = experiment
    random_return_env.register(gym.spaces.Discrete(k))
    RandomReturnEnv.spread, RandomReturnEnv.integer, RandomReturnEnv.finished = spread, False, []
    flags = [f"--eval_episodes={episodes}"]
    if per_level is not None:
        flags.append(f"--eval_episodes_per_level={per_level}")
    if test_tasks:
        flags.append(f"--eval_test_tasks={k}:{k + test_tasks}")
    cfg = parse_args([*argv, *flags])
    request = EvalRequest(EVAL, str(snapshot), 32, 2, str(tmp_path_factory.mktemp("during")))
    scalars = _evaluate(cfg, request).scalars
    played = _expected(gym.spaces.Discrete(k))
    for group, items in played.items():
        expected = reference_summary([v for _, v in items])
        assert scalars[f"eval/{group}/episodes"] == expected["n"]
        assert scalars[f"eval/{group}/return"] == pytest.approx(expected["mean"], rel=1e-7, abs=1e-7)
        std = scalars[f"eval/{group}/return_std"]
        assert (np.isnan(std) and expected["std"] is None) or std == pytest.approx(expected["std"], abs=1e-7)
    per_group = per_level * k if per_level is not None else episodes
    assert scalars["eval/train/episodes"] == per_group
    if "test" in played:
        gap = reference_gap([v for _, v in played["train"]], [v for _, v in played["test"]])
        assert scalars["eval/gap"] == pytest.approx(gap["value"], rel=1e-7, abs=1e-7)
