"""The built-in curricula of `--curriculum`, one `CurriculumEntry` line each (the table: `registry.py`).

A new curriculum is its file in sf_curric/curricula (the class, its `(flag, kwargs)` list and a `build(ctx)`
function) plus one line here; `--curriculum=<name>`, `--help`, `--sequential_stages` (with `stage=True`),
checkpoints and the sync wrappers pick it up.
"""

from sf_curric.curricula import (
    accel,
    constant,
    domain_randomization,
    learnability,
    learning_progress,
    mastering_rate,
    performance,
    self_play,
    sequential,
    simple_box,
    teacher_student,
)
from sf_curric.curricula.entry import CurriculumEntry
from sf_curric.curricula.plr import build as plr

_SELF_PLAY = {"needs_task_space": False, "self_play": True}  # their tasks are opponents from the snapshot pool

BUILTIN: list[CurriculumEntry] = [
    CurriculumEntry("dr", domain_randomization.build, stage=True),
    CurriculumEntry("plr", plr.build, plr.PLR_ARGS, stage=True),
    CurriculumEntry("sequential", sequential.build, sequential.SEQUENTIAL_ARGS),
    CurriculumEntry("simple_box", simple_box.build, simple_box.SIMPLE_BOX_ARGS, stage=True),
    CurriculumEntry("learning_progress", learning_progress.build, learning_progress.LEARNING_PROGRESS_ARGS, stage=True),
    CurriculumEntry("performance", performance.build, performance.PERFORMANCE_ARGS, stage=True),
    CurriculumEntry("constant", constant.build, constant.CONSTANT_ARGS),
    CurriculumEntry("robust_plr", plr.build_robust, plr.PLR_ARGS, stage=True),
    CurriculumEntry("accel", accel.build, accel.ACCEL_ARGS),
    CurriculumEntry("learnability", learnability.build, learnability.LEARNABILITY_ARGS, stage=True),
    CurriculumEntry("teacher_student", teacher_student.build, teacher_student.TEACHER_STUDENT_ARGS, stage=True),
    CurriculumEntry("mastering_rate", mastering_rate.build, mastering_rate.MASTERING_RATE_ARGS, stage=True),
    CurriculumEntry("self_play", self_play.builder(self_play.SelfPlay), self_play.SELF_PLAY_ARGS, **_SELF_PLAY),
    CurriculumEntry(
        "fictitious_self_play", self_play.builder(self_play.FictitiousSelfPlay), self_play.SELF_PLAY_ARGS, **_SELF_PLAY
    ),
    CurriculumEntry(
        "prioritized_fictitious_self_play",
        self_play.builder(self_play.PrioritizedFictitiousSelfPlay),
        self_play.SELF_PLAY_ARGS,
        **_SELF_PLAY,
    ),
]
