"""Population-based training vs fixed hyper-parameters, at equal total env steps, and what --num_policies costs.

    python benchmarks/pbt.py [--seeds 1 2 3] [--steps 150000] [--train_dir DIR]

Part 1, per seed, on CartPole-v1 from a learning rate that is too low (1e-4; sf_curric's CartPole recipe uses
1e-3): a fixed-hyper-parameter sweep of 4 runs (learning rate 3e-5, 1e-4, 3e-4, 1e-3), each `--steps` env steps, and
one PBT run of 4 policies (`--num_policies=4 --with_pbt=True`, starting from 1e-4), each policy `--steps` env steps:
both spend 4 x `--steps` env steps. The table gives, per seed, each run's average return over its last 100 training
episodes, the median of the fixed sweep, the best PBT policy, and PBT's final learning rates; then the mean over seeds
with a 95 % t-interval and the count of seeds where the population's best beats the sweep's median.

Part 2: throughput (env steps per second, all policies together) of the same 2-worker, 32-env CartPole run with
`--num_policies=1` and `--num_policies=4`, `--train_for_seconds` each, one after the other (load average beside).
Results: `benchmarks/results/pbt_cartpole.{txt,json}`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sf_curric.evaluation.stats import summarize  # noqa: E402
from sf_curric.train import run_with_result  # noqa: E402

FIXED_RATES = (3e-5, 1e-4, 3e-4, 1e-3)
START_RATE = 1e-4
COMMON = [
    "--env=CartPole-v1", "--serial_mode=True", "--rollout=32", "--batch_size=256", "--num_batches_per_epoch=2",
    "--num_epochs=4", "--lr_schedule=constant", "--log_level=warning", "--restart_behavior=overwrite",
    "--num_torch_threads=1",
]  # fmt: skip
# SF's PBT with a period and a start sized to a 150k-step run (SF's defaults, 5M and 20M, suit billions of frames)
PBT_FLAGS = [
    "--num_policies=4", "--with_pbt=True", "--pbt_period_env_steps=10000", "--pbt_start_mutation=20000",
    "--pbt_replace_fraction=0.25", "--pbt_mutation_rate=0.3", "--pbt_perturb_min=1.5", "--pbt_perturb_max=2.5",
]  # fmt: skip


def _run(argv: list[str]) -> tuple[object, float]:
    start = time.perf_counter()
    result = run_with_result(argv)
    return result, time.perf_counter() - start


def fixed_sweep(seed: int, steps: int, train_dir: Path) -> dict[str, float]:
    out = {}
    for rate in FIXED_RATES:
        argv = [*COMMON, "--num_envs_per_worker=16", f"--learning_rate={rate}", f"--train_for_env_steps={steps}",
                f"--seed={seed}", f"--train_dir={train_dir}", f"--experiment=fixed_lr{rate:g}_seed{seed}"]  # fmt: skip
        result, _ = _run(argv)
        out[f"{rate:g}"] = result.avg_return
    return out


def pbt_run(seed: int, steps: int, train_dir: Path) -> dict:
    from sf_curric.algo.pbt import policy_cfg_file
    from sf_curric.utils.checkpoint import load_newest_checkpoint
    from sf_curric.utils.event_files import read_scalars

    experiment = f"pbt_seed{seed}"
    argv = [*COMMON, *PBT_FLAGS, "--num_envs_per_worker=64", f"--learning_rate={START_RATE}",
            f"--train_for_env_steps={steps}", f"--seed={seed}", f"--train_dir={train_dir}",
            f"--experiment={experiment}"]  # fmt: skip
    result, _ = _run(argv)
    exp = train_dir / experiment
    returns, rates = [], []
    for p in range(4):
        _, state = load_newest_checkpoint(exp, policy_id=p)
        returns.append(float(statistics.fmean(state["episode_stats"]["returns"][-100:])))
        rates.append(json.loads(policy_cfg_file(exp, p).read_text())["learning_rate"])
    replaced = [read_scalars(exp / "tensorboard" / f"p{p}").get("zz_pbt/replaced_by", {}) for p in range(4)]
    return {"returns": returns, "rates": rates, "best": max(returns), "replacements": sum(map(len, replaced)),
            "combined_best": result.avg_return}  # fmt: skip


def throughput(num_policies: int, seconds: int, train_dir: Path) -> dict:
    argv = ["--env=CartPole-v1", "--num_workers=2", "--num_envs_per_worker=16", f"--num_policies={num_policies}",
            f"--train_for_seconds={seconds}", "--log_level=warning", "--restart_behavior=overwrite",
            f"--train_dir={train_dir}", f"--experiment=throughput_p{num_policies}", "--seed=1"]  # fmt: skip
    load = os.getloadavg()[0]
    result, wall = _run(argv)
    return {"num_policies": num_policies, "env_steps": result.env_steps, "wall_s": wall,
            "fps": result.env_steps / wall, "load_start": load, "load_end": os.getloadavg()[0]}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--steps", type=int, default=150_000, help="env steps per run and per PBT policy")
    parser.add_argument("--seconds", type=int, default=40, help="seconds of each throughput run")
    parser.add_argument("--train_dir", type=Path, default=ROOT / "train_dir" / "bench_pbt")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "pbt_cartpole")
    args = parser.parse_args()

    lines = [f"PBT vs fixed learning rates on CartPole-v1, {args.steps} env steps per run / per PBT policy "
             f"(4 x {args.steps} each side); start rate {START_RATE:g}", ""]  # fmt: skip
    header = f"{'seed':>4}  " + "  ".join(f"lr {r:<6g}" for r in FIXED_RATES) + "  median    PBT best  PBT policies"
    lines += [header, "-" * len(header)]
    rows = []
    for seed in args.seeds:
        load = os.getloadavg()[0]
        fixed = fixed_sweep(seed, args.steps, args.train_dir)
        pbt = pbt_run(seed, args.steps, args.train_dir)
        median = statistics.median(fixed.values())
        rows.append({"seed": seed, "fixed": fixed, "median": median, "pbt": pbt, "load_start": load,
                     "load_end": os.getloadavg()[0]})  # fmt: skip
        policies = ", ".join(f"{ret:.0f} (lr {rate:.2g})" for ret, rate in zip(pbt["returns"], pbt["rates"]))
        cells = "  ".join(f"{v:>9.1f}" for v in fixed.values())
        tail = f"{policies}; {pbt['replacements']} replacements"
        lines.append(f"{seed:>4}  {cells}  {median:>7.1f}  {pbt['best']:>9.1f}  {tail}")
        print(lines[-1], flush=True)
    medians, bests = [r["median"] for r in rows], [r["pbt"]["best"] for r in rows]
    wins = sum(b > m for b, m in zip(bests, medians))
    for name, values in (("fixed sweep median", medians), ("PBT population best", bests)):
        s = summarize(values)
        lines.append(f"{name:>20}: {s.mean:.1f} [{s.ci95_low:.1f}, {s.ci95_high:.1f}] (mean over {s.n} seeds, 95 % t)")
    lines.append(f"PBT's best beats the fixed sweep's median in {wins} of {len(rows)} seeds")
    lines += ["", "Throughput, CartPole-v1, 2 workers x 16 envs (all policies together):"]
    speeds = [throughput(n, args.seconds, args.train_dir) for n in (1, 4)]
    for s in speeds:
        lines.append(f"  --num_policies={s['num_policies']}: {s['fps']:.0f} env steps/s ({s['env_steps']} in "
                     f"{s['wall_s']:.0f} s wall, load {s['load_start']:.1f} -> {s['load_end']:.1f})")  # fmt: skip
    lines.append(f"  ratio 4 policies / 1: {speeds[1]['fps'] / speeds[0]['fps']:.2f}")
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".txt").write_text(text)
    args.out.with_suffix(".json").write_text(json.dumps({"rows": rows, "throughput": speeds}, indent=1))


if __name__ == "__main__":
    main()
