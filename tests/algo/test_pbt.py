"""Population-based training: Sample Factory's ranking, replacement and mutation rules checked against an
independent computation on hand-made populations, and a --with_pbt run whose hyper-parameters survive a resume."""

import argparse
import copy
import json
import math
import random

import gymnasium as gym
import pytest
import torch

from sf_curric.algo.episode_stats import EpisodeStats
from sf_curric.algo.learner import Learner
from sf_curric.algo.pbt import HYPERPARAMS_TO_TUNE, PopulationBasedTraining, policy_cfg_file, target_objective
from sf_curric.command_line import parse_args
from sf_curric.curricula.feedback import EpisodeSummary
from sf_curric.train import run_with_result
from sf_curric.utils.checkpoint import load_newest_checkpoint


def _episode(episode_return, extra_stats=None):
    return EpisodeSummary(0, episode_return, 10, -1, True, None, extra_stats)


class _Sampler:
    def __init__(self):
        self.updates = 0

    def on_weights_updated(self):
        self.updates += 1


class _Runner:
    """What PBT reads of a policy's runner: its config, learner, sampler, episode stats, env steps."""

    def __init__(self, cfg, policy_id, returns, env_steps=10_000):
        env = gym.make("CartPole-v1")
        torch.manual_seed(policy_id)
        self.cfg = copy.copy(cfg)
        self.policy_id = policy_id
        self.learner = Learner(self.cfg, env.observation_space, env.action_space, device="cpu")
        self.sampler = _Sampler()
        self.stats = EpisodeStats(100)
        self.stats.add([_episode(r) for r in returns])
        self.env_steps = env_steps
        self.writer = None


def _cfg(**overrides):
    cfg = parse_args(["--env=CartPole-v1", "--num_policies=4", "--with_pbt=True", "--seed=5"])
    cfg.pbt_start_mutation, cfg.pbt_period_env_steps = 0, 1000
    for name, value in overrides.items():
        setattr(cfg, name, value)
    return cfg


def _population(tmp_path, objectives, **overrides):
    cfg = _cfg(**overrides)
    runners = [_Runner(cfg, i, [value]) for i, value in enumerate(objectives)]
    pbt = PopulationBasedTraining(cfg, tmp_path)
    return cfg, runners, pbt


def _expected_roles(objectives, fraction):
    """Sample Factory's ranking, computed here: best and worst ceil(fraction * N) by objective."""
    order = sorted(range(len(objectives)), key=lambda p: objectives[p], reverse=True)
    k = math.ceil(fraction * len(objectives))
    return set(order[:k]), set(order[-k:])


def test_a_worst_policy_takes_a_best_ones_weights_when_the_gap_is_large_enough(tmp_path):
    objectives = [10.0, 5.0, 1.0, 8.0]
    cfg, runners, pbt = _population(tmp_path, objectives, pbt_replace_fraction=0.25, pbt_mutation_rate=0.0)
    best, worst = _expected_roles(objectives, 0.25)
    assert (best, worst) == ({0}, {2})
    before = [copy.deepcopy(r.learner.model.state_dict()) for r in runners]
    pbt.start(runners)
    pbt.after_iteration([*runners])  # every policy is past its period (10_000 > 1000 env steps)
    after = [r.learner.model.state_dict() for r in runners]
    for key in before[0]:  # 2 now holds 0's weights; 0, 1 and 3 kept theirs
        assert torch.equal(after[2][key], before[0][key])
        for p in (0, 1, 3):
            assert torch.equal(after[p][key], before[p][key])
    assert [r.sampler.updates for r in runners] == [0, 0, 1, 0]  # the workers of 2 get the new weights
    assert pbt.replacements == 1


def test_a_gap_below_the_thresholds_keeps_the_weights(tmp_path):
    objectives = [10.0, 9.8, 9.5, 9.7]  # relative gap (10 - 9.5) / 10 = 0.05 < 0.1
    cfg, runners, pbt = _population(tmp_path, objectives, pbt_replace_fraction=0.25, pbt_mutation_rate=0.0)
    pbt.start(runners)
    pbt.after_iteration(runners)
    assert pbt.replacements == 0 and [r.sampler.updates for r in runners] == [0, 0, 0, 0]
    cfg, runners, pbt = _population(tmp_path, objectives, pbt_replace_fraction=0.25, pbt_mutation_rate=0.0,
                                    pbt_replace_reward_gap=0.04)  # fmt: skip
    pbt.start(runners)
    pbt.after_iteration(runners)
    assert pbt.replacements == 1
    tiny = [2e-6, 1.6e-6, 1e-6, 1.8e-6]  # relative gap 0.5, absolute 1e-6: not above --pbt_replace_reward_gap_absolute
    for gap_absolute, replaced in ((1e-6, 0), (1e-7, 1)):
        cfg, runners, pbt = _population(tmp_path, tiny, pbt_replace_fraction=0.25, pbt_mutation_rate=0.0,
                                        pbt_replace_reward_gap_absolute=gap_absolute)  # fmt: skip
        pbt.start(runners)
        pbt.after_iteration(runners)
        assert pbt.replacements == replaced


def test_pbt_target_objective_ranks_by_the_named_episode_stat(tmp_path):
    cfg = _cfg(pbt_replace_fraction=0.25, pbt_mutation_rate=0.0, pbt_target_objective="score")
    runners = [_Runner(cfg, i, [0.0]) for i in range(4)]
    for runner, score in zip(runners, [1.0, 9.0, 5.0, 6.0]):  # by return all tie; by score 0 is the worst
        runner.stats.add([_episode(0.0, {"score": score})])
    before = copy.deepcopy(runners[1].learner.model.state_dict())
    pbt = PopulationBasedTraining(cfg, tmp_path)
    pbt.start(runners)
    pbt.after_iteration(runners)
    assert all(torch.equal(runners[0].learner.model.state_dict()[k], before[k]) for k in before)


def test_pbt_optimize_gamma_perturbs_one_minus_gamma(tmp_path):
    cfg, runners, pbt = _population(tmp_path, [1.0, 2.0, 3.0, 4.0], pbt_mutation_rate=1.0, pbt_optimize_gamma=True)
    pbt.start(runners)
    for runner in runners[1:]:
        ratio = (1 - runner.cfg.gamma) / (1 - cfg.gamma)
        assert 1.01 <= max(ratio, 1 / ratio) <= 1.2 + 1e-9 or runner.cfg.gamma == cfg.gamma
    assert runners[0].cfg.gamma == cfg.gamma


def test_mutations_multiply_or_divide_by_a_factor_in_the_perturb_range_and_never_touch_policy_0(tmp_path):
    cfg, runners, pbt = _population(tmp_path, [1.0, 2.0, 3.0, 4.0], pbt_mutation_rate=1.0, pbt_perturb_min=1.2,
                                    pbt_perturb_max=1.3)  # fmt: skip
    pbt.start(runners)
    defaults = {name: getattr(cfg, name) for name in HYPERPARAMS_TO_TUNE}
    assert {name: getattr(runners[0].cfg, name) for name in defaults} == defaults  # the reference
    ratios = []
    for runner in runners[1:]:
        for name, default in defaults.items():
            value = getattr(runner.cfg, name)
            assert getattr(runner.learner.cfg, name) == value  # the learner trains with it
            if default != 0:
                ratio = max(value / default, default / value)
                ratios.append(ratio)
                assert 1.2 <= ratio <= 1.3 or value == default, (name, value, default)
    assert len(ratios) >= 10 and len({round(r, 6) for r in ratios}) > 5  # drawn, not fixed
    saved = json.loads(policy_cfg_file(tmp_path, 2).read_text())
    assert saved == {name: getattr(runners[2].cfg, name) for name in HYPERPARAMS_TO_TUNE}


def test_mutation_rate_is_the_fraction_of_parameters_that_change(tmp_path):
    cfg = _cfg(pbt_mutation_rate=0.3)
    pbt = PopulationBasedTraining(cfg, tmp_path)
    params = {"learning_rate": 1.0}
    pbt.defaults = dict(params)
    changed = sum(pbt._perturb(params)["learning_rate"] != 1.0 for _ in range(4000))
    assert abs(changed / 4000 - 0.3) < 0.03


def test_target_objective_is_true_objective_when_reported_else_the_return(tmp_path):
    runner = _Runner(_cfg(), 0, [1.0, 3.0])
    assert target_objective(runner, "true_objective") == pytest.approx(2.0)
    runner.stats.add([_episode(0.0, {"true_objective": 7.0})])
    assert target_objective(runner, "true_objective") == pytest.approx(7.0)
    assert target_objective(runner, "missing") is None


def test_pbt_run_mutates_and_a_resume_keeps_each_policys_hyper_parameters(tmp_path):
    args = [
        "--env=CartPole-v1", f"--train_dir={tmp_path}", "--experiment=pbt", "--serial_mode=True", "--seed=1",
        "--num_policies=4", "--num_envs_per_worker=16", "--batch_size=256", "--num_batches_per_epoch=1",
        "--with_pbt=True", "--pbt_start_mutation=0", "--pbt_period_env_steps=1000", "--pbt_mutation_rate=0.5",
        "--train_for_env_steps=4096",
    ]  # fmt: skip
    run_with_result(args)
    exp = tmp_path / "pbt"
    files = [json.loads(policy_cfg_file(exp, p).read_text()) for p in range(4)]
    defaults = {name: getattr(parse_args(["--env=CartPole-v1"]), name) for name in HYPERPARAMS_TO_TUNE}
    assert any(f != defaults for f in files[1:])
    planted = dict(files[3], learning_rate=0.0123)
    policy_cfg_file(exp, 3).write_text(json.dumps(planted))
    run_with_result([*args[:-1], "--train_for_env_steps=4352", "--pbt_start_mutation=10000000"])
    _, state = load_newest_checkpoint(exp, policy_id=3)
    assert state["cfg"]["learning_rate"] == pytest.approx(0.0123)  # the resumed policy trained with its own
    assert "zz_pbt/cfg_learning_rate" in _tags(exp / "tensorboard" / "p3")


def _tags(event_dir):
    from sf_curric.utils.event_files import read_scalars

    return set(read_scalars(event_dir))


def test_the_default_policy_0_is_left_alone_by_the_initial_perturbation_and_rng_is_seeded(tmp_path):
    cfg = _cfg(pbt_mutation_rate=1.0)
    first = PopulationBasedTraining(cfg, tmp_path / "a")
    second = PopulationBasedTraining(argparse.Namespace(**vars(cfg)), tmp_path / "b")
    assert [first.rng.random() for _ in range(3)] == [second.rng.random() for _ in range(3)]
    assert random.Random("pbt-5").random() == PopulationBasedTraining(cfg, tmp_path).rng.random()
