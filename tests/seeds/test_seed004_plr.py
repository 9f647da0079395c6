"""Seed 004 (Syllabus PLR page) as users type it: the module path, the keyword form, and CleanRL's update loop."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from gymnasium.spaces import Box, Discrete

# seed 004: `.. automodule:: syllabus.curricula.plr.plr_wrapper`
from sf_curric.curricula.plr.plr_wrapper import PrioritizedLevelReplay
from sf_curric.curricula.plr.task_sampler import TaskSampler

GAMMA, LAMBDA = 0.9, 0.8


def _gae_l1(rew, val, next_val, done):
    """Independent mean |GAE| of one episode per column (the value_l1 score)."""
    adv, acc = np.zeros_like(rew), np.zeros(rew.shape[1])
    for t in reversed(range(rew.shape[0])):
        nonterminal = 1.0 - done[t]
        acc = rew[t] + GAMMA * next_val[t] * nonterminal - val[t] + GAMMA * LAMBDA * nonterminal * acc
        adv[t] = acc
    return np.abs(adv).mean(axis=0)


def test_cleanrl_on_demand_updates_give_value_l1_scores():
    num_steps, num_envs, levels = 4, 2, [3, 5]
    task_space = Discrete(8)
    observation_space = Box(0, 1, shape=(3,))
    # Syllabus's keyword form: task space, observation space, then keywords
    curriculum = PrioritizedLevelReplay(
        task_space,
        observation_space,
        num_steps=num_steps,
        num_processes=num_envs,
        gamma=GAMMA,
        gae_lambda=LAMBDA,
        task_sampler_kwargs_dict={"strategy": "value_l1"},
    )
    rng = np.random.default_rng(0)
    rew = rng.normal(size=(num_steps, num_envs))
    val = rng.normal(size=(num_steps, num_envs))
    next_val = np.vstack([val[1:], rng.normal(size=(1, num_envs))])
    dones = np.zeros((num_steps, num_envs))
    dones[-1] = 1.0  # each env's episode ends with the rollout

    # seed 004, CleanRL tab: at the end of each step of the step loop
    for step in range(0, num_steps):
        value = torch.as_tensor(val[step]).unsqueeze(-1)  # CleanRL's agent.get_value shape (num_envs, 1)
        next_value = torch.as_tensor(next_val[step]).unsqueeze(-1)
        reward = torch.as_tensor(rew[step])
        done = torch.as_tensor(dones[step])
        tasks = levels  # envs.get_attr("task")

        update = {
            "update_type": "on_demand",
            "metrics": {
                "value": value,
                "next_value": next_value,
                "rew": reward,
                "dones": done,
                "tasks": tasks,
            },
        }
        curriculum.update_curriculum(update)

    scores = curriculum.task_sampler.task_scores
    np.testing.assert_allclose(scores[levels], _gae_l1(rew, val, next_val, dones), rtol=1e-9)
    assert curriculum.task_sampler.seen.nonzero()[0].tolist() == levels


def test_ignorable_syllabus_options_warn_once_instead_of_failing():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plr = PrioritizedLevelReplay(Discrete(4), num_processes=2, suppress_usage_warnings=True)
    ignored = [w for w in caught if "suppress_usage_warnings" in str(w.message)]
    assert len(ignored) == 1
    assert plr.num_processes == 2
    with pytest.warns(UserWarning, match="suppress_usage_warnings"):
        TaskSampler(list(range(4)), suppress_usage_warnings=True)
    with pytest.raises(TypeError, match="unknown options"):
        TaskSampler(list(range(4)), no_such_option=1)
    with pytest.raises(TypeError, match="observation space"):
        PrioritizedLevelReplay(Discrete(4), 128)  # num_steps positionally: the error names the keyword form
