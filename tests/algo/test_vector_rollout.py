"""VectorRolloutWorker: one batched env writes the same trajectories and episode feedback as the RolloutWorker over
one env per column (same levels from the task feed, same sampled actions), recurrent states zeroed at resets,
truncations bootstrapped; and the worker refuses a vector env that resets by itself."""

import gymnasium as gym
import numpy as np
import pytest
import torch

from sf_curric.algo.learner import Learner
from sf_curric.algo.rollout import RolloutWorker, allocate_trajectory
from sf_curric.algo.vector_rollout import VectorRolloutWorker
from sf_curric.command_line import default_cfg
from sf_curric.envs.builtin.ued_maze import UedMaze
from sf_curric.envs.builtin.ued_maze_levels import random_level
from sf_curric.envs.builtin.ued_maze_vector import UedMazeVector
from sf_curric.envs.task_env_error import TaskEnvError


class LevelFeed:
    """Task feed: env id -> (code, level), each env's own deterministic sequence of levels (some very easy)."""

    def __init__(self):
        self.count: dict[int, int] = {}

    def __call__(self, env_id):
        n = self.count.get(env_id, 0)
        self.count[env_id] = n + 1
        rng = np.random.default_rng([env_id, n])
        return 1000 * env_id + n, random_level(rng, n_walls=int(rng.integers(0, 26)))


@pytest.fixture(autouse=True)
def one_thread():
    # small batches: torch's thread pool only adds contention on a busy machine (docs/architecture.md)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _collect(make_worker, cfg, model, slots=3):
    torch.manual_seed(0)
    worker = make_worker(LevelFeed())
    trajs, feedback = [], []
    for _ in range(slots):
        traj = allocate_trajectory(cfg.rollout, 6, worker.obs_space, worker.action_space, model.rnn_state_size)
        feedback += worker.collect(traj)
        trajs.append(traj)
    return trajs, feedback


def test_batched_env_gives_the_trajectories_of_one_env_per_column():
    # 3 slots of 100 steps: episodes that reach the goal, and episodes cut at the maze's 250 steps
    cfg = default_cfg("ued_maze", rollout=100, rnn_size=16, seed=None)
    probe = UedMaze()
    model = Learner(cfg, probe.observation_space, probe.action_space).model
    ids = list(range(20, 26))
    single, single_feedback = _collect(
        lambda feed: RolloutWorker(cfg, [UedMaze() for _ in ids], model, ids, feed), cfg, model
    )
    batched, batched_feedback = _collect(
        lambda feed: VectorRolloutWorker(cfg, UedMazeVector(6), model, ids, feed), cfg, model
    )
    for a, b in zip(single, batched):
        for key in a:
            if isinstance(a[key], dict):
                for sub in a[key]:
                    assert torch.equal(a[key][sub], b[key][sub]), (key, sub)
            else:
                torch.testing.assert_close(a[key], b[key], rtol=0, atol=0, msg=key)
    assert single_feedback == batched_feedback and len(single_feedback) >= 6
    assert any(t["truncated"].any() for t in single) and any(t["terminated"].any() for t in single)


def test_vector_env_with_its_own_autoreset_is_refused():
    envs = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1")] * 2)  # NEXT_STEP autoreset
    cfg = default_cfg("CartPole-v1")
    with pytest.raises(TaskEnvError, match="AutoresetMode.DISABLED"):
        VectorRolloutWorker(cfg, envs, None)
