"""`sf_curric.train` on the first envs of a built-in env list, for sweeps: registers `<list>_p<N>` (the list's first N
envs and the graph's edges between them, with the list's defaults), then parses the usual command line.

    python benchmarks/sweeps/train_env_list_prefix.py --env_list=mr_keycorridor --env_prefix=3 --experiment=x ...
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing


def main() -> None:
    """Take `--env_list=NAME` and `--env_prefix=N` off the command line; train with the rest."""
    from sf_curric.cfg.env_defaults import get_env_defaults, register_env_defaults
    from sf_curric.envs.builtin.minigrid_curricula import MASTERING_RATE_CURRICULA
    from sf_curric.envs.env_list_setup import register_env_list
    from sf_curric.train import run

    own = {"--env_list": "mr_keycorridor", "--env_prefix": "3"}
    argv = []
    for arg in sys.argv[1:]:
        name, _, value = arg.partition("=")
        if name in own:
            own[name] = value
        else:
            argv.append(arg)
    parent = own["--env_list"]
    if parent not in MASTERING_RATE_CURRICULA:
        raise SystemExit(
            f"train_env_list_prefix.py: --env_list={parent}: use one of {', '.join(MASTERING_RATE_CURRICULA)}"
        )
    try:
        curriculum = MASTERING_RATE_CURRICULA[parent].prefix(int(own["--env_prefix"]))
    except ValueError as e:
        raise SystemExit(f"train_env_list_prefix.py: {e}") from None
    name = f"{parent}_p{len(curriculum.env_ids)}"
    register_env_list(name, curriculum.env_ids, curriculum.edges, min_return=curriculum.min_return,
                      max_return=curriculum.max_return)  # fmt: skip
    register_env_defaults(name, **get_env_defaults(parent))
    run([f"--env={name}", *argv])


if __name__ == "__main__":
    main()
