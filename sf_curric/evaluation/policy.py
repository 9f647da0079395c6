"""Load an experiment's config and its trained policy for enjoy and eval (through the trainer's checkpoint io)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any, NamedTuple

import torch
from gymnasium import spaces

from sf_curric.cfg.arguments import flag_value
from sf_curric.cfg.budget import training_progress
from sf_curric.cfg.experiment import experiment_dir, load_experiment_config
from sf_curric.cfg.population import POPULATION_ARGS
from sf_curric.utils.checkpoint import checkpoint_dir, load_checkpoint, load_newest_checkpoint

log = logging.getLogger("sf_curric")


class EvaluationError(ValueError):
    """enjoy/eval cannot start; the message is one line that names the fix."""


class LoadedPolicy(NamedTuple):
    """A trained policy ready to act.

    Attributes:
        model: the `ActorCritic` in eval mode, weights and normalizers from the checkpoint.
        checkpoint_path: the file it came from.
        env_steps: env steps the policy was trained for (the checkpoint's counter).
        training_info: what curriculum-aware envs receive (`approx_total_training_steps` = `env_steps`, and the
            `training_progress` of the checkpoint).
    """

    model: Any
    checkpoint_path: Path
    env_steps: int
    training_info: dict[str, Any]


def load_eval_config(cfg: argparse.Namespace) -> argparse.Namespace:
    """The experiment's saved config.json, with the flags typed now on top.

    Args:
        cfg: parsed with `parse_args(argv, evaluation=True)`; `--train_dir` and `--experiment` locate the run.

    Raises:
        EvaluationError: no experiment folder, or no env known.
    """
    exp_dir = experiment_dir(cfg)
    if not exp_dir.is_dir():
        raise EvaluationError(
            f"no experiment folder {exp_dir}: train first (python -m sf_curric.train --env=ENV "
            f"--experiment={cfg.experiment}) or fix --train_dir / --experiment"
        )
    merged = load_experiment_config(cfg)
    if not merged.env:
        raise EvaluationError(f"{exp_dir} has no config.json naming the env: pass --env=ENV")
    from sf_curric.envs.registry import env_problem

    problem = env_problem(merged.env)
    if problem:
        raise EvaluationError(problem)
    return merged


def eval_device(cfg: argparse.Namespace) -> torch.device:
    """CUDA when the run was not pinned to the CPU and a GPU is visible, else the CPU (never an error: a policy
    trained on a GPU can be evaluated on a laptop).

    Args:
        cfg: reads `--device`.
    """
    if flag_value(cfg, "device") != "cpu" and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def load_policy(
    cfg: argparse.Namespace,
    obs_space: spaces.Space,
    action_space: spaces.Space,
    device: torch.device | None = None,
    checkpoint_path: Path | str | None = None,
) -> LoadedPolicy:
    """Build the model of `cfg` and load the newest checkpoint of kind `--load_checkpoint_kind` into it.

    Args:
        cfg: the experiment's config (see `load_eval_config`).
        obs_space: observation space of the env.
        action_space: action space of the env.
        device: where the model runs (default: `eval_device(cfg)`).
        checkpoint_path: load this checkpoint file instead of the newest one.

    Raises:
        EvaluationError: the experiment has no checkpoint of that kind.
        CheckpointError: the newest checkpoint cannot be read.
    """
    from sf_curric.model.actor_critic import ActorCritic

    device = device or eval_device(cfg)
    kind = flag_value(cfg, "load_checkpoint_kind")
    exp_dir = experiment_dir(cfg)
    policy_id = flag_value(cfg, "policy_index", POPULATION_ARGS)  # which policy of a --num_policies run
    if checkpoint_path is not None:
        found = (Path(checkpoint_path), load_checkpoint(checkpoint_path, map_location=device))
    else:
        found = load_newest_checkpoint(exp_dir, kind=kind, map_location=device, policy_id=policy_id)
    if found is None:
        hint = " or use --load_checkpoint_kind=latest" if kind == "best" else ""
        raise EvaluationError(
            f"no {kind} checkpoint in {checkpoint_dir(exp_dir, policy_id)}: train until one is saved (at the end of "
            f"training and every --save_every_sec){hint}"
        )
    path, state = found
    model = ActorCritic(obs_space, action_space, cfg).to(device)  # ObservationSpaceError: a ConfigError
    try:
        model.load_state_dict(state["learner"]["model"])
    except (KeyError, RuntimeError) as e:
        first = str(e).splitlines()[0][:160]
        raise EvaluationError(
            f"{path} does not fit the model of {exp_dir}/config.json ({first}): do not override model flags "
            f"when evaluating"
        ) from None
    model.eval()
    env_steps = int(state.get("env_steps", 0))
    log.info("loaded %s (%d env steps)", path, env_steps)
    progress = training_progress(cfg, env_steps, float(state.get("train_seconds", 0.0)))
    info = {"approx_total_training_steps": env_steps, "training_progress": progress}
    return LoadedPolicy(model, path, env_steps, info)
