"""Seed 003 (Syllabus README) as users type it: Curriculum hooks, TaskWrapper, TaskSpace, use_wandb.

The env and curricula are the seed's code (tests/seeds/snippets.py); they run through seed 002's
`make_multiprocessing_curriculum` / `MultiProcessingSyncWrapper` in a gymnasium `AsyncVectorEnv` (same-step
autoreset, so a step that ends an episode is the episode's last step), and every hook count is compared with what
the vector env itself reported.
"""

from __future__ import annotations

import functools
import re
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.spaces import Box, Discrete, MultiDiscrete

from sf_curric import Curriculum, TaskSpace
from sf_curric.core import make_multiprocessing_curriculum
from sf_curric.errors import install_command
from tests.seeds.snippets import CartPoleTaskWrapper, SeedBatchHookCurriculum, SeedHookCurriculum, mp_env_creator

TASK_SPACE = Box(-0.3, 0.3, shape=(2,))


def _run_async(curriculum_cls, num_envs=2, vector_steps=300):
    """Run the seed's CartPole in an AsyncVectorEnv; return what the vector env saw and what the curriculum got."""
    curriculum, task_queue, update_queue = make_multiprocessing_curriculum(curriculum_cls(TASK_SPACE))
    make_env = functools.partial(mp_env_creator, task_queue, update_queue)
    envs = gym.vector.AsyncVectorEnv(
        [make_env] * num_envs, autoreset_mode=gym.vector.AutoresetMode.SAME_STEP, context="fork"
    )
    rng = np.random.default_rng(0)
    lengths, running = [], np.zeros(num_envs, dtype=np.int64)
    total_reward = 0.0
    try:
        envs.reset(seed=0)
        for _ in range(vector_steps):
            _, rew, term, trunc, _ = envs.step(rng.integers(0, 2, size=num_envs))
            total_reward += float(rew.sum())
            running += 1
            for i in np.flatnonzero(term | trunc):
                lengths.append(int(running[i]))
                running[i] = 0
    finally:
        envs.close()  # sends the last partial step batch of every env
    curriculum.flush()
    curriculum.stop()
    return curriculum.unwrapped, lengths, total_reward, num_envs * vector_steps


@pytest.mark.parametrize("curriculum_cls", [SeedHookCurriculum, SeedBatchHookCurriculum])
def test_seed_hooks_are_called_once_per_episode_and_step_over_async_vector_env(curriculum_cls):
    curriculum, lengths, total_reward, total_steps = _run_async(curriculum_cls)
    assert len(lengths) > 10  # a random policy ends CartPole episodes after ~20 steps
    # complete_task: one call per finished episode, with the seed's _task_completion: return / 500
    assert len(curriculum.completed) == len(lengths)
    assert sorted(p for _, p in curriculum.completed) == pytest.approx(sorted(n / 500.0 for n in lengths))
    assert {task for task, _ in curriculum.completed} <= set(SeedHookCurriculum.RANGES)
    # on_step (or on_step_batch rows): every step of every env, its reward and its done flag
    assert curriculum.steps == total_steps
    assert curriculum.step_reward == total_reward
    assert curriculum.step_dones == len(lengths)
    if curriculum_cls is SeedBatchHookCurriculum:
        assert curriculum.batches >= len(lengths)  # a batch is sent at least at every episode end


def test_curriculum_takes_seed_003_signature_and_routes_hooks():
    # Curriculum(task_space, random_start_tasks=0, use_wandb=False), by keyword and by position
    assert Curriculum(Discrete(3), random_start_tasks=0, use_wandb=False).use_wandb is False
    positional = Curriculum(Discrete(3), 2, False)
    assert (positional.random_start_tasks, positional.use_wandb, positional.task_names) == (2, False, None)

    class Both(Curriculum):
        """Overrides a seed name and its newer name: the seed name is called, super() reaches the newer one."""

        calls: list = []

        def complete_task(self, task, success_prob):
            self.calls.append(("complete_task", task, success_prob))
            super().complete_task(task, success_prob)

        def update_task_progress(self, task, progress, env_id=None):
            self.calls.append(("update_task_progress", task, progress))

    both = Both(Discrete(3))
    both.update_curriculum({"update_type": "task_progress", "metrics": (2, 0.5), "env_id": 1})
    assert Both.calls == [("complete_task", 2, 0.5), ("update_task_progress", 2, 0.5)]
    assert both.requires_step_updates is False
    assert SeedHookCurriculum(TASK_SPACE).requires_step_updates is True  # overriding on_step asks for steps


def test_seed_task_completion_with_four_arguments():
    env = CartPoleTaskWrapper(gym.make("CartPole-v1"))
    env.reset(new_task=(-0.05, 0.05))
    assert env.task == (-0.05, 0.05)
    assert np.all(np.abs(env.unwrapped.state) <= 0.05)  # change_task set the initial state inside the range
    completions = []
    for _ in range(5):
        _, _, term, trunc, info = env.step(0)
        completions.append(info["task_completion"])
    assert completions == pytest.approx([1 / 500, 2 / 500, 3 / 500, 4 / 500, 5 / 500])
    assert env.task_completion == pytest.approx(5 / 500)


class AsWrittenCartPoleTaskWrapper(CartPoleTaskWrapper):
    """Seed 003's wrapper exactly as the README writes it, with `self.env.state` (gym 0.2x's attribute forwarding)."""

    def reset(self, *args, **kwargs):
        self.env.reset()
        self.total_reward = 0
        if "new_task" in kwargs:
            new_task = kwargs.pop("new_task")
            self.change_task(new_task)
        return np.array(self.env.state, dtype=np.float32)

    def change_task(self, new_task):
        low, high = new_task
        self.env.state = self.env.np_random.uniform(low=low, high=high, size=(4,))
        self.task = new_task


def test_seed_003_wrapper_as_written_misses_the_physics_under_gymnasium_1():
    """docs/conformance.md's caveat: under gymnasium 1.x `gym.make` returns wrappers that no longer forward
    attribute writes, so `self.env.state = ...` lands on the TimeLimit wrapper; the observation reset returns is
    the task's start state while the physics starts elsewhere. The fix, `self.env.unwrapped.state`, makes them one."""
    as_written = AsWrittenCartPoleTaskWrapper(gym.make("CartPole-v1"))
    obs = as_written.reset(new_task=(0.3, 0.3))  # seed 003 returns the bare observation
    assert np.allclose(obs, 0.3) and not np.allclose(as_written.unwrapped.state, 0.3)  # two start states
    ported = CartPoleTaskWrapper(gym.make("CartPole-v1"))
    obs = ported.reset(new_task=(0.3, 0.3))
    assert np.allclose(obs, 0.3) and np.allclose(ported.unwrapped.state, 0.3)
    as_written.step(0)
    assert not np.allclose(as_written.unwrapped.state, 0.3, atol=0.1)  # the physics never was at the task's state


def test_task_space_takes_syllabus_constructor():
    named = TaskSpace(Discrete(3), ["easy", "medium", "hard"])
    assert (named.encode("hard"), named.decode(0), named.num_tasks) == (2, "easy", 3)
    assert TaskSpace(200).num_tasks == 200
    assert TaskSpace((2, 3)).num_tasks == 6
    grid = TaskSpace(MultiDiscrete([2, 3]), [["red", "blue"], [1, 2, 3]])
    assert grid.encode(("blue", 1)) == 3 and grid.decode(5) == ("blue", 3)
    box = TaskSpace(Box(-0.3, 0.3, shape=(2,)))
    assert box.contains((-0.02, 0.02)) and not box.contains((0.5, 0.6))
    assert Curriculum(named).num_tasks == 3
    with pytest.raises(ValueError, match="task names"):
        TaskSpace(Box(0, 1, shape=(1,)), ["a"])


@pytest.mark.heavy
def test_use_wandb_logs_the_task_distribution(tmp_path):
    wandb = pytest.importorskip("wandb")

    class Fixed(Curriculum):
        def _sample_distribution(self):
            return [0.5, 0.25, 0.25]

    run = wandb.init(mode="offline", dir=str(tmp_path), project="sf_curric_conformance")
    try:
        curriculum = Fixed(Discrete(3), 0, True)  # seed 003: Curriculum(task_space, random_start_tasks, use_wandb)
        curriculum.sample(4)
        curriculum.log_task_dist([0.5, 0.25, 0.25])
        wandb.log({"charts/episodic_return": 1.0})  # the user's next log commits the curriculum's metrics
        assert run.summary["curriculum/task_0_prob"] == pytest.approx(0.5)
        assert run.summary["curriculum/task_2_prob"] == pytest.approx(0.25)
        assert run.summary["curriculum/num_active_tasks"] == 3
    finally:
        run.finish()


def test_use_wandb_without_wandb_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb", None)  # as if wandb were not installed
    with pytest.raises(ImportError, match=re.escape(install_command("wandb"))):
        Curriculum(Discrete(3), use_wandb=True)


def test_seed_hooks_are_called_by_the_trainer_curriculum_host():
    import torch

    from sf_curric.algo.curriculum_host import CurriculumHost
    from sf_curric.algo.rollout import EpisodeSummary

    curriculum = SeedHookCurriculum(TASK_SPACE)
    host = CurriculumHost(curriculum, num_envs=2, prefetch_per_env=1)
    (c0, t0), (c1, t1) = host.next_task(0), host.next_task(1)
    traj = {  # 2 steps of 2 envs; the curriculum asks for steps because it overrides on_step
        "tasks": torch.tensor([[c0, c1], [c0, c1]]),
        "obs": torch.zeros(3, 2, 4),
        "rewards": torch.tensor([[1.0, 1.0], [1.0, 1.0]]),
        "terminated": torch.tensor([[False, False], [True, False]]),
        "truncated": torch.zeros(2, 2, dtype=torch.bool),
        "env_ids": torch.tensor([0, 1]),
    }
    host.on_batch(traj)  # the trainer delivers a batch's steps, then its finished episodes
    assert (curriculum.steps, curriculum.step_dones, curriculum.step_reward) == (4, 1, 4.0)
    episodes = [EpisodeSummary(0, 7.0, 7, c0, True, 7 / 500, None), EpisodeSummary(1, 9.0, 9, c1, False, 0.018, None)]
    host.on_episodes(episodes)
    assert curriculum.completed == [(tuple(t0), 7 / 500), (tuple(t1), 0.018)]
