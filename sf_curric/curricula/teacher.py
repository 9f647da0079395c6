"""The teacher loop shared by the Teacher-Student and Mastering Rate curricula (Willems, Lahlou & Bengio 2020).

A teacher works in *steps*. Between two steps it collects the returns of the episodes that ended, per task; at each
step it appends the mean return of every task that had an episode to that task's performance history as a point
`(step, mean return)`, computes an attention over tasks from the histories (the subclass's `_attention`) and turns
it into the sampling distribution with a converter (`to_distribution`). The paper's code (lcswillems/
automatic-curriculum, `auto_curri/polyenv.py`) takes a step after every PPO update, i.e. every 16 processes x 128
frames = 2048 env steps; here a step falls every `update_every` env steps, counted from the lengths of the episodes
reported, so the clock does not depend on the trainer (the sync wrappers drive it the same way).
"""

from __future__ import annotations

from collections import deque
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List

import numpy as np

from sf_curric.curricula.curriculum import Curriculum
from sf_curric.errors import ConfigError

LP_ESTIMATORS = ("online", "naive", "window", "linreg", "sampling")
CONVERTERS = ("amax", "greedy_amax", "prop", "greedy_prop", "boltzmann")
PROP_FLOOR = 1e-8  # the paper's PropA2DConverter adds this to every attention (no task has probability exactly 0)


def slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of y on x (what `numpy.polyfit(x, y, 1)[0]` returns), 0 for a single distinct x."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    dx = x - x.mean()
    var = float((dx * dx).sum())
    return float((dx * (y - y.mean())).sum() / var) if var > 0 else 0.0


def estimate_learning_progress(
    estimator: str,
    steps: List[float],
    perfs: List[float],
    previous: float,
    window: int,
    alpha: float,
    rng: np.random.Generator,
) -> float:
    """One task's learning-progress estimate from its history, as the paper's `auto_curri/lp_estimator.py` does.

    Args:
        estimator: `online` (EMA of the last difference), `naive` (EMA of the slope over the last `window` points
            against their index), `window` (EMA of the slope against the steps): Matiisen et al. 2017's;
            `linreg` (the slope over the last `window` points, no EMA: the paper's improvement); `sampling` (one of
            the last `window` differences drawn at random; 1 before two points exist).
        steps: the task's history steps, oldest first.
        perfs: the task's mean returns at those steps.
        previous: the estimate of the previous teacher step (kept when there is nothing new to estimate from).
        window: K, the points looked at.
        alpha: EMA weight of the newest immediate estimate (online, naive, window).
        rng: the curriculum's RNG (sampling).
    """
    if estimator == "sampling":
        recent = np.asarray(perfs[-(window + 1) :], dtype=np.float64)
        return float(rng.choice(recent[1:] - recent[:-1])) if len(recent) >= 2 else 1.0
    if estimator == "linreg":
        return slope(steps[-window:], perfs[-window:]) if len(perfs) >= 2 else previous
    if estimator == "online":
        immediate = perfs[-1] - perfs[-2] if len(perfs) >= 2 else None
    elif estimator == "naive":
        recent = perfs[-window:]
        immediate = slope(np.arange(len(recent)), recent) if len(recent) >= 2 else None
    elif estimator == "window":
        immediate = slope(steps[-window:], perfs[-window:]) if len(perfs) >= 2 else None
    else:
        raise ValueError(f"unknown learning-progress estimator {estimator!r}: use one of {', '.join(LP_ESTIMATORS)}")
    return previous if immediate is None else alpha * immediate + (1.0 - alpha) * previous


def to_distribution(converter: str, attention: np.ndarray, eps: float, tau: float, rng: np.random.Generator):
    """Turn an attention over tasks into a distribution (the paper's `auto_curri/a2d_converter.py`).

    Args:
        converter: `amax` (all mass on a largest attention, ties broken at random), `greedy_amax` ((1 - eps) amax
            + eps uniform), `prop` (attention + 1e-8, normalized), `greedy_prop` ((1 - eps) prop + eps uniform),
            `boltzmann` (softmax of attention / tau, computed stably: the paper's exp overflows for tau = 4e-4).
        attention: one non-negative value per task.
        eps: the uniform share of the greedy converters.
        tau: the Boltzmann temperature.
        rng: the curriculum's RNG (amax ties).
    """
    attention = np.asarray(attention, dtype=np.float64)
    n = len(attention)
    uniform = np.full(n, 1.0 / n)
    if converter in ("amax", "greedy_amax"):
        dist = np.zeros(n)
        dist[rng.choice(np.flatnonzero(attention == attention.max()))] = 1.0
        return dist if converter == "amax" else (1.0 - eps) * dist + eps * uniform
    if converter in ("prop", "greedy_prop"):
        floored = attention + PROP_FLOOR
        dist = floored / floored.sum()
        return dist if converter == "prop" else (1.0 - eps) * dist + eps * uniform
    if converter == "boltzmann":
        z = np.exp((attention - attention.max()) / tau)
        return z / z.sum()
    raise ValueError(f"unknown attention-to-distribution converter {converter!r}: use one of {', '.join(CONVERTERS)}")


class TeacherCurriculum(Curriculum):
    """Base of the teacher curricula: per-task performance histories, the step clock, the LP estimates and the
    converter. A subclass defines `_attention()` from `self.histories` and `self.learning_progress`.

    Args:
        task_space: a finite task space.
        lp_estimator: one of `LP_ESTIMATORS` (the paper's default: linreg).
        lp_window: K, the history points the window estimators look at (paper: 10).
        lp_alpha: EMA weight of the online, naive and window estimators (paper: 0.1).
        converter: one of `CONVERTERS`.
        eps: uniform share of greedy_amax / greedy_prop (paper: 0.1).
        tau: Boltzmann temperature (paper: 4e-4).
        update_every: env steps between two teacher steps (paper: one PPO update of 16 x 128 = 2048 frames).
        history: points kept per task (at least the windows the teacher reads).
        **kwargs: base `Curriculum` options (`seed`, `task_names`, ...).
    """

    def __init__(
        self,
        task_space: Any,
        lp_estimator: str = "linreg",
        lp_window: int = 10,
        lp_alpha: float = 0.1,
        converter: str = "greedy_prop",
        eps: float = 0.1,
        tau: float = 4e-4,
        update_every: int = 2048,
        history: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(task_space, **kwargs)
        name = type(self).__name__
        if not self.task_space.is_finite:
            raise ValueError(f"{name} needs a finite task space (a list of tasks), got {self.task_space!r}")
        if lp_estimator not in LP_ESTIMATORS:
            raise ValueError(f"{name}: lp_estimator={lp_estimator!r}; use one of {', '.join(LP_ESTIMATORS)}")
        if converter not in CONVERTERS:
            raise ValueError(f"{name}: converter={converter!r}; use one of {', '.join(CONVERTERS)}")
        if lp_window < 2 or update_every < 1 or not 0.0 < lp_alpha <= 1.0 or not 0.0 <= eps <= 1.0 or tau <= 0:
            raise ValueError(
                f"{name}: need lp_window >= 2, update_every >= 1, 0 < lp_alpha <= 1, 0 <= eps <= 1, tau > 0"
            )
        self.lp_estimator, self.lp_window, self.lp_alpha = lp_estimator, int(lp_window), float(lp_alpha)
        self.converter, self.eps, self.tau = converter, float(eps), float(tau)
        self.update_every = int(update_every)
        keep = max(int(history), self.lp_window + 1)
        self.histories: Dict[int, deque] = {i: deque(maxlen=keep) for i in range(self.num_tasks)}
        self.learning_progress = np.zeros(self.num_tasks)
        self.teacher_steps = 0
        self.frames_since_step = 0
        self.pending: Dict[int, List[float]] = {}
        self.attention = np.zeros(self.num_tasks)
        self.distribution = np.full(self.num_tasks, 1.0 / self.num_tasks)

    def _start(self) -> None:
        """The paper's first distribution: a teacher step with empty histories (call at the end of __init__)."""
        self.teacher_step({})

    # --- the teacher step ------------------------------------------------------------------------------------
    def teacher_step(self, perfs: Dict[int, float]) -> np.ndarray:
        """Record one mean return per task (index -> return), recompute the attention and the distribution.

        Args:
            perfs: the mean return of the episodes of each task since the last step (tasks without one left out).

        Returns:
            The new sampling distribution.
        """
        self.teacher_steps += 1
        for index, perf in perfs.items():
            self.histories[int(index)].append((float(self.teacher_steps), float(perf)))
        for i in range(self.num_tasks):
            steps, values = self.history_of(i)
            self.learning_progress[i] = estimate_learning_progress(
                self.lp_estimator,
                steps,
                values,
                float(self.learning_progress[i]),
                self.lp_window,
                self.lp_alpha,
                self.rng,
            )
        self.attention = np.asarray(self._attention(), dtype=np.float64)
        self.distribution = to_distribution(self.converter, self.attention, self.eps, self.tau, self.rng)
        return self.distribution

    def history_of(self, index: int) -> tuple[list, list]:
        """`(steps, mean returns)` of task `index`, oldest first."""
        points = list(self.histories[index])
        return [p[0] for p in points], [p[1] for p in points]

    def _attention(self) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define _attention()")

    # --- feedback --------------------------------------------------------------------------------------------
    def update_on_episode(
        self, episode_return: float, length: int = 0, task: Any = None, progress: Any = None, env_id: int | None = None
    ) -> None:
        """Collect the episode's return for its task; take the teacher steps its frames complete."""
        super().update_on_episode(episode_return, length, task, progress, env_id)
        if task is None:
            return
        index = int(self.task_space.encode(task))
        self.pending.setdefault(index, []).append(float(episode_return))
        self.frames_since_step += max(1, int(length))
        if self.frames_since_step < self.update_every:
            return
        due, self.frames_since_step = divmod(self.frames_since_step, self.update_every)
        for _ in range(due - 1):  # a long episode spans several steps: the earlier ones saw no episode end
            self.teacher_step({})
        perfs = {i: float(np.mean(values)) for i, values in self.pending.items()}
        self.pending = {}
        self.teacher_step(perfs)

    # --- sampling and logging --------------------------------------------------------------------------------
    def _sample_weights(self) -> np.ndarray:
        return self.distribution

    def _sample_distribution(self) -> List[float]:
        return self.distribution.tolist()

    def metrics(self) -> Dict[str, float]:
        """Base metrics plus, per task (first `max_logged_tasks`), the attention and the learning progress."""
        out = super().metrics()
        out["curriculum/teacher_steps"] = float(self.teacher_steps)
        for i in range(min(self.num_tasks, self.max_logged_tasks)):
            label = self._task_label(i)
            out[f"curriculum/attention/{label}"] = float(self.attention[i])
            out[f"curriculum/learning_progress/{label}"] = float(self.learning_progress[i])
        return out

    def _task_label(self, index: int) -> str:
        if self.task_names is not None:
            return str(self.task_names(index))
        return str(self.task_space.decode(index))


# the flags of teacher_student and mastering_rate (Willems, Lahlou & Bengio 2020; defaults are the paper code's)
TEACHER_ARGS: list[tuple[str, dict[str, Any]]] = [
    (
        "--teacher_lp_estimator",
        {
            "type": str,
            "default": "linreg",
            "choices": LP_ESTIMATORS,
            "help": "teacher_student, mastering_rate: learning-progress estimator (paper: linreg, the slope over the "
            "last --teacher_lp_window points; online/naive/window/sampling are Matiisen et al. 2017's).",
        },
    ),
    ("--teacher_lp_window", {"type": int, "default": 10, "help": "teacher: K, history points per estimate."}),
    ("--teacher_lp_alpha", {"type": float, "default": 0.1, "help": "teacher: EMA weight (online/naive/window)."}),
    (
        "--teacher_converter",
        {
            "type": str,
            "default": None,
            "choices": CONVERTERS,
            "help": "teacher: attention-to-distribution converter (default: greedy_prop for teacher_student, prop "
            "for mastering_rate, the paper's choices).",
        },
    ),
    ("--teacher_eps", {"type": float, "default": 0.1, "help": "teacher: uniform share of greedy converters."}),
    ("--teacher_tau", {"type": float, "default": 4e-4, "help": "teacher: temperature of the boltzmann converter."}),
    (
        "--teacher_update_every",
        {"type": int, "default": 2048, "help": "teacher: env steps per teacher step (paper: one 16x128 update)."},
    ),
]


def teacher_options(ctx: Any, converter: str) -> Dict[str, Any]:
    """`TeacherCurriculum` keyword arguments from the `TEACHER_ARGS` flags (`converter`: the curriculum's default)."""
    return {
        "lp_estimator": ctx.option("teacher_lp_estimator"),
        "lp_window": ctx.option("teacher_lp_window"),
        "lp_alpha": ctx.option("teacher_lp_alpha"),
        "converter": ctx.option("teacher_converter") or converter,
        "eps": ctx.option("teacher_eps"),
        "tau": ctx.option("teacher_tau"),
        "update_every": ctx.option("teacher_update_every"),
        "seed": ctx.seed,
    }


@contextmanager
def config_errors(flag: str) -> Iterator[None]:
    """Turn a curriculum's ValueError (a bad option) into a one-line ConfigError that names `flag`."""
    try:
        yield
    except ValueError as e:
        raise ConfigError(f"{flag}: {e}") from None
