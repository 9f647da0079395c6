"""`sf_curric.train` on `maze_levels` with other levels than the built-in `--env=maze_levels` (200 levels, 5x5 view):
registers the env (training levels, ACCEL's mutation, the hand-designed mazes) with the same code, then parses the
usual command line.

    python benchmarks/sweeps/train_maze_levels.py --num_levels=200 --view=5 --curriculum=plr --experiment=x ...
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run from a checkout without installing


def main() -> None:
    """Take `--num_levels=N` (training levels 0..N-1), `--view=V` and `--accel_generator=seeds|random|empty` (ACCEL's
    new levels, see `register_maze_levels`) off the command line; train with the rest."""
    from sf_curric.envs.builtin.maze_levels import BUILTIN_NUM_LEVELS, BUILTIN_VIEW
    from sf_curric.envs.maze_levels_setup import register_maze_levels
    from sf_curric.train import run

    own = {"--num_levels": str(BUILTIN_NUM_LEVELS), "--view": str(BUILTIN_VIEW), "--accel_generator": "seeds"}
    argv = []
    for arg in sys.argv[1:]:
        name, _, value = arg.partition("=")
        if name in own:
            own[name] = value
        else:
            argv.append(arg)
    try:
        register_maze_levels(int(own["--num_levels"]), int(own["--view"]), accel_generator=own["--accel_generator"])
    except ValueError as e:
        raise SystemExit(f"train_maze_levels.py: {e}") from None
    run(["--env=maze_levels", *argv])


if __name__ == "__main__":
    main()
