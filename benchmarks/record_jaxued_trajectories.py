"""Record jaxued Maze trajectories for the equivalence test of `ued_maze` (tests/envs/test_ued_maze_jaxued.py).

    python benchmarks/record_jaxued_trajectories.py            # writes tests/data/jaxued_maze_trajectories.npz

Installs jaxued in benchmarks/.venv-jaxued on first use (jaxued_peer.py) and runs itself there with `--inside`.
jaxued's `Maze(13, 13, agent_view_size=5, normalize_obs=True)` (its training scripts' env) plays:

- the 8 hand-designed mazes, 40 levels of `make_level_generator(13, 13, 25)` and 4 without walls, one episode each,
  with a noisy shortest-path driver (30 % random actions out of all 7: they reach the goal, bumping into walls and
  the border on the way), and 8 more generated levels with random actions only (most end at the 250-step limit);
- statistics of 2,000 generated levels (distinct walls, agent direction) and of 600 five-edit mutations by
  `make_level_mutator_minimax` (cells flipped, goal moved): the test compares our generator and mutator with them.

Saved (small): each level's text (jaxued's `Level.to_str`), actions, the images times 10 as uint8, directions,
rewards (float32, exact), dones, and the distinct float values of jaxued's images.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections import deque
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE.parent / "tests" / "data" / "jaxued_maze_trajectories.npz"
DIRS = [(1, 0), (0, 1), (-1, 0), (0, -1)]


def _next_direction(walls: np.ndarray, agent: tuple, goal: tuple) -> int | None:
    """The direction of the first move of a shortest path from agent to goal (BFS), None if unreachable."""
    h, w = walls.shape
    first = {agent: None}
    queue = deque([agent])
    while queue:
        x, y = queue.popleft()
        if (x, y) == goal:
            return first[(x, y)]
        for d, (dx, dy) in enumerate(DIRS):
            nxt = (x + dx, y + dy)
            if 0 <= nxt[0] < w and 0 <= nxt[1] < h and not walls[nxt[1], nxt[0]] and nxt not in first:
                first[nxt] = d if first[(x, y)] is None else first[(x, y)]
                queue.append(nxt)
    return None


def _driver_action(rng: np.random.Generator, state, noise: float) -> int:
    walls = np.asarray(state.wall_map)
    agent = tuple(int(v) for v in np.asarray(state.agent_pos))
    goal = tuple(int(v) for v in np.asarray(state.goal_pos))
    want = _next_direction(walls, agent, goal)
    if want is None or rng.random() < noise:
        return int(rng.integers(7))
    facing = int(state.agent_dir)
    if want == facing:
        return 2
    return 1 if want == (facing + 1) % 4 else 0


def record_inside(out: Path) -> None:
    import jax
    from jaxued.environments import Maze
    from jaxued.environments.maze import Level, make_level_generator, make_level_mutator_minimax
    from jaxued.environments.maze.level import prefabs

    env = Maze(max_height=13, max_width=13, agent_view_size=5, normalize_obs=True)
    params = env.default_params
    step, reset = jax.jit(env.step), jax.jit(env.reset_to_level)
    generate = jax.jit(make_level_generator(13, 13, 25))
    generate_empty = jax.jit(make_level_generator(13, 13, 0))
    rng = np.random.default_rng(0)
    key = jax.random.PRNGKey(0)

    names = ["SixteenRooms", "SixteenRooms2", "Labyrinth", "LabyrinthFlipped", "Labyrinth2", "StandardMaze",
             "StandardMaze2", "StandardMaze3"]  # fmt: skip
    levels = [Level.from_str(prefabs[n]) for n in names]
    levels += [generate(jax.random.PRNGKey(100 + i)) for i in range(40)]
    levels += [generate_empty(jax.random.PRNGKey(200 + i)) for i in range(4)]
    levels += [generate(jax.random.PRNGKey(300 + i)) for i in range(8)]  # random actions: most run 250 steps
    noise = [0.3] * 52 + [1.0] * 8
    texts, actions, images, dirs, rewards, dones, starts, values = [], [], [], [], [], [], [0], set()
    for level, level_noise in zip(levels, noise):
        key, k_reset = jax.random.split(key)
        obs, state = reset(k_reset, level, params)
        texts.append(level.to_str())
        images.append(np.asarray(obs.image))
        dirs.append(int(obs.agent_dir))
        for _ in range(params.max_steps_in_episode):
            action = _driver_action(rng, state, level_noise)
            key, k_step = jax.random.split(key)
            obs, state, reward, done, _ = step(k_step, state, action, params)
            actions.append(action)
            images.append(np.asarray(obs.image))
            dirs.append(int(obs.agent_dir))
            rewards.append(np.float32(reward))
            dones.append(bool(done))
            if done:
                break
        starts.append(len(actions))
    image_arr = np.stack(images).astype(np.float32)
    values = np.unique(image_arr)

    gen_keys = jax.random.split(jax.random.PRNGKey(7), 2000)
    generated = jax.vmap(generate)(gen_keys)
    wall_counts = np.asarray(generated.wall_map).reshape(2000, -1).sum(axis=1)
    gen_dirs = np.asarray(generated.agent_dir)

    mutate = make_level_mutator_minimax(100)
    parents = jax.vmap(generate)(jax.random.split(jax.random.PRNGKey(8), 600))
    children = jax.vmap(mutate, (0, 0, None))(jax.random.split(jax.random.PRNGKey(9), 600), parents, 5)
    flipped = (np.asarray(parents.wall_map) != np.asarray(children.wall_map)).reshape(600, -1).sum(axis=1)
    goal_moved = (np.asarray(parents.goal_pos) != np.asarray(children.goal_pos)).any(axis=1)

    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        level_texts=np.array(texts),
        level_names=np.array(
            names
            + [f"generated{i}" for i in range(40)]
            + [f"empty{i}" for i in range(4)]
            + [f"random{i}" for i in range(8)]
        ),
        episode_starts=np.array(starts, dtype=np.int64),  # episode e: actions[starts[e]:starts[e+1]]
        actions=np.array(actions, dtype=np.int8),
        images_x10=np.rint(image_arr * 10).astype(np.uint8),  # episode e: rows starts[e]+e .. starts[e+1]+e
        directions=np.array(dirs, dtype=np.int8),
        rewards=np.array(rewards, dtype=np.float32),
        dones=np.array(dones, dtype=bool),
        image_values=values,
        generated_wall_counts=wall_counts.astype(np.int16),
        generated_directions=gen_dirs.astype(np.int8),
        mutation_flipped=flipped.astype(np.int16),
        mutation_goal_moved=goal_moved,
        jax_version=np.array(jax.__version__),
    )
    solved = sum(1 for r in rewards if r > 0)
    cut = len(texts) - solved
    print(
        f"recorded {len(texts)} episodes, {len(actions)} steps ({solved} reached the goal, {cut} cut at 250) -> {out}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--inside", action="store_true", help="run in the jaxued venv (set by the script itself)")
    args = parser.parse_args()
    if args.inside:
        record_inside(args.out)
        return 0
    sys.path.insert(0, str(HERE))
    from jaxued_peer import ensure_jaxued, jaxued_env

    python = ensure_jaxued()
    cmd = [str(python), str(Path(__file__).resolve()), "--inside", f"--out={args.out.resolve()}"]
    return subprocess.run(cmd, env=jaxued_env()).returncode


if __name__ == "__main__":
    sys.exit(main())
