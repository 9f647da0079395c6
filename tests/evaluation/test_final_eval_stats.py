"""The end-of-training table (`--final_eval_episodes`) against scipy, over random group structures: every episode
counts once, however often a group names the same task (issue 32: a plain gym env reported N^2 episodes)."""

import json
import tempfile
from pathlib import Path

import gymnasium as gym
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sf_curric.command_line import default_cfg
from sf_curric.envs.registry import make_env
from sf_curric.evaluation.final_eval import _GROUPS, FINAL_EVAL_FILE, final_evaluation, register_eval_groups
from sf_curric.model.actor_critic import ActorCritic
from tests.evaluation import random_return_env
from tests.evaluation.random_return_env import RandomReturnEnv
from tests.evaluation.scipy_reference import assert_matches, reference_summary

PLAIN, WHOLE_SPACE, GROUPS = "stats_final_plain", "stats_final_space", "stats_final_groups"
GROUP_STRIDE = 100  # group g's tasks are g*100 + i: the env's recorded task says which group an episode was in


def _evaluate(env_name: str, n: int, seed: int) -> dict:
    cfg = default_cfg(env_name, final_eval_episodes=n, seed=seed, device="cpu")
    probe = make_env(cfg, {"env_id": 0})
    model = ActorCritic(probe.observation_space, probe.action_space, cfg)
    probe.close()
    with tempfile.TemporaryDirectory() as folder:
        summary = final_evaluation(cfg, model, Path(folder))
        written = json.loads((Path(folder) / FINAL_EVAL_FILE).read_text())
    assert written["episodes_per_group"] == n
    assert set(written["groups"]) == set(summary)
    return written["groups"]


def test_a_gym_env_without_tasks_reports_n_episodes_not_n_squared():
    n = 10
    groups = _evaluate("CartPole-v1", n, seed=1)
    assert list(groups) == ["default"]
    assert groups["default"]["n"] == n
    assert groups["default"]["num_tasks"] == 1


@st.composite
def structures(draw):
    """(kind, episodes per group, what the kind needs): no tasks, a finite space's tasks in turn, or named groups
    whose tasks repeat (a pool of 1-4 tasks per group)."""
    kind = draw(st.sampled_from([PLAIN, WHOLE_SPACE, GROUPS]))
    n = draw(st.integers(1, 12))
    if kind == PLAIN:
        return kind, n, None
    if kind == WHOLE_SPACE:
        return kind, n, draw(st.integers(1, 6))
    num_groups = draw(st.integers(1, 3))
    tasks = []
    for g in range(num_groups):
        pool = draw(st.integers(1, 4))
        tasks.append([g * GROUP_STRIDE + draw(st.integers(0, pool - 1)) for _ in range(n)])
    return kind, n, tasks


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structure=structures(), seed=st.integers(0, 1000), spread=st.sampled_from([0.0, 1.0, 3.0]),
       integer=st.booleans())  # fmt: skip
def test_final_table_matches_scipy_on_what_the_env_played(structure, seed, spread, integer):
    kind, n, detail = structure
    if kind == PLAIN:
        random_return_env.register(None, name=PLAIN)
    elif kind == WHOLE_SPACE:
        random_return_env.register(gym.spaces.Discrete(detail), name=WHOLE_SPACE)
    else:
        random_return_env.register(gym.spaces.Discrete(GROUP_STRIDE * 3), name=GROUPS)
        names = [f"g{i}" for i in range(len(detail))]
        register_eval_groups(GROUPS, lambda rng, count: {name: list(t) for name, t in zip(names, detail)})
    RandomReturnEnv.spread, RandomReturnEnv.integer = spread, integer
    RandomReturnEnv.finished = []
    try:
        groups = _evaluate(kind, n, seed)
    finally:
        _GROUPS.pop(GROUPS, None)

    played = RandomReturnEnv.finished
    if kind == GROUPS:
        by_group = {f"g{g}": [(t, r) for t, r in played if t // GROUP_STRIDE == g] for g in range(len(detail))}
    else:
        by_group = {"default" if kind == PLAIN else "whole space": played}
    assert list(groups) == list(by_group)
    for name, episodes in by_group.items():
        assert len(episodes) == n  # each group plays n episodes, each counted once
        assert_matches(groups[name], reference_summary([r for _, r in episodes]), name)
        assert groups[name]["num_tasks"] == len({t for t, _ in episodes})
        assert 1 <= groups[name]["mean_length"] <= 3
    if kind == WHOLE_SPACE:  # a finite space's tasks in turn
        assert sorted(t for t, _ in played) == sorted(i % detail for i in range(n))
    assert np.isfinite([r for _, r in played]).all()
