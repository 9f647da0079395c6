"""The Mastering Rate paper's own curriculum code on one of its curricula, as a peer (run in the torch-ac venv).

    git clone https://github.com/lcswillems/automatic-curriculum ../automatic-curriculum   # tested at 4ad9f9e
    python3.11 -m venv .venv-torchac && .venv-torchac/bin/pip install torch==2.13.0 \
        && .venv-torchac/bin/pip install torch-ac==1.4.0 minigrid==3.2.0 networkx==3.6.1
    .venv-torchac/bin/python benchmarks/automatic_curriculum_peer.py --repo=../automatic-curriculum \
        --curriculum=BlockedUnlockPickup --frames=3000000 --seed=1 --out=peer_bup_s1.json

What runs is the paper's: `auto_curri`'s PolyEnvHead / PolyEnv (an env drawn per episode from the head's
distribution, every episode's return sent back through a pipe) and `make_dist_computer` with train_rl.py's defaults
(`--acp=MR --lpe=Linreg --a2d=Prop`: Mastering Rate; `--acp=LP --a2d=GreedyProp` is gProp Linreg), the curriculum
graph read as utils/curriculum.py reads it, and the distribution updated after every PPO update, as train_rl.py
does. The agent and PPO are benchmarks/torch_ac_minigrid.py's (the paper's model.py on torch-ac 1.4.0).

Two adaptations, neither touching the curriculum's logic: PolyEnv's step / reset speak gymnasium's API (5-tuple,
(obs, info)) because minigrid 3 is a gymnasium package, and `numpy.float` (removed in numpy 1.24), which the
MR attention computer uses as a dtype, is set to `float`, what it aliased.

Prints `frames F target R ...` every `--log_every` updates (R: the mean return of the target's last 100 episodes,
fewer at first, the statistic of our `curriculum/task_return`) and writes the rows (every env's R) and each env's
share of episodes to `--out`; `benchmarks/minigrid_curricula.py --peer_runs` reads frames to master from them.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

import numpy as np
from torch_ac_minigrid import make_env, make_ppo, seed_everything


def load_curriculum(repo: Path, name: str):
    """utils/curriculum.py's get_curriculum: nodes numbered in the order the edges list them."""
    import networkx as nx

    json_graph = json.loads((repo / "curriculums" / f"{name}.json").read_text())
    graph = nx.DiGraph()
    graph.add_edges_from(json_graph["edges"])
    nodes = [json_graph["nodes"][node] for node in graph.nodes]
    graph = nx.relabel_nodes(graph, {node: i for i, node in enumerate(graph.nodes)})
    return graph, [n["id"] for n in nodes], [n["min"] for n in nodes], [n["max"] for n in nodes]


def import_auto_curri(repo: Path):
    """The paper's package from its checkout, with numpy's removed `float` alias restored."""
    if not (repo / "auto_curri").is_dir():
        raise SystemExit(f"--repo={repo}: no auto_curri/ there; clone lcswillems/automatic-curriculum and point at it")
    np.float = float  # the alias auto_curri's att_computer uses as a dtype (numpy < 1.24)
    sys.path.insert(0, str(repo))
    import auto_curri

    return auto_curri


def gymnasium_poly_env(auto_curri):
    """auto_curri.PolyEnv speaking gymnasium's step / reset; selection and return reporting are the paper's."""

    class GymnasiumPolyEnv(auto_curri.PolyEnv):
        def step(self, action):
            obs, reward, terminated, truncated, info = self.env.step(action)
            self.returnn += reward
            return obs, reward, terminated, truncated, info

        def reset(self, *, seed=None, options=None):
            self._send_return()
            self.returnn = 0
            self._select_env()
            return self.env.reset()

    return GymnasiumPolyEnv


def recording_head(auto_curri):
    """auto_curri.PolyEnvHead that also keeps every env's last 100 returns and episode count."""

    class RecordingHead(auto_curri.PolyEnvHead):
        def __init__(self, num_penvs, num_envs, compute_dist):
            super().__init__(num_penvs, num_envs, compute_dist)
            self.recent = collections.defaultdict(lambda: collections.deque(maxlen=100))
            self.episodes = collections.Counter()

        def update_dist(self):
            self._recv_returns()
            for env_idx, returns in self.returns.items():
                self.recent[env_idx].extend(returns)
                self.episodes[env_idx] += len(returns)
            self._synthesize_returns()
            self.dist = self.compute_dist(self.synthesized_returns)

    return RecordingHead


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", type=Path, required=True, help="a checkout of lcswillems/automatic-curriculum")
    parser.add_argument("--curriculum", default="BlockedUnlockPickup", help="a name under the checkout's curriculums/")
    parser.add_argument("--acp", default="MR", choices=["MR", "LP"], help="attention: Mastering Rate or LP")
    parser.add_argument("--a2d", default="Prop", help="attention-to-distribution converter (GreedyProp for gProp)")
    parser.add_argument("--frames", type=int, default=3_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--procs", type=int, default=16)
    parser.add_argument("--lr", type=float, default=7e-4, help="the 2018 scripts' (train_rl.py today: 1e-3)")
    parser.add_argument("--adam_eps", type=float, default=1e-5, help="the 2018 scripts' (train_rl.py today: 1e-8)")
    parser.add_argument("--log_every", type=int, default=10)
    parser.add_argument("--out", default=None, help="JSON file for the logged rows")
    args = parser.parse_args()

    auto_curri = import_auto_curri(args.repo.resolve())
    graph, env_ids, min_returns, max_returns = load_curriculum(args.repo, args.curriculum)
    seed_everything(args.seed)
    compute_dist = auto_curri.make_dist_computer(
        len(env_ids), acp=args.acp, acp_MR_G=graph, acp_MR_init_min_perfs=min_returns,
        acp_MR_init_max_perfs=max_returns, a2d=args.a2d,
    )  # fmt: skip
    head = recording_head(auto_curri)(args.procs, len(env_ids), compute_dist)
    poly_env = gymnasium_poly_env(auto_curri)
    envs = []
    for i in range(args.procs):
        seed = args.seed + 10000 * i
        envs.append(poly_env([make_env(env_id, seed) for env_id in env_ids], head.remotes[i], seed))
    algo = make_ppo(envs, args.lr, args.adam_eps)

    rows, frames, update, start = [], 0, 0, time.time()
    while frames < args.frames:
        exps, logs = algo.collect_experiences()
        algo.update_parameters(exps)
        head.update_dist()
        frames += logs["num_frames"]
        update += 1
        recent = {env_ids[i]: float(np.mean(r)) for i, r in head.recent.items() if r}
        target_return = recent.get(env_ids[-1], 0.0)
        if update % args.log_every == 0 or frames >= args.frames:
            fps = frames / (time.time() - start)
            dist = [float(p) for p in head.dist]
            rows.append({"frames": frames, "target_return": target_return, "returns": recent, "dist": dist, "fps": fps})
            print(f"frames {frames} target {target_return:.3f} dist {np.round(dist, 2)} fps {fps:.0f}", flush=True)
            if args.out:
                total = sum(head.episodes.values())
                shares = {env_ids[i]: n / total for i, n in sorted(head.episodes.items())}
                result = {"args": {**vars(args), "repo": str(args.repo)}, "env_ids": env_ids,
                          "episode_share": shares, "rows": rows}  # fmt: skip
                Path(args.out).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
