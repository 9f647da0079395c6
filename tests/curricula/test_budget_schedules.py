"""Curriculum schedules over the run's budget: the trainer's `training_progress` (env steps or seconds, whichever
budget ends the run) drives AnnealingBoxCurriculum(total_steps=None) and sequential's `training_progress`
condition; a step-count schedule keeps following `approx_total_training_steps`."""

import numpy as np
import pytest
from gymnasium.spaces import Box, Discrete

from sf_curric.curricula.annealing_box import AnnealingBoxCurriculum
from sf_curric.curricula.sequential import SequentialCurriculum


def test_annealing_over_the_budget_follows_training_progress():
    c = AnnealingBoxCurriculum(Box(0.0, 1.0, shape=(2,)), start_values=[0.0, 1.0], end_values=[1.0, 0.0],
                               total_steps=None)  # fmt: skip
    np.testing.assert_allclose(c.sample(1)[0], [0.0, 1.0])  # nothing received yet: the start
    for progress, expected in ((0.25, [0.25, 0.75]), (0.5, [0.5, 0.5]), (1.0, [1.0, 0.0]), (1.7, [1.0, 0.0])):
        # the step count is irrelevant here: a seconds budget moves the schedule as well as a step budget
        c.set_training_info({"approx_total_training_steps": 10, "training_progress": progress})
        np.testing.assert_allclose(c.sample(1)[0], expected)


def test_annealing_over_steps_ignores_training_progress():
    c = AnnealingBoxCurriculum(Box(0.0, 1.0, shape=(1,)), start_values=[0.0], end_values=[1.0], total_steps=100)
    c.set_training_info({"approx_total_training_steps": 25, "training_progress": 0.9})
    np.testing.assert_allclose(c.sample(1)[0], [0.25])


def test_sequential_switches_at_a_share_of_the_budget():
    c = SequentialCurriculum([0, 1], ["training_progress>=0.5"], Discrete(2))
    c.set_training_info({"approx_total_training_steps": 10**6, "training_progress": 0.4})
    assert c.sample(3) == [0, 0, 0]
    c.set_training_info({"approx_total_training_steps": 10**6, "training_progress": 0.5})
    c.sample(1)
    assert c.stage == 1 and c.sample(2) == [1, 1]


def test_a_bad_condition_metric_still_names_the_choices():
    with pytest.raises(ValueError, match="training_progress"):
        SequentialCurriculum([0, 1], ["budget>=0.5"], Discrete(2))
