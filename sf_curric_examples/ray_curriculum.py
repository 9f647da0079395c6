"""A curriculum shared by env workers on a Ray cluster (the pattern RLlib env runners use).

The curriculum lives in one named Ray actor (`make_ray_curriculum`); every env, in whatever Ray worker and on
whatever node, wraps itself in `RaySyncWrapper`, which fetches its next level from that actor and reports each
episode to it (batched: one actor call per `prefetch` episodes). Here the workers play a random policy on the
CartPole levels of cartpole_levels.py and the curriculum records per-level statistics.

Run (needs `pip install -e .[ray]`):
    python sf_curric_examples/ray_curriculum.py --runners 2 --episodes 50
"""

from __future__ import annotations

import argparse
from typing import Any, Dict, List


class EnvRunner:
    """Steps one curriculum-driven env with random actions (a Ray actor class; see main)."""

    def __init__(self, actor_name: str, seed: int) -> None:
        import gymnasium as gym

        from sf_curric.core import RaySyncWrapper
        from sf_curric_examples.cartpole_levels import CartPoleLevels

        self.env = RaySyncWrapper(CartPoleLevels(gym.make("CartPole-v1")), actor_name=actor_name, prefetch=2)
        self.env.action_space.seed(seed)

    def play(self, episodes: int) -> Dict[str, Any]:
        steps = 0
        for _ in range(episodes):
            self.env.reset()
            done = False
            while not done:
                _, _, term, trunc, _ = self.env.step(self.env.action_space.sample())
                steps += 1
                done = term or trunc
        self.env.flush()  # make sure the curriculum has every episode before the driver reads it
        return {"env_id": self.env.env_id, "episodes": episodes, "steps": steps}


def main(argv: List[str] | None = None) -> Dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runners", type=int, default=2)
    parser.add_argument("--episodes", type=int, default=50, help="episodes per runner")
    parser.add_argument("--levels", type=int, default=8)
    parser.add_argument("--address", default=None, help="Ray cluster address (default: start a local one)")
    args = parser.parse_args(argv)

    import ray
    from gymnasium.spaces import Discrete

    from sf_curric.core import make_ray_curriculum
    from sf_curric.curricula import DomainRandomization

    started_ray = not ray.is_initialized()
    if started_ray:
        ray.init(address=args.address, include_dashboard=False)
    curriculum = make_ray_curriculum(
        DomainRandomization(Discrete(args.levels), record_stats=True, seed=0), actor_name="example_curriculum"
    )
    runner_cls = ray.remote(num_cpus=0.5)(EnvRunner)
    runners = []
    try:
        runners = [runner_cls.remote("example_curriculum", seed) for seed in range(args.runners)]
        results = ray.get([r.play.remote(args.episodes) for r in runners])
        metrics = curriculum.metrics()
        curriculum_episodes = curriculum.total_episodes
    finally:
        for runner in runners:  # free their CPUs now, not when Ray gets round to collecting the handles
            ray.kill(runner)
        curriculum.kill()
        if started_ray:
            ray.shutdown()
    for key in sorted(metrics):
        if key.startswith("curriculum/"):
            print(f"{key:45s} {metrics[key]:.3f}")
    steps = sum(r["steps"] for r in results)
    print(f"{len(results)} runners, {curriculum_episodes} episodes reported, {steps} steps")
    return {"results": results, "curriculum_episodes": curriculum_episodes, "metrics": metrics}


if __name__ == "__main__":
    main()
