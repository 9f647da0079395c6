"""Robust PLR, ACCEL and learnability against independent computations (issue 17)."""

import numpy as np
import pytest
import torch
from gymnasium.spaces import Box, Discrete

from sf_curric.algo.learner import Learner, learner_cfg
from sf_curric.curricula import ACCEL, DirectPrioritizedLevelReplay, Learnability, RobustPLR
from sf_curric.envs.builtin.maze_designs import HAND_DESIGNED
from sf_curric.envs.builtin.maze_levels import Level, MazeLevels, mutate


# ---- learnability --------------------------------------------------------------------------------------------------
def test_learnability_weights_from_success_counts():
    cur = Learnability(Discrete(5), window=4, uniform_mix=0.1, seed=0)
    outcomes = {0: [1, 1, 1, 1], 1: [1, 0, 0, 0], 2: [1, 1, 0, 0], 3: [0, 0, 0, 0, 0, 1]}  # 4: no episode
    for task, results in outcomes.items():
        for r in results:
            cur.update_on_episode(float(r), 10, task=task, progress=float(r))
    # by hand: p = 1, 1/4, 1/2, 1/4 (last 4 of task 3), 0.5 (unseen) -> p(1-p) = 0, 3/16, 1/4, 3/16, 1/4
    raw = np.array([0, 3 / 16, 1 / 4, 3 / 16, 1 / 4])
    expected = 0.9 * raw / raw.sum() + 0.1 / 5
    assert np.allclose(cur._sample_weights(), expected)
    cur.topk = 2  # keep the two most learnable (tie between 2 and 4: both 1/4)
    top = np.array([0, 0, 1 / 4, 0, 1 / 4])
    assert np.allclose(cur._sample_weights(), 0.9 * top / top.sum() + 0.1 / 5)
    draws = np.bincount([cur.task_space.encode(t) for t in cur.sample(4000)], minlength=5) / 4000
    assert np.abs(draws - cur._sample_weights()).max() < 0.03


def test_learnability_uses_return_without_task_completion():
    cur = Learnability(Discrete(2), window=2, uniform_mix=0.0)
    cur.update_on_episode(0.5, 3, task=0)  # success (return > 0)
    cur.update_on_episode(0.0, 3, task=0)
    assert cur.success_rates()[0] == 0.5


# ---- Robust PLR ----------------------------------------------------------------------------------------------------
def _traj(tasks, seed=0):
    rng = np.random.default_rng(seed)
    steps, envs = tasks.shape
    return {
        "obs": torch.as_tensor(rng.normal(size=(steps + 1, envs, 4)), dtype=torch.float32),
        "actions": torch.as_tensor(rng.integers(0, 2, size=(steps, envs))),
        "log_probs": torch.full((steps, envs), float(np.log(0.5))),
        "values": torch.as_tensor(rng.normal(size=(steps + 1, envs)), dtype=torch.float32),
        "rewards": torch.as_tensor(rng.normal(size=(steps, envs)), dtype=torch.float32),
        "terminated": torch.zeros(steps, envs, dtype=torch.bool),
        "truncated": torch.zeros(steps, envs, dtype=torch.bool),
        "final_values": torch.zeros(steps, envs),
        "tasks": torch.as_tensor(tasks),
    }


def _with_states(traj, learner):
    if learner.model.is_recurrent:
        traj["rnn_states"] = learner.model.initial_rnn_states(traj["rewards"].shape[1])
    return traj


def _weights(learner):
    return [p.detach().clone() for p in learner.model.parameters()]


@pytest.mark.parametrize("use_rnn", [False, True])
def test_robust_plr_changes_parameters_only_on_replay_steps(use_rnn):
    torch.manual_seed(0)
    cfg = learner_cfg(device="cpu", batch_size=16, num_epochs=2, use_rnn=use_rnn)
    learner = Learner(cfg, Box(-1, 1, (4,)), Discrete(2))
    robust = RobustPLR(Discrete(10), num_processes=4, seed=0)
    robust.task_sampler.update_task_score(3, 1.0)  # level 3 has a score: replaying it is a replay
    # 1. a batch of unseen levels only (exploratory): the mask is all False and no weight moves
    explore = np.array([[0, 1, 2, 4]] * 8)
    traj = _with_states(_traj(explore), learner)
    traj["train_mask"] = torch.as_tensor(robust.trains_on(explore))
    assert not traj["train_mask"].any()
    before = _weights(learner)
    state = {k: v.clone() for k, v in learner.optimizer.state_dict()["state"].get(0, {}).items()}
    learner.train(traj, 0)
    assert all(torch.equal(a, b) for a, b in zip(before, _weights(learner)))
    assert not state or all(torch.equal(v, learner.optimizer.state_dict()["state"][0][k]) for k, v in state.items())
    # 2. a mixed batch: weights move, and only the replayed column matters (other columns' data changed -> same
    #    weights), checked against the same update on a copy
    mixed = np.array([[3, 0, 1, 2]] * 8)
    mask = torch.as_tensor(robust.trains_on(mixed))
    assert mask[:, 0].all() and not mask[:, 1:].any()
    results = []
    for data_seed in (1, 2):
        torch.manual_seed(0)
        copy = Learner(cfg, Box(-1, 1, (4,)), Discrete(2))
        copy.model.load_state_dict(learner.model.state_dict())
        traj = _with_states(_traj(mixed, seed=data_seed), copy)
        if data_seed == 2:  # same replay column as seed 1, different exploratory columns
            ref = _traj(mixed, seed=1)
            for key in ("obs", "actions", "values", "rewards"):
                traj[key][:, 0] = ref[key][:, 0]
        traj["train_mask"] = mask
        copy.train(traj, 0)
        results.append(_weights(copy))
    assert any(not torch.equal(a, b) for a, b in zip(before, results[0]))
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(results[0], results[1]))


# ---- ACCEL ---------------------------------------------------------------------------------------------------------
def test_accel_buffer_after_scripted_scores_and_edits():
    generated = iter(["g0", "g1", "g2", "g3", "g4"])
    accel = ACCEL(
        generator=lambda rng: next(generated),
        mutate=lambda level, rng, n: f"{level}+{n}",
        buffer_size=3,
        num_edits=2,
        replay_prob=1.0,
        min_fill=3,
        staging=8,
        num_processes=1,
        strategy="value_l1",
        staleness_coef=0.0,
        seed=0,
    )

    def score(level, value):  # one finished one-step episode with |advantage| = value
        slot = accel.task_space.encode(level)
        accel.update_with_rollout(tasks=[[slot]], dones=[[True]], advantages=[[value]], actor_ids=[0])

    # reference model of the buffer: level -> score; new levels join while there is room, else replace the minimum
    ref: dict = {}

    def ref_add(level, value):
        if len(ref) < 3:
            ref[level] = value
        elif value > min(ref.values()):
            del ref[min(ref, key=ref.get)]
            ref[level] = value

    for level, value in (("g0", 0.5), ("g1", 0.1), ("g2", 0.9)):
        assert accel.sample(1) == [level]  # buffer not full (min_fill 3): new levels
        assert not accel.trains_on([accel.task_space.encode(level)])[0]  # staged: not trained on
        score(level, value)
        ref_add(level, value)
    assert accel.buffer_scores() == ref
    # replay (rank, no staleness): the best level is the most likely; the draw is a buffer level
    replayed = accel.sample(1)[0]
    assert replayed in ref and accel.trains_on([accel.task_space.encode(replayed)])[0]
    score(replayed, 0.3)
    ref[replayed] = 0.3  # alpha 1: the newest score
    # the replay queued its child (mutate(level, rng, 2)), drawn next and staged
    child = accel.sample(1)[0]
    assert child == f"{replayed}+2"
    score(child, 0.05)  # lower than every buffer score: rejected
    ref_add(child, 0.05)
    assert accel.buffer_scores() == ref
    replayed = accel.sample(1)[0]
    score(replayed, 0.7)
    ref[replayed] = 0.7
    child = accel.sample(1)[0]
    score(child, 0.8)  # beats the minimum: replaces it
    ref_add(child, 0.8)
    assert accel.buffer_scores() == ref and len(accel.levels) == 3
    assert accel.counts["added"] == 4 and accel.counts["rejected"] == 1
    # the buffer (levels as values) survives a checkpoint
    state = accel.state_dict()
    again = ACCEL(lambda rng: "x", lambda level, rng, n: level, buffer_size=3, staging=8, num_processes=1)
    again.load_state_dict(state)
    assert again.buffer_scores() == ref and again.sample(1)[0] in ref


def test_maze_mutation_and_hand_designed_levels():
    rng = np.random.default_rng(0)
    child = mutate(5, rng, 5)
    parent, edited = Level(5), Level(child)
    flips = int((parent.walls != edited.walls).sum()) + int(parent.goal != edited.goal)
    assert 1 <= flips <= 5 and edited.start == parent.start
    env = MazeLevels()
    for name, layout in HAND_DESIGNED.items():
        level = Level(layout)
        assert level.layout() == layout and level.shortest_path() is not None, name
        obs, _ = env.reset(new_task=layout)
        assert env.level.goal == level.goal


def test_direct_plr_scores_are_episode_means():
    plr = DirectPrioritizedLevelReplay(Discrete(4), num_processes=2, seed=0)
    tasks = np.array([[0, 1], [0, 1], [2, 1]])
    dones = np.array([[False, False], [True, False], [True, True]])
    plr.update(tasks, np.array([[1.0, 3.0], [2.0, 3.0], [5.0, 6.0]]), dones)
    assert np.allclose(plr.task_sampler.task_scores[:3], [1.5, 4.0, 5.0])
