"""ued_maze: the level format and level files (one-line errors), the task space, the view as the docstring defines
it (recomputed cell by cell), many mazes stepped in one batch equal to one at a time, and `--env=ued_maze` built in."""

import numpy as np
import pytest

from sf_curric.envs.builtin.ued_maze import DIR_TO_VEC, MazeBatch, UedMaze
from sf_curric.envs.builtin.ued_maze_levels import (
    LevelFormatError,
    MazeLevelSpace,
    format_level_file,
    mutate_level,
    parse_level,
    random_level,
    random_level_arrays,
    read_level_file,
)
from sf_curric.envs.builtin.ued_maze_prefabs import HAND_DESIGNED
from sf_curric.envs.check_env import check_env
from sf_curric.envs.registry import get_env_spec, make_env


def test_level_file_round_trip_keeps_names_and_levels(tmp_path):
    path = tmp_path / "mazes.txt"
    path.write_text(format_level_file(HAND_DESIGNED))
    assert read_level_file(path) == HAND_DESIGNED
    assert list(read_level_file(path)) == list(HAND_DESIGNED)  # file order


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "holds no level"),
        (">...........G\n", "line 1: expected '== Name'"),
        ("== A\n" + HAND_DESIGNED["Labyrinth"][:-1], "row 13 of a level has 12 characters"),
        ("== A\n" + HAND_DESIGNED["Labyrinth"].replace("G", "."), "1 agents and 0 goals"),
        ("== A\n" + HAND_DESIGNED["Labyrinth"].replace("#", "x", 1), "the character(s) 'x'"),
        ("== A\n" + HAND_DESIGNED["Labyrinth"] + "\n== A\n" + HAND_DESIGNED["Labyrinth"], "a second level named 'A'"),
        ("==\n" + HAND_DESIGNED["Labyrinth"], "a level without a name"),
    ],
)
def test_malformed_level_file_is_one_line_naming_the_place(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(LevelFormatError) as info:
        read_level_file(path)
    assert message in str(info.value) and "\n" not in str(info.value) and str(path) in str(info.value)


def test_shipped_level_file_reads():
    from pathlib import Path

    levels = read_level_file(Path(__file__).resolve().parents[2] / "benchmarks" / "ued_mazes.txt")
    assert list(levels) == ["Corridor", "Zigzag", "FourRooms"] and not set(levels.values()) & set(
        HAND_DESIGNED.values()
    )


def test_missing_level_file_is_one_line(tmp_path):
    with pytest.raises(LevelFormatError, match="cannot read the level file"):
        read_level_file(tmp_path / "nope.txt")


def test_task_space_samples_levels_and_encodes_them_both_ways():
    space = MazeLevelSpace(seed=3)
    level = space.sample()
    assert space.contains(level) and not space.contains("#" * 13) and not space.contains(7)
    assert space.decode(space.encode(level)) == level
    assert MazeLevelSpace(seed=3).sample() == level  # seeded
    assert random_level(np.random.default_rng(0), n_walls=0).count("#") == 0


def _view_by_definition(level, agent, direction):
    """image[i, j] is the cell (4 - j) ahead and (i - 2) to the agent's right; outside the grid is wall."""
    forward, right = DIR_TO_VEC[direction], DIR_TO_VEC[(direction + 1) % 4]
    codes = np.zeros((5, 5), dtype=np.int64)
    for i in range(5):
        for j in range(5):
            x, y = np.array(agent) + (4 - j) * forward + (i - 2) * right
            inside = 0 <= x < 13 and 0 <= y < 13
            codes[i, j] = 1 if not inside or level.walls[y, x] else 2 if (x, y) == level.goal else 0
    return codes


def test_view_is_the_cells_ahead_and_to_the_sides_of_the_agent():
    rng = np.random.default_rng(0)
    env = UedMaze()
    for _ in range(30):
        level = random_level_arrays(rng)
        env.reset(new_task=level.text())
        for _ in range(20):
            obs, *_ = env.step(int(rng.integers(3)))
            agent, direction = tuple(int(v) for v in env.batch.pos[0]), int(env.batch.direction[0])
            codes = np.rint(obs["image"][..., 0] * 10).astype(int)  # object index: 1 empty, 2 wall, 8 goal
            expected = np.choose(_view_by_definition(level, agent, direction), [1, 2, 8])
            assert np.array_equal(codes, expected) and obs["direction"] == direction


def test_batch_of_mazes_steps_as_each_maze_alone():
    rng = np.random.default_rng(1)
    levels = [random_level_arrays(rng) for _ in range(6)]
    batch, singles = MazeBatch(6), [MazeBatch(1) for _ in range(6)]
    batch.reset(range(6), levels)
    for single, level in zip(singles, levels):
        single.reset([0], [level])
    for _ in range(300):
        actions = rng.integers(7, size=6)
        out = batch.step(actions)
        image, direction = batch.observe()
        for k, single in enumerate(singles):
            one = single.step(actions[k : k + 1])
            one_image, one_direction = single.observe()
            assert all(a[k] == b[0] for a, b in zip(out, one))
            assert np.array_equal(image[k], one_image[0]) and direction[k] == one_direction[0]
        ended = np.flatnonzero(out[1] | out[2])
        fresh = [random_level_arrays(rng) for _ in ended]
        batch.reset(ended, fresh)
        for k, level in zip(ended, fresh):
            singles[k].reset([0], [level])


def test_time_limit_truncates_and_reaching_the_goal_terminates_with_the_discounted_reward():
    env = UedMaze()
    corridor = "\n".join([">...........G"] + ["#" * 13] * 12)
    env.reset(new_task=corridor)
    for _ in range(1, 12):
        _, reward, terminated, truncated, info = env.step(2)
        assert reward == 0 and not terminated and not truncated
    _, reward, terminated, truncated, info = env.step(2)
    assert terminated and not truncated and info["task_completion"] == 1.0
    assert reward == pytest.approx(1 - 0.9 * 12 / 250)
    env.reset(new_task=corridor)
    for _ in range(250):
        _, reward, terminated, truncated, info = env.step(0)  # turning in place
    assert truncated and not terminated and reward == 0 and info["task_completion"] == 0.0


def test_reset_without_a_task_draws_a_new_random_level_seeded():
    env = UedMaze()
    _, info = env.reset(seed=5)
    first = env.level.text()
    assert info["task"] is None
    env.reset(new_task=HAND_DESIGNED["Labyrinth"])
    assert env.level.text() == HAND_DESIGNED["Labyrinth"]
    env.reset()
    assert env.level.text() not in (first, HAND_DESIGNED["Labyrinth"])
    env.reset(seed=5)
    assert env.level.text() == first


def test_builtin_env_passes_check_env_and_renders():
    spec = get_env_spec("ued_maze")
    assert spec.mutate is mutate_level and set(spec.level_sets["hand_designed"]) == set(HAND_DESIGNED)
    env = make_env(None, env_name="ued_maze", render_mode="rgb_array")
    check_env(env, num_episodes=2, max_steps=300)
    env.reset(new_task=HAND_DESIGNED["SixteenRooms"])
    frame = env.render()
    assert frame.shape == (104, 104, 3) and frame.dtype == np.uint8
    assert parse_level(HAND_DESIGNED["SixteenRooms"]).agent == (1, 1)
