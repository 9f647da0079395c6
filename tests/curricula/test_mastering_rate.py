"""Mastering Rate and Teacher-Student against the paper's formulas (teacher_reference.py, independent of sf_curric),
hand-computed distributions, the step clock, checkpoints and bad input."""

import numpy as np
import pytest
from gymnasium.spaces import Discrete

from sf_curric.curricula import MasteringRate, TaskGraph, TeacherStudent
from sf_curric.envs.builtin.minigrid_curricula import MASTERING_RATE_CURRICULA

from .teacher_reference import ReferenceTeacher

OM = MASTERING_RATE_CURRICULA["mr_obstructedmaze"]
OM_EDGES = [(OM.env_ids.index(a), OM.env_ids.index(b)) for a, b in OM.edges]


def _random_perfs(rng, n, t):
    """Mean returns of the tasks that had episodes at teacher step t: rising, noisy, some tasks missing."""
    return {c: float(np.clip(0.02 * t / (c + 1) + rng.normal(0, 0.05), 0, 1)) for c in range(n) if rng.random() < 0.6}


@pytest.mark.parametrize("graph", ["chain3", "chain6", "obstructed_maze"])
@pytest.mark.parametrize("options", [{}, {"potential_prop": 0.8, "power": 3}, {"mr_window": 4, "lp_window": 5}])
def test_mastering_rate_matches_the_papers_formulas(graph, options):
    n, edges = {"chain3": (3, None), "chain6": (6, None), "obstructed_maze": (9, OM_EDGES)}[graph]
    ours = MasteringRate(Discrete(n), edges=edges, seed=0, **options)
    ref = ReferenceTeacher(
        n,
        edges,
        mr_K=options.get("mr_window", 10),
        K=options.get("lp_window", 10),
        power=options.get("power", 6),
        pot_prop=options.get("potential_prop", 0.5),
    )
    np.testing.assert_allclose(ours.sample_distribution(), ref.step({}), rtol=1e-9, atol=1e-12)
    rng = np.random.default_rng(1)
    for t in range(2, 80):
        perfs = _random_perfs(rng, n, t)
        np.testing.assert_allclose(ours.teacher_step(perfs), ref.step(perfs), rtol=1e-7, atol=1e-10)
    assert ours.sample_distribution().sum() == pytest.approx(1.0)


@pytest.mark.parametrize("estimator", ["linreg", "window", "naive", "online"])
@pytest.mark.parametrize("converter", ["greedy_prop", "prop", "boltzmann"])
def test_teacher_student_matches_the_papers_formulas(estimator, converter):
    tau = 0.05  # a temperature at which the Boltzmann distribution is not one-hot
    ours = TeacherStudent(Discrete(4), lp_estimator=estimator, converter=converter, tau=tau, seed=0)
    ref = ReferenceTeacher(4, mastering=False, estimator=estimator, converter=converter, tau=tau)
    np.testing.assert_allclose(ours.sample_distribution(), ref.step({}), atol=1e-12)
    rng = np.random.default_rng(2)
    for t in range(2, 60):
        perfs = _random_perfs(rng, 4, t)
        np.testing.assert_allclose(ours.teacher_step(perfs), ref.step(perfs), rtol=1e-7, atol=1e-10)


def test_first_distribution_by_hand():
    # chain 0 -> 1 -> 2, no history: Mast = 0 everywhere, so only the root is learnable with pre-attention
    # 1^6 * (0.5 * 0 + 0.5 * 1) * (1 - 0) = 0.5; it keeps 0.5 * 0.8 (the 0.2 for predecessors goes nowhere) and
    # gives 5 % of that, 0.02, to task 1: attention (0.38, 0.02, 0), distribution (0.95, 0.05, ~0)
    mr = MasteringRate(Discrete(3), seed=0)
    np.testing.assert_allclose(mr.attention, [0.38, 0.02, 0.0], atol=1e-12)
    np.testing.assert_allclose(mr.sample_distribution(), [0.95, 0.05, 0.0], atol=1e-7)
    assert TeacherStudent(Discrete(3)).sample_distribution() == pytest.approx([1 / 3] * 3)


def test_mastered_root_hands_its_attention_to_the_next_task():
    # Unlock at a steady 0.9 for 10 steps: Mast(0) = 1, so task 0's pre-attention is 0 (its successor is not
    # mastered, but its potential and learning progress are 0) and task 1 becomes the learnable one
    mr = MasteringRate(Discrete(3), seed=0)
    for _ in range(10):
        mr.teacher_step({0: 0.9, 1: 0.0})
    dist = mr.sample_distribution()
    assert mr.mastering_rates[0] == pytest.approx(1.0) and mr.max_returns[0] == pytest.approx(0.9)
    assert dist[1] > 0.75 and dist[0] > 0.1 and dist[2] < 0.05  # task 0 keeps what task 1 passes back (20 %)


def test_teacher_steps_follow_the_env_steps_of_finished_episodes():
    mr = MasteringRate(Discrete(3), seed=0, update_every=100)
    assert mr.teacher_steps == 1  # the first distribution
    mr.update_on_episode(1.0, 60, task=0)
    assert mr.teacher_steps == 1 and mr.pending == {0: [1.0]}
    mr.update_on_episode(0.0, 60, task=0)  # 120 env steps: one step, with the mean of both episodes
    assert mr.teacher_steps == 2 and list(mr.histories[0]) == [(2.0, 0.5)] and mr.frames_since_step == 20
    mr.update_on_episode(0.3, 290, task=1)  # 310 env steps: two empty steps, then the step with this episode
    assert mr.teacher_steps == 5 and list(mr.histories[1]) == [(5.0, 0.3)] and mr.frames_since_step == 10


def test_state_dict_resumes_identically():
    a = MasteringRate(Discrete(9), edges=OM_EDGES, seed=3, update_every=50)
    rng = np.random.default_rng(0)
    for _ in range(40):
        a.update_on_episode(float(rng.random()), int(rng.integers(5, 40)), task=int(rng.integers(9)))
    b = MasteringRate(Discrete(9), edges=OM_EDGES, seed=99, update_every=50)
    b.load_state_dict(a.state_dict())
    for _ in range(40):
        ret, length, task = float(rng.random()), int(rng.integers(5, 40)), int(rng.integers(9))
        a.update_on_episode(ret, length, task=task)
        b.update_on_episode(ret, length, task=task)
    np.testing.assert_array_equal(a.sample_distribution(), b.sample_distribution())
    assert a.sample(20) == b.sample(20)


def test_graph_and_bad_input():
    graph = TaskGraph(9, OM_EDGES)
    assert graph.ancestors(8) == set(range(8)) and graph.successors[0] == [1, 3]
    with pytest.raises(ValueError, match="cycle"):
        TaskGraph(3, [(0, 1), (1, 2), (2, 0)])
    with pytest.raises(ValueError, match="max_returns"):
        MasteringRate(Discrete(3), max_returns=0.0)
    with pytest.raises(ValueError, match="lp_estimator"):
        TeacherStudent(Discrete(3), lp_estimator="slope")


def test_sampling_estimator_draws_one_of_the_last_differences():
    ts = TeacherStudent(Discrete(2), lp_estimator="sampling", converter="amax", seed=0)
    assert list(ts.learning_progress) == [1.0, 1.0]  # no two points yet: 1, as in the paper's code
    perfs = [0.1, 0.4, 0.2, 0.6]
    for p in perfs:
        ts.teacher_step({0: p})
    assert np.isclose(ts.learning_progress[0], [0.3, -0.2, 0.4]).any()
    assert ts.sample_distribution().max() == 1.0
