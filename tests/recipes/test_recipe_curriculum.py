"""docs/architecture.md's recipe "A curriculum", done exactly as written: the file (the class, its flags, a
`build(ctx)`), then one `CurriculumEntry` line in the table. What the trainer sends it follows from its overrides.

Here the "file" is this test module and the table's `BUILTIN` list is the registry's `CURRICULA` (built from that
list's lines), so a recipe that stops being enough to train with a new curriculum fails here.
"""

import numpy as np
import pytest

from sf_curric.command_line import build_parser, default_cfg
from sf_curric.curricula import Curriculum
from sf_curric.curricula.builtin import BUILTIN
from sf_curric.curricula.entry import CurriculumEntry
from sf_curric.curricula.factory import build_curriculum
from sf_curric.curricula.registry import CURRICULA
from sf_curric.envs.registry import get_env_spec
from sf_curric.train import run_with_result
from tests.curriculum_integration.envs import NUM_TASKS
from tests.curriculum_integration.helpers import level_args


# --- the file: sf_curric/curricula/favour_hard.py -------------------------------------------------------------------
class FavourHard(Curriculum):
    """Weights each task by 1 + boost * (episodes that ended below the task's best return so far)."""

    built: list = []

    def __init__(self, task_space, boost=1.0, **kwargs):
        super().__init__(task_space, **kwargs)
        self.boost = float(boost)
        self.misses = np.zeros(self.num_tasks)
        self.episodes_seen = 0
        self.steps_seen = 0
        FavourHard.built.append(self)

    def _sample_weights(self):
        weights = 1.0 + self.boost * self.misses
        return weights / weights.sum()

    def update_on_episode(self, episode_return, length=0, task=None, progress=None, env_id=None):
        super().update_on_episode(episode_return, length, task, progress, env_id)
        self.episodes_seen += 1
        self.misses[self.task_space.encode(task)] += episode_return < length  # the level env pays more than 1

    def update_on_step_batch(self, step_results, env_id=None):  # overriding it is what asks for step batches
        self.steps_seen += len(step_results[0])


FAVOUR_HARD_ARGS = [("--favour_hard_boost", {"type": float, "default": 1.0, "help": "favour_hard: weight of misses."})]


def build(ctx):
    return FavourHard(ctx.task_space, boost=ctx.option("favour_hard_boost"), seed=ctx.seed)


# --- the line: CurriculumEntry(...) in the BUILTIN list of sf_curric/curricula/builtin.py ---------------------------
LINE = CurriculumEntry("favour_hard", build, FAVOUR_HARD_ARGS, stage=True)


@pytest.fixture
def favour_hard(monkeypatch):
    assert all(CURRICULA[entry.name] is entry for entry in BUILTIN)  # the table is its BUILTIN lines
    monkeypatch.setitem(CURRICULA, LINE.name, LINE)
    FavourHard.built.clear()
    yield


def test_the_line_makes_a_flag_choice_with_its_flags_and_a_stage(favour_hard):
    help_text = build_parser().format_help()
    assert "favour_hard" in help_text and "--favour_hard_boost" in help_text
    cfg = default_cfg("test_level_env", curriculum="favour_hard", favour_hard_boost=2.5)
    curriculum = build_curriculum(cfg, 4, None, get_env_spec("test_level_env"))
    assert type(curriculum) is FavourHard and curriculum.boost == 2.5
    sequential = default_cfg("test_level_env", curriculum="sequential", sequential_stages="favour_hard;dr",
                             sequential_conditions="episodes>5")  # fmt: skip
    stages = build_curriculum(sequential, 4, None, get_env_spec("test_level_env")).curriculum_list
    assert [type(s).__name__ for s in stages] == ["FavourHard", "DomainRandomization"]


def test_the_trainer_sends_what_the_overrides_ask_for(favour_hard, tmp_path):
    steps = 4 * 8 * 6
    argv = level_args(
        tmp_path, "--curriculum=favour_hard", "--favour_hard_boost=3", "--serial_mode=True", "--auto_defaults=False",
        "--num_workers=1", "--num_envs_per_worker=4", f"--train_for_env_steps={steps}",
    )  # fmt: skip
    result = run_with_result(argv)
    (curriculum,) = FavourHard.built
    assert curriculum.boost == 3.0
    assert (curriculum.requires_step_updates, curriculum.requires_learner_updates) == (True, False)
    assert curriculum.steps_seen == result.env_steps  # every trained step, as step batches
    assert curriculum.episodes_seen == result.num_episodes > 0  # every finished episode, once
    # task k pays 0.5 + 0.25 k per step (tests/curriculum_integration/envs.py): only tasks 0 and 1 end below length
    assert curriculum.misses[2:].sum() == 0 and curriculum.misses.sum() > 0 and len(curriculum.misses) == NUM_TASKS
