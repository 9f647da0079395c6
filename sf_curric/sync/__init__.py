"""Curricula for other trainers: serve one curriculum to envs in other processes (faster-fifo) or on a Ray cluster.

Multiprocessing (CleanRL, Stable-Baselines3, anything with gymnasium `AsyncVectorEnv` / SB3 `SubprocVecEnv`):

    curriculum, task_queue, update_queue = make_multiprocessing_curriculum(curriculum)
    env = MultiProcessingSyncWrapper(env, task_queue, update_queue)

Ray (RLlib, Ray actors on any node; needs `pip install -e ".[ray]"`):

    curriculum = make_ray_curriculum(curriculum)
    env = RaySyncWrapper(env)

See docs/sync.md.
"""

from sf_curric.sync.channel import CurriculumServerError, TaskQueue
from sf_curric.sync.mp_curriculum import MultiProcessingCurriculumWrapper, make_multiprocessing_curriculum
from sf_curric.sync.mp_env_wrapper import MultiProcessingSyncWrapper
from sf_curric.sync.ray_sync import RayCurriculumWrapper, RaySyncWrapper, make_ray_curriculum

__all__ = [
    "CurriculumServerError",
    "MultiProcessingCurriculumWrapper",
    "MultiProcessingSyncWrapper",
    "RayCurriculumWrapper",
    "RaySyncWrapper",
    "TaskQueue",
    "make_multiprocessing_curriculum",
    "make_ray_curriculum",
]
