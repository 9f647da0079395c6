"""Environments: the registry, TrainingInfoInterface, TaskWrapper/TaskEnv and built-in envs.

Kept import-light on purpose (rollout workers import it): import from the submodules, e.g.
`from sf_curric.envs.registry import register_env`.
"""
