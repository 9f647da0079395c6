"""maze_levels: a level seed fixes the level, walls block, the reward and the time limit follow the docstring, the
observation encodes what it says, and unsolvability agrees with an independent flood fill."""

import numpy as np
import pytest
from gymnasium.spaces import Discrete

from sf_curric.envs.builtin import maze_levels as ml
from sf_curric.envs.check_env import check_env


def _flood_reachable(walls: np.ndarray, start: tuple, goal: tuple) -> bool:
    reached = np.zeros_like(walls, dtype=bool)
    reached[start] = True
    while True:
        grown = reached.copy()
        grown[1:, :] |= reached[:-1, :]
        grown[:-1, :] |= reached[1:, :]
        grown[:, 1:] |= reached[:, :-1]
        grown[:, :-1] |= reached[:, 1:]
        grown &= ~walls
        if (grown == reached).all():
            return bool(reached[goal])
        reached = grown


def test_level_is_a_function_of_its_seed_and_unsolvable_levels_are_found():
    for seed in range(60):
        a, b = ml.Level(seed), ml.Level(seed)
        assert (a.walls == b.walls).all() and a.start == b.start and a.goal == b.goal
        assert (a.shortest_path() is not None) == _flood_reachable(a.walls, a.start, a.goal)
    unsolvable = np.mean([ml.Level(s).shortest_path() is None for s in range(400)])
    assert 0.1 < unsolvable < 0.3  # "about a fifth" in the docstring
    with pytest.raises(ValueError, match="non-negative"):
        ml.Level(-1)


def test_shortest_path_reaches_the_goal_with_the_documented_reward():
    env = ml.MazeLevels()
    seed = next(s for s in range(100) if (ml.Level(s).shortest_path() or 0) >= 4)
    level = ml.Level(seed)
    obs, _ = env.reset(new_task=seed)
    # walk the BFS path back from the goal
    parent, queue = {level.start: None}, [level.start]
    for cell in queue:
        for dr, dc in ml._MOVES:
            nxt = (cell[0] + dr, cell[1] + dc)
            if 0 <= nxt[0] < ml.SIZE and 0 <= nxt[1] < ml.SIZE and not level.walls[nxt] and nxt not in parent:
                parent[nxt] = cell
                queue.append(nxt)
    path, cell = [], level.goal
    while cell is not None:
        path.append(cell)
        cell = parent[cell]
    path.reverse()
    for i, (here, there) in enumerate(zip(path, path[1:])):
        action = ml._MOVES.index((there[0] - here[0], there[1] - here[1]))
        obs, rew, term, trunc, info = env.step(action)
        if i < len(path) - 2:
            assert rew == 0.0 and not term and not trunc
    assert term and not trunc and info["task"] == seed
    assert rew == pytest.approx(1.0 - 0.9 * (len(path) - 1) / ml.MAX_STEPS)
    assert env.pos == level.goal and obs[-2] == 0.0 and obs[-1] == 0.0  # the compass points at the agent's cell


def test_unsolvable_level_is_truncated_with_zero_reward_and_walls_block():
    env = ml.MazeLevels()
    seed = next(s for s in range(100) if ml.Level(s).shortest_path() is None)
    obs, _ = env.reset(new_task=seed)
    level = ml.Level(seed)
    assert obs.shape == (11,)
    assert obs[-2] == pytest.approx((level.goal[0] - level.start[0]) / (ml.SIZE - 1))
    total, rng = 0.0, np.random.default_rng(0)
    for t in range(ml.MAX_STEPS):
        before = env.pos
        action = int(rng.integers(4))
        obs, rew, term, trunc, _ = env.step(action)
        dr, dc = ml._MOVES[action]
        target = (before[0] + dr, before[1] + dc)
        blocked = not (0 <= target[0] < ml.SIZE and 0 <= target[1] < ml.SIZE) or level.walls[target]
        assert env.pos == (before if blocked else target)
        local = obs[:9].reshape(3, 3)
        assert local[1, 1] == 0.0  # the agent's own cell is never a wall
        for (i, j), wall in np.ndenumerate(local):
            cell = (env.pos[0] + i - 1, env.pos[1] + j - 1)
            inside = 0 <= cell[0] < ml.SIZE and 0 <= cell[1] < ml.SIZE
            assert wall == (level.walls[cell] if inside else 1.0)
        total += rew
        assert not term and trunc == (t == ml.MAX_STEPS - 1)
    assert total == 0.0


def test_check_env_accepts_it():
    assert check_env(ml.make_maze_levels(), task_space=Discrete(200)) == []


@pytest.mark.parametrize("view", [1, 3, 5, 7])
def test_view_shows_the_walls_around_the_agent_with_the_border_as_wall(view):
    env = ml.MazeLevels(view=view)
    assert env.observation_space.shape == (view * view + 2,)
    rng = np.random.default_rng(view)
    half = view // 2
    for seed in range(20):
        obs, _ = env.reset(new_task=seed)
        walls = ml.Level(seed).walls
        for _ in range(30):
            r, c = env.pos
            expected = [
                1.0 if not (0 <= r + dr < ml.SIZE and 0 <= c + dc < ml.SIZE) else float(walls[r + dr, c + dc])
                for dr in range(-half, half + 1)
                for dc in range(-half, half + 1)
            ]
            assert obs[:-2].tolist() == expected
            obs, *_ = env.step(int(rng.integers(4)))
    with pytest.raises(ValueError, match="odd"):
        ml.MazeLevels(view=4)


def test_maze_levels_is_built_in_with_the_benchmarks_settings():
    """`--env=maze_levels` works without user code (docs/accel.md's first command), with the efficacy benchmark's
    levels, view and PPO settings: benchmarks/sweeps/train_maze_levels.py registers through the same function."""
    import importlib.util
    import shlex
    import sys
    from pathlib import Path

    from sf_curric.command_line import parse_args
    from sf_curric.envs.registry import get_env_spec, make_env

    spec = get_env_spec("maze_levels")
    assert spec.task_space == Discrete(200) and "hand_designed" in spec.level_sets and spec.mutate is ml.mutate
    assert make_env(None, env_name="maze_levels").observation_space.shape == (5 * 5 + 2,)
    sweep_file = Path(__file__).resolve().parents[2] / "benchmarks" / "sweeps" / "curriculum_efficacy.py"
    loader = importlib.util.spec_from_file_location("_efficacy_sweep", sweep_file)
    sweep = sys.modules[loader.name] = importlib.util.module_from_spec(loader)  # its dataclasses look it up
    loader.loader.exec_module(sweep)
    typed = parse_args(["--env=maze_levels", *shlex.split(sweep.MAZE_TRAIN_ARGS)])
    defaults = parse_args(["--env=maze_levels"])
    for name in typed.cli_args:
        if name != "env":
            assert getattr(defaults, name) == getattr(typed, name), name
    assert defaults.train_for_env_steps == 600_000
