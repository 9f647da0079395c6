"""Self-play curricula on budget_duel: win rate of the trained agent against fixed opponents vs env steps, for
`self_play` (newest snapshot), `fictitious_self_play` (uniform over the pool) and
`prioritized_fictitious_self_play` (PFSP, Syllabus's softmax of loss rates). Serial mode, small budget.

    python benchmarks/self_play.py                             # 2 seeds, 120k env steps, evaluated every 20k
    python benchmarks/self_play.py --seeds 1 2 3 --steps 300000

Each run trains in chunks (`--restart_behavior=resume` between them: learner, optimizer, pool and curriculum
state come back from the checkpoint; the RNG streams restart) and after each chunk plays 300 games against
uniformly random bids and against the scripted "spread the budget" player (2 coins a round), seats alternating.
Writes benchmarks/results/self_play.json and docs/img/self_play_win_rate.png.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CURRICULA = ("self_play", "fictitious_self_play", "prioritized_fictitious_self_play")
LABELS = {"self_play": "SelfPlay", "fictitious_self_play": "FictitiousSelfPlay",
          "prioritized_fictitious_self_play": "PFSP"}  # fmt: skip


def spread_player(obs: np.ndarray, rng: np.random.Generator) -> int:
    """Bids its remaining budget evenly over the remaining rounds (2 coins a round from the start)."""
    rounds_left = max(1, round(5 - 5 * float(obs[0])))
    return int(round(10 * float(obs[1]))) // rounds_left


def run_one(curriculum: str, seed: int, steps: int, every: int, train_dir: str) -> dict:
    from sf_curric.algo.runner import Runner
    from sf_curric.command_line import default_cfg
    from sf_curric.envs.registry import make_env
    from sf_curric.evaluation.versus import versus

    points = []
    for chunk_end in range(every, steps + 1, every):
        cfg = default_cfg(
            "budget_duel", serial_mode=True, num_workers=1, num_envs_per_worker=16, rollout=32, batch_size=512,
            num_batches_per_epoch=1, num_epochs=4, device="cpu", seed=seed, train_dir=train_dir,
            experiment=f"{curriculum}_{seed}", curriculum=curriculum, selfplay_snapshot_every=10_000,
            selfplay_pool_size=10, train_for_env_steps=chunk_end, save_every_sec=10**6, log_level="warning",
            restart_behavior="resume" if chunk_end > every else "overwrite",
        )  # fmt: skip
        runner = Runner(cfg)
        result = runner.run()
        model = runner.learner.model
        game = lambda c=cfg: make_env(c)  # noqa: E731
        rand = versus(model, game, "random", games=300, seed=1000 + seed)
        spread = versus(model, game, spread_player, games=300, seed=2000 + seed)
        points.append({"env_steps": result.env_steps, "vs_random": rand, "vs_spread": spread})
        print(f"{curriculum} seed {seed} {result.env_steps} steps: win vs random {rand['win']:.3f}, "
              f"vs spread {spread['win']:.3f}", flush=True)  # fmt: skip
    return {"curriculum": curriculum, "seed": seed, "points": points}


def plot(runs: list[dict], path: Path, note: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, key, title in ((axes[0], "vs_random", "against uniformly random bids"),
                           (axes[1], "vs_spread", "against the scripted 'spread' player")):  # fmt: skip
        for i, curriculum in enumerate(CURRICULA):
            mine = [r for r in runs if r["curriculum"] == curriculum]
            if not mine:
                continue
            steps = [p["env_steps"] for p in mine[0]["points"]]
            wins = np.array([[p[key]["win"] for p in r["points"]] for r in mine])
            ax.plot(steps, wins.mean(0), marker="o", color=f"C{i}", label=f"{LABELS[curriculum]} ({len(mine)} seeds)")
            if len(mine) > 1:
                ax.fill_between(steps, wins.min(0), wins.max(0), color=f"C{i}", alpha=0.15)
        if key == "vs_random":
            ax.axhline(0.25, color="gray", ls="--", lw=1, label="random vs random (0.25)")
        ax.set_title(title)
        ax.set_xlabel("env steps (both players' columns)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("win rate (300 games, mean; band: min-max over seeds)")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"budget_duel self-play curricula ({note})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--steps", type=int, default=120_000)
    parser.add_argument("--every", type=int, default=20_000)
    parser.add_argument("--train_dir", default="/tmp/sf_curric_self_play_bench")
    parser.add_argument("--out", default=str(HERE / "results" / "self_play.json"))
    parser.add_argument("--figure", default=str(HERE.parent / "docs" / "img" / "self_play_win_rate.png"))
    args = parser.parse_args()
    logging.disable(logging.INFO)
    start = time.time()
    runs = [run_one(c, s, args.steps, args.every, args.train_dir) for s in args.seeds for c in CURRICULA]
    note = f"{args.steps // 1000}k env steps, seeds {args.seeds}, serial mode on a shared 2-core CPU"
    Path(args.out).write_text(json.dumps({"note": note, "seconds": time.time() - start, "runs": runs}, indent=1))
    plot(runs, Path(args.figure), note)
    print(f"wrote {args.out} and {args.figure} in {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
