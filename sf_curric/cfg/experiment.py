"""The experiment folder and its config.json: save, load, and merge a saved config with the command line."""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from sf_curric.cfg.validation import ConfigError

CONFIG_FILE = "config.json"
# Keys of cfg that describe this invocation rather than the experiment: never taken from a saved config.
_PER_INVOCATION_KEYS = ("cli_args", "restart_behavior")
# One path component: no separator, no whitespace or control character, not starting with "." (so never "..").
_EXPERIMENT_NAME_RE = re.compile(r"^[^./\\\s\x00-\x1f][^/\\\s\x00-\x1f]{0,199}$")
# What every folder sf_curric trained in holds (one of them): `overwrite` deletes nothing else.
_EXPERIMENT_MARKERS = (CONFIG_FILE, "checkpoint_p0")


def check_experiment_name(name: str) -> None:
    """Raise ConfigError unless `name` is a single, plain path component (the experiment's folder name).

    Args:
        name: the `--experiment` value.
    """
    if not isinstance(name, str) or not _EXPERIMENT_NAME_RE.match(name):
        raise ConfigError(
            f"--experiment={name!r} is not a plain folder name: use letters, digits and - _ . (no '/', spaces, or "
            f"leading '.'), e.g. --experiment=cartpole_run1"
        )


def experiment_dir(cfg: argparse.Namespace) -> Path:
    """`<train_dir>/<experiment>` (the name is checked: always a folder directly inside train_dir).

    Args:
        cfg: the run's config.
    """
    check_experiment_name(cfg.experiment)
    return Path(cfg.train_dir) / cfg.experiment


def config_path(cfg: argparse.Namespace) -> Path:
    """`<train_dir>/<experiment>/config.json`.

    Args:
        cfg: the run's config.
    """
    return experiment_dir(cfg) / CONFIG_FILE


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return repr(value)


def save_config(cfg: argparse.Namespace, path: Path | str | None = None) -> Path:
    """Write `cfg` as JSON (atomically: temp file then rename).

    Args:
        cfg: the resolved config; `cfg.cli_args` (flags typed by the user) is saved with it.
        path: where to write (default: the experiment's config.json).

    Returns:
        The path written.
    """
    path = Path(path) if path is not None else config_path(cfg)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {key: _jsonable(value) for key, value in sorted(vars(cfg).items())}
    fd, tmp = tempfile.mkstemp(prefix=".config.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def load_config(path: Path | str) -> dict[str, Any]:
    """Read a saved config.json.

    Args:
        path: the file.

    Raises:
        ConfigError: when it cannot be read or is not a JSON object (one line naming the file).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ConfigError(
            f"cannot read {path} ({e.__class__.__name__}: {e}); fix or remove it, or pass --restart_behavior=restart"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} is not a JSON object; fix or remove it, or pass --restart_behavior=restart")
    return data


def _check_saved_type(cfg: argparse.Namespace, key: str, saved: Any, default: Any) -> None:
    """A saved value must have the kind of the flag's value now (number, bool, string); a hand-edited
    config.json with `"num_epochs": "abc"` is one line, not a traceback deep in training."""
    if default is None or saved is None:
        return
    numeric = (int, float)
    if isinstance(default, bool) or isinstance(saved, bool):
        ok = isinstance(default, bool) and isinstance(saved, bool)
    elif isinstance(default, numeric):
        ok = isinstance(saved, numeric)
    elif isinstance(default, str):
        ok = isinstance(saved, str)
    else:
        return  # lists, dicts: JSON keeps their shape
    if not ok:
        raise ConfigError(
            f"{config_path(cfg)}: {key}={saved!r} is not a {type(default).__name__}: fix it in that file, pass "
            f"--{key}=VALUE, or pass --restart_behavior=restart"
        )


def merge_saved_config(saved: dict[str, Any], cfg: argparse.Namespace) -> argparse.Namespace:
    """Saved values win over defaults; flags the user typed now (`cfg.cli_args`) win over saved values.

    Flags added to sf_curric after the config was saved keep their current default.

    Args:
        saved: a loaded config.json.
        cfg: the freshly parsed config of this invocation.

    Returns:
        A new namespace with the merged values.
    """
    cli_args = dict(getattr(cfg, "cli_args", {}))
    saved_env = saved.get("env")
    if "env" in cli_args and saved_env is not None and cli_args["env"] != saved_env:
        raise ConfigError(
            f"experiment {cfg.experiment!r} was trained on --env={saved_env}, not {cli_args['env']}: "
            f"use another --experiment or --restart_behavior=restart"
        )
    merged = argparse.Namespace(**vars(cfg))
    current = vars(merged)
    for key, value in saved.items():
        if key in current and key not in _PER_INVOCATION_KEYS and key not in cli_args:
            _check_saved_type(cfg, key, value, current[key])
            setattr(merged, key, value)
    for key, value in cli_args.items():
        setattr(merged, key, value)
    merged.cli_args = cli_args
    return merged


def load_experiment_config(cfg: argparse.Namespace) -> argparse.Namespace:
    """`cfg` merged with the experiment's saved config.json when there is one (resume, enjoy, eval).

    Args:
        cfg: the freshly parsed config; its `--train_dir`/`--experiment` locate the saved one.
    """
    path = config_path(cfg)
    if not path.exists():
        return cfg
    return merge_saved_config(load_config(path), cfg)


def resolve_config(cfg: argparse.Namespace) -> argparse.Namespace:
    """The config a run uses: with `--restart_behavior=resume`, the saved config.json merged under the flags typed
    now; otherwise `cfg` itself. `--train_for_seconds` typed alone is the only budget (`sf_curric.cfg.budget`).

    Args:
        cfg: the freshly parsed config.
    """
    from sf_curric.cfg.budget import apply_seconds_budget

    if cfg.restart_behavior == "resume":
        cfg = load_experiment_config(cfg)
    return apply_seconds_budget(cfg)  # after the merge: a typed --train_for_seconds lifts a saved step budget too


def prepare_experiment_dir(cfg: argparse.Namespace) -> Path:
    """Apply `--restart_behavior` to the experiment folder (call after validation) and return the folder.

    resume: keep it. restart: rename an existing folder to `<experiment>_old_<time>` and start in a new one.
    overwrite: delete an existing folder (the user asked for it explicitly), only when it is an sf_curric
    experiment (it holds config.json or checkpoint_p0) and a real folder (not a link); anything else is refused.

    Args:
        cfg: the validated config.

    Raises:
        ConfigError: overwrite of something that is not an experiment folder, or a train_dir that cannot be
            written (one line).
    """
    import shutil
    import time

    path = experiment_dir(cfg)
    try:
        if (path.exists() or path.is_symlink()) and cfg.restart_behavior == "restart":
            backup = path.with_name(f"{path.name}_old_{time.strftime('%Y%m%d_%H%M%S')}")
            suffix = 1
            while backup.exists():
                backup = path.with_name(f"{path.name}_old_{time.strftime('%Y%m%d_%H%M%S')}_{suffix}")
                suffix += 1
            path.rename(backup)
        elif (path.exists() or path.is_symlink()) and cfg.restart_behavior == "overwrite":
            if path.is_symlink() or not path.is_dir() or not any((path / m).exists() for m in _EXPERIMENT_MARKERS):
                raise ConfigError(
                    f"--restart_behavior=overwrite refused: {path} is not an sf_curric experiment folder (no "
                    f"{' or '.join(_EXPERIMENT_MARKERS)} in it); remove it yourself or pick another --experiment"
                )
            shutil.rmtree(path)
        path.mkdir(parents=True, exist_ok=True)
        check_writable(path)
    except OSError as e:
        raise ConfigError(
            f"cannot prepare the experiment folder {path} ({e.strerror or e}): pass a writable --train_dir"
        ) from None
    return path


def check_writable(folder: Path) -> None:
    """Raise OSError unless a file can be created in `folder` (permission bits alone say nothing to root or on a
    read-only mount: this tries).

    Args:
        folder: an existing folder.
    """
    fd, tmp = tempfile.mkstemp(prefix=".write_check.", dir=folder)
    os.close(fd)
    os.unlink(tmp)
