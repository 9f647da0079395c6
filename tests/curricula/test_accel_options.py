"""ACCEL's options for jaxued's methods: PLR on generated levels (no edits; trained on all or on replays only), the
buffer's replacement by lowest replay weight (jaxued's rule) recomputed by hand, and max_mc scores of staged levels
carried into the buffer."""

import numpy as np

from sf_curric.curricula.accel import ACCEL


def _accel(**kwargs):
    counter = iter(range(10_000))
    options = dict(buffer_size=3, num_edits=2, replay_prob=1.0, min_fill=3, staging=8, num_processes=1, seed=0)
    options.update(kwargs)
    return ACCEL(lambda rng: f"g{next(counter)}", lambda level, rng, n: f"{level}+{n}", **options)


def _score(accel, level, value, strategy="value_l1"):
    slot = accel.task_space.encode(level)
    if strategy == "max_mc":  # one one-step episode: return `value`, V = 0 -> score = best return so far
        accel.update_with_rollout(tasks=[[slot]], dones=[[True]], values=[[0.0]], rewards=[[value]], actor_ids=[0])
    else:
        accel.update_with_rollout(tasks=[[slot]], dones=[[True]], advantages=[[value]], actor_ids=[0])


def test_without_edits_replays_queue_no_children_and_train_on_new_trains_on_everything():
    accel = _accel(edit_replays=False, train_on_new=True, strategy="value_l1", staleness_coef=0.0)
    for value in (0.5, 0.1, 0.9):
        _score(accel, accel.sample(1)[0], value)
    for _ in range(5):
        level = accel.sample(1)[0]
        assert level in accel.buffer_scores()  # replay_prob 1: only replays, never an edited child
        _score(accel, level, 0.4)
    assert accel.counts["edited"] == 0 and accel.trains_on(np.array([[0, 5]])) is None
    robust = _accel(edit_replays=False)
    assert robust.trains_on(np.array([[0, 5]])).tolist() == [[True, False]]  # slot 5 is a staging slot


def test_full_buffer_replaces_the_lowest_replay_weight_when_asked():
    accel = _accel(replace="lowest_weight", strategy="value_l1", staleness_coef=0.5, temperature=1.0)
    for value in (0.5, 0.1, 0.9):
        _score(accel, accel.sample(1)[0], value)
    for value in (0.3, 0.35, 0.4, 0.45):  # replays age the levels unevenly (staleness); distinct scores
        _score(accel, accel.sample(1)[0], value)
        accel.children.clear()
    accel.replay_prob = 0.0
    new = accel.sample(1)[0]  # a new level, staged
    sampler = accel.task_sampler
    scores = sampler.task_scores[:3].copy()
    # the replay weight by hand: rank transform (1/rank, temperature 1) and staleness (draws since last), half each
    ranks = np.empty(3)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(1, 4)
    p_score = (1 / ranks) / (1 / ranks).sum()
    staleness = (sampler.sample_count - sampler.last_sampled[:3]).astype(float)
    p_stale = staleness / staleness.sum()
    expected_target = int(np.argmin(0.5 * p_score + 0.5 * p_stale))
    assert expected_target != int(np.argmin(scores))  # the case where the two rules differ
    victim = accel.task_space.levels[expected_target]
    _score(accel, new, float(scores[expected_target]) + 1.0)  # beats the victim's score
    assert victim not in accel.buffer_scores() and accel.task_space.levels[expected_target] == new


def test_max_mc_best_return_of_a_staged_level_follows_it_into_the_buffer():
    accel = _accel(strategy="max_mc", staleness_coef=0.0)
    level = accel.sample(1)[0]
    _score(accel, level, 0.7, "max_mc")
    slot = accel.task_space.encode(level)
    assert slot < 3 and accel.task_sampler.max_returns[slot] == 0.7
    _score(accel, level, 0.2, "max_mc")  # replayed: scored against its best return
    assert np.isclose(accel.buffer_scores()[level], 0.7)
    staged = accel.task_space.encode(accel._stage("fresh"))
    assert staged >= 3 and accel.task_sampler.max_returns[staged] == -np.inf
