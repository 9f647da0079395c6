"""eval's named levels: the Wilson interval against scipy, the per-level rows from episode records, the level file
read through the env's task space (one-line errors), and the task group `--levels` adds."""

import numpy as np
import pytest
from scipy import stats

from sf_curric.command_line import parse_args
from sf_curric.envs.builtin.ued_maze_levels import MazeLevelSpace, format_level_file
from sf_curric.envs.builtin.ued_maze_prefabs import HAND_DESIGNED
from sf_curric.evaluation.episodes import EpisodeJob, EpisodeRecord
from sf_curric.evaluation.levels import format_level_table, level_rows, read_levels_file, wilson_interval
from sf_curric.evaluation.policy import EvaluationError
from sf_curric.evaluation.tasks import level_groups, task_groups


@pytest.mark.parametrize("successes, n", [(0, 10), (3, 10), (10, 10), (1, 1), (57, 80)])
def test_wilson_interval_matches_scipy(successes, n):
    expected = stats.binomtest(successes, n).proportion_ci(0.95, method="wilson")
    assert np.allclose(wilson_interval(successes, n), (expected.low, expected.high), atol=1e-12)


def _record(group, label, ret):
    return EpisodeRecord(EpisodeJob(group, None, label, 0, 0), ret, 10, ret > 0, None, None)


def test_level_rows_count_solves_as_positive_returns():
    records = [_record("levels", "A", r) for r in (0.0, 0.5, 0.9, 0.0)] + [_record("train", "A", 1.0)]
    records += [_record("levels", "B", 0.0)] * 3
    rows = level_rows("levels", ["A", "B", "C"], records)
    assert [r["level"] for r in rows] == ["A", "B"]  # C had no episode
    a, b = rows
    assert (a["episodes"], a["solved"], a["solve_rate"], a["mean_return"]) == (4, 2, 0.5, pytest.approx(0.35))
    assert b["solve_rate"] == 0.0 and b["solve_rate_ci95"][0] == 0.0
    table = format_level_table(rows)
    assert "A" in table and "50.0%" in table and len(table.splitlines()) == 3


def test_levels_flag_adds_a_group_of_the_files_levels(tmp_path):
    path = tmp_path / "mazes.txt"
    path.write_text(format_level_file({k: HAND_DESIGNED[k] for k in ("Labyrinth", "StandardMaze")}))
    cfg = parse_args(["--env=ued_maze", "--eval_tasks=train", f"--levels={path}"], evaluation=True)
    groups = task_groups(cfg)
    assert [g.name for g in groups] == ["train", "levels"] and level_groups(cfg) == ["levels"]
    assert groups[1].labels == ["Labyrinth", "StandardMaze"] and groups[1].tasks[0] == HAND_DESIGNED["Labyrinth"]


def test_bad_level_file_and_env_without_level_files_are_one_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("== A\n" + HAND_DESIGNED["Labyrinth"].replace("G", "."))
    with pytest.raises(EvaluationError, match=r"--levels: .*bad.txt level 'A' \(line 2\): a level has 1 agents"):
        read_levels_file("ued_maze", MazeLevelSpace(), str(path))
    with pytest.raises(EvaluationError, match="reads no level files"):
        read_levels_file("CartPole-v1", None, str(path))
