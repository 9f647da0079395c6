"""Seeds 002 and 003 over Ray (`ray.init(num_cpus=2)`, the cluster of tests/sync/conftest.py): the README's
RaySyncWrapper / RayCurriculumWrapper code, an env whose reset takes only `new_task`, and a task sequence run in
order and exactly once across env actors. The seed code itself is in tests/seeds/snippets.py."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

ray = pytest.importorskip("ray")
from tests.sync.conftest import kill_actors, ray_get  # noqa: E402

pytestmark = pytest.mark.ray


@ray.remote(num_cpus=0.25)
class Runner:
    """Steps one synced env for whole episodes, like an RLlib env runner."""

    def run_sequence(self, actor_name, episodes, length):
        from sf_curric.sync import RaySyncWrapper
        from tests.seeds.envs import NewTaskOnlyEnv

        env = RaySyncWrapper(NewTaskOnlyEnv(length), actor_name=actor_name)
        for _ in range(episodes):
            env.reset(seed=0)  # not passed on: this env's reset takes only new_task
            done = False
            while not done:
                _, _, term, trunc, _ = env.step(0)
                done = term or trunc
        prefetched = env.prefetched_tasks
        env.close()
        return {"env_id": env.env_id, "tasks_run": list(env.unwrapped.tasks_run), "prefetched": prefetched}

    def run_readme_env(self, episodes, seed):
        from tests.seeds.snippets import ray_env_creator

        env = ray_env_creator({})
        rng = np.random.default_rng(seed)
        lengths = []
        for _ in range(episodes):
            env.reset()
            done, n = False, 0
            while not done:
                _, _, term, trunc, _ = env.step(int(rng.integers(2)))
                done, n = term or trunc, n + 1
            lengths.append(n)
        env.close()
        return lengths


def test_task_sequence_runs_in_order_exactly_once_over_ray(ray_cluster):
    from sf_curric.sync import make_ray_curriculum
    from tests.seeds.envs import SequenceCurriculum

    num_tasks, n, m, length = 20, 4, 20, 3  # 80 episodes of a 20-task sequence: each task exactly 4 times
    curriculum = make_ray_curriculum(SequenceCurriculum(num_tasks), actor_name="sequence")
    runners = []
    try:
        runners = [Runner.remote() for _ in range(n)]
        results = ray_get([r.run_sequence.remote("sequence", m, length) for r in runners])
        handed_out = curriculum.handed_out
        total_episodes = curriculum.total_episodes
    finally:
        kill_actors(runners)
        curriculum.kill()
    assert sorted(r["env_id"] for r in results) == list(range(n))
    run = Counter(task for r in results for task in r["tasks_run"])
    assert run == {task: n * m // num_tasks for task in range(num_tasks)}
    assert handed_out == [i % num_tasks for i in range(n * m)]  # handed out in order, none held back
    assert all(r["prefetched"] == [] for r in results)
    assert total_episodes == n * m


def test_readme_ray_example_calls_the_seed_hooks(ray_cluster):
    from gymnasium.spaces import Box

    from sf_curric import RayCurriculumWrapper
    from tests.seeds.snippets import SeedHookCurriculum

    # seed 003: curriculum = RayCurriculumWrapper(SimpleBoxCurriculum, task_space=Box(-0.3, 0.3, shape=(2,)))
    curriculum = RayCurriculumWrapper(SeedHookCurriculum, task_space=Box(-0.3, 0.3, shape=(2,)))
    runners = []
    try:
        runners = [Runner.remote()]
        lengths = ray_get(runners[0].run_readme_env.remote(8, 0))
        completed = curriculum.completed
        steps = curriculum.steps
    finally:
        kill_actors(runners)
        curriculum.kill()
    # complete_task once per episode, in order, with the seed's task completion (return / 500)
    assert [p for _, p in completed] == pytest.approx([n / 500.0 for n in lengths])
    assert completed[0][0] == (-0.02, 0.02)  # the README's default_task runs first
    assert [t for t, _ in completed[1:]] == SeedHookCurriculum.RANGES * 2 + SeedHookCurriculum.RANGES[:1]
    assert steps == 0  # the README passes update_on_step=False
