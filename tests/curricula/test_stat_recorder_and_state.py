"""StatRecorder against numpy, the public import paths, and a state_dict round trip for every curriculum."""

import pickle

import numpy as np
import pytest
from gymnasium.spaces import Box, Discrete, MultiDiscrete

from sf_curric.curricula import (
    AnnealingBoxCurriculum,
    Constant,
    DomainRandomization,
    LearningProgress,
    PerformanceCurriculum,
    PrioritizedLevelReplay,
    SequentialCurriculum,
    SimpleBoxCurriculum,
    StatRecorder,
)


def test_public_import_paths():
    from sf_curric import Curriculum as Top
    from sf_curric import TaskEnv, TaskWrapper  # noqa: F401
    from sf_curric.curricula import (  # noqa: F401
        BoxTaskSpace,
        Curriculum,
        DiscreteTaskSpace,
        MultiDiscreteTaskSpace,
        TaskSampler,
        TaskSpace,
        TupleTaskSpace,
    )

    assert Top is Curriculum


def test_stat_recorder_matches_numpy():
    rng = np.random.default_rng(0)
    rec = StatRecorder(MultiDiscrete([2, 2]))
    episodes = [
        ((int(rng.integers(2)), int(rng.integers(2))), rng.normal(5, 2), int(rng.integers(1, 100))) for _ in range(300)
    ]
    for task, ret, length in episodes:
        rec.record(ret, length, task)
    for task in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        rets = np.array([r for t, r, _ in episodes if t == task])
        lens = np.array([n for t, _, n in episodes if t == task])
        assert rec.num_episodes(task) == len(rets)
        assert rec.mean_return(task) == pytest.approx(rets.mean())
        assert rec.std_return(task) == pytest.approx(rets.std())
        assert rec.mean_length(task) == pytest.approx(lens.mean())
        assert rec.std_length(task) == pytest.approx(lens.std())
        assert rec.normalize(3.0, task) == pytest.approx(3.0 / rets.std())
    assert rec.mean_return(3) == rec.mean_return((1, 1))  # encoded task works too


def test_stat_recorder_window_covers_last_episodes():
    rec = StatRecorder(Discrete(2), window=3)
    for r in [10.0, 1.0, 2.0, 3.0]:
        rec.record(r, 5, 1)
    assert rec.mean_return(1) == pytest.approx(2.0) and rec.std_return(1) == pytest.approx(np.std([1, 2, 3]))
    assert rec.normalize(1.0, 0) == pytest.approx(1.0 / 1e-2)  # no episodes: std floored at eps
    other = StatRecorder(Discrete(2), window=3)
    other.load_state_dict(pickle.loads(pickle.dumps(rec.state_dict())))
    other.record(4.0, 5, 1)
    assert other.mean_return(1) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="finite task space"):
        StatRecorder(Box(0, 1, shape=(1,)))


def _feed(curriculum, rng, rounds):
    out = []
    for _ in range(rounds):
        tasks = curriculum.sample(3)
        out.append(tasks)
        for task in tasks:
            curriculum.update_task_progress(task, float(rng.random() < 0.7))
            curriculum.update_on_episode(float(rng.normal()), int(rng.integers(1, 50)), task, float(rng.random()))
        if curriculum.requires_learner_updates:
            enc = np.array([curriculum.task_space.encode(t) for t in tasks])
            curriculum.update_with_rollout(
                np.tile(enc, (4, 1)),
                rng.random((4, 3)) < 0.3,
                advantages=rng.normal(size=(4, 3)),
                actor_ids=np.arange(3),
            )
        curriculum.set_training_info({"approx_total_training_steps": int(rng.integers(1000))})
    return out


FACTORIES = {
    "dr": lambda seed: DomainRandomization(Discrete(7), seed=seed, record_stats=True),
    "dr_box": lambda seed: DomainRandomization(Box(-1, 1, shape=(2,)), seed=seed),
    "constant": lambda seed: Constant(2, Discrete(7), seed=seed),
    "sequential": lambda seed: SequentialCurriculum(
        [DomainRandomization(Discrete(7), seed=seed), [1, 2, 3], LearningProgress(Discrete(7), seed=seed)],
        ["episodes>=4", "total_episodes>=12"],
        Discrete(7),
        seed=seed,
    ),
    "simple_box": lambda seed: SimpleBoxCurriculum(Box(-0.3, 0.3, shape=(2,)), required_successes=2, seed=seed),
    "annealing": lambda seed: AnnealingBoxCurriculum(Box(0, 1, shape=(1,)), [0.0], [1.0], 500, seed=seed),
    "learning_progress": lambda seed: LearningProgress(Discrete(7), seed=seed, random_start_tasks=4),
    "performance": lambda seed: PerformanceCurriculum(
        Discrete(7), promote_threshold=0.0, window=3, seed=seed, replay_easier=0.3
    ),
    "plr": lambda seed: PrioritizedLevelReplay(Discrete(7), num_processes=3, seed=seed, rho=0.0),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_state_dict_round_trip_continues_identically(name):
    make = FACTORIES[name]
    a = make(1)
    rng = np.random.default_rng(0)
    _feed(a, rng, 5)
    state = pickle.loads(pickle.dumps(a.state_dict()))  # checkpoints pickle it
    rng_state = rng.bit_generator.state
    expected = _feed(a, rng, 5)
    b = make(12345)
    b.load_state_dict(state)
    rng.bit_generator.state = rng_state
    got = _feed(b, rng, 5)
    np.testing.assert_equal(got, expected)
    assert a.metrics() == b.metrics()


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_requires_flags_are_bool_properties(name):
    curriculum = FACTORIES[name](0)
    for flag in ("requires_step_updates", "requires_learner_updates", "needs_action_logits"):
        assert isinstance(getattr(type(curriculum), flag), property)
        assert isinstance(getattr(curriculum, flag), bool)
