"""`sf_curric.train` on `maze_levels` with a fixed set of training levels, for sweeps: registers the env, then
parses the usual command line.

    python benchmarks/sweeps/train_maze_levels.py --num_levels=200 --curriculum=plr --experiment=x ...
"""

import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing


def main() -> None:
    """Take `--num_levels=N` (training levels 0..N-1) and `--view=V` off the command line; train with the rest."""
    from gymnasium.spaces import Discrete

    from sf_curric.envs.builtin.maze_levels import make_maze_levels
    from sf_curric.envs.registry import register_env
    from sf_curric.train import run

    own = {"--num_levels": 200, "--view": 5}
    argv = []
    for arg in sys.argv[1:]:
        name, _, value = arg.partition("=")
        if name in own:
            own[name] = int(value)
        else:
            argv.append(arg)
    register_env("maze_levels", partial(make_maze_levels, view=own["--view"]), task_space=Discrete(own["--num_levels"]))
    run(["--env=maze_levels", *argv])


if __name__ == "__main__":
    main()
