"""`python -m tests.parallel.train_with_test_envs ARGS`: sf_curric.train with the test envs registered."""

import sys

import tests.parallel.envs  # noqa: F401  (registers the test envs)
from sf_curric.train import run

if __name__ == "__main__":
    run(sys.argv[1:])
