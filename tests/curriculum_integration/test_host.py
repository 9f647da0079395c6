"""CurriculumHost on its own: curricula from flags and registrations, task codes, feedback, state, logging."""

import gymnasium as gym
import numpy as np
import pytest
import torch

from sf_curric.algo.curriculum_host import CurriculumHost, build_curriculum_host
from sf_curric.algo.rollout import EpisodeSummary
from sf_curric.cfg.validation import ConfigError
from sf_curric.command_line import default_cfg
from sf_curric.curricula import (
    Constant,
    DomainRandomization,
    LearningProgress,
    PerformanceCurriculum,
    PrioritizedLevelReplay,
    SequentialCurriculum,
    SimpleBoxCurriculum,
)
from sf_curric.curricula.factory import build_curriculum
from sf_curric.envs.registry import EnvSpec

DISCRETE = EnvSpec("x", lambda: None, gym.spaces.Discrete(5), None)


def _cfg(**overrides):
    cfg = default_cfg("CartPole-v1", seed=0, **{k: v for k, v in overrides.items() if k in vars(default_cfg())})
    for key, value in overrides.items():
        setattr(cfg, key, value)  # option flags may not be registered in every checkout
    return cfg


@pytest.mark.parametrize(
    "name, cls, extra",
    [
        ("dr", DomainRandomization, {}),
        ("plr", PrioritizedLevelReplay, {"plr_strategy": "gae", "plr_temperature": 0.3}),
        ("learning_progress", LearningProgress, {"lp_ema_alpha": 0.2}),
        ("performance", PerformanceCurriculum, {"perf_promote_threshold": 10.0, "perf_window": 7}),
        ("constant", Constant, {"constant_task": "3"}),
        ("sequential", SequentialCurriculum, {"sequential_stages": "0;[1,2];plr",
                                              "sequential_conditions": "episodes>5;total_steps>100"}),
    ],
)  # fmt: skip
def test_every_curriculum_name_builds_with_its_flags(name, cls, extra):
    curriculum = build_curriculum(_cfg(curriculum=name, **extra), num_envs=4, env_spec=DISCRETE)
    assert type(curriculum) is cls
    if name == "plr":
        sampler = curriculum.task_sampler
        assert (sampler.strategy, sampler.temperature, sampler.num_actors) == ("gae", 0.3, 4)
    if name == "performance":
        assert (curriculum.promote_threshold, curriculum.window) == (10.0, 7)
    if name == "constant":
        assert curriculum.sample(2) == [3, 3]
    if name == "sequential":
        assert len(curriculum.curriculum_list) == 3 and curriculum.sample(1) == [0]


def test_registered_curriculum_is_used_unless_the_flag_names_one():
    instance = DomainRandomization(gym.spaces.Discrete(5))
    spec = EnvSpec("x", lambda: None, gym.spaces.Discrete(5), instance)
    assert build_curriculum(_cfg(), 4, env_spec=spec) is instance
    assert type(build_curriculum(_cfg(curriculum="plr"), 4, env_spec=spec)) is PrioritizedLevelReplay
    assert build_curriculum(_cfg(curriculum="none"), 4, env_spec=spec) is None
    factory = EnvSpec("x", lambda: None, gym.spaces.Discrete(5), PrioritizedLevelReplay)
    plr = build_curriculum(_cfg(rollout=16), 6, env_spec=factory)
    assert (plr.num_processes, plr.num_steps) == (6, 16)
    box = EnvSpec("x", lambda: None, gym.spaces.Box(-0.3, 0.3, (2,)), lambda space: SimpleBoxCurriculum(space))
    assert type(build_curriculum(_cfg(), 1, env_spec=box)) is SimpleBoxCurriculum


def test_bad_curriculum_settings_are_one_line_errors():
    no_space = EnvSpec("x", lambda: None, None, None)
    with pytest.raises(ConfigError, match="task_space=") as e:
        build_curriculum(_cfg(curriculum="dr"), 4, env_spec=no_space)
    assert "\n" not in str(e.value)
    with pytest.raises(ConfigError, match="--perf_promote_threshold"):
        build_curriculum(_cfg(curriculum="performance"), 4, env_spec=DISCRETE)
    small = EnvSpec(
        "x", lambda: None, gym.spaces.Discrete(5), PrioritizedLevelReplay(gym.spaces.Discrete(5), num_processes=2)
    )
    with pytest.raises(ConfigError, match="num_processes >= 4"):
        build_curriculum(_cfg(), 4, env_spec=small)


def _episode(env_id, code, ret=1.0, length=3, progress=None):
    return EpisodeSummary(env_id, ret, length, code, True, progress, None)


def test_continuous_tasks_travel_as_tickets_forgotten_once_reported():
    curriculum = SimpleBoxCurriculum(gym.spaces.Box(-0.3, 0.3, (2,), dtype=np.float64), steps=3, required_successes=2)
    host = CurriculumHost(curriculum, num_envs=2, prefetch_per_env=1)
    (c0, t0), (c1, _), (c2, _) = host.next_task(0), host.next_task(1), host.next_task(0)
    assert len({c0, c1, c2}) == 3 and host.decode(c0) == t0 == pytest.approx((-0.1, 0.1))
    host.on_episodes([_episode(0, c0, progress=0.9), _episode(1, c1, progress=0.95)])
    assert curriculum.max_range == pytest.approx((-0.2, 0.2))  # two successes widen the range
    with pytest.raises(KeyError, match="already reported"):
        host.decode(c0)
    assert host.num_episodes_reported == 2 and host.num_tasks_issued == 4


def test_step_batches_reach_curricula_that_ask_for_them_and_only_those():
    class StepCounter(Constant):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            self.steps = []

        def update_on_step(self, task, obs, rew, term, trunc, info, progress=None, env_id=None):
            self.steps.append((env_id, task, rew, term))

    traj = {
        "tasks": torch.tensor([[1, 2], [1, 2]]),
        "obs": torch.zeros(3, 2, 1),
        "rewards": torch.tensor([[0.5, 1.0], [2.0, 3.0]]),
        "terminated": torch.tensor([[False, True], [True, False]]),
        "truncated": torch.zeros(2, 2, dtype=torch.bool),
        "env_ids": torch.tensor([7, 9]),
    }
    asking = StepCounter(1, gym.spaces.Discrete(3), require_step_updates=True)
    CurriculumHost(asking, 2, reward_scale=0.5).on_batch(traj)
    assert asking.steps == [(7, 1, 1.0, False), (7, 1, 4.0, True), (9, 2, 2.0, True), (9, 2, 6.0, False)]
    quiet = StepCounter(1, gym.spaces.Discrete(3))
    CurriculumHost(quiet, 2).on_batch(traj)
    assert quiet.steps == []


def test_state_round_trip_and_training_info():
    host = build_curriculum_host(_cfg(curriculum="plr"), 2, env_spec=DISCRETE)
    host.set_training_info({"approx_total_training_steps": 123})
    host.take_tasks(7)
    host.on_episodes([_episode(0, 1, ret=4.0), _episode(1, 1, ret=2.0)])
    other = build_curriculum_host(_cfg(curriculum="plr"), 2, env_spec=DISCRETE)
    other.load_state_dict(host.state_dict())
    assert other.curriculum.approx_total_training_steps == 123
    assert other.take_tasks(20) == host.take_tasks(20)  # same RNG and staleness
    assert other.mean_returns() == host.mean_returns() == {1: 3.0}


class _Writer:
    def __init__(self):
        self.scalars, self.images, self.histograms = {}, {}, {}

    def add_scalar(self, tag, value, step):
        self.scalars[tag] = value

    def add_image(self, tag, image, step, dataformats):
        assert dataformats == "HWC" and image.dtype == np.uint8 and image.shape[2] == 3
        self.images[tag] = image

    def add_histogram_raw(self, tag, **kwargs):
        self.histograms[tag] = kwargs

    def add_histogram(self, tag, values, step):
        self.histograms[tag] = values


def test_log_writes_entropy_active_tasks_histogram_images_and_per_task_returns():
    host = build_curriculum_host(_cfg(curriculum="plr"), 2, env_spec=DISCRETE)
    writer = _Writer()
    host.take_tasks(4)
    host.on_episodes([_episode(0, 2, ret=5.0), _episode(1, 3, ret=1.0)])
    host.log(writer, 10)
    host.log(writer, 20)
    dist = host.distribution()
    assert writer.scalars["curriculum/entropy"] == pytest.approx(-(dist * np.log(dist)).sum())
    assert writer.scalars["curriculum/num_active_tasks"] == 5
    assert writer.scalars["curriculum/task_return/2"] == 5.0 and writer.scalars["curriculum/task_return/3"] == 1.0
    assert writer.histograms["curriculum/task_distribution"]["bucket_counts"] == pytest.approx(dist.tolist())
    assert sum(writer.histograms["curriculum/sampled_tasks"]["bucket_counts"]) == 4
    assert {"curriculum/task_probability", "curriculum/top_tasks_over_time"} <= set(writer.images)
    assert writer.scalars["perf/curriculum_sec"] > 0


def test_a_batch_with_non_finite_advantages_leaves_plr_scores_alone():
    from sf_curric.algo.learner import TrainResult

    host = build_curriculum_host(_cfg(curriculum="plr", plr_strategy="value_l1"), 2, env_spec=DISCRETE)
    traj = {
        "tasks": torch.tensor([[1, 2], [1, 2]]),
        "obs": torch.zeros(3, 2, 1),
        "rewards": torch.ones(2, 2),
        "values": torch.zeros(3, 2),
        "final_values": torch.zeros(2, 2),
        "terminated": torch.tensor([[False, False], [True, True]]),
        "truncated": torch.zeros(2, 2, dtype=torch.bool),
        "env_ids": torch.tensor([0, 1]),
    }
    good = TrainResult({}, torch.full((2, 2), 0.5), torch.zeros(2, 2))
    host.on_batch(traj, good)
    scores = np.array(host.curriculum.task_sampler.task_scores, copy=True)
    assert scores[1] == pytest.approx(0.5) and scores[2] == pytest.approx(0.5)  # mean |advantage| of each episode

    poisoned = TrainResult({}, torch.tensor([[float("nan"), 0.5], [0.5, 0.5]]), torch.zeros(2, 2))
    host.on_batch(traj, poisoned)
    assert np.array_equal(host.curriculum.task_sampler.task_scores, scores)
    assert host.num_learner_updates == 1 and host.num_learner_updates_skipped == 1
