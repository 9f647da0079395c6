"""`python -m sf_curric.export --experiment=NAME --format=torchscript|onnx`: write the experiment's policy as one
self-contained file (default `<train_dir>/<experiment>/export/policy.pt` or `policy.onnx`, and `<file>.json`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence

from sf_curric.export.writers import FORMATS, SUFFIX, ExportError, export_policy

EXPORT_ARGS = [
    (
        "--format",
        {"type": str, "default": "torchscript", "choices": FORMATS, "help": "export: TorchScript (torch) or ONNX."},
    ),
    (
        "--export_path",
        {
            "type": str,
            "default": None,
            "help": "export: the output file (default <train_dir>/<experiment>/export/policy.pt or policy.onnx).",
        },
    ),
]


def run(argv: Sequence[str] | None = None) -> Path:
    """Export the experiment named on the command line `argv` (default: `sys.argv[1:]`).

    Bad flags, no experiment, no checkpoint or a missing package stop the program with one line on stderr and exit
    status 2.

    Args:
        argv: e.g. `["--experiment=demo", "--format=onnx"]` (also `--load_checkpoint_kind=best`).

    Returns:
        The exported file.
    """
    import torch

    from sf_curric.cfg.experiment import experiment_dir
    from sf_curric.cfg.population import policy_suffix
    from sf_curric.cfg.validation import ConfigError
    from sf_curric.command_line import parse_args
    from sf_curric.envs.registry import make_env
    from sf_curric.evaluation.policy import EvaluationError, load_eval_config, load_policy
    from sf_curric.utils.checkpoint import CheckpointError

    try:
        cfg = load_eval_config(parse_args(argv, evaluation=True, extra_args=EXPORT_ARGS, program="export"))
        env = make_env(cfg, {"worker_index": 0, "vector_index": 0, "env_id": 0, "evaluation": True})
        try:
            policy = load_policy(cfg, env.observation_space, env.action_space, device=torch.device("cpu"))
        finally:
            env.close()
        name = f"policy{policy_suffix(cfg)}{SUFFIX[cfg.format]}"  # policy_p<i> with --policy_index=i > 0
        path = Path(cfg.export_path or experiment_dir(cfg) / "export" / name)
        meta = {"env": cfg.env, "env_steps": policy.env_steps, "checkpoint": str(policy.checkpoint_path)}
        export_policy(policy.model, path, cfg.format, meta)
    except (EvaluationError, ConfigError, CheckpointError, ExportError) as e:
        print(f"sf_curric.export: error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"exported {policy.checkpoint_path.name} ({policy.env_steps} env steps) to {path}", flush=True)
    return path


def main() -> int:
    """Entry point of `python -m sf_curric.export`; returns the exit status."""
    run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
