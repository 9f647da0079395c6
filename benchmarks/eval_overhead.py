"""Training throughput with and without evaluation during training, in the same invocation.

Trains maze_levels (200 training levels, the curriculum-efficacy model: MLP 128-128) in parallel mode (2 rollout
workers x 32 envs, which keep 2 cores busy) with and without `--eval_every_env_steps`, alternating the two settings
(A B A B ...), and prints the FPS of each run (env steps / training seconds, from the final checkpoint: start-up
excluded, the wait for the last evaluation excluded) and the median loss.

    python benchmarks/eval_overhead.py                       # 3 pairs of 150k-step runs, eval every 25k steps
    python benchmarks/eval_overhead.py --steps=30000 --eval_every=10000 --pairs=1     # a quick look

Evaluation runs in its own process at the lowest CPU priority (nice 19), so on a busy machine it waits for idle
CPU instead of taking it from the trainer.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys
from gymnasium.spaces import Discrete
from sf_curric.envs.builtin.maze_levels import make_maze_levels
from sf_curric.envs.registry import register_env
from sf_curric.train import run_with_result
from sf_curric.utils.checkpoint import find_newest_checkpoint, load_checkpoint

register_env("maze_levels", make_maze_levels, task_space=Discrete(200), curriculum="dr")
if __name__ == "__main__":
    result = run_with_result(sys.argv[1:])
    train_dir, experiment = sys.argv[1].split("=", 1)[1], sys.argv[2].split("=", 1)[1]
    state = load_checkpoint(find_newest_checkpoint(f"{train_dir}/{experiment}"))
    print("RESULT " + json.dumps({"env_steps": state["env_steps"], "train_seconds": state["train_seconds"],
                                  "avg_return": result.avg_return}))
"""

TRAIN_ARGS = (
    "--num_workers=2",
    "--num_envs_per_worker=32",
    "--rollout=32",
    "--batch_size=1024",
    "--num_epochs=4",
    "--learning_rate=5e-4",
    "--exploration_loss_coeff=0.01",
    "--encoder_mlp_layers",
    "128",
    "128",
    "--num_torch_threads=1",
    "--device=cpu",
    "--save_every_sec=100000",
)


def train_once(work: Path, name: str, steps: int, eval_every: int, eval_episodes: int, seed: int) -> dict:
    """One training run in a fresh process; returns env steps, training seconds and FPS."""
    script = work / "child.py"
    script.write_text(CHILD)
    argv = [f"--train_dir={work}", f"--experiment={name}", "--env=maze_levels", f"--train_for_env_steps={steps}",
            f"--seed={seed}", "--restart_behavior=overwrite", *TRAIN_ARGS]  # fmt: skip
    if eval_every:
        argv += [f"--eval_every_env_steps={eval_every}", f"--eval_episodes={eval_episodes}"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    start = time.monotonic()
    proc = subprocess.run([sys.executable, str(script), *argv], cwd=work, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stderr[-3000:]}")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT "))
    out = json.loads(line[len("RESULT ") :])
    out["fps"] = out["env_steps"] / out["train_seconds"]
    out["process_seconds"] = time.monotonic() - start
    if eval_every:
        history = work / name / "eval_in_training" / "history.jsonl"
        out["evaluations"] = len(history.read_text().splitlines()) if history.exists() else 0
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150_000)
    parser.add_argument("--eval_every", type=int, default=25_000)
    parser.add_argument("--eval_episodes", type=int, default=50)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--output", type=str, default=None, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    rows: dict[str, list[dict]] = {"without eval": [], "with eval": []}
    with tempfile.TemporaryDirectory(prefix="sf_curric_eval_overhead_") as tmp:
        work = Path(tmp)
        for pair in range(args.pairs):
            for label, every in (("without eval", 0), ("with eval", args.eval_every)):
                result = train_once(work, f"run_{pair}_{every}", args.steps, every, args.eval_episodes, seed=pair)
                rows[label].append(result)
                extra = f", {result['evaluations']} evaluations" if every else ""
                print(f"pair {pair}: {label:<13} FPS {result['fps']:8.0f} ({result['env_steps']} env steps in "
                      f"{result['train_seconds']:.1f} s{extra})", flush=True)  # fmt: skip
    medians = {label: statistics.median(r["fps"] for r in runs) for label, runs in rows.items()}
    loss = 100.0 * (1.0 - medians["with eval"] / medians["without eval"])
    # each pair ran back to back: the ratio within a pair is less sensitive to the machine's load drifting
    pair_losses = [100.0 * (1.0 - w["fps"] / wo["fps"]) for wo, w in zip(rows["without eval"], rows["with eval"])]
    print(f"median FPS without eval: {medians['without eval']:.0f}")
    print(f"median FPS with eval every {args.eval_every} env steps ({args.eval_episodes} episodes per group): "
          f"{medians['with eval']:.0f}")  # fmt: skip
    print(f"throughput loss: {loss:.1f} % of the median FPS (target <= 5 %)")
    print(f"loss within each pair: {', '.join(f'{x:.1f} %' for x in pair_losses)} (median "
          f"{statistics.median(pair_losses):.1f} %)")  # fmt: skip
    summary = {"args": vars(args), "runs": rows, "median_fps": medians, "loss_percent": loss,
               "pair_loss_percent": pair_losses}  # fmt: skip
    if args.output:
        Path(args.output).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


if __name__ == "__main__":
    main()
