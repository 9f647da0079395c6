"""Ray sync: exactly-once delivery from env actors to a named curriculum actor on a local cluster."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from tests.sync.conftest import kill_actors, ray_get
from tests.sync.helpers import CountingEnv, RoundRobinCurriculum
from tests.sync.test_ray_loopback import listeners_beyond_loopback, process_tree

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.ray

NUM_TASKS = 7


# a quarter CPU each: four runners leave half of the 2-CPU test cluster free for anything still shutting down
@ray.remote(num_cpus=0.25)
class EnvRunner:
    """Steps one synced env with constant actions, like an RLlib env runner would."""

    def run(self, length, actor_name, prefetch, episodes):
        from sf_curric.sync import RaySyncWrapper

        self.env = RaySyncWrapper(CountingEnv(length, NUM_TASKS), actor_name=actor_name, prefetch=prefetch)
        total_reward, dones = 0.0, 0
        for _ in range(episodes):
            self.env.reset()
            done = False
            while not done:
                _, rew, term, trunc, _ = self.env.step(0)
                total_reward += rew
                done = term or trunc
                dones += int(done)
        prefetched = self.env.prefetched_tasks
        self.env.close()  # flushes the updates not yet sent
        return {
            "env_id": self.env.env_id,
            "total_reward": total_reward,
            "dones": dones,
            "tasks_run": list(self.env.unwrapped.tasks_run),
            "prefetched": prefetched,
        }


@pytest.fixture(scope="module")
def runners(ray_cluster):
    # started once for the module: worker start-up is most of the cost of a Ray test
    actors = [EnvRunner.remote() for _ in range(4)]
    yield actors
    kill_actors(actors)


@pytest.mark.parametrize("prefetch", [1, 4])
def test_exactly_once_over_ray(runners, prefetch):
    from sf_curric.sync import make_ray_curriculum

    name = f"curriculum_exact_{prefetch}"
    n, m, length = 4, 40, 5
    curriculum = make_ray_curriculum(RoundRobinCurriculum(NUM_TASKS, step_updates=True), actor_name=name)
    try:
        results = ray_get([r.run.remote(length, name, prefetch, m) for r in runners])
        records = curriculum.records()
    finally:
        curriculum.kill()
    assert sorted(r["env_id"] for r in results) == list(range(n))
    assert sum(r["total_reward"] for r in results) == n * m * length
    assert sum(r["dones"] for r in results) == n * m
    episodes = records["episodes"]
    assert len(episodes) == n * m
    for r in results:
        mine = [(task, ret, ln) for e, task, ret, ln in episodes if e == r["env_id"]]
        assert mine == [(task, float(length), length) for task in r["tasks_run"]]  # in order, each exactly once
    assert records["step_count"] == {r["env_id"]: m * length for r in results}
    assert records["step_reward"] == {r["env_id"]: float(m * length) for r in results}
    assert records["step_dones"] == {r["env_id"]: m for r in results}
    # every task handed out was either run or is still prefetched by an env: none lost, none duplicated
    handed_out = Counter(records["handed_out"])
    run_or_held = Counter(t for r in results for t in r["tasks_run"] + r["prefetched"])
    assert handed_out == run_or_held
    counts = np.bincount(records["handed_out"], minlength=NUM_TASKS)
    assert counts.max() - counts.min() <= 1  # round robin, counted independently


def test_learner_updates_and_errors_over_ray(ray_cluster):
    from sf_curric.sync import CurriculumServerError, RaySyncWrapper, make_ray_curriculum

    curriculum = make_ray_curriculum(RoundRobinCurriculum(NUM_TASKS), actor_name="curriculum_learner")
    try:
        curriculum.update_curriculum({"update_type": "on_demand", "metrics": {"value": [1.0, 2.0]}})
        curriculum.custom_update({"scores": [3.0]})
        assert curriculum.records()["on_demand"] == [{"value": [1.0, 2.0]}, {"scores": [3.0]}]
        assert curriculum.sample(3) == [0, 1, 2]
        assert curriculum.num_tasks == NUM_TASKS
        with pytest.raises(ValueError, match="already exists"):
            make_ray_curriculum(RoundRobinCurriculum(NUM_TASKS), actor_name="curriculum_learner")
        env = RaySyncWrapper(CountingEnv(2, NUM_TASKS), actor_name="curriculum_learner")
        env.reset()
    finally:
        curriculum.kill()
    with pytest.raises(CurriculumServerError, match="died"):
        for _ in range(3):
            env.reset()
            env.step(0)
            env.step(0)
    with pytest.raises(ValueError, match="make_ray_curriculum"):
        RaySyncWrapper(CountingEnv(2, NUM_TASKS), actor_name="no_such_curriculum")


def test_an_episode_is_reported_when_it_ends_without_close(ray_cluster):
    """The multiprocessing wrapper and seed 002 report an episode when it ends; so does RaySyncWrapper (default
    prefetch=0): the last episode of an env that is never reset again or closed still reaches the curriculum."""
    import time

    from sf_curric.sync import RaySyncWrapper, make_ray_curriculum

    name = "curriculum_episode_end"
    curriculum = make_ray_curriculum(RoundRobinCurriculum(NUM_TASKS), actor_name=name)
    try:
        env = RaySyncWrapper(CountingEnv(3, NUM_TASKS), actor_name=name)
        for episode in range(1, 6):
            env.reset()
            for _ in range(3):
                env.step(0)
            deadline = time.monotonic() + 30
            while len(curriculum.records()["episodes"]) < episode and time.monotonic() < deadline:
                time.sleep(0.01)  # sent without waiting for the answer: the actor applies it soon after
            assert len(curriculum.records()["episodes"]) == episode  # before the next reset, and without close()
        tasks_run = list(env.unwrapped.tasks_run)
        assert [task for _, task, _, _ in curriculum.records()["episodes"]] == tasks_run
    finally:
        curriculum.kill()


class _RangeEnv(CountingEnv):
    """CountingEnv whose tasks are (low, high) ranges, like Syllabus's CartPole README example."""

    def change_task(self, new_task):
        low, high = new_task
        if not low <= high:
            raise ValueError(f"bad range {new_task}")

    def _reset(self, seed=None, options=None):
        self.t = 0
        self.tasks_run.append(tuple(float(x) for x in self.task))
        return np.zeros(1, np.float32), {}


def test_syllabus_readme_style_box_curriculum_over_ray(ray_cluster):
    from gymnasium.spaces import Box

    from sf_curric.curricula import SimpleBoxCurriculum
    from sf_curric.sync import RayCurriculumWrapper, RaySyncWrapper

    # the curriculum is built inside the actor from its class, as in Syllabus's README
    curriculum = RayCurriculumWrapper(SimpleBoxCurriculum, task_space=Box(-0.3, 0.3, shape=(2,)), actor_name="box")
    try:
        env = RaySyncWrapper(
            _RangeEnv(3), actor_name="box", default_task=(-0.02, 0.02), task_space=Box(-0.3, 0.3, shape=(2,))
        )
        for _ in range(4):
            env.reset()
            for _ in range(3):
                env.step(0)
        env.flush()
        assert env.unwrapped.tasks_run[0] == (-0.02, 0.02)  # the first episode needs no actor call
        assert all(-0.3 - 1e-6 <= lo <= hi <= 0.3 + 1e-6 for lo, hi in env.unwrapped.tasks_run[1:])
        assert curriculum.total_episodes == 4
    finally:
        curriculum.kill()


def test_the_local_test_cluster_listens_on_loopback_only_with_token_auth(ray_cluster):
    import os

    from ray._private.authentication.authentication_utils import is_token_auth_enabled

    @ray_cluster.remote(num_cpus=0.25)
    def worker_pid():
        return os.getpid()

    worker = ray_get(worker_pid.remote())  # a worker process exists, with its own gRPC server
    processes = process_tree(os.getpid())
    assert worker in processes and any("gcs_server" in " ".join(p.cmdline()) for p in processes.values())
    assert listeners_beyond_loopback(processes) == []
    assert is_token_auth_enabled()
