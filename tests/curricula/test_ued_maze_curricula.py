"""`--curriculum=` on ued_maze: DR, PLR, Robust PLR and ACCEL build with jaxued's defaults (the env's per-env
defaults), PLR and Robust PLR as the level buffer without edits, and a typed flag wins."""

import numpy as np
import pytest

from sf_curric.command_line import parse_args
from sf_curric.curricula import DomainRandomization
from sf_curric.curricula.accel import ACCEL
from sf_curric.curricula.factory import build_curriculum
from sf_curric.envs.builtin.ued_maze_levels import parse_level
from sf_curric.envs.registry import get_env_spec, make_env

JAXUED = dict(buffer_size=4000, replay_prob=0.8, min_fill=2000, num_edits=5, replace="lowest_weight")


def _build(*flags):
    cfg = parse_args(["--env=ued_maze", *flags])
    return build_curriculum(cfg, 32, env_spec=get_env_spec("ued_maze"), make_env=make_env)


@pytest.mark.parametrize(
    "name, edits, train_on_new", [("plr", False, True), ("robust_plr", False, False), ("accel", True, False)]
)
def test_replay_methods_are_the_level_buffer_with_jaxueds_settings(name, edits, train_on_new):
    curriculum = _build(f"--curriculum={name}")
    assert isinstance(curriculum, ACCEL)
    assert (curriculum.edit_replays, curriculum.train_on_new) == (edits, train_on_new)
    assert {key: getattr(curriculum, key) for key in JAXUED} == JAXUED
    sampler = curriculum.task_sampler
    assert (sampler.strategy, sampler.temperature, sampler.staleness_coef) == ("max_mc", 0.3, 0.3)
    assert sampler.score_transform == "rank"
    level = curriculum.sample(1)[0]
    assert parse_level(level).walls.sum() <= 25  # a level of jaxued's generator, as text


def test_dr_draws_random_levels_and_typed_flags_win():
    dr = _build("--curriculum=dr")
    assert isinstance(dr, DomainRandomization)
    levels = dr.sample(20)
    assert len(set(levels)) == 20 and all(parse_level(level) for level in levels)
    accel = _build("--curriculum=accel", "--accel_min_fill=10", "--accel_strategy=positive_value_loss")
    assert accel.min_fill == 10 and accel.task_sampler.strategy == "positive_value_loss"
    mask = accel.trains_on(np.array([[0, 4000]]))
    assert mask.tolist() == [[True, False]]  # buffer slot trained on, staged slot not
