"""SequentialCurriculum: run curricula one after another, moving on when a stopping condition holds."""

from __future__ import annotations

import inspect
import re
from collections import deque
from typing import Any, Callable, Dict, List, Sequence, Union

import numpy as np

from sf_curric.curricula import syllabus_adapter
from sf_curric.curricula.constant import Constant
from sf_curric.curricula.curriculum import Curriculum
from sf_curric.curricula.domain_randomization import DomainRandomization
from sf_curric.curricula.entry import literal
from sf_curric.curricula.learner_feedback import LearnerFeedback
from sf_curric.curricula.task_space import DiscreteTaskSpace, TaskSpace
from sf_curric.errors import ConfigError

# metrics a condition string may test; "stage" metrics restart at every new stage
CONDITION_METRICS = (
    "steps",
    "total_steps",
    "episodes",
    "total_episodes",
    "tasks",
    "total_tasks",
    "episode_return",
    "task_progress",
    "training_steps",
    "training_progress",
)
_COMPARATORS = {
    "<=": np.less_equal,
    ">=": np.greater_equal,
    "==": np.equal,
    "=": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    ">": np.greater,
}
_CLAUSE = re.compile(r"^\s*([a-z_]+)\s*(<=|>=|==|!=|=|<|>)\s*([-+0-9.eE]+)\s*$")


def parse_condition(condition: str) -> List[List[tuple]]:
    """Parse `"episode_return>0.9&episodes>100|total_steps>=1e6"` into OR-groups of AND-clauses.

    `&` binds tighter than `|`. Each clause is `metric comparator number` with a metric from
    `CONDITION_METRICS` and a comparator among <, <=, >, >=, =, ==, !=.

    Args:
        condition: the condition string.
    """
    groups = []
    for group in condition.split("|"):
        clauses = []
        for clause in group.split("&"):
            match = _CLAUSE.match(clause)
            if not match:
                raise ValueError(
                    f"cannot parse stopping condition {condition!r} at {clause!r}; write clauses like "
                    "'episode_return>0.9' joined by & or |"
                )
            metric, op, value = match.groups()
            if metric not in CONDITION_METRICS:
                raise ValueError(f"unknown metric {metric!r} in stopping condition; use one of {CONDITION_METRICS}")
            clauses.append((metric, op, float(value)))
        groups.append(clauses)
    return groups


class SequentialCurriculum(Curriculum):
    """A list of stages, each a curriculum, and a stopping condition to leave each stage but the last.

    Stage items may be a `Curriculum`, a single task (becomes `Constant`), a list of tasks (uniform over
    them) or a task space (uniform over it). Stopping conditions are strings such as
    `"episode_return>0.9&episodes>100"` (see `parse_condition`; stage metrics restart at each stage,
    `total_*` ones do not, `episode_return` and `task_progress` are means over the stage's last
    `return_buffer_size` episodes) or callables taking no argument or the curriculum.

    Args:
        curriculum_list: the stages.
        stopping_conditions: one condition per stage except the last.
        task_space: the space every stage's tasks belong to.
        return_buffer_size: episodes averaged by episode_return and task_progress.
        **kwargs: base `Curriculum` options.

    Example:
        >>> c = SequentialCurriculum([0, [1, 2], DomainRandomization(Discrete(10))],
        ...                          ["episode_return>0.9&episodes>100", "total_steps>=1e6"], Discrete(10))
    """

    _NOT_STATE = Curriculum._NOT_STATE | {"curriculum_list", "stopping_conditions"}

    def __init__(
        self,
        curriculum_list: Sequence[Any],
        stopping_conditions: Sequence[Union[str, Callable]],
        task_space: Any,
        return_buffer_size: int = 1000,
        **kwargs: Any,
    ) -> None:
        super().__init__(task_space, **kwargs)
        if len(curriculum_list) == 0:
            raise ValueError("SequentialCurriculum needs at least one stage")
        if len(stopping_conditions) != len(curriculum_list) - 1:
            raise ValueError(
                f"give one stopping condition per stage except the last: {len(curriculum_list)} stages need "
                f"{len(curriculum_list) - 1} conditions, got {len(stopping_conditions)}"
            )
        self.curriculum_list = [self._parse_stage(item) for item in curriculum_list]
        self.stopping_conditions = [self._parse_stopping_condition(c) for c in stopping_conditions]
        self.return_buffer_size = int(return_buffer_size)
        self.stage = 0
        self.n_steps = self.n_episodes = self.n_tasks = self.total_tasks = 0
        self.episode_returns: deque = deque(maxlen=self.return_buffer_size)
        self.task_progresses: deque = deque(maxlen=self.return_buffer_size)

    # --- construction --------------------------------------------------------------------------------------
    def _parse_stage(self, item: Any) -> Curriculum:
        if isinstance(item, Curriculum):
            return item
        if isinstance(item, TaskSpace):
            return DomainRandomization(item)
        if isinstance(item, list):
            for task in item:
                if not self.task_space.contains(task):
                    raise ValueError(f"stage task {task!r} is not in {self.task_space!r}")
            return DomainRandomization(DiscreteTaskSpace(len(item), tasks=item), seed=int(self.rng.integers(2**31)))
        if self.task_space.contains(item):
            return Constant(item, self.task_space)
        raise ValueError(
            f"stage {item!r} is neither a Curriculum, a task space, a list of tasks nor a task of {self.task_space!r}"
        )

    def _parse_stopping_condition(self, condition: Union[str, Callable]) -> Union[List[List[tuple]], Callable]:
        if isinstance(condition, str):
            return parse_condition(condition)
        if callable(condition):
            return condition
        raise ValueError(f"a stopping condition must be a string or a callable, got {condition!r}")

    # --- stage bookkeeping ---------------------------------------------------------------------------------
    @property
    def current_curriculum(self) -> Curriculum:
        """The stage now in use."""
        return self.curriculum_list[self.stage]

    def _metric(self, name: str) -> float:
        if name == "episode_return":
            return float(np.mean(self.episode_returns)) if self.episode_returns else 0.0
        if name == "task_progress":
            return float(np.mean(self.task_progresses)) if self.task_progresses else 0.0
        if name == "training_steps":
            return float(self.approx_total_training_steps)
        if name == "training_progress":  # the fraction of the run's budget, env steps or seconds (cfg/budget.py)
            return float(self.training_info.get("training_progress", 0.0))
        return float(
            {
                "steps": self.n_steps,
                "total_steps": self.total_steps,
                "episodes": self.n_episodes,
                "total_episodes": self.total_episodes,
                "tasks": self.n_tasks,
                "total_tasks": self.total_tasks,
            }[name]
        )

    def _condition_holds(self, condition: Union[List[List[tuple]], Callable]) -> bool:
        if callable(condition):
            return bool(condition(self) if inspect.signature(condition).parameters else condition())
        return any(all(_COMPARATORS[op](self._metric(m), v) for m, op, v in group) for group in condition)

    def check_stopping_conditions(self) -> None:
        """Move to the next stage when the current stage's condition holds."""
        if self.stage < len(self.stopping_conditions) and self._condition_holds(self.stopping_conditions[self.stage]):
            self.stage += 1
            self.n_steps = self.n_episodes = self.n_tasks = 0
            self.episode_returns.clear()
            self.task_progresses.clear()
            if self.training_info:
                self.current_curriculum.set_training_info(self.training_info)

    # --- sampling and updates ------------------------------------------------------------------------------
    @property
    def requires_step_updates(self) -> bool:
        """True when any stage uses step results."""
        return any(c.requires_step_updates for c in self.curriculum_list)

    @property
    def requires_learner_updates(self) -> bool:
        """True when any stage takes learner updates (e.g. a PLR stage)."""
        return any(c.requires_learner_updates for c in self.curriculum_list)

    @property
    def needs_action_logits(self) -> bool:
        """True when any stage scores from the acting policy's logits (the rollouts store them from the start)."""
        return any(c.needs_action_logits for c in self.curriculum_list)

    def _sample_tasks(self, k: int) -> list:
        tasks = self.current_curriculum.sample(k)
        for task in tasks:
            if not self.task_space.contains(task):
                raise ValueError(f"stage {self.stage} sampled {task!r}, which is not in {self.task_space!r}")
        self.n_tasks += k
        self.total_tasks += k
        self.check_stopping_conditions()
        return tasks

    def _sample_distribution(self) -> List[float]:
        stage = self.current_curriculum
        if stage.task_space is self.task_space or stage.tasks == self.tasks:
            return stage.sample_distribution().tolist()
        dist = np.zeros(self.num_tasks)
        for task, p in zip(stage.tasks, stage.sample_distribution()):
            dist[self.task_space.encode(task)] += p
        return dist.tolist()

    def update_on_episode(
        self, episode_return: float, length: int = 0, task: Any = None, progress: Any = None, env_id: int | None = None
    ) -> None:
        """Count the episode for the stage and pass it on to the stage's curriculum."""
        super().update_on_episode(episode_return, length, task, progress, env_id)
        self.n_episodes += 1
        self.n_steps += int(length)
        self.episode_returns.append(float(episode_return))
        if progress is not None:
            self.task_progresses.append(float(progress))
        syllabus_adapter.call_update_on_episode(self.current_curriculum, episode_return, length, task, progress, env_id)
        self.check_stopping_conditions()

    def update_on_episode_extra_stats(self, task: Any, extra_stats: Dict[str, Any], env_id: int | None = None) -> None:
        """Pass custom episode statistics on to the current stage."""
        self.current_curriculum.update_on_episode_extra_stats(task, extra_stats, env_id)

    def update_task_progress(self, task: Any, progress: Any, env_id: int | None = None) -> None:
        """Pass task progress on to the current stage, then check its stopping condition."""
        super().update_task_progress(task, progress, env_id)
        syllabus_adapter.deliver_task_progress(self.current_curriculum, task, progress, env_id)
        self.check_stopping_conditions()

    def update_on_step(self, task, obs, rew, term, trunc, info, progress=None, env_id=None) -> None:
        """Pass a step on to the current stage when it uses steps."""
        if self.current_curriculum.requires_step_updates:
            syllabus_adapter.deliver_step(self.current_curriculum, task, obs, rew, term, trunc, info, progress, env_id)

    def update_on_step_batch(self, step_results: Sequence[Sequence[Any]], env_id: int | None = None) -> None:
        """Pass a step batch on to the current stage when it uses steps."""
        if self.current_curriculum.requires_step_updates:
            syllabus_adapter.deliver_step_batch(self.current_curriculum, step_results, env_id)

    def update_on_demand(self, metrics: Any) -> None:
        """Pass a learner-side update on to the current stage."""
        self.current_curriculum.update_on_demand(metrics)

    def update_on_learner_batch(self, feedback: LearnerFeedback) -> None:
        """Pass the trainer's learner batch on to the current stage."""
        self.current_curriculum.update_on_learner_batch(feedback)

    def update_with_rollout(self, *args: Any, **kwargs: Any) -> None:
        """Forward a learner rollout to the current stage when it takes them (e.g. a PLR stage)."""
        stage = self.current_curriculum
        if hasattr(stage, "update_with_rollout"):
            stage.update_with_rollout(*args, **kwargs)

    def set_training_info(self, training_info: Dict[str, Any]) -> None:
        """Keep the training info, give it to the current stage, and check the stopping condition."""
        super().set_training_info(training_info)
        self.current_curriculum.set_training_info(training_info)
        self.check_stopping_conditions()

    # --- logging and checkpoints ---------------------------------------------------------------------------
    def metrics(self) -> Dict[str, float]:
        """The stage's own metrics plus stage index and stage counters."""
        out = self.current_curriculum.metrics()
        out.update(
            {
                "curriculum/current_stage": float(self.stage),
                "curriculum/stage_steps": float(self.n_steps),
                "curriculum/stage_episodes": float(self.n_episodes),
                "curriculum/stage_episode_return": self._metric("episode_return"),
            }
        )
        return out

    def state_dict(self) -> Dict[str, Any]:
        """Own counters and RNG plus every stage's state."""
        state = super().state_dict()
        state["stages"] = [c.state_dict() for c in self.curriculum_list]
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """Restore the state of `state_dict()`; the stages must be built the same way."""
        state_dict = dict(state_dict)
        stages = state_dict.pop("stages")
        if len(stages) != len(self.curriculum_list):
            raise ValueError(f"the checkpoint has {len(stages)} stages, this curriculum {len(self.curriculum_list)}")
        super().load_state_dict(state_dict)
        for curriculum, state in zip(self.curriculum_list, stages):
            curriculum.load_state_dict(state)


SEQUENTIAL_ARGS: list[tuple[str, dict[str, Any]]] = [
    (
        "--sequential_stages",
        {
            "type": str,
            "default": None,
            "help": "sequential: stages separated by ';', each a curriculum name (dr, plr, learning_progress, "
            "performance) or a task / list of tasks as Python literals, e.g. '0;[1,2];dr'.",
        },
    ),
    (
        "--sequential_conditions",
        {
            "type": str,
            "default": None,
            "help": "sequential: stopping conditions separated by ';', one per stage but the last, e.g. "
            "'episode_return>0.9&episodes>100;total_steps>=1e6'.",
        },
    ),
]


def _stage(ctx: Any, item: str) -> Any:
    """A stage of `--sequential_stages`: a curriculum registered with `stage=True`, else a task (list) literal."""
    return ctx.build(item) if ctx.is_stage(item) else literal(item)


def build(ctx: Any) -> SequentialCurriculum:
    """`--curriculum=sequential` (sf_curric/curricula/builtin.py)."""
    stages_text, conditions_text = ctx.option("sequential_stages"), ctx.option("sequential_conditions")
    if not stages_text:
        raise ConfigError("--curriculum=sequential needs --sequential_stages (e.g. '0;[1,2];dr')")
    stages = [_stage(ctx, item.strip()) for item in stages_text.split(";")]
    conditions = [c.strip() for c in conditions_text.split(";")] if conditions_text else []
    try:
        return SequentialCurriculum(stages, conditions, ctx.task_space, seed=ctx.seed)
    except ValueError as e:
        raise ConfigError(f"--sequential_stages/--sequential_conditions: {e}") from None
