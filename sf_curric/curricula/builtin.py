"""The built-in curricula of `--curriculum`, one `register_curriculum` line each.

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
from sf_curric.curricula.plr import build as plr
from sf_curric.curricula.registry import register_curriculum

register_curriculum("dr", domain_randomization.build, stage=True)
register_curriculum("plr", plr.build, plr.PLR_ARGS, stage=True)
register_curriculum("sequential", sequential.build, sequential.SEQUENTIAL_ARGS)
register_curriculum("simple_box", simple_box.build, simple_box.SIMPLE_BOX_ARGS, stage=True)
register_curriculum("learning_progress", learning_progress.build, learning_progress.LEARNING_PROGRESS_ARGS, stage=True)
register_curriculum("performance", performance.build, performance.PERFORMANCE_ARGS, stage=True)
register_curriculum("constant", constant.build, constant.CONSTANT_ARGS)
register_curriculum("robust_plr", plr.build_robust, plr.PLR_ARGS, stage=True)
register_curriculum("accel", accel.build, accel.ACCEL_ARGS)
register_curriculum("learnability", learnability.build, learnability.LEARNABILITY_ARGS, stage=True)
register_curriculum("teacher_student", teacher_student.build, teacher_student.TEACHER_STUDENT_ARGS, stage=True)
register_curriculum("mastering_rate", mastering_rate.build, mastering_rate.MASTERING_RATE_ARGS, stage=True)
for _name, _cls in (
    ("self_play", self_play.SelfPlay),
    ("fictitious_self_play", self_play.FictitiousSelfPlay),
    ("prioritized_fictitious_self_play", self_play.PrioritizedFictitiousSelfPlay),
):
    register_curriculum(
        _name, self_play.builder(_cls), self_play.SELF_PLAY_ARGS, needs_task_space=False, self_play=True
    )
