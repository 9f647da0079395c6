"""The MiniGrid curricula of the Mastering Rate paper (Willems, Lahlou & Bengio 2020), as `--env=mr_*` task spaces.

The env lists and graphs are those of the paper's code, lcswillems/automatic-curriculum `curriculums/*.json`
(BlockedUnlockPickup, KeyCorridor, ObstructedMaze), each task with the minimum / maximum return estimates 0 / 0.5.
A task is one MiniGrid env id; the last id is the target task.
"""

from __future__ import annotations

from sf_curric.envs.builtin.env_list import EnvCurriculum, EnvListMaker


def _obstructed_maze() -> EnvCurriculum:
    names = ("1Dl", "1Dlh", "1Dlhb", "2Dl", "2Dlh", "2Dlhb", "1Q", "2Q", "Full")
    ids = {n: f"MiniGrid-ObstructedMaze-{n}-v0" for n in names}
    edges = [("1Dl", "1Dlh"), ("1Dl", "2Dl"), ("1Dlh", "1Dlhb"), ("1Dlh", "2Dlh"), ("2Dl", "2Dlh"),
             ("1Dlhb", "2Dlhb"), ("2Dlh", "2Dlhb"), ("2Dlhb", "1Q"), ("1Q", "2Q"), ("2Q", "Full")]  # fmt: skip
    return EnvCurriculum(tuple(ids[n] for n in names), tuple((ids[a], ids[b]) for a, b in edges))


MASTERING_RATE_CURRICULA: dict[str, EnvCurriculum] = {
    "mr_blockedunlockpickup": EnvCurriculum(
        ("MiniGrid-Unlock-v0", "MiniGrid-UnlockPickup-v0", "MiniGrid-BlockedUnlockPickup-v0")
    ),
    "mr_keycorridor": EnvCurriculum(
        tuple(f"MiniGrid-KeyCorridor{size}-v0" for size in ("S3R1", "S3R2", "S3R3", "S4R3", "S5R3", "S6R3"))
    ),
    "mr_obstructedmaze": _obstructed_maze(),
}


def minigrid_curriculum_envs() -> list[tuple[str, EnvListMaker, dict]]:
    """`(name, make_env_fn, register_env keyword arguments)` of the built-in MiniGrid curricula."""
    return [
        (name, EnvListMaker(curriculum), {"task_space": curriculum.task_space(), "curriculum": "mastering_rate"})
        for name, curriculum in MASTERING_RATE_CURRICULA.items()
    ]
