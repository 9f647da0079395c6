"""Command-line flags read by env construction (`sf_curric.envs.registry.make_env`, `sf_curric.envs.frames`).

Each entry is `(flag, kwargs_for_add_argument)`, like the model's and the learner's flag lists (the programs add
them to the parser, `sf_curric.command_line`); `env_flag(cfg, name)` reads one from a config that may lack it (None,
built by hand, or by older code) with the default declared here.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from sf_curric.envs.text_codes import DEFAULT_TEXT_VOCAB
from sf_curric.flags import str2bool


def json_object(text: str | dict) -> dict[str, Any]:
    """Parse `--env_kwargs`: a JSON object (an already parsed dict is returned as it is).

    Example:
        >>> json_object('{"is_slippery": false}')
        {'is_slippery': False}
    """
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(
            f"expected a JSON object, got {text!r}: write e.g. --env_kwargs='{{\"is_slippery\": false}}'"
        )
    return value


# `(flag, add_argument kwargs)` (sf_curric.flags.FlagSpec; envs sit below cfg and do not import it)
ENV_ARGS: list[tuple[str, dict[str, Any]]] = [
    (
        "--env_kwargs",
        {
            "type": json_object,
            "default": {},
            "help": "Keyword arguments of gymnasium.make for a gymnasium id, as a JSON object (e.g. "
            "--env_kwargs='{\"is_slippery\": false}' for FrozenLake-v1).",
        },
    ),
    (
        "--obs_text_words",
        {
            "type": int,
            "default": 0,
            "help": "Text observation keys (MiniGrid's mission, gymnasium Text): 0 leaves them out of the policy's "
            "input (one log line names them); N > 0 keeps each as its first N words, one code per word (0 pads), "
            "which the network takes like a MultiDiscrete observation (docs/observation_spaces.md).",
        },
    ),
    (
        "--obs_text_vocab",
        {
            "type": int,
            "default": DEFAULT_TEXT_VOCAB,
            "help": "With --obs_text_words: the number of word codes of a text space without a known vocabulary "
            "(words are hashed into them, so two words may share one; MiniGrid's missions get exact codes).",
        },
    ),
    (
        "--env_frameskip",
        {
            "type": int,
            "default": 1,
            "help": "Frames per action (action repeat) of a pixel env given by its gymnasium id (rewards summed, the "
            "max of the last two frames); a registered env's make_env_fn reads cfg.env_frameskip itself, EnvPool "
            "takes it as frame_skip (sf_curric/envs/frames.py).",
        },
    ),
    (
        "--env_framestack",
        {
            "type": int,
            "default": 1,
            "help": "Stack this many observations of a pixel env along the channels (as --env_frameskip: gymnasium "
            "ids here, registered envs themselves, EnvPool's stack_num).",
        },
    ),
    (
        "--summaries_use_frameskip",
        {
            "type": str2bool,
            "nargs": "?",
            "const": True,
            "default": True,
            "metavar": "BOOL",
            "help": "Count env steps in frames (each policy step is --env_frameskip frames): budgets, FPS and "
            "summaries' x-axis, as Sample Factory does.",
        },
    ),
]


def env_flag(cfg: Any, name: str) -> Any:
    """`cfg.name`, or the default declared in `ENV_ARGS` when `cfg` is None or lacks it.

    Args:
        cfg: the run's config, or None.
        name: a flag of `ENV_ARGS` without dashes.
    """
    if cfg is not None and hasattr(cfg, name):
        return getattr(cfg, name)
    return next(kwargs["default"] for flag, kwargs in ENV_ARGS if flag == f"--{name}")
