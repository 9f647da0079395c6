"""sf_curric: high-throughput asynchronous PPO with curricula built in.

Public names are imported lazily so that `import sf_curric` stays cheap in worker processes.
"""

from importlib import import_module
from typing import Any

from sf_curric.version import __version__

# public name -> module that defines it
_EXPORTS = {
    "register_env": "sf_curric.envs.registry",
    "register_env_list": "sf_curric.envs.env_list_setup",
    "make_env": "sf_curric.envs.registry",
    "TrainingInfoInterface": "sf_curric.envs.training_info",
    "TaskWrapper": "sf_curric.envs.task_wrapper",
    "TaskEnv": "sf_curric.envs.task_wrapper",
    "check_env": "sf_curric.envs.check_env",
    "Curriculum": "sf_curric.curricula",
    "TaskSpace": "sf_curric.curricula",
    "make_multiprocessing_curriculum": "sf_curric.sync",
    "MultiProcessingSyncWrapper": "sf_curric.sync",
    "make_ray_curriculum": "sf_curric.sync",
    "RaySyncWrapper": "sf_curric.sync",
    "RayCurriculumWrapper": "sf_curric.sync",
    "register_curriculum": "sf_curric.curricula.registry",
    "run": "sf_curric.train",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sf_curric' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
