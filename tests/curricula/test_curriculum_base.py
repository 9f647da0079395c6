"""Curriculum base class: sampling against an independent inverse-CDF draw, update routing, state round trip."""

import numpy as np
import pytest
from gymnasium.spaces import Box, Discrete, MultiDiscrete

from sf_curric.curricula import Constant, Curriculum, DiscreteTaskSpace, DomainRandomization

from .helpers import FakeWriter


class Fixed(Curriculum):
    """A curriculum with a fixed, non-uniform distribution; records every update it receives."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = []

    def _sample_distribution(self):
        n = self.num_tasks
        return list(np.arange(1, n + 1) / (n * (n + 1) / 2))

    def update_on_step(self, task, obs, rew, term, trunc, info, progress=None, env_id=None):
        self.calls.append(("step", task, obs, rew, term, trunc, progress, env_id))

    def update_on_episode(self, episode_return, length=0, task=None, progress=None, env_id=None):
        super().update_on_episode(episode_return, length, task, progress, env_id)
        self.calls.append(("episode", episode_return, length, task, progress, env_id))

    def update_task_progress(self, task, progress, env_id=None):
        super().update_task_progress(task, progress, env_id)
        self.calls.append(("progress", task, progress, env_id))

    def update_on_demand(self, metrics):
        self.calls.append(("demand", metrics))


def test_sample_matches_independent_inverse_cdf():
    n, k = 7, 500
    cur = Fixed(Discrete(n), seed=123)
    got = cur.sample(k)
    p = np.arange(1, n + 1) / (n * (n + 1) / 2)
    u = np.random.default_rng(123).random(k)
    expected = np.searchsorted(np.cumsum(p), u * p.sum(), side="right")
    assert got == expected.tolist()


def test_needs_follow_from_the_overridden_hooks():
    assert Fixed(Discrete(3)).requires_step_updates is True  # it overrides update_on_step
    assert Fixed(Discrete(3)).requires_learner_updates is False
    assert DomainRandomization(Discrete(3)).requires_step_updates is False
    assert isinstance(type(DomainRandomization(Discrete(3))).requires_step_updates, property)

    class Scores(Curriculum):
        def update_on_learner_batch(self, feedback):
            pass

    class StepBatches(Curriculum):
        def update_on_step_batch(self, step_results, env_id=None):
            pass

    assert (Scores(Discrete(3)).requires_learner_updates, Scores(Discrete(3)).requires_step_updates) == (True, False)
    assert StepBatches(Discrete(3)).requires_step_updates is True


def test_update_dicts_and_old_names_route_to_one_implementation():
    cur = Fixed(Discrete(4))
    cur.update_curriculum({"update_type": "step", "metrics": (1, "o", 0.5, False, True, {}, 0.2), "env_id": 3})
    cur.update_curriculum(
        {"update_type": "step_batch", "metrics": ([2, 3], ["a", "b"], [1, 2], [0, 1], [0, 0], [{}, {}])}
    )
    cur.update_curriculum({"update_type": "episode", "metrics": (5.0, 10, 2, 1.0), "env_id": 1})
    cur.update_curriculum({"update_type": "task_progress", "metrics": (3, 0.5)})
    cur.update_curriculum({"update_type": "task_progress_batch", "metrics": ([0, 1], [0.1, 0.9])})
    cur.update_curriculum({"update_type": "on_demand", "metrics": {"x": 1}})
    cur.update_curriculum({"update_type": "noop", "metrics": None})
    cur.complete_task(2, 1.0)
    cur.on_step("obs", 1.0, True, {})
    cur.on_step(1, "obs", 1.0, False, False, {}, 0.3)
    cur.on_step_batch([("o1", 0.0, False, {}), ("o2", 1.0, True, {})])
    cur.update({"k": 2})
    cur.custom_update({"k": 3})
    cur.update({"update_type": "task_progress", "metrics": (1, 0.25)})
    assert cur.calls == [
        ("step", 1, "o", 0.5, False, True, 0.2, 3),
        ("step", 2, "a", 1, 0, 0, None, None),
        ("step", 3, "b", 2, 1, 0, None, None),
        ("episode", 5.0, 10, 2, 1.0, 1),
        ("progress", 3, 0.5, None),
        ("progress", 0, 0.1, None),
        ("progress", 1, 0.9, None),
        ("demand", {"x": 1}),
        ("progress", 2, 1.0, None),
        ("step", None, "obs", 1.0, True, False, None, None),
        ("step", 1, "obs", 1.0, False, False, 0.3, None),
        ("step", None, "o1", 0.0, False, False, None, None),
        ("step", None, "o2", 1.0, True, False, None, None),
        ("demand", {"k": 2}),
        ("demand", {"k": 3}),
        ("progress", 1, 0.25, None),
    ]
    assert cur.n_updates == 8 and cur.total_episodes == 1 and cur.total_steps == 10
    with pytest.raises(ValueError, match="unknown update_type"):
        cur.update_curriculum({"update_type": "bogus", "metrics": ()})
    with pytest.raises(ValueError, match="update_type"):
        cur.update_curriculum({"metrics": ()})


def test_random_start_tasks_are_uniform_then_curriculum():
    cur = Fixed(Discrete(5), random_start_tasks=3, seed=9)
    first = cur.sample(5)
    rng = np.random.default_rng(9)
    uniform = (rng.random(3) * 5).astype(int).tolist()
    p = np.arange(1, 6) / 15
    rest = np.searchsorted(np.cumsum(p), rng.random(2) * p.sum(), side="right").tolist()
    assert first == uniform + rest


def test_state_dict_round_trip_continues_identically():
    a = Fixed(Discrete(10), seed=5, record_stats=True)
    a.sample(4)
    a.update_on_episode(3.0, 7, 2)
    state = a.state_dict()
    after = a.sample(20)
    b = Fixed(Discrete(10), seed=999, record_stats=True)
    b.load_state_dict(state)
    assert b.sample(20) == after
    assert b.stat_recorder.mean_return(2) == 3.0 and b.num_sampled_tasks == 24
    with pytest.raises(ValueError, match="construct the same curriculum class"):
        DomainRandomization(Discrete(10)).load_state_dict(state)


def test_metrics_and_log_metrics():
    cur = Fixed(Discrete(4), record_stats=True)
    cur.update_on_episode(2.0, 5, 1)
    cur.update_on_episode(4.0, 5, 1)
    m = cur.metrics()
    p = np.arange(1, 5) / 10
    assert m["curriculum/entropy"] == pytest.approx(-(p * np.log(p)).sum())
    assert m["curriculum/num_active_tasks"] == 4
    assert m["curriculum/task_3_prob"] == pytest.approx(0.4)
    assert m["curriculum/task_1_mean_return"] == pytest.approx(3.0)
    writer = FakeWriter()
    cur.log_metrics(writer, step=17)
    assert writer.scalars["curriculum/entropy"] == (m["curriculum/entropy"], 17)
    assert set(writer.scalars) == set(m)


def test_log_task_dist_checks_the_distribution():
    cur = Fixed(Discrete(3))
    writer = FakeWriter()
    cur.log_task_dist([0.2, 0.3, 0.5], writer=writer, step=1)
    assert writer.scalars["curriculum/task_2_prob"] == (0.5, 1)
    with pytest.raises(ValueError, match="sum to 1"):
        cur.log_task_dist([0.2, 0.3, 0.6])


def test_set_training_info():
    cur = Fixed(Discrete(3))
    cur.set_training_info({"approx_total_training_steps": 1234, "other": 1})
    assert cur.approx_total_training_steps == 1234 and cur.training_info["other"] == 1


def test_domain_randomization_seeded_values():
    cur = DomainRandomization(Discrete(10), seed=0)
    assert cur.sample(6) == (np.random.default_rng(0).random(6) * 10).astype(int).tolist()
    assert cur._sample_distribution() == [0.1] * 10
    assert cur.metrics()["curriculum/entropy"] == pytest.approx(np.log(10))
    md = DomainRandomization(MultiDiscrete([2, 3]), seed=1)
    idx = (np.random.default_rng(1).random(4) * 6).astype(int)
    assert md.sample(4) == [(int(i) // 3, int(i) % 3) for i in idx]


def test_domain_randomization_box_stays_inside():
    cur = DomainRandomization(Box(-0.3, 0.3, shape=(2,)), seed=2)
    tasks = cur.sample(200)
    arr = np.array(tasks)
    assert arr.shape == (200, 2) and arr.min() >= -0.3 - 1e-6 and arr.max() <= 0.3 + 1e-6
    assert cur.metrics() == {}
    again = DomainRandomization(Box(-0.3, 0.3, shape=(2,)), seed=2)
    np.testing.assert_array_equal(np.array(again.sample(200)), arr)


def test_constant():
    cur = Constant("b", DiscreteTaskSpace(3, tasks=["a", "b", "c"]))
    assert cur.sample(3) == ["b", "b", "b"]
    assert cur._sample_distribution() == [0.0, 1.0, 0.0]
    assert cur.metrics()["curriculum/entropy"] == 0.0 and cur.metrics()["curriculum/num_active_tasks"] == 1
    with pytest.raises(ValueError, match="not in"):
        Constant("z", DiscreteTaskSpace(3, tasks=["a", "b", "c"]))
    box = Constant((0.1, 0.2), Box(-1, 1, shape=(2,)))
    np.testing.assert_allclose(box.sample(1)[0], [0.1, 0.2])


def test_sample_k_must_be_positive():
    with pytest.raises(ValueError, match="k >= 1"):
        DomainRandomization(Discrete(3)).sample(0)
