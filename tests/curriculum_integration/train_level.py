"""`python -m tests.curriculum_integration.train_level ARGS`: sf_curric.train with the test envs registered."""

import sys

import tests.curriculum_integration.envs  # noqa: F401  (registers test_level_env)
from sf_curric.train import run

if __name__ == "__main__":
    run(sys.argv[1:])
    sys.exit(0)
