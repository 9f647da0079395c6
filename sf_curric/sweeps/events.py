"""Read the runs of a sweep folder: which method and seed each run is, and its tensorboard scalars."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sf_curric.cfg.validation import ConfigError
from sf_curric.sweeps.run_description import RUN_INFO_FILE
from sf_curric.utils.event_files import read_scalars as read_event_scalars

TENSORBOARD_SUBDIR = "tensorboard"  # sf_curric.algo.runner writes its event files here


@dataclass
class RunCurves:
    """One run's scalars.

    Attributes:
        name: the run's folder name.
        method: its configuration without the seed.
        seed: its seed (None when unknown).
        scalars: tag -> (steps, values), sorted by step, one value per step (a resumed session's value wins).
        label: the method as a legend says it: the experiment's name and its swept values, e.g.
            `lr (learning_rate=0.001)` for the method `lr_lr_0.001` (the method itself without sweep_run.json).
    """

    name: str
    method: str
    seed: int | None
    scalars: dict[str, tuple[np.ndarray, np.ndarray]]
    label: str = ""


def read_scalars(event_dir: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every scalar tag in the event files of `event_dir` (all files, oldest first).

    Args:
        event_dir: a folder of `events.out.tfevents.*` files.
    """
    merged = read_event_scalars(event_dir)
    return {
        tag: (np.array(sorted(by_step), dtype=np.int64), np.array([by_step[s] for s in sorted(by_step)]))
        for tag, by_step in merged.items()
    }


def _method_from_name(name: str) -> tuple[str, int | None]:
    match = re.fullmatch(r"(.+)_seed_(-?\d+)", name)
    return (match.group(1), int(match.group(2))) if match else (name, None)


def read_run_info(path: Path) -> tuple[str, int | None, str]:
    """The method, seed and legend label (`_label`) a run's `sweep_run.json` names.

    Raises:
        ConfigError: the file is not what the launcher writes (one line naming it).
    """
    try:
        info = json.loads(path.read_text())
        method, seed = info["method"], info.get("seed")
        if not isinstance(method, str) or not (seed is None or (isinstance(seed, int) and not isinstance(seed, bool))):
            raise ValueError(f"method {method!r}, seed {seed!r}")
        label = _label(info)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ConfigError(
            f"cannot read {path} ({type(e).__name__}: {e}): it should hold the run's method and seed as the launcher "
            f"writes them; delete it to group the run by its folder name, or launch the sweep again"
        ) from None
    return method, seed, label


def find_runs(sweep_dir: Path) -> list[RunCurves]:
    """Every run under `sweep_dir` that has event files, with its method and seed.

    A run launched by `sf_curric.launch` says both in its `sweep_run.json`; for other experiment folders, a name
    ending in `_seed_<N>` gives the seed and the rest is the method.

    Args:
        sweep_dir: the sweep's folder (or any folder of experiment folders).
    """
    runs = []
    for event_dir in sorted(p for p in Path(sweep_dir).rglob(TENSORBOARD_SUBDIR) if p.is_dir()):
        exp_dir = event_dir.parent
        info_path = exp_dir / RUN_INFO_FILE
        if info_path.exists():
            method, seed, label = read_run_info(info_path)
        else:
            method, seed = _method_from_name(exp_dir.name)
            label = method
        scalars = read_scalars(event_dir)
        if scalars:
            runs.append(RunCurves(exp_dir.name, method, seed, scalars, label))
    return runs


def _label(info: dict) -> str:
    """`experiment (flag=value, ...)` from a run's sweep_run.json; the experiment alone when it sweeps nothing."""
    swept = {k: v for k, v in (info.get("params") or {}).items() if k != "seed"}
    experiment = info.get("experiment") or info["method"]
    if not swept:
        return experiment
    return f"{experiment} ({', '.join(f'{k}={v}' for k, v in swept.items())})"
