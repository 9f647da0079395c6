"""MiniGrid from the command line: seconds and frames to a mean return of 0.9, sf_curric with its MiniGrid defaults
against Stable-Baselines3 (MultiInputPolicy, rl-zoo's MiniGrid settings) and Sample Factory 2.1.1, in one run.

    python benchmarks/minigrid_race.py [--envs MiniGrid-Empty-8x8-v0 MiniGrid-DoorKey-8x8-v0] [--seeds 1]
                                       [--trainers sfc sb3 sf] [--timeout 1800]

- sf_curric: `python -m sf_curric.train --env=ENV` and nothing else about the model or PPO (its MiniGrid defaults:
  rl-starter-files' conv agent and PPO settings, docs/observation_spaces.md), as a user types it.
- SB3 2.x (benchmarks/.venv-sb3, with minigrid): `PPO("MultiInputPolicy")` with rl-zoo's MiniGrid hyperparameters
  (hyperparams/ppo.yml: 8 envs, n_steps 128, batch 64, 10 epochs, lr 2.5e-4, gamma 0.99, lambda 0.95, clip 0.2,
  entropy 0, `normalize: true`). rl-zoo itself flattens MiniGrid with FlatObsWrapper and an MLP because SB3's
  NatureCNN cannot take a 7x7 image; here the Dict keeps `image` (given as float32, so SB3 flattens it instead of
  running NatureCNN) and `direction` (SB3 one-hot), the mission is dropped as in sf_curric, VecNormalize normalizes
  the image and the rewards.
- Sample Factory 2.1.1 (benchmarks/.venv-sf, which pins gymnasium < 1, with minigrid 2.3.1, the last release for
  gymnasium 0.29): the same network as sf_curric's defaults, registered as its custom encoder (rl-starter-files'
  conv, a 64-unit tanh layer, the direction one-hot beside it) and the same PPO settings (2 workers x 8 envs, rollout
  128, 8 minibatches of 256, 4 epochs, lr 7e-4, entropy 0.01), APPO without V-trace.

The clock starts when the command is launched (start-up included) and stops at the first report whose average over
the last 100 episodes is >= 0.9; the process is then killed. A run not there after --timeout seconds is reported as
not solved, with the frames it reached.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, List

from measure import fmt, median  # benchmarks/measure.py, next to this script
from solve_race import SB3_RE, SB3_REPORT, SFC_RE, SfWatcher, SolveWatcher, run_until_solved

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET = 0.9
SF_MINIGRID = "minigrid==2.3.1"  # the last minigrid release for gymnasium 0.29 (Sample Factory 2.1.1 pins < 1.0)
SB3_MINIGRID = "minigrid==3.2.0"

SB3_CHILD = (
    SB3_REPORT
    + r"""
import sys
import gymnasium as gym
import minigrid  # noqa: F401  (registers the MiniGrid ids)
import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize

env_id, seed, budget = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(1)

class ImageAndDirection(gym.ObservationWrapper):
    # the image as float32 (SB3's NatureCNN cannot take 7x7: flattened instead), the direction, no mission
    def __init__(self, env):
        super().__init__(env)
        self.observation_space = gym.spaces.Dict(
            {"image": gym.spaces.Box(0.0, 255.0, (7, 7, 3), np.float32), "direction": gym.spaces.Discrete(4)}
        )

    def observation(self, obs):
        return {"image": obs["image"].astype(np.float32), "direction": obs["direction"]}

env = VecNormalize(make_vec_env(env_id, n_envs=8, seed=seed, wrapper_class=ImageAndDirection), norm_obs_keys=["image"])
model = PPO("MultiInputPolicy", env, n_steps=128, batch_size=64, gae_lambda=0.95, gamma=0.99, n_epochs=10,
            ent_coef=0.0, learning_rate=2.5e-4, clip_range=0.2, seed=seed, device="cpu", verbose=0)
model.learn(total_timesteps=budget, callback=Report())
"""
)

SF_CHILD = r"""
import sys
import gymnasium as gym
import minigrid  # noqa: F401  (registers the MiniGrid ids)
import numpy as np
import torch
from torch import nn
from sample_factory.algo.utils.context import global_model_factory
from sample_factory.cfg.arguments import parse_full_cfg, parse_sf_args
from sample_factory.envs.env_utils import register_env
from sample_factory.model.encoder import Encoder
from sample_factory.train import run_rl

class ImageAndDirection(gym.ObservationWrapper):
    # Sample Factory's Dict observations hold Boxes: the image ("obs") and the direction one-hot, no mission
    def __init__(self, env):
        super().__init__(env)
        self.observation_space = gym.spaces.Dict(
            {"obs": env.observation_space["image"], "direction": gym.spaces.Box(0.0, 1.0, (4,), np.float32)}
        )

    def observation(self, obs):
        direction = np.zeros(4, np.float32)
        direction[obs["direction"]] = 1.0
        return {"obs": obs["image"], "direction": direction}

class RlStarterEncoder(Encoder):
    # sf_curric's MiniGrid default network: rl-starter-files' conv on the unscaled codes, a 64-unit tanh layer,
    # the direction one-hot beside it
    def __init__(self, cfg, obs_space):
        super().__init__(cfg)
        self.conv = nn.Sequential(nn.Conv2d(3, 16, 2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(16, 32, 2), nn.ReLU(),
                                  nn.Conv2d(32, 64, 2), nn.ReLU())
        self.fc = nn.Sequential(nn.Linear(64, 64), nn.Tanh())

    def forward(self, obs_dict):
        x = self.conv(obs_dict["obs"].float().permute(0, 3, 1, 2)).flatten(1)
        return torch.cat([self.fc(x), obs_dict["direction"].float()], dim=1)

    def get_out_size(self):
        return 68

def make_env(full_env_name, cfg=None, env_config=None, render_mode=None):
    return ImageAndDirection(gym.make(full_env_name, render_mode=render_mode))

if __name__ == "__main__":
    register_env(sys.argv[1].split("=", 1)[1], make_env)
    global_model_factory().register_encoder_factory(RlStarterEncoder)
    parser, _ = parse_sf_args(argv=sys.argv[1:])
    sys.exit(run_rl(parse_full_cfg(parser, sys.argv[1:])))
"""

# sf_curric's MiniGrid defaults (sf_curric.cfg.env_defaults.MINIGRID) in Sample Factory's flag names
SF_SAME_SETTINGS = [
    "--num_workers=2", "--num_envs_per_worker=8", "--rollout=128", "--batch_size=256", "--num_batches_per_epoch=8",
    "--num_epochs=4", "--learning_rate=0.0007", "--adam_eps=1e-5", "--exploration_loss_coeff=0.01", "--gamma=0.99",
    "--gae_lambda=0.95", "--ppo_clip_ratio=0.2", "--max_grad_norm=0.5", "--value_loss_coeff=0.5", "--use_rnn=False",
    "--recurrence=1", "--with_vtrace=False", "--normalize_input=False", "--algo=APPO", "--device=cpu",
]  # fmt: skip


def _with_minigrid(python: Path, requirement: str) -> Path:
    """Install `requirement` (a minigrid release) into a peer's venv when it lacks minigrid."""
    if subprocess.run([str(python), "-c", "import minigrid"], capture_output=True).returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", requirement],
                       check=True)  # fmt: skip
    return python


def trainers(args, train_dir: str) -> Dict[str, Callable[[str, int], Dict]]:
    """name -> run(env, seed) for every trainer asked for."""
    sfc_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    peer_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    def race(cmd, watcher, env) -> Dict:
        return run_until_solved(cmd, watcher, env, args.timeout)

    runs: Dict[str, Callable[[str, int], Dict]] = {}
    if "sfc" in args.trainers:
        runs["sf_curric, `--env=ENV` defaults"] = lambda env, s: race(
            [sys.executable, "-m", "sf_curric.train", f"--env={env}", f"--seed={s}", f"--train_dir={train_dir}",
             f"--experiment=mg_{s}", "--restart_behavior=overwrite", "--progress_interval_sec=1",
             f"--stop_when_avg_return={TARGET}", f"--train_for_env_steps={args.budget}"],
            SolveWatcher(SFC_RE, TARGET), sfc_env,
        )  # fmt: skip
    if "sb3" in args.trainers:
        from time_to_solve import ensure_sb3_venv

        sb3_python = _with_minigrid(ensure_sb3_venv(HERE / ".venv-sb3"), SB3_MINIGRID)
        runs["SB3 PPO MultiInputPolicy, rl-zoo MiniGrid settings"] = lambda env, s: race(
            [str(sb3_python), "-u", "-c", SB3_CHILD, env, str(s), str(args.budget)], SolveWatcher(SB3_RE, TARGET),
            peer_env,
        )  # fmt: skip
    if "sf" in args.trainers:
        from sample_factory_peer import SF_PYTHON, ensure_sample_factory

        ensure_sample_factory()
        sf_python = _with_minigrid(SF_PYTHON, SF_MINIGRID)
        # a file, not `-c`: its worker processes are spawned and import the env factory from the main module
        sf_child = Path(train_dir) / "sf_minigrid_child.py"
        sf_child.write_text(SF_CHILD)
        runs["Sample Factory 2.1.1, same network and PPO settings"] = lambda env, s: race(
            [str(sf_python), "-u", str(sf_child), f"--env={env}", f"--experiment=mg_sf_{s}",
             f"--train_dir={train_dir}", "--restart_behavior=overwrite", f"--train_for_env_steps={args.budget}",
             f"--seed={s}", *SF_SAME_SETTINGS],
            SfWatcher(TARGET), peer_env,
        )  # fmt: skip
    return runs


def race_tables(args) -> List[str]:
    """Every trainer on every env and seed (interleaved); one markdown table per env."""
    lines: List[str] = []
    with tempfile.TemporaryDirectory(prefix="sfc_minigrid_") as train_dir:
        runs = trainers(args, train_dir)
        for env in args.envs:
            results: Dict[str, List[Dict]] = {name: [] for name in runs}
            load_start = os.getloadavg()[0]
            for seed in args.seeds:
                for name, run in runs.items():
                    res = run(env, seed)
                    results[name].append(res)
                    print(f"  {env} {name} seed {seed}: {fmt(res['solved_s'], '.1f')} s / {fmt(res['solved_steps'])} "
                          f"frames (last {res['last_steps']}), load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
                    if res["solved_s"] is None:
                        print("\n".join(res["tail"][-6:]), flush=True)
            lines += _table(env, args, results, load_start)
    return lines


def _table(env: str, args, results: Dict[str, List[Dict]], load_start: float) -> List[str]:
    def cell(values, spec):
        text = fmt(median(values), spec)
        return text + (" (" + " / ".join(fmt(v, spec) for v in values) + ")" if len(values) > 1 else "")

    lines = [
        "",
        f"{env}: seconds and frames from the command's start to a mean return >= {TARGET} (last 100 episodes), "
        f"seeds {args.seeds}, at most {args.timeout:.0f} s / {args.budget:,} frames per run; {os.cpu_count()} cores, "
        f"load average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
        "",
        "| trainer | seconds to 0.9 | frames to 0.9 | frames reached | mean return reached | first progress (s) |",
        "|---|---|---|---|---|---|",
    ]
    columns = (
        ("solved_s", ".1f"), ("solved_steps", ",.0f"), ("last_steps", ",.0f"), ("last_avg", ".2f"),
        ("first_progress_s", ".1f"),
    )  # fmt: skip
    for name, runs in results.items():
        lines.append(f"| {name} | " + " | ".join(cell([r[key] for r in runs], spec) for key, spec in columns) + " |")
    medians = {name: median([r["solved_s"] for r in runs]) for name, runs in results.items()}
    ours = [n for n in medians if n.startswith("sf_curric")]
    for a in ours:
        for b in (n for n in medians if n not in ours):
            if medians[a] and medians[b]:
                lines.append(f"| ratio {a} / {b} | {medians[a] / medians[b]:.2f}x | | | | |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--envs", nargs="+", default=["MiniGrid-Empty-8x8-v0", "MiniGrid-DoorKey-8x8-v0"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--trainers", nargs="+", choices=("sfc", "sb3", "sf"), default=["sfc", "sb3", "sf"])
    parser.add_argument("--budget", type=int, default=3_000_000, help="Frames a run may train for.")
    parser.add_argument("--timeout", type=float, default=1800.0, help="Seconds before an unsolved run is killed.")
    print("\n".join(race_tables(parser.parse_args())))


if __name__ == "__main__":
    main()
