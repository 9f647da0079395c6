"""PLR's max_mc score (Robust PLR's MaxMC, jaxued's default) against jaxued's formula written out in numpy, and an
episode split across two rollouts scores as if it were whole."""

import numpy as np

from sf_curric.curricula.plr.task_sampler import TaskSampler


def _jaxued_max_mc(dones, values, max_returns):
    """jaxued.utils.max_mc (accumulate_rollout_stats with time_average) for [T, B] arrays, in plain loops."""
    num_steps, num_cols = dones.shape
    out = np.full(num_cols, -np.inf)
    for b in range(num_cols):
        total, steps, sums, count = 0.0, 0, 0.0, 0
        for t in range(num_steps):
            total += max_returns[b] - values[t, b]
            steps += 1
            if dones[t, b]:
                sums += total / steps
                count += 1
                total, steps = 0.0, 0
        if count:
            out[b] = sums / count
    return out


def test_max_mc_is_jaxueds_score_for_one_episode_per_level():
    rng = np.random.default_rng(0)
    num_steps, num_cols = 40, 6
    dones = np.zeros((num_steps, num_cols), bool)
    rewards = np.zeros((num_steps, num_cols))
    ends = rng.integers(5, num_steps, size=num_cols)
    for b, end in enumerate(ends):
        dones[end, b] = True
        rewards[end, b] = rng.uniform(0, 1) if b % 2 else 0.0  # half the levels solved, half not
    values = rng.normal(size=(num_steps, num_cols))
    tasks = np.broadcast_to(np.arange(num_cols), (num_steps, num_cols)).copy()
    sampler = TaskSampler(list(range(num_cols)), num_actors=num_cols, strategy="max_mc", seed=0)
    sampler.update_with_rollout(tasks, dones, rewards=rewards, values=values)
    # jaxued: max_returns of a new level = the best return of the rollout's episodes (compute_max_returns)
    max_returns = np.array([rewards[: ends[b] + 1, b].sum() for b in range(num_cols)])
    expected = _jaxued_max_mc(dones, values, max_returns)
    # our episodes end at `end`; the steps after it start a second (unfinished) episode that jaxued ignores
    assert np.allclose(sampler.task_scores, expected)
    assert np.allclose(sampler.max_returns, max_returns)


def test_max_mc_keeps_the_best_return_and_merges_split_episodes():
    sampler = TaskSampler([0, 1], num_actors=1, strategy="max_mc", seed=0)
    first = dict(rewards=np.array([[0.0], [0.8]]), values=np.array([[0.2], [0.4]]))
    sampler.update_with_rollout(np.zeros((2, 1), int), np.array([[False], [True]]), **first)
    assert np.isclose(sampler.task_scores[0], 0.8 - 0.3)
    # a later, worse episode on the same level is scored against the best return so far (0.8)
    sampler.update_with_rollout(np.zeros((1, 1), int), np.array([[True]]), rewards=[[0.1]], values=[[0.5]])
    assert np.isclose(sampler.task_scores[0], 0.8 - 0.5) and sampler.max_returns[0] == 0.8
    # an episode of level 1 split over two rollouts: one score over its 4 steps, its whole return
    whole = TaskSampler([0, 1], num_actors=1, strategy="max_mc", seed=0)
    values, rewards = np.array([[0.1], [0.3], [0.2], [0.6]]), np.array([[0.0], [0.0], [0.0], [0.9]])
    dones = np.array([[False], [False], [False], [True]])
    whole.update_with_rollout(np.ones((4, 1), int), dones, rewards=rewards, values=values)
    split = TaskSampler([0, 1], num_actors=1, strategy="max_mc", seed=0)
    for part in (slice(0, 1), slice(1, 4)):
        split.update_with_rollout(np.ones((part.stop - part.start, 1), int), dones[part], rewards=rewards[part],
                                  values=values[part])  # fmt: skip
    assert np.isclose(split.task_scores[1], whole.task_scores[1]) and np.isclose(whole.task_scores[1], 0.9 - 0.3)
    state = split.state_dict()
    again = TaskSampler([0, 1], num_actors=1, strategy="max_mc", seed=0)
    again.load_state_dict(state)
    assert np.array_equal(again.max_returns, split.max_returns)
