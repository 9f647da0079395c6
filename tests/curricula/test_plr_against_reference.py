"""PLR against the independent numpy implementation in plr_reference.py, over hundreds of random score streams.

Each stream simulates actors running episodes of random lengths on tasks chosen by the sampler; episodes
cross rollout boundaries (split episodes), so every stream exercises carried partial scores; small task sets
get every level seen. After every draw the chosen task and the replay weights must match the reference.
"""

import numpy as np
import pytest
from gymnasium.spaces import Discrete

from sf_curric.curricula import PrioritizedLevelReplay, TaskSampler

from .plr_reference import ReferencePLR

NUM_STREAMS = 300


def _stream_config(rng):
    return dict(
        num_tasks=int(rng.integers(3, 30)),
        num_actors=int(rng.integers(1, 5)),
        score_transform=str(rng.choice(["rank", "power"])),
        temperature=float(rng.choice([0.1, 0.3, 1.0])),
        staleness_coef=float(rng.choice([0.0, 0.1, 0.5])),
        staleness_transform="power",
        staleness_temperature=float(rng.choice([1.0, 0.5])),
        replay_schedule=str(rng.choice(["proportionate", "fixed"])),
        rho=float(rng.choice([0.0, 0.2, 1.0])),
        nu=float(rng.choice([0.2, 0.5, 0.9])),
        alpha=float(rng.choice([1.0, 0.5])),
    )


def _run_stream(stream_seed):
    rng = np.random.default_rng(stream_seed)
    cfg = _stream_config(rng)
    num_tasks, num_actors = cfg.pop("num_tasks"), cfg.pop("num_actors")
    ours = TaskSampler(list(range(num_tasks)), num_actors=num_actors, seed=stream_seed, **cfg)
    ref = ReferencePLR(num_tasks, num_actors, seed=stream_seed, **cfg)

    def draw():
        a, b = ours.sample_index(), ref.sample()
        assert a == b, f"stream {stream_seed}: chose {a}, reference chose {b}"
        np.testing.assert_allclose(ours.sample_weights(), ref.weights(), rtol=1e-9, atol=1e-12)
        return a

    current = np.array([draw() for _ in range(num_actors)])
    done_prob = float(rng.choice([0.05, 0.2, 0.5]))
    num_steps = int(rng.integers(2, 12))
    for _ in range(int(rng.integers(3, 9))):
        tasks = np.zeros((num_steps, num_actors), dtype=np.int64)
        dones = rng.random((num_steps, num_actors)) < done_prob
        for t in range(num_steps):
            tasks[t] = current
            for actor in np.flatnonzero(dones[t]):
                current[actor] = draw()
        advantages = rng.normal(size=(num_steps, num_actors)) * rng.uniform(0.1, 3.0, size=num_tasks)[tasks]
        # actors may own any global id; permute them to check that columns are matched by id, not position
        actor_ids = np.arange(num_actors)
        ours.update_with_rollout(tasks, dones, actor_ids, advantages=advantages)
        ref.update(tasks, dones, advantages, actor_ids)
        np.testing.assert_allclose(ours.task_scores, ref.scores, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(ours.seen, ref.unseen == 0)
        np.testing.assert_allclose(ours.sample_weights(), ref.weights(), rtol=1e-9, atol=1e-12)
    return ours.proportion_seen


def test_plr_matches_reference_over_random_streams():
    proportions = [_run_stream(seed) for seed in range(NUM_STREAMS)]
    # the streams must cover the "all levels seen" regime and the partly seen one
    assert sum(p == 1.0 for p in proportions) >= 20
    assert sum(p < 1.0 for p in proportions) >= 20


def test_plr_curriculum_matches_reference_through_public_api():
    """The same check through PrioritizedLevelReplay.update_with_rollout / sample with permuted actor ids."""
    rng = np.random.default_rng(7)
    num_tasks, num_actors, num_steps = 12, 4, 6
    plr = PrioritizedLevelReplay(
        Discrete(num_tasks), num_steps=num_steps, num_processes=8, seed=3, staleness_coef=0.3, rho=0.0
    )
    ref = ReferencePLR(num_tasks, 8, seed=3, staleness_coef=0.3, rho=0.0)
    actor_ids = np.array([6, 1, 7, 3])
    current = np.array([plr.sample(1)[0] for _ in range(num_actors)])
    assert current.tolist() == [ref.sample() for _ in range(num_actors)]
    for _ in range(30):
        tasks = np.zeros((num_steps, num_actors), dtype=np.int64)
        dones = rng.random((num_steps, num_actors)) < 0.3
        for t in range(num_steps):
            tasks[t] = current
            for col in np.flatnonzero(dones[t]):
                current[col] = plr.sample(1)[0]
                assert current[col] == ref.sample()
        values = rng.normal(size=(num_steps + 1, num_actors))
        advantages = rng.normal(size=(num_steps, num_actors))
        plr.update_with_rollout(tasks, dones, values, advantages, actor_ids)
        ref.update(tasks, dones, advantages, actor_ids)
        np.testing.assert_allclose(plr.task_sampler.task_scores, ref.scores, rtol=1e-12)
        np.testing.assert_allclose(plr.sample_weights(), ref.weights(), rtol=1e-9, atol=1e-12)
    assert plr.task_sampler.proportion_seen == 1.0


@pytest.mark.parametrize("schedule", ["proportionate", "fixed"])
def test_all_levels_seen_keeps_sampling(schedule):
    """Once every level is seen, sampling must go on replaying (a known crash of another implementation)."""
    sampler = TaskSampler(list(range(3)), num_actors=1, replay_schedule=schedule, rho=0.5, seed=0)
    for task in range(3):
        sampler.update_task_score(task, float(task + 1))
    assert sampler.proportion_seen == 1.0 and sampler.replay_probability() == 1.0
    draws = [sampler.sample_index() for _ in range(500)]
    assert set(draws) <= {0, 1, 2} and draws.count(2) > draws.count(0)
