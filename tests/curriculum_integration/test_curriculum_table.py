"""A new curriculum is one class plus one `register_curriculum` entry: `--curriculum=<name>` and its flags then
work from the command line (docs/curricula_in_trainer.md, "Adding a curriculum")."""

import numpy as np
import pytest

import tests.curriculum_integration.envs  # noqa: F401  (registers test_level_env)
from sf_curric.command_line import build_parser, parse_args
from sf_curric.curricula import Curriculum
from sf_curric.curricula.registry import CURRICULA, register_curriculum, unregister_curriculum
from sf_curric.train import run_with_result
from tests.curriculum_integration.envs import NUM_TASKS, RECORD_DIR_ENV_VAR
from tests.curriculum_integration.helpers import level_args, read_resets


class HardestFirst(Curriculum):
    """Toy curriculum: uniform over the tasks >= `min_task`; counts the episodes reported to it."""

    built: list = []  # instances built by the run (the test reads the one the trainer used)

    def __init__(self, task_space, min_task, **kwargs):
        super().__init__(task_space, **kwargs)
        self.min_task = min_task
        self.episodes = 0
        HardestFirst.built.append(self)

    def update_on_episode(self, episode_return, length=0, task=None, progress=None, env_id=None):
        super().update_on_episode(episode_return, length, task, progress, env_id)
        self.episodes += 1

    def _sample_weights(self):
        weights = (np.arange(self.num_tasks) >= self.min_task).astype(np.float64)
        return weights / weights.sum()


@pytest.fixture
def hardest_first():
    register_curriculum(
        "hardest_first",
        lambda ctx: HardestFirst(ctx.task_space, min_task=ctx.option("hardest_first_min_task"), seed=ctx.seed),
        flags=[("--hardest_first_min_task", {"type": int, "default": 1, "help": "hardest_first: lowest task."})],
    )
    HardestFirst.built.clear()
    yield
    unregister_curriculum("hardest_first")


def test_registered_curriculum_is_a_flag_choice_with_its_flags(hardest_first):
    help_text = build_parser().format_help()
    assert "hardest_first" in help_text and "--hardest_first_min_task" in help_text
    assert parse_args(["--curriculum=hardest_first", "--hardest_first_min_task=4"]).hardest_first_min_task == 4


def test_unregistered_name_is_refused():
    assert "hardest_first" not in CURRICULA
    with pytest.raises(SystemExit):
        parse_args(["--curriculum=hardest_first"])


def test_train_with_a_registered_curriculum_from_the_command_line(hardest_first, tmp_path, monkeypatch):
    monkeypatch.setenv(RECORD_DIR_ENV_VAR, str(tmp_path / "resets"))
    (tmp_path / "resets").mkdir()
    min_task = NUM_TASKS - 2
    argv = level_args(
        tmp_path,
        "--curriculum=hardest_first",
        f"--hardest_first_min_task={min_task}",
        "--serial_mode=True",
        "--auto_defaults=False",
        "--num_workers=1",
        "--num_envs_per_worker=4",
        "--train_for_env_steps=400",
    )
    result = run_with_result(argv)

    assert result.env_steps >= 400
    (curriculum,) = HardestFirst.built
    assert curriculum.min_task == min_task  # the flag reached the curriculum
    assert curriculum.episodes > 0  # finished episodes flowed back to it
    tasks = [task for rows in read_resets(tmp_path / "resets").values() for _, task in rows if task is not None]
    assert tasks and set(tasks) <= set(range(min_task, NUM_TASKS))  # every env reset got one of its tasks
