"""PLR unit tests with exact expected values: split episodes, transforms, strategies, streamed updates, state."""

import numpy as np
import pytest
from gymnasium.spaces import Box, Discrete, MultiDiscrete
from scipy.stats import entropy

from sf_curric.curricula import PrioritizedLevelReplay, TaskSampler

from .helpers import FakeWriter


def _sampler(n=5, **kwargs):
    kwargs.setdefault("staleness_coef", 0.0)
    return TaskSampler(list(range(n)), **kwargs)


def test_split_episode_is_merged_weighted_by_steps():
    s = _sampler(num_actors=2)
    tasks = np.array([[3, 1]] * 4)
    adv = np.array([[1.0, 2.0]] * 4)
    s.update_with_rollout(tasks, np.zeros((4, 2), bool), np.array([0, 1]), advantages=adv)
    assert not s.seen.any()  # nothing finished yet
    # second rollout: actor 0's episode ends after 2 more steps with |adv| = 3, then task 2 starts
    tasks2 = np.array([[3, 1], [3, 1], [2, 1], [2, 1]])
    adv2 = np.array([[3.0, 2.0], [-3.0, 2.0], [5.0, 2.0], [5.0, 2.0]])
    dones2 = np.array([[0, 0], [1, 0], [0, 0], [0, 1]], bool)
    s.update_with_rollout(tasks2, dones2, np.array([0, 1]), advantages=adv2)
    assert s.task_scores[3] == pytest.approx((4 * 1.0 + 2 * 3.0) / 6)
    assert s.task_scores[1] == pytest.approx(2.0)
    assert s.seen.tolist() == [False, True, False, True, False]
    assert s.partial_task.tolist() == [2, -1] and s.partial_steps.tolist() == [2, 0]


def test_reference_mode_scores_each_rollout_part_on_its_own():
    plr = PrioritizedLevelReplay(Discrete(5), num_processes=1, carry_partial_episodes=False, staleness_coef=0.0)
    plr.update_with_rollout(np.full((4, 1), 3), np.zeros((4, 1), bool), advantages=np.ones((4, 1)))
    assert plr.task_sampler.task_scores[3] == 1.0 and plr.task_sampler.seen[3]
    plr.update_with_rollout(np.full((2, 1), 3), np.array([[0], [1]], bool), advantages=np.full((2, 1), 3.0))
    assert plr.task_sampler.task_scores[3] == 3.0


def test_alpha_blends_scores():
    s = _sampler(alpha=0.25)
    s.update_task_score(0, 4.0)
    s.update_task_score(0, 8.0)
    assert s.task_scores[0] == pytest.approx(0.75 * (0.25 * 4.0) + 0.25 * 8.0)


def _seen(s, scores):
    for task, score in enumerate(scores):
        if score is not None:
            s.update_task_score(task, score)


def test_rank_transform_values():
    s = _sampler(n=4, temperature=0.5)
    _seen(s, [0.3, None, 0.9, 0.1])
    w = np.array([1 / 2**2, 0, 1 / 1**2, 1 / 3**2])
    np.testing.assert_allclose(s.sample_weights(), w / w.sum())


def test_power_softmax_constant_max_eps_greedy():
    scores = [0.3, None, 0.9, 0.1]
    seen = np.array([1, 0, 1, 1], bool)
    raw = np.array([0.3, 0.0, 0.9, 0.1])

    s = _sampler(n=4, score_transform="power", temperature=0.5)
    _seen(s, scores)
    w = np.where(seen, (raw + 1e-3) ** 2, 0)
    np.testing.assert_allclose(s.sample_weights(), w / w.sum())

    s = _sampler(n=4, score_transform="softmax", temperature=0.2)
    _seen(s, scores)
    w = np.where(seen, np.exp(raw / 0.2), 0)
    np.testing.assert_allclose(s.sample_weights(), w / w.sum())

    s = _sampler(n=4, score_transform="constant")
    _seen(s, scores)
    np.testing.assert_allclose(s.sample_weights(), seen / 3)

    s = _sampler(n=4, score_transform="max")
    _seen(s, [0.9, None, 0.9, 0.1])
    np.testing.assert_allclose(s.sample_weights(), [0.5, 0, 0.5, 0])

    s = _sampler(n=4, score_transform="eps_greedy", eps=0.2)
    _seen(s, scores)
    w = np.where(seen, 0.2 / 4, 0) + np.array([0, 0, 0.8, 0])
    np.testing.assert_allclose(s.sample_weights(), w / w.sum())


def test_staleness_mix():
    s = _sampler(n=3, staleness_coef=0.4, temperature=1.0)
    _seen(s, [2.0, 1.0, 3.0])
    draws = [s.sample_index() for _ in range(5)]
    staleness = np.zeros(3)
    for d in draws:
        staleness += 1
        staleness[d] = 0
    np.testing.assert_array_equal(s.task_staleness, staleness)
    rank_w = np.array([1 / 2, 1 / 3, 1.0])
    expected = 0.6 * rank_w / rank_w.sum() + 0.4 * staleness / staleness.sum()
    np.testing.assert_allclose(s.sample_weights(), expected)


@pytest.mark.parametrize("schedule, p_replay", [("proportionate", 0.5), ("fixed", 0.7)])
def test_sample_distribution_mixes_replay_and_unseen(schedule, p_replay):
    s = _sampler(n=4, replay_schedule=schedule, rho=0.5, nu=0.3, temperature=1.0)
    _seen(s, [1.0, 2.0, None, None])
    replay = np.array([1 / 2, 1.0, 0, 0])
    expected = p_replay * replay / replay.sum() + (1 - p_replay) * np.array([0, 0, 0.5, 0.5])
    np.testing.assert_allclose(s.sample_distribution(), expected)
    counts = np.bincount([s.sample_index() for _ in range(4000)], minlength=4) / 4000
    np.testing.assert_allclose(counts, expected, atol=0.03)


def test_rho_blocks_replay_until_enough_levels_are_seen():
    s = _sampler(n=10, rho=0.5)
    _seen(s, [1.0] * 4 + [None] * 6)
    assert s.replay_probability() == 0.0
    assert all(s.sample_index() >= 4 for _ in range(200))


def test_replay_prob_is_one_minus_nu():
    assert _sampler(replay_prob=0.8).nu == pytest.approx(0.2)
    with pytest.raises(ValueError, match="disagree"):
        _sampler(replay_prob=0.8, nu=0.5)


def test_random_and_sequential_strategies():
    s = _sampler(n=3, strategy="sequential")
    assert [s.sample_index() for _ in range(5)] == [0, 1, 2, 0, 1]
    r = _sampler(n=6, strategy="random", seed=2)
    assert [r.sample_index() for _ in range(5)] == (np.random.default_rng(2).random(5) * 6).astype(int).tolist()
    r.update_with_rollout(np.zeros((2, 1), int), np.ones((2, 1), bool), advantages=np.ones((2, 1)))
    assert not r.seen.any()


def _episode_score(strategy, **arrays):
    s = _sampler(n=2, strategy=strategy, num_actions=3, gamma=0.9)
    t = next(iter(arrays.values())).shape[0]
    s.update_with_rollout(np.zeros((t, 1), int), np.eye(t, 1, -(t - 1), dtype=bool), **arrays)
    return s.task_scores[0]


def test_strategy_scores_against_formulas():
    adv = np.array([[0.5], [-2.0], [1.0]])
    assert _episode_score("value_l1", advantages=adv) == pytest.approx(3.5 / 3)
    assert _episode_score("gae", advantages=adv) == pytest.approx(-0.5 / 3)
    assert _episode_score("positive_value_loss", advantages=adv) == pytest.approx(1.5 / 3)
    rew, val, nxt = np.array([[1.0], [0.0], [2.0]]), np.array([[0.5], [0.2], [1.0]]), np.array([[0.2], [1.0], [0.0]])
    td = np.abs(rew + 0.9 * nxt - val).mean()
    assert _episode_score("one_step_td_error", rewards=rew, values=val, next_values=nxt) == pytest.approx(td)
    logits = np.array([[[2.0, 0.0, -1.0]], [[0.0, 0.0, 0.0]], [[1.0, 3.0, 0.5]]])
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    ent = np.mean([entropy(p[0]) for p in probs]) / np.log(3)
    assert _episode_score("policy_entropy", action_log_dists=logits) == pytest.approx(ent)
    assert _episode_score("least_confidence", action_log_dists=logits) == pytest.approx(np.mean(1 - probs.max(-1)))
    top = np.sort(probs[:, 0], axis=-1)
    assert _episode_score("min_margin", action_log_dists=logits) == pytest.approx(1 - np.mean(top[:, -1] - top[:, -2]))


def _gae_numpy(rew, val, done, last, gamma, lam):
    t_max, b = rew.shape
    adv = np.zeros((t_max, b))
    for col in range(b):
        acc = 0.0
        for t in reversed(range(t_max)):
            nv = last[col] if t == t_max - 1 else val[t + 1, col]
            nonterminal = 0.0 if done[t, col] else 1.0
            delta = rew[t, col] + gamma * nv * nonterminal - val[t, col]
            acc = delta + gamma * lam * nonterminal * acc
            adv[t, col] = acc
    return adv


def test_streamed_on_demand_updates_equal_gae_scores():
    rng = np.random.default_rng(0)
    t_max, b, n = 5, 3, 6
    stream = PrioritizedLevelReplay(Discrete(n), num_steps=t_max, num_processes=b, gamma=0.9, gae_lambda=0.8)
    direct = PrioritizedLevelReplay(Discrete(n), num_steps=t_max, num_processes=b, gamma=0.9, gae_lambda=0.8)
    for _ in range(3):
        tasks = rng.integers(n, size=(t_max, b))
        rew, val = rng.normal(size=(t_max, b)), rng.normal(size=(t_max, b))
        done = rng.random((t_max, b)) < 0.3
        last = rng.normal(size=b)
        for t in range(t_max):
            nxt = last if t == t_max - 1 else val[t + 1]
            metrics = {"value": val[t], "next_value": nxt, "rew": rew[t], "dones": done[t], "tasks": list(tasks[t])}
            stream.update_curriculum({"update_type": "on_demand", "metrics": metrics})
        direct.update_with_rollout(tasks, done, val, _gae_numpy(rew, val, done, last, 0.9, 0.8), np.arange(b))
    np.testing.assert_allclose(stream.task_sampler.task_scores, direct.task_sampler.task_scores, rtol=1e-12)
    np.testing.assert_array_equal(stream.task_sampler.partial_task, direct.task_sampler.partial_task)
    assert stream.num_rollout_updates == 3


def test_streamed_updates_with_env_ids_fill_per_actor():
    plr = PrioritizedLevelReplay(Discrete(4), num_steps=2, num_processes=3, staleness_coef=0.0)
    step = {"value": [0.0], "next_value": [0.0], "rew": [1.0], "dones": [True], "tasks": [2]}
    plr.update({**step, "env_ids": [1]})
    assert not plr.task_sampler.seen.any()
    plr.update({**step, "env_ids": [1]})
    assert plr.task_sampler.seen.tolist() == [False, False, True, False]
    assert plr.task_sampler.task_scores[2] == pytest.approx(1.0)
    with pytest.raises(KeyError, match="'value' and 'rew'"):
        plr.update({"dones": [False], "tasks": [0]})


def test_state_dict_round_trip_continues_identically():
    rng = np.random.default_rng(5)

    def feed(plr, steps):
        for _t in range(steps):
            plr.update(
                {
                    "value": rng.normal(size=2),
                    "next_value": rng.normal(size=2),
                    "rew": rng.normal(size=2),
                    "dones": rng.random(2) < 0.3,
                    "tasks": plr.sample(2),
                }
            )

    a = PrioritizedLevelReplay(Discrete(8), num_steps=3, num_processes=2, seed=1, rho=0.0)
    feed(a, 10)
    state = a.state_dict()
    saved_rng = rng.bit_generator.state
    feed(a, 10)
    after = (a.sample(30), a.task_sampler.task_scores.copy())
    b = PrioritizedLevelReplay(Discrete(8), num_steps=3, num_processes=2, seed=99, rho=0.0)
    b.load_state_dict(state)
    rng.bit_generator.state = saved_rng
    feed(b, 10)
    assert b.sample(30) == after[0]
    np.testing.assert_array_equal(b.task_sampler.task_scores, after[1])


def test_constructor_is_syllabus_compatible():
    plr = PrioritizedLevelReplay(
        Discrete(10), Box(0, 1, shape=(3,)), num_processes=4, task_sampler_kwargs_dict={"strategy": "gae"}
    )
    assert plr.num_steps == 256 and plr.task_sampler.strategy == "gae" and plr.task_sampler.num_actors == 4
    assert plr.requires_step_updates is False and plr.requires_learner_updates is True
    md = PrioritizedLevelReplay(MultiDiscrete([2, 3]), num_processes=1, rho=0.0, seed=0)
    assert all(isinstance(t, tuple) for t in md.sample(5))
    policy = PrioritizedLevelReplay(Discrete(3), num_processes=1, strategy="least_confidence", action_space=Discrete(4))
    assert policy.task_sampler.num_actions == 4


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(task_space=Box(-1, 1, shape=(2,))), "finite task space"),
        (dict(strategy="gae", score_transform="power"), "use 'rank'"),
        (dict(strategy="bogus"), "unknown PLR strategy"),
        (dict(replay_schedule="sometimes"), "unknown replay_schedule"),
        (dict(rho=1.5), "rho"),
        (dict(strategy="policy_entropy"), "num_actions"),
    ],
)
def test_bad_options_raise_with_the_fix(kwargs, match):
    space = kwargs.pop("task_space", Discrete(4))
    with pytest.raises(ValueError, match=match):
        PrioritizedLevelReplay(space, num_processes=2, **kwargs)


def test_bad_rollouts_raise_with_the_fix():
    plr = PrioritizedLevelReplay(Discrete(4), num_processes=2)
    with pytest.raises(ValueError, match="raise num_processes"):
        plr.update_with_rollout(
            np.zeros((2, 1), int), np.zeros((2, 1), bool), advantages=np.ones((2, 1)), actor_ids=[5]
        )
    with pytest.raises(ValueError, match="needs 'advantages'"):
        plr.update_with_rollout(np.zeros((2, 2), int), np.zeros((2, 2), bool))
    with pytest.raises(ValueError, match=r"task indices must be in \[0, 4\)"):
        plr.update_with_rollout(np.full((2, 2), -1), np.zeros((2, 2), bool), advantages=np.ones((2, 2)))


def test_metrics_and_log_metrics():
    plr = PrioritizedLevelReplay(Discrete(4), num_processes=1, staleness_coef=0.0, temperature=1.0, rho=0.0)
    plr.task_sampler.update_task_score(0, 2.0)
    plr.task_sampler.update_task_score(1, 1.0)
    m = plr.metrics()
    dist = np.array([0.5 * 2 / 3, 0.5 * 1 / 3, 0.25, 0.25])  # proportionate: replay half the time
    assert m["curriculum/entropy"] == pytest.approx(entropy(dist))
    assert m["curriculum/num_active_tasks"] == 4 and m["curriculum/proportion_seen"] == 0.5
    assert m["curriculum/task_0_prob"] == pytest.approx(dist[0]) and m["curriculum/mean_score"] == 1.5
    writer = FakeWriter()
    plr.log_metrics(writer, 3)
    assert writer.scalars["curriculum/proportion_seen"] == (0.5, 3)


def test_torch_tensors_are_accepted():
    torch = pytest.importorskip("torch")
    plr = PrioritizedLevelReplay(Discrete(4), num_steps=1, num_processes=2, staleness_coef=0.0)
    plr.update(
        {
            "value": torch.zeros(2, 1),
            "next_value": torch.zeros(2, 1),
            "rew": torch.ones(2),
            "dones": torch.tensor([True, False]),
            "tasks": torch.tensor([1, 3]),
        }
    )
    assert plr.task_sampler.seen.tolist() == [False, True, False, False]


@pytest.mark.parametrize("transform", ["rank", "softmax", "constant", "power"])
def test_staleness_transforms(transform):
    s = _sampler(
        n=4,
        staleness_coef=0.5,
        staleness_transform=transform,
        staleness_temperature=0.5,
        temperature=1.0,
        rho=0.0,
        seed=4,
    )
    _seen(s, [3.0, 2.0, None, 1.0])
    for _ in range(7):
        s.sample_index()
    st = s.task_staleness
    assert len(set(st[[0, 1, 3]])) == 3  # distinct staleness values, so the transform matters
    seen = np.array([1, 1, 0, 1], bool)
    if transform == "rank":
        # ties go to the higher index: ranks the reference way (flipped ascending stable sort)
        ranks = np.empty(3)
        asc = np.argsort(st[seen], kind="stable")[::-1]
        ranks[asc] = np.arange(1, 4)
        c = np.zeros(4)
        c[seen] = 1 / ranks**2
    elif transform == "softmax":
        c = np.where(seen, np.exp(st / 0.5), 0)
    elif transform == "constant":
        c = seen.astype(float)
    else:
        c = np.where(seen, st**2, 0)
    score = np.array([1, 1 / 2, 0, 1 / 3])
    expected = 0.5 * score / score.sum() + 0.5 * c / c.sum()
    np.testing.assert_allclose(s.sample_weights(), expected)
    counts = np.bincount([s.sample_index() for _ in range(2000)], minlength=4)
    assert counts.min() > 0  # replays of every seen level and first visits of level 2


def test_torch_rollouts_are_accepted():
    torch = pytest.importorskip("torch")
    plr = PrioritizedLevelReplay(Discrete(4), num_processes=2, staleness_coef=0.0)
    plr.update_with_rollout(
        tasks=torch.tensor([[1, 2], [1, 2]]),
        dones=torch.tensor([[False, False], [True, False]]),
        values=torch.zeros(3, 2),
        advantages=torch.tensor([[1.0, 5.0], [3.0, 5.0]]),
        actor_ids=torch.tensor([0, 1]),
    )
    assert plr.task_sampler.task_scores[1] == pytest.approx(2.0) and plr.task_sampler.partial_task.tolist() == [-1, 2]


def test_streamed_policy_strategy_matches_direct_rollout():
    rng = np.random.default_rng(3)
    t_max, b, n, a = 4, 2, 5, 3
    kwargs = dict(num_steps=t_max, num_processes=b, strategy="least_confidence", action_space=Discrete(a))
    stream, direct = PrioritizedLevelReplay(Discrete(n), **kwargs), PrioritizedLevelReplay(Discrete(n), **kwargs)
    tasks = rng.integers(n, size=(t_max, b))
    dones = rng.random((t_max, b)) < 0.4
    logits = rng.normal(size=(t_max, b, a))
    for t in range(t_max):
        stream.update({"dones": dones[t], "tasks": tasks[t], "action_log_dist": logits[t]})
    direct.update_with_rollout(tasks, dones, action_log_dists=logits)
    np.testing.assert_allclose(stream.task_sampler.task_scores, direct.task_sampler.task_scores, rtol=1e-12)
    assert stream.task_sampler.seen.any()
