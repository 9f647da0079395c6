"""How each `--policy_initialization` starts the Mastering Rate agent on MiniGrid's unscaled codes.

    python benchmarks/minigrid_init_scale.py [--env=MiniGrid-ObstructedMaze-1Dl-v0] [--models=5]

Builds the mr_* agent (`convnet_minigrid`, a 64-unit tanh layer per head, `--image_obs_scale=1`) with each
initialization and feeds it 1000 views of the env met by uniformly random actions. Per scheme, mean over `--models`
model seeds: the std of the conv features, the std of the tanh layer's input, the share of tanh units past 0.95
(saturated) and the initial policy's entropy (log 7 = 1.946 is uniform). `torch_default` starts the conv as the paper's
code does (torch's own init); docs/minigrid_curricula.md says what the difference did to learning.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
from sf_curric.command_line import default_cfg  # noqa: E402
from sf_curric.errors import install_command  # noqa: E402
from sf_curric.model.actor_critic import ActorCritic  # noqa: E402
from sf_curric.model.initialization import INITIALIZATIONS  # noqa: E402


def random_views(env: gym.Env, count: int, seed: int = 0) -> np.ndarray:
    """`count` views (the 7x7x3 image) met by uniformly random actions (the env resets when an episode ends)."""
    rng = np.random.default_rng(seed)
    obs, _ = env.reset(seed=seed)
    views = []
    while len(views) < count:
        views.append(obs["image"])
        obs, _, terminated, truncated, _ = env.step(int(rng.integers(env.action_space.n)))
        if terminated or truncated:
            obs, _ = env.reset()
    return np.stack(views)


def start_statistics(model: ActorCritic, views: np.ndarray) -> dict[str, float]:
    """Conv feature std, tanh-input std, saturated share and policy entropy of the actor at its start."""
    encoder = model.actor_encoder
    with torch.no_grad():
        x = torch.as_tensor(views).float() * encoder.inv_image_scale
        features = encoder.conv(x.permute(0, 3, 1, 2)).flatten(1)
        layer = encoder.mlp.layers[0]
        pre_tanh = torch.nn.functional.linear(features, layer.weight, layer.bias)
        log_p = torch.log_softmax(model.action_head(torch.tanh(pre_tanh)), dim=1)
    return {
        "conv std": features.std().item(),
        "tanh input std": pre_tanh.std().item(),
        "saturated": (torch.tanh(pre_tanh).abs() > 0.95).float().mean().item(),
        "entropy": -(log_p.exp() * log_p).sum(1).mean().item(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="MiniGrid-ObstructedMaze-1Dl-v0")
    parser.add_argument("--models", type=int, default=5, help="model seeds per scheme")
    args = parser.parse_args()
    try:
        import minigrid  # noqa: F401  (registers the MiniGrid envs)
    except ImportError:
        raise SystemExit(f"minigrid_init_scale.py needs the minigrid extra: {install_command('minigrid')}") from None
    print(f"{args.env}, 1000 random-action views, mean over {args.models} model seeds")
    print(f"{'--policy_initialization':<24}{'conv std':>10}{'tanh input std':>16}{'saturated':>11}{'entropy':>9}")
    env = gym.make(args.env)
    views = random_views(env, 1000)
    view_space = gym.spaces.Box(0, 255, views.shape[1:], np.uint8)  # what the mr_* envs give the policy
    for scheme in INITIALIZATIONS:
        cfg = default_cfg("mr_obstructedmaze", policy_initialization=scheme)
        rows = []
        for seed in range(args.models):
            torch.manual_seed(seed)
            rows.append(start_statistics(ActorCritic(view_space, env.action_space, cfg), views))
        mean = {key: float(np.mean([row[key] for row in rows])) for key in rows[0]}
        print(
            f"{scheme:<24}{mean['conv std']:>10.3f}{mean['tanh input std']:>16.3f}{mean['saturated']:>11.2f}"
            f"{mean['entropy']:>9.3f}"
        )


if __name__ == "__main__":
    main()
