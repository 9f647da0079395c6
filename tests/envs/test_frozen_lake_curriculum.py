"""The README demo's env: gymnasium's FrozenLake on gymnasium's own 12x12 map, the start cell as a task."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.toy_text.frozen_lake import generate_random_map

from sf_curric.envs.builtin.frozen_lake_curriculum import (
    LAKE,
    LEVELS,
    STANDARD_LEVEL,
    eval_groups,
    make_frozen_lake_curriculum,
    moves_to_goal,
)
from sf_curric.envs.check_env import check_env


def _moves_by_value_iteration(env: gym.Env) -> dict[int, int]:
    """Fewest moves to the goal from FrozenLake's own transition table (an independent computation): iterate
    d(s) = 1 + min over actions of d(next state) until nothing changes; holes and the goal end episodes."""
    table = env.unwrapped.P
    inf = 10**9
    goal = next(nxt for actions in table.values() for a in actions.values() for _, nxt, r, _ in a if r > 0)
    moves = {s: inf for s in table}
    moves[goal] = 0
    changed = True
    while changed:
        changed = False
        for s, actions in table.items():
            if s == goal or LAKE[s // 12][s % 12] == "H":
                continue
            best = min(1 + moves[nxt] for outcomes in actions.values() for _, nxt, _, _ in outcomes)
            if best < moves[s]:
                moves[s], changed = best, True
    return {s: m for s, m in moves.items() if m < inf}


def test_the_lake_is_gymnasiums_own_map():
    assert list(LAKE) == generate_random_map(size=12, seed=0)


def test_moves_to_goal_match_value_iteration_on_the_env_transitions():
    env = make_frozen_lake_curriculum()
    assert moves_to_goal() == _moves_by_value_iteration(env)
    assert moves_to_goal()[0] == 24  # the start S is 24 moves from the goal


def test_each_level_starts_two_moves_further_and_the_last_is_the_env_start():
    moves = moves_to_goal()
    for k, cells in enumerate(LEVELS[:-1]):
        assert cells and all(2 * k + 1 <= moves[c] <= 2 * k + 2 for c in cells), k
    assert LEVELS[-1] == [0] and STANDARD_LEVEL == len(LEVELS) - 1 == 12
    env = make_frozen_lake_curriculum()
    assert env.task == STANDARD_LEVEL  # the default task: the env's own start


@pytest.mark.parametrize("level", [0, 5, 11])
def test_reset_starts_on_a_cell_of_the_level_and_the_shortest_path_reaches_the_goal(level):
    env = make_frozen_lake_curriculum()
    moves = moves_to_goal()
    for seed in range(5):
        obs, info = env.reset(seed=seed, new_task=level)
        cell = int(np.argmax(obs))
        assert obs.sum() == 1.0 and cell in LEVELS[level] and info["task"] == level
        for _ in range(moves[cell]):  # greedy descent of the distances: each move one closer
            action = next(
                a for a, [(_, nxt, _, _)] in env.unwrapped.P[cell].items() if moves.get(nxt) == moves[cell] - 1
            )
            obs, reward, terminated, truncated, info = env.step(action)
            assert not terminated or reward == 1.0  # no hole on the way
            cell = int(np.argmax(obs))
        assert terminated and reward == 1.0 and info["task_completion"] == 1.0


def test_a_hole_or_the_time_limit_ends_an_episode_with_no_completion():
    env = make_frozen_lake_curriculum()
    env.reset(seed=0, new_task=STANDARD_LEVEL)
    _, reward, terminated, truncated, info = env.step(0)  # left from S: stays on S
    assert (reward, terminated, info["task_completion"]) == (0.0, False, 0.0)
    _, reward, terminated, _, info = env.step(1)  # down from S: the hole at row 1, column 0
    assert terminated and reward == 0.0 and info["task_completion"] == 0.0
    env.reset(seed=0, new_task=STANDARD_LEVEL)
    for _ in range(100):
        _, _, terminated, truncated, info = env.step(3)  # up: against the wall, forever
    assert truncated and not terminated and info["task_completion"] == 0.0


def test_random_moves_from_the_env_start_never_reach_the_goal():
    # why the demo needs a curriculum: 2000 episodes of random moves, no reward at all
    env = make_frozen_lake_curriculum()
    env.action_space.seed(0)
    rewards = 0.0
    for episode in range(2000):
        env.reset(seed=episode, new_task=STANDARD_LEVEL)
        done = False
        while not done:
            _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
            rewards += reward
            done = terminated or truncated
    assert rewards == 0.0


def test_check_env_and_the_end_of_training_groups():
    check_env(make_frozen_lake_curriculum())
    groups = eval_groups(np.random.default_rng(0), 26)
    assert list(groups) == ["easiest", "hardest", "whole space"]
    assert groups["easiest"] == [0] * 26 and groups["hardest"] == [STANDARD_LEVEL] * 26
    assert sorted(set(groups["whole space"])) == list(range(len(LEVELS)))
