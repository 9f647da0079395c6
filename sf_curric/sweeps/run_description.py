"""What a sweep is: Sample Factory's `RunDescription` / `Experiment` / `ParamGrid` shape, expanded into `RunSpec`s.

A sweep file is a Python file (or module) that defines `RUN_DESCRIPTION`:

    from sf_curric.sweeps import Experiment, ParamGrid, RunDescription

    RUN_DESCRIPTION = RunDescription(
        "cartpole_lr",
        experiments=[
            Experiment("lr", "python -m sf_curric.train --env=CartPole-v1 --serial_mode=True",
                       ParamGrid([("learning_rate", [1e-3, 3e-4])])),
        ],
        seeds=[0, 1, 2],
    )

Every (experiment, parameter combination, seed) is one run with its own experiment folder
`<train_dir>/<run_name>/<experiment>/<run>`; the runs of one combination over seeds form a *method* for
`sf_curric.report`.
"""

from __future__ import annotations

import itertools
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from sf_curric.cfg.experiment import check_experiment_name
from sf_curric.cfg.validation import ConfigError

RUN_INFO_FILE = "sweep_run.json"  # in each run's experiment folder: what the report groups by


class ParamGrid:
    """Every combination of the values of each parameter (first parameter varies slowest), as in Sample Factory.

    Args:
        grid: `(flag name without --, values)` pairs, in order.

    Example:
        >>> list(ParamGrid([("a", [1, 2]), ("b", ["x"])]).generate_params())
        [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'x'}]
    """

    def __init__(self, grid: Sequence[tuple[str, Sequence[Any]]]):
        self.grid = [(name, list(values)) for name, values in grid]

    def generate_params(self, randomize: bool = False) -> Iterable[dict[str, Any]]:
        """Yield one dict per combination (`randomize` is accepted for Sample Factory compatibility and ignored:
        the order must stay the same between launches so that run folders are stable)."""
        names = [name for name, _ in self.grid]
        for values in itertools.product(*(vals for _, vals in self.grid)):
            yield dict(zip(names, values))


class ParamList:
    """An explicit list of parameter dicts.

    Args:
        combinations: one dict per run configuration.
    """

    def __init__(self, combinations: Sequence[dict[str, Any]]):
        self.combinations = [dict(c) for c in combinations]

    def generate_params(self, randomize: bool = False) -> Iterable[dict[str, Any]]:
        """Yield the dicts in order (`randomize` ignored, see `ParamGrid.generate_params`)."""
        yield from self.combinations


@dataclass
class Experiment:
    """A base command and the parameter combinations appended to it.

    Attributes:
        name: the experiment's name (a folder under the sweep's folder).
        cmd: the base command, e.g. `python -m sf_curric.train --env=CartPole-v1`; `python` means this interpreter.
        param_generator: a `ParamGrid`, a `ParamList` or an iterable of dicts (flags without `--`).
        env_vars: extra environment variables of the runs.
    """

    name: str
    cmd: str
    param_generator: Any = ()
    env_vars: dict[str, str] | None = None

    def combinations(self) -> list[dict[str, Any]]:
        """The parameter dicts (one empty dict when there are none)."""
        gen = self.param_generator
        params = list(gen.generate_params() if hasattr(gen, "generate_params") else gen)
        return params or [{}]


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep.

    Attributes:
        name: the run's experiment name (its folder).
        experiment: the `Experiment` it belongs to.
        method: the run's configuration without the seed (what the report groups seeds by).
        seed: the `--seed` (None when the sweep sets none).
        params: the swept parameters of this run (seed included).
        argv: the full command line.
        exp_dir: the run's experiment folder.
        env_vars: extra environment variables.
    """

    name: str
    experiment: str
    method: str
    seed: int | None
    params: dict[str, Any]
    argv: tuple[str, ...]
    exp_dir: Path
    env_vars: dict[str, str] = field(default_factory=dict)

    def info(self) -> dict[str, Any]:
        """What `RUN_INFO_FILE` holds."""
        return {
            "name": self.name,
            "experiment": self.experiment,
            "method": self.method,
            "seed": self.seed,
            "params": self.params,
            "argv": list(self.argv),
        }


def _shorthand(param: str) -> str:
    # Sample Factory's idea, kept readable: learning_rate -> lr, num_envs_per_worker -> nepw, seed -> seed
    tokens = [t for t in re.split(r"[._-]", param) if t]
    return param if len(tokens) == 1 else "".join(t[0] for t in tokens)


def _value_text(value: Any) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]", "-", str(value))


class RunDescription:
    """A named sweep: experiments × parameter combinations × seeds.

    Args:
        run_name: the sweep's name and folder under `--train_dir`.
        experiments: the `Experiment`s.
        seeds: seeds every combination runs with (`--seed=`); None when the seed is a grid parameter or not set.
        experiment_arg_name: the flag that names a run (Sample Factory's default).
        experiment_dir_arg_name: the flag of the runs' root folder.
        param_prefix: prefix of a parameter on the command line.
        threads_arg_name: the flag that caps a run's torch threads (None: the command has none).
    """

    def __init__(
        self,
        run_name: str,
        experiments: Sequence[Experiment],
        seeds: Sequence[int] | None = None,
        experiment_arg_name: str = "--experiment",
        experiment_dir_arg_name: str = "--train_dir",
        param_prefix: str = "--",
        threads_arg_name: str | None = "--num_torch_threads",
    ):
        if not experiments:
            raise ValueError(f"RunDescription {run_name!r} has no experiments; pass experiments=[Experiment(...)]")
        self.run_name = run_name
        self.experiments = list(experiments)
        self.seeds = list(seeds) if seeds is not None else None
        self.experiment_arg_name = experiment_arg_name
        self.experiment_dir_arg_name = experiment_dir_arg_name
        self.param_prefix = param_prefix
        self.threads_arg_name = threads_arg_name

    def sweep_dir(self, train_dir: Path | str) -> Path:
        """`<train_dir>/<run_name>`."""
        return Path(train_dir) / self.run_name

    def generate_runs(self, train_dir: Path | str, python: str = "python", threads: int | None = None) -> list[RunSpec]:
        """Every run of the sweep, in a stable order (seeds vary fastest). Every name (the sweep's, each
        experiment's, each run's) is checked first, for the whole sweep: one that would leave its folder stops it
        before any run starts.

        Args:
            train_dir: root folder; the sweep lives in `<train_dir>/<run_name>`.
            python: the interpreter that replaces a leading `python` in commands.
            threads: torch threads per run, passed with `threads_arg_name` unless the command sets it.

        Raises:
            ConfigError: a name that is not a plain folder name, or two runs with one name (one line).
        """
        check_experiment_name(self.run_name, "RunDescription name")
        for exp in self.experiments:
            check_experiment_name(exp.name, "Experiment name")
        runs: list[RunSpec] = []
        names: set[str] = set()
        for exp in self.experiments:
            root = self.sweep_dir(train_dir) / exp.name
            for params in exp.combinations():
                method_params = {k: v for k, v in params.items() if k != "seed"}
                method = "_".join([exp.name] + [f"{_shorthand(k)}_{_value_text(v)}" for k, v in method_params.items()])
                seeds = self.seeds if self.seeds is not None else [params.get("seed")]
                for seed in seeds:
                    run_params = {**params, **({"seed": seed} if seed is not None else {})}
                    name = method + (f"_seed_{seed}" if seed is not None else "")
                    check_experiment_name(name, f"the name of a run of Experiment {exp.name!r} (seed {seed!r}),")
                    if name in names:
                        raise ConfigError(
                            f"two runs of sweep {self.run_name!r} are both named {name!r}; make the "
                            f"experiment names or parameter values distinct"
                        )
                    names.add(name)
                    tokens = shlex.split(exp.cmd)
                    if tokens and tokens[0] == "python":
                        tokens[0] = python
                    tokens += [f"{self.param_prefix}{k}={v}" for k, v in run_params.items()]
                    flag = self.threads_arg_name
                    if threads is not None and flag and not any(t.split("=")[0] == flag for t in tokens):
                        tokens.append(f"{flag}={threads}")
                    tokens += [f"{self.experiment_arg_name}={name}", f"{self.experiment_dir_arg_name}={root}"]
                    runs.append(
                        RunSpec(
                            name,
                            exp.name,
                            method,
                            seed,
                            run_params,
                            tuple(tokens),
                            root / name,
                            dict(exp.env_vars or {}),
                        )
                    )
        return runs


def write_run_info(spec: RunSpec) -> None:
    """Write the run's `sweep_run.json` (what `sf_curric.report` groups by)."""
    spec.exp_dir.mkdir(parents=True, exist_ok=True)
    (spec.exp_dir / RUN_INFO_FILE).write_text(json.dumps(spec.info(), indent=1) + "\n")
