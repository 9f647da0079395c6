"""`python -m tests.faults.train_faulty ARGS`: sf_curric.train with the fault-injecting envs registered."""

import sys

import tests.faults.envs  # noqa: F401 - registers test_faulty_env
from sf_curric.train import main

if __name__ == "__main__":
    sys.exit(main())
