"""The error of `check_env` (single- and multi-agent checks both raise it; `sf_curric.envs.check_env` re-exports it)."""


class TaskEnvError(ValueError):
    """The env breaks the task interface; the message lists every problem and its fix."""
