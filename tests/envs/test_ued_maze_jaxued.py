"""ued_maze against jaxued itself: recorded jaxued Maze trajectories (benchmarks/record_jaxued_trajectories.py, the
same levels and actions) replay with the same observations, rewards and dones; the level generator and the ACCEL
edit draw the distributions that jaxued's drew."""

from pathlib import Path

import numpy as np
import pytest

from sf_curric.envs.builtin.ued_maze import CELL_FEATURES, UedMaze
from sf_curric.envs.builtin.ued_maze_levels import mutate_level, parse_level, random_level_arrays

RECORDING = Path(__file__).resolve().parents[1] / "data" / "jaxued_maze_trajectories.npz"


@pytest.fixture(scope="module")
def rec():
    with np.load(RECORDING) as data:
        return {k: data[k] for k in data.files}


def test_recorded_jaxued_episodes_replay_step_for_step(rec):
    env = UedMaze()
    starts = rec["episode_starts"]
    solved = cut = 0
    for e, text in enumerate(rec["level_texts"]):
        first, last = int(starts[e]), int(starts[e + 1])
        obs, _ = env.reset(new_task=str(text))
        row = first + e  # images/directions have one more row per episode (the reset observation)
        assert np.array_equal(np.rint(obs["image"] * 10), rec["images_x10"][row]), rec["level_names"][e]
        assert obs["direction"] == rec["directions"][row]
        for t in range(first, last):
            obs, reward, terminated, truncated, _ = env.step(int(rec["actions"][t]))
            row += 1
            where = f"{rec['level_names'][e]} step {t - first + 1}"
            assert np.array_equal(np.rint(obs["image"] * 10), rec["images_x10"][row]), where
            assert obs["direction"] == rec["directions"][row], where
            assert np.float32(reward) == rec["rewards"][t], where  # exact: the same float32 operations
            assert (terminated or truncated) == rec["dones"][t], where
        assert terminated or truncated  # each recorded episode ends at its last step
        solved += terminated and rec["rewards"][last - 1] > 0
        cut += truncated and not terminated and last - first == 250
    assert solved >= 40 and cut >= 5  # both endings are covered


def test_image_values_are_jaxueds_floats_exactly(rec):
    ours = np.unique(CELL_FEATURES)
    assert np.array_equal(ours, rec["image_values"])  # jaxued's uint8 / 10.0 in float32


def test_level_texts_parse_and_print_back_as_jaxued_wrote_them(rec):
    for text in rec["level_texts"]:
        assert parse_level(str(text)).text() == str(text)


def _close_means(ours: np.ndarray, theirs: np.ndarray) -> None:
    se = np.sqrt(ours.var() / len(ours) + theirs.var() / len(theirs))
    assert abs(ours.mean() - theirs.mean()) < 4 * se + 1e-9, (ours.mean(), theirs.mean(), se)


def test_generator_draws_jaxueds_wall_count_and_direction_distribution(rec):
    rng = np.random.default_rng(1)
    levels = [random_level_arrays(rng) for _ in range(4000)]
    walls = np.array([lv.walls.sum() for lv in levels])
    # 25 draws with replacement among 169 cells: E[distinct] = 169 (1 - (168/169)^25) = 23.3
    assert abs(walls.mean() - 169 * (1 - (168 / 169) ** 25)) < 0.1
    _close_means(walls.astype(float), rec["generated_wall_counts"].astype(float))
    assert walls.max() <= 25 and rec["generated_wall_counts"].max() <= 25
    directions = np.array([lv.direction for lv in levels])
    assert np.allclose(np.bincount(directions, minlength=4) / 4000, 0.25, atol=0.03)
    assert np.allclose(np.bincount(rec["generated_directions"], minlength=4) / 2000, 0.25, atol=0.04)


def test_mutation_matches_jaxueds_minimax_edit_distribution(rec):
    rng = np.random.default_rng(2)
    flipped, moved = [], []
    for _ in range(1500):
        parent = random_level_arrays(rng)
        child = parse_level(mutate_level(parent.text(), rng, 5))
        flipped.append(int((parent.walls != child.walls).sum()))
        moved.append(parent.goal != child.goal)
        assert child.agent == parent.agent and child.direction == parent.direction
        assert not child.walls[child.goal[1], child.goal[0]]
    _close_means(np.array(flipped, float), rec["mutation_flipped"].astype(float))
    _close_means(np.array(moved, float), rec["mutation_goal_moved"].astype(float))
    # 5 edits, each a flip with probability 1/3: about 5/3 cells flipped (two flips of one cell cancel)
    assert 1.4 < np.mean(flipped) < 1.75
