"""`sf_curric.train` on `maze_levels` with a fixed set of training levels, for sweeps: registers the env (training
levels, ACCEL's mutation, the hand-designed mazes), then parses the usual command line.

    python benchmarks/sweeps/train_maze_levels.py --num_levels=200 --view=5 --curriculum=plr --experiment=x ...
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing


def main() -> None:
    """Take `--num_levels=N` (training levels 0..N-1) and `--view=V` off the command line; train with the rest."""
    from sf_curric.envs.builtin.maze_levels import register_maze_levels
    from sf_curric.train import run

    own = {"--num_levels": 200, "--view": 5}
    argv = []
    for arg in sys.argv[1:]:
        name, _, value = arg.partition("=")
        if name in own:
            own[name] = int(value)
        else:
            argv.append(arg)
    register_maze_levels(own["--num_levels"], view=own["--view"])
    run(["--env=maze_levels", *argv])


if __name__ == "__main__":
    main()
