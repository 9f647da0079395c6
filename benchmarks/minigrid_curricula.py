"""The Mastering Rate paper's MiniGrid curricula: frames until the target env is mastered, per teacher.

For one curriculum (`--curriculum`, a setting of `benchmarks/sweeps/minigrid_curricula.py`), this runs (or
continues) the sweep through `sf_curric.launch`'s local backend: Mastering Rate (`--curriculum=mastering_rate`), the
paper's learning-progress teacher gProp Linreg (`--curriculum=teacher_student`), uniform sampling over the
curriculum's envs (`--curriculum=dr`) and direct training on the last env alone (`--curriculum=constant`), every
method with every seed at the same budget, with the paper's agent and PPO (the mr_* env defaults). Then it reads
each run's tensorboard `curriculum/task_return/<env id>` (mean return of the last 100 episodes on that env, logged
every 20 s) and reports, per method:

- mastered: the seeds whose target-env return reached the threshold (0.5 = the paper's M_c estimate of every
  env, where Mastering Rate counts an env as mastered; and 0.8, the return its analysis script asks for);
- frames to master: mean over the seeds that mastered, with a 95 % t-interval (and the median);
- return on the target env at the budget: mean over seeds with a 95 % t-interval.

    python benchmarks/minigrid_curricula.py --curriculum=mr_blockedunlockpickup       # 4 methods x 3 seeds x 3M
    python benchmarks/minigrid_curricula.py --curriculum=mr_keycorridor              # its first 3 envs, 1.5M
    python benchmarks/minigrid_curricula.py --curriculum=mr_blockedunlockpickup --analyze_only   # runs so far
    python benchmarks/minigrid_curricula.py --curriculum=tiny                        # pipeline check (tests)

Resuming: run the same command again; finished runs are skipped and the others resume from their checkpoints.
Experiments: `train_dir/<setting>/<method>/<method>_seed_<seed>`. Results: `benchmarks/results/<setting>.json`
(every run's curve and numbers), `<setting>.txt` (the tables) and `<setting>_target.png` / `_tasks.png` (curves);
with `--work_dir`, the results take that folder's name. `--trainer_flags` changes every run's trainer flags, e.g.
`--trainer_flags=--policy_initialization=torch_default --work_dir=train_dir/minigrid_mr_blockedunlockpickup_torchinit`.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Sequence

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
sys.path.insert(0, str(HERE))
from minigrid_curricula_report import format_tables, plot_target, plot_tasks  # noqa: E402

THRESHOLDS = (0.5, 0.8)
PEER_METHOD = "paper_code_mr"  # the paper's own Mastering Rate code, benchmarks/automatic_curriculum_peer.py
TASK_RETURN = "curriculum/task_return/"


def _load_sweep():
    # the sweep file shares this file's name: load it by path
    spec = importlib.util.spec_from_file_location(
        "_minigrid_curricula_sweep", HERE / "sweeps" / "minigrid_curricula.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


_SWEEP = _load_sweep()


def frames_to_reach(steps: Sequence[int], values: Sequence[float], threshold: float) -> int | None:
    """The first env step at which a curve is at or above `threshold` (None when it never is)."""
    for step, value in zip(steps, values):
        if value >= threshold:
            return int(step)
    return None


def read_run(exp_dir: Path, env_ids: Sequence[str]) -> dict[str, Any] | None:
    """One run's per-env return curves (`curriculum/task_return/<id>`) and its env steps so far (None: no logs)."""
    from sf_curric.sweeps.events import TENSORBOARD_SUBDIR, read_scalars

    event_dir = exp_dir / TENSORBOARD_SUBDIR
    if not event_dir.is_dir():
        return None
    scalars = read_scalars(event_dir)
    curves = {}
    for env_id in env_ids:
        if TASK_RETURN + env_id in scalars:
            steps, values = scalars[TASK_RETURN + env_id]
            curves[env_id] = {"steps": steps.tolist(), "values": values.tolist()}
    last = max((int(s[0][-1]) for s in scalars.values() if len(s[0])), default=0)
    return {"curves": curves, "env_steps": last}


def read_peer_run(path: Path, env_ids: Sequence[str]) -> tuple[int, dict[str, Any]]:
    """A run of benchmarks/automatic_curriculum_peer.py (its `--out` JSON) as (seed, run): every env's curve is the
    mean return of its last 100 episodes (fewer at first), the same statistic as our `curriculum/task_return`."""
    saved = json.loads(Path(path).read_text())
    if saved.get("env_ids", list(env_ids)) != list(env_ids):
        raise SystemExit(f"--peer_runs {path}: its envs {saved['env_ids']} are not this setting's {list(env_ids)}")
    curves: dict[str, dict[str, list]] = {}
    for row in saved["rows"]:
        for env_id, value in row["returns"].items():
            curve = curves.setdefault(env_id, {"steps": [], "values": []})
            curve["steps"].append(row["frames"])
            curve["values"].append(value)
    return saved["args"]["seed"], {"curves": curves, "env_steps": saved["rows"][-1]["frames"] if saved["rows"] else 0}


def run_numbers(run: dict[str, Any], target: str, budget: int) -> dict[str, Any]:
    """Frames to each threshold on the target env, and the target's return at the run's last summary."""
    curve = run["curves"].get(target, {"steps": [], "values": []})
    out = {
        "env_steps": run["env_steps"],
        "finished": run["env_steps"] >= budget,
        "final_return": curve["values"][-1] if curve["values"] else 0.0,  # no target episode yet: return 0
    }
    for threshold in THRESHOLDS:
        out[f"frames_to_{threshold}"] = frames_to_reach(curve["steps"], curve["values"], threshold)
    return out


def summary(values: Sequence[float]) -> dict[str, Any]:
    """Mean, median and 95 % t-interval over seeds (nan where undefined)."""
    from sf_curric.evaluation.stats import summarize

    s = summarize(values)
    median = statistics.median(values) if values else math.nan
    return {"n": s.n, "mean": s.mean, "median": median, "ci95_low": s.ci95_low, "ci95_high": s.ci95_high}


def method_stats(runs: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Per threshold: seeds mastered and frames to master; the final return: all over the seeds of one method."""
    numbers = [r["numbers"] for r in runs.values()]
    out: dict[str, Any] = {"seeds": len(numbers), "finished": sum(n["finished"] for n in numbers)}
    for threshold in THRESHOLDS:
        frames = [n[f"frames_to_{threshold}"] for n in numbers if n[f"frames_to_{threshold}"] is not None]
        out[f"mastered_{threshold}"] = len(frames)
        out[f"frames_to_{threshold}"] = summary(frames)
    out["final_return"] = summary([n["final_return"] for n in numbers])
    return out


def collect(setting: Any, work_dir: Path, methods: Sequence[str], peer_runs: Sequence[Path] = ()) -> dict[str, Any]:
    """Every run's curves and numbers, and each method's statistics (the peer's runs as one more method)."""
    target = setting.env_ids[-1]
    result: dict[str, Any] = {
        "setting": dataclasses.asdict(setting),
        "env_ids": list(setting.env_ids),
        "target": target,
        "thresholds": list(THRESHOLDS),
        "methods": {},
    }
    for method in methods:
        runs = {}
        for seed in setting.seeds:
            run = read_run(work_dir / method / f"{method}_seed_{seed}", setting.env_ids)
            if run is not None:
                run["numbers"] = run_numbers(run, target, setting.steps)
                runs[seed] = run
        result["methods"][method] = {"runs": runs, "stats": method_stats(runs) if runs else None}
    if peer_runs:
        runs = dict(read_peer_run(path, setting.env_ids) for path in peer_runs)
        for run in runs.values():
            run["numbers"] = run_numbers(run, target, setting.steps)
        result["methods"][PEER_METHOD] = {"runs": runs, "stats": method_stats(runs)}
    return result


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--curriculum", default="mr_blockedunlockpickup", choices=sorted(_SWEEP.SETTINGS))
    p.add_argument("--seeds", type=int, nargs="*", default=None, help="Training seeds (default: the setting's).")
    p.add_argument("--steps", type=int, default=None, help="Env steps per run (default: the setting's budget).")
    p.add_argument("--prefix", type=int, default=None, help="Envs of the list kept (default: the setting's).")
    p.add_argument("--jobs", type=int, default=None, help="Runs at the same time (default: the setting's).")
    p.add_argument("--methods", nargs="*", default=list(_SWEEP.METHODS), choices=_SWEEP.METHODS)
    p.add_argument(
        "--trainer_flags", default="", help="Trainer flags every run gets after the setting's own (later flags win)."
    )
    p.add_argument(
        "--work_dir", type=Path, default=None,
        help="The sweep's folder (default: train_dir/<setting>); its name also names the results.",
    )  # fmt: skip
    p.add_argument("--results_dir", type=Path, default=RESULTS)
    p.add_argument(
        "--peer_runs", type=Path, nargs="*", default=[],
        help="JSON files of benchmarks/automatic_curriculum_peer.py runs on the same curriculum: one more method.",
    )  # fmt: skip
    p.add_argument("--analyze_only", action="store_true", help="Read the runs as they are; start none.")
    return p


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run (or continue) one curriculum's sweep, then write its tables, JSON and plots."""
    from sf_curric.sweeps.local import run_local
    from sf_curric.sweeps.run_one import is_done

    args = build_parser().parse_args(argv)
    setting = _SWEEP.SETTINGS[args.curriculum]
    changes = {"seeds": tuple(args.seeds) if args.seeds else None, "steps": args.steps, "prefix": args.prefix}
    if args.trainer_flags:
        changes["extra"] = f"{setting.extra} {args.trainer_flags}"
    setting = dataclasses.replace(setting, **{k: v for k, v in changes.items() if v is not None})
    jobs = args.jobs or setting.jobs
    work_dir = (args.work_dir or ROOT / "train_dir" / setting.name).resolve()
    methods = tuple(args.methods)
    if not args.analyze_only:
        sweep = _SWEEP.curriculum_sweep(setting, methods, work_dir.name)
        runs = sweep.generate_runs(work_dir.parent, python=sys.executable, threads=1)
        todo = [spec for spec in runs if not is_done(spec.exp_dir)]
        print(f"{setting.name}: {len(todo)} of {len(runs)} runs to do, {jobs} at a time; in {work_dir}", flush=True)
        start = time.monotonic()

        def said(outcome) -> None:
            if outcome.status != "skipped":
                log = "" if outcome.status == "done" else f"; see {work_dir}/*/{outcome.name}/sweep_stdout.log"
                print(f"  {outcome.name}: {outcome.status} in {outcome.seconds:.0f} s{log}", flush=True)

        run_local(runs, jobs, 1, said)
        print(f"sweep time {time.monotonic() - start:.0f} s", flush=True)
    result = collect(setting, work_dir, methods, args.peer_runs)
    table = format_tables(result)
    print(table, flush=True)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    base = args.results_dir / work_dir.name
    base.with_suffix(".txt").write_text(table + "\n")
    base.with_suffix(".json").write_text(json.dumps(_without_nan(result), indent=1) + "\n")
    plot_target(result, base.parent / f"{work_dir.name}_target.png")
    plot_tasks(result, base.parent / f"{work_dir.name}_tasks.png")
    return result


def _without_nan(value: Any) -> Any:
    """`value` with every nan replaced by None (JSON has no nan)."""
    if isinstance(value, dict):
        return {str(k): _without_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_nan(v) for v in value]
    return None if isinstance(value, float) and math.isnan(value) else value


if __name__ == "__main__":
    main()
