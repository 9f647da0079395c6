"""UedMazeVector: gymnasium's vector API with autoreset disabled, masked resets on given or random levels, and the
same observations, rewards and ends as one UedMaze per column, step for step."""

import numpy as np
import pytest
from gymnasium.vector import AutoresetMode

from sf_curric.envs.builtin.ued_maze import UedMaze
from sf_curric.envs.builtin.ued_maze_levels import random_level
from sf_curric.envs.builtin.ued_maze_prefabs import HAND_DESIGNED
from sf_curric.envs.builtin.ued_maze_vector import UedMazeVector


def test_vector_equals_one_env_per_column_with_masked_resets_on_given_levels():
    n, rng = 5, np.random.default_rng(0)
    vec, singles = UedMazeVector(n), [UedMaze() for _ in range(n)]
    assert vec.metadata["autoreset_mode"] == AutoresetMode.DISABLED
    tasks = [random_level(rng) for _ in range(n)]
    obs, _ = vec.reset(options={"reset_mask": np.ones(n, bool), "new_tasks": tasks})
    for env, task in zip(singles, tasks):
        env.reset(new_task=task)
    for _ in range(600):
        actions = rng.integers(7, size=n)
        obs, rewards, terminated, truncated, infos = vec.step(actions)
        for i, env in enumerate(singles):
            one_obs, reward, term, trunc, info = env.step(int(actions[i]))
            assert np.array_equal(obs["image"][i], one_obs["image"]) and obs["direction"][i] == one_obs["direction"]
            assert (rewards[i], terminated[i], truncated[i]) == (np.float32(reward), term, trunc)
            if term or trunc:
                assert infos["_task_completion"][i] and infos["task_completion"][i] == info["task_completion"]
        done = terminated | truncated
        if done.any():
            fresh = [random_level(rng) for _ in range(int(done.sum()))]
            obs, _ = vec.reset(options={"reset_mask": done, "new_tasks": fresh})
            for i, task in zip(np.flatnonzero(done), fresh):
                one_obs, _ = singles[i].reset(new_task=task)
                assert np.array_equal(obs["image"][i], one_obs["image"])
    assert obs["image"].shape == (n, 5, 5, 3) and vec.observation_space["image"].shape == (n, 5, 5, 3)


def test_reset_without_tasks_draws_seeded_random_levels_and_checks_its_options():
    a, b = UedMazeVector(3), UedMazeVector(3)
    obs_a, _ = a.reset(seed=7)
    obs_b, _ = b.reset(seed=[7, 8, 9])
    assert np.array_equal(obs_a["image"], obs_b["image"])
    mask = np.array([False, True, False])
    before = a.batch.pos.copy()
    a.reset(options={"reset_mask": mask, "new_tasks": [HAND_DESIGNED["Labyrinth"]]})
    assert tuple(a.batch.pos[1]) == (0, 12) and np.array_equal(a.batch.pos[[0, 2]], before[[0, 2]])
    with pytest.raises(ValueError, match="holds 2 levels for 1 masked"):
        a.reset(options={"reset_mask": mask, "new_tasks": ["x", "y"]})
    with pytest.raises(ValueError, match="shape"):
        a.reset(options={"reset_mask": np.ones(2, bool)})
