"""Sequential, SimpleBox, AnnealingBox, LearningProgress and Performance curricula: exact expected values."""

import numpy as np
import pytest
from gymnasium.spaces import Box, Discrete

from sf_curric.curricula import (
    AnnealingBoxCurriculum,
    Constant,
    DomainRandomization,
    LearningProgress,
    PerformanceCurriculum,
    SequentialCurriculum,
    SimpleBoxCurriculum,
)
from sf_curric.curricula.sequential import parse_condition

from .helpers import FakeWriter


# --- SequentialCurriculum ------------------------------------------------------------------------------------
def test_condition_strings_parse():
    assert parse_condition("episode_return>0.9&episodes>100") == [
        [("episode_return", ">", 0.9), ("episodes", ">", 100.0)]
    ]
    assert parse_condition("steps>=10|total_episodes = 3") == [[("steps", ">=", 10.0)], [("total_episodes", "=", 3.0)]]
    with pytest.raises(ValueError, match="unknown metric"):
        parse_condition("reward>1")
    with pytest.raises(ValueError, match="joined by & or"):
        parse_condition("episodes>>1")


def test_sequential_moves_on_when_return_and_episodes_conditions_hold():
    cur = SequentialCurriculum(
        [0, [1, 2], DomainRandomization(Discrete(6), seed=0)],
        ["episode_return>0.9&episodes>3", "total_steps>=100"],
        Discrete(6),
        seed=0,
    )
    assert cur.sample(3) == [0, 0, 0]
    for _ in range(4):  # returns high but only 4 episodes: "episodes>3" holds only after the 4th
        assert cur.stage == 0
        cur.update_on_episode(1.0, 10, 0)
    assert cur.stage == 1 and cur.n_episodes == 0 and cur.total_episodes == 4
    assert set(cur.sample(50)) == {1, 2}
    np.testing.assert_allclose(cur._sample_distribution(), [0, 0.5, 0.5, 0, 0, 0])
    for _ in range(5):
        cur.update_on_episode(0.0, 10, 1)
    assert cur.stage == 1  # total_steps 90
    cur.update_on_episode(0.0, 10, 2)
    assert cur.stage == 2 and cur.total_steps == 100
    m = cur.metrics()
    assert m["curriculum/current_stage"] == 2 and m["curriculum/entropy"] == pytest.approx(np.log(6))


def test_sequential_low_return_keeps_stage_and_or_conditions():
    cur = SequentialCurriculum([0, 1], ["episode_return>0.9|tasks>=5"], Discrete(2))
    for _ in range(10):
        cur.update_on_episode(0.5, 1, 0)
    assert cur.stage == 0
    cur.sample(4)
    assert cur.stage == 0
    cur.sample(1)
    assert cur.stage == 1 and cur.sample(2) == [1, 1]


def test_sequential_callable_conditions_and_state_round_trip():
    cur = SequentialCurriculum(
        [DomainRandomization(Discrete(4), seed=1), Constant(3, Discrete(4))], [lambda c: c.n_episodes >= 2], Discrete(4)
    )
    cur.update_on_episode(0.0, 1, 0)
    state = cur.state_dict()
    cur.update_on_episode(0.0, 1, 0)
    assert cur.stage == 1
    other = SequentialCurriculum(
        [DomainRandomization(Discrete(4), seed=5), Constant(3, Discrete(4))], [lambda c: c.n_episodes >= 2], Discrete(4)
    )
    other.load_state_dict(state)
    assert other.stage == 0 and other.n_episodes == 1
    assert other.sample(10) == DomainRandomization(Discrete(4), seed=1).sample(10)


def test_sequential_training_steps_condition_and_errors():
    cur = SequentialCurriculum([0, 1], ["training_steps>=1000"], Discrete(2))
    cur.set_training_info({"approx_total_training_steps": 999})
    assert cur.stage == 0
    cur.set_training_info({"approx_total_training_steps": 1000})
    assert cur.stage == 1
    with pytest.raises(ValueError, match="one stopping condition per stage"):
        SequentialCurriculum([0, 1], [], Discrete(2))
    with pytest.raises(ValueError, match="is neither"):
        SequentialCurriculum([7, 1], ["episodes>1"], Discrete(2))


# --- SimpleBoxCurriculum -------------------------------------------------------------------------------------
def test_simple_box_widens_after_consecutive_successes():
    cur = SimpleBoxCurriculum(Box(-0.3, 0.3, shape=(2,)), steps=3, success_threshold=0.5, required_successes=2)
    lo, hi = cur.sample(1)[0]
    assert (lo, hi) == pytest.approx((-0.1, 0.1), abs=1e-7)
    cur.update_task_progress((lo, hi), 0.9)
    cur.update_task_progress((lo, hi), 0.1)  # streak broken
    cur.update_task_progress((lo, hi), 0.9)
    assert cur.sample(1)[0] == pytest.approx((-0.1, 0.1), abs=1e-7)
    cur.update_task_progress((lo, hi), 0.9)
    assert cur.sample(1)[0] == pytest.approx((-0.2, 0.2), abs=1e-7)
    for _ in range(6):
        cur.update_task_progress(None, 1.0)
    task = cur.sample(1)[0]
    assert cur.max_reached and task == (float(np.float32(-0.3)), float(np.float32(0.3)))
    assert cur.task_space.contains(task)
    assert cur.metrics()["curriculum/range_high"] == pytest.approx(0.3)


def test_simple_box_needs_a_2d_box():
    with pytest.raises(ValueError, match="shape \\(2,\\)"):
        SimpleBoxCurriculum(Box(-1, 1, shape=(3,)))


# --- AnnealingBoxCurriculum ----------------------------------------------------------------------------------
def test_annealing_box_follows_training_steps():
    cur = AnnealingBoxCurriculum(
        Box(0, 10, shape=(2,)), start_values=[0, 10], end_values=[10, 0], total_steps=[100, 200]
    )
    np.testing.assert_allclose(cur.sample(1)[0], [0, 10])
    cur.update_on_episode(0.0, 50, None)  # before training info: episode lengths drive it
    np.testing.assert_allclose(cur.sample(1)[0], [5, 7.5])
    cur.set_training_info({"approx_total_training_steps": 150})
    np.testing.assert_allclose(cur.sample(1)[0], [10, 2.5])
    cur.set_training_info({"approx_total_training_steps": 10_000})
    np.testing.assert_allclose(cur.sample(2), [[10, 0], [10, 0]])
    with pytest.raises(ValueError, match="outside"):
        AnnealingBoxCurriculum(Box(0, 1, shape=(1,)), start_values=[0], end_values=[2], total_steps=5)


# --- LearningProgress ----------------------------------------------------------------------------------------
def _lp_numpy(reports, n, a=0.1, theta=0.1, mix=0.05):
    fast, slow = np.zeros(n), np.zeros(n)
    for task, p in reports:
        fast[task] = a * p + (1 - a) * fast[task]
        slow[task] = a * fast[task] + (1 - a) * slow[task]

    def f(p):
        return p * (1 - theta) / (p + theta * (1 - 2 * p))

    lp = np.abs(f(fast) - f(slow))
    if not (lp > 0).any():
        return np.full(n, 1 / n)
    pos = lp > 0
    z = (lp[pos] - lp[pos].mean()) / (lp[pos].std() or 1.0)
    w = 1 / (1 + np.exp(-z))
    dist = np.zeros(n)
    dist[pos] = w / w.sum()
    return (1 - mix) * dist + mix / n


def test_learning_progress_distribution_matches_formula():
    rng = np.random.default_rng(0)
    cur = LearningProgress(Discrete(6), seed=3)
    assert cur._sample_distribution() == pytest.approx([1 / 6] * 6)
    reports = [(int(rng.integers(4)), float(rng.random() < 0.3 + 0.1 * t / 10)) for t in range(200)]
    for task, p in reports:
        cur.update_task_progress(task, p)
    expected = _lp_numpy(reports, 6)
    np.testing.assert_allclose(cur._sample_distribution(), expected, rtol=1e-12)
    u = np.random.default_rng(3).random(50)
    assert cur.sample(50) == np.searchsorted(np.cumsum(expected), u * expected.sum(), side="right").tolist()
    assert cur.metrics()["curriculum/num_active_tasks"] == 6


# --- PerformanceCurriculum -----------------------------------------------------------------------------------
def test_performance_curriculum_promotes_on_window_mean_and_demotes():
    cur = PerformanceCurriculum(Discrete(3), promote_threshold=0.8, demote_threshold=0.2, window=4)
    for r in [1.0, 1.0, 1.0]:
        cur.update_on_episode(r, 10, 0)
    assert cur.level == 0  # window not full yet
    cur.update_on_episode(0.2, 10, 0)  # mean 0.8
    assert cur.level == 1 and cur.sample(2) == [1, 1]
    cur.update_on_episode(1.0, 10, 0)  # late episode of the old level does not count for level 1
    assert cur.level == 1
    for r in [0.1, 0.2, 0.3, 0.2]:
        cur.update_on_episode(r, 10, 1)
    assert cur.level == 0 and cur.num_demotions == 1
    assert cur.recent_mean(0) != cur.recent_mean(0)  # level 0's window was forgotten (nan)


def test_performance_curriculum_progress_metric_and_replay_easier():
    cur = PerformanceCurriculum(
        Discrete(4), promote_threshold=0.5, window=2, metric="progress", replay_easier=0.3, start_level=2, seed=0
    )
    np.testing.assert_allclose(cur._sample_distribution(), [0.15, 0.15, 0.7, 0])
    cur.update_on_episode(0.0, 5, 2, progress=1.0)
    cur.update_on_episode(0.0, 5, 2, progress=0.0)
    assert cur.level == 3
    writer = FakeWriter()
    cur.log_metrics(writer, 1)
    assert writer.scalars["curriculum/level"] == (3.0, 1)
    with pytest.raises(ValueError, match="progress"):
        cur.update_on_episode(0.0, 5, 3)


def test_performance_curriculum_on_a_custom_episode_stat():
    cur = PerformanceCurriculum(Discrete(3), promote_threshold=0.5, window=2, metric="match/win")
    cur.update_on_episode(-5.0, 10, 0)  # the return does not count for this metric
    cur.update_on_episode_extra_stats(0, {"match": {"win": 1.0}})
    assert cur.level == 0
    cur.update_on_episode_extra_stats(0, {"match": {"win": 0.0}})
    assert cur.level == 1 and cur.total_episodes == 1
    with pytest.raises(ValueError, match="has no 'match/win'"):
        cur.update_on_episode_extra_stats(1, {"kills": 3})
