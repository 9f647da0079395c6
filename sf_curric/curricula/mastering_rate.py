"""MasteringRate: the Mastering Rate curriculum (Willems, Lahlou & Bengio 2020, "Mastering Rate based Curriculum
Learning"), as its code lcswillems/automatic-curriculum (`auto_curri/att_computer.py`, MrAttentionComputer) has it.

Tasks form a directed acyclic graph: an edge a -> b says that a is learned before b. Each task c has a mastering rate
`Mast(c) = (r_c - m_c) / (M_c - m_c)`, where r_c is its mean return over its last K history points (clipped to
[m_c, M_c]) and m_c / M_c the lowest / highest such mean seen so far (from K points on), starting from the
curriculum's estimates of the minimum and maximum return. A task is *learnable* when its ancestors are mastered and
its successors are not:

    pre_a(c) = Mast(Anc_c)^p * ((1 - g) na_lp(c) + g (1 - Mast(c))) * (1 - Mast(Succ_c))

with Mast(Anc_c) the smallest mastering rate of c's ancestors (1 without any), Mast(Succ_c) the smallest of its
direct successors (0 without any), na_lp(c) = |lp(c)| / max |lp| the normalized absolute learning progress and g the
potential proportion. Then, in reverse topological order, each task passes a share d_pred of its attention to its
direct predecessors (split evenly; what they receive they pass on in turn) and then a share d_succ of what remains to
its direct successors (not passed on). A converter turns the attention into the sampling distribution (paper: prop).
"""

from __future__ import annotations

from typing import Any, Dict, Sequence

import numpy as np

from sf_curric.curricula.teacher import TEACHER_ARGS, TeacherCurriculum, config_errors, teacher_options


class TaskGraph:
    """A directed acyclic graph over task indices 0..n-1.

    Args:
        num_tasks: n.
        edges: `(before, after)` index pairs; None: the chain 0 -> 1 -> ... -> n-1 (an ordered task list).

    Example:
        >>> TaskGraph(3).ancestors(2)
        {0, 1}
    """

    def __init__(self, num_tasks: int, edges: Sequence[tuple[int, int]] | None = None) -> None:
        self.num_tasks = int(num_tasks)
        if edges is None:
            edges = [(i, i + 1) for i in range(self.num_tasks - 1)]
        self.edges = [(int(a), int(b)) for a, b in edges]
        for a, b in self.edges:
            if not (0 <= a < self.num_tasks and 0 <= b < self.num_tasks) or a == b:
                raise ValueError(
                    f"curriculum graph edge {(a, b)}: both ends must be distinct tasks of 0..{num_tasks - 1}"
                )
        self.predecessors = [sorted({a for a, b in self.edges if b == i}) for i in range(self.num_tasks)]
        self.successors = [sorted({b for a, b in self.edges if a == i}) for i in range(self.num_tasks)]
        self.order = self._topological_order()
        self._ancestors = [self._walk(i, self.predecessors) for i in range(self.num_tasks)]

    def _topological_order(self) -> list[int]:
        indegree = [len(p) for p in self.predecessors]
        ready = [i for i in range(self.num_tasks) if indegree[i] == 0]
        order: list[int] = []
        while ready:
            node = ready.pop(0)
            order.append(node)
            for succ in self.successors[node]:
                indegree[succ] -= 1
                if indegree[succ] == 0:
                    ready.append(succ)
        if len(order) != self.num_tasks:
            raise ValueError("the curriculum graph has a cycle: list every edge from an easier task to a harder one")
        return order

    @staticmethod
    def _walk(start: int, links: list[list[int]]) -> set[int]:
        seen: set[int] = set()
        stack = list(links[start])
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(links[node])
        return seen

    def ancestors(self, index: int) -> set[int]:
        """Every task with a path to `index`."""
        return set(self._ancestors[index])


class MasteringRate(TeacherCurriculum):
    """Samples the learnable tasks: ancestors mastered, successors not (see the module docstring for the formulas).

    Args:
        task_space: a finite task space (e.g. the env ids of an ordered list).
        edges: `(easier task, harder task)` pairs of the curriculum graph, as tasks of the space; None: the chain of
            the tasks in their order.
        min_returns: m_c estimates, one per task or one for all (paper: 0).
        max_returns: M_c estimates, one per task or one for all (paper's curricula: 0.5).
        mr_window: K of the mean return behind r_c, m_c and M_c (paper: 10).
        power: p, the power of the ancestors' mastering rate (paper: 6).
        potential_prop: g, the weight of the potential 1 - Mast(c) against the learning progress (paper: 0.5).
        pred_share: d_pred, the share of attention passed to predecessors (paper: 0.2).
        succ_share: d_succ, the share passed to successors (paper: 0.05).
        **kwargs: `TeacherCurriculum` options (paper: linreg LP over 10 points, prop converter, a step per 2048 env
            steps) and base `Curriculum` options.

    Example:
        >>> mr = MasteringRate(Discrete(3), seed=0)          # the chain 0 -> 1 -> 2
        >>> mr.sample_distribution().round(3)                 # at first only the root is learnable
        array([0.95, 0.05, 0.  ])
    """

    _NOT_STATE = TeacherCurriculum._NOT_STATE | {"graph"}  # rebuilt from `edges` by __init__

    def __init__(
        self,
        task_space: Any,
        edges: Sequence[tuple[Any, Any]] | None = None,
        min_returns: float | Sequence[float] = 0.0,
        max_returns: float | Sequence[float] = 0.5,
        mr_window: int = 10,
        power: float = 6.0,
        potential_prop: float = 0.5,
        pred_share: float = 0.2,
        succ_share: float = 0.05,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("converter", "prop")
        kwargs["history"] = max(int(kwargs.get("history", 0)), int(mr_window))
        super().__init__(task_space, **kwargs)
        n = self.num_tasks
        if edges is not None:
            edges = [(self.task_space.encode(a), self.task_space.encode(b)) for a, b in edges]
        self.graph = TaskGraph(n, edges)
        self.min_returns = self._per_task(min_returns, "min_returns")
        self.max_returns = self._per_task(max_returns, "max_returns")
        if np.any(self.max_returns <= self.min_returns):
            raise ValueError("MasteringRate: every max_returns must be above its min_returns")
        if mr_window < 1 or power < 0 or not 0 <= potential_prop <= 1 or not 0 <= pred_share <= 1:
            raise ValueError("MasteringRate: need mr_window >= 1, power >= 0, 0 <= potential_prop, pred_share <= 1")
        if not 0 <= succ_share <= 1:
            raise ValueError("MasteringRate: need 0 <= succ_share <= 1")
        self.mr_window, self.power, self.potential_prop = int(mr_window), float(power), float(potential_prop)
        self.pred_share, self.succ_share = float(pred_share), float(succ_share)
        self.returns = self.min_returns.copy()
        self.mastering_rates = np.zeros(n)
        self._start()

    def _per_task(self, value: float | Sequence[float], name: str) -> np.ndarray:
        try:
            return np.broadcast_to(np.asarray(value, dtype=np.float64), (self.num_tasks,)).copy()
        except ValueError:
            raise ValueError(f"MasteringRate: {name} needs one value or one per task ({self.num_tasks})") from None

    def _update_returns(self) -> None:
        """r_c, m_c and M_c from the mean of each task's last K points (the paper's `update_perfs`)."""
        for i in range(self.num_tasks):
            _, perfs = self.history_of(i)
            recent = perfs[-self.mr_window :]
            if not recent:
                continue
            mean = float(np.mean(recent))
            if len(recent) >= self.mr_window:
                self.min_returns[i] = min(self.min_returns[i], mean)
                self.max_returns[i] = max(self.max_returns[i], mean)
            self.returns[i] = np.clip(mean, self.min_returns[i], self.max_returns[i])

    def _attention(self) -> np.ndarray:
        self._update_returns()
        graph, n = self.graph, self.num_tasks
        abs_lp = np.abs(self.learning_progress)
        na_lp = abs_lp / abs_lp.max() if abs_lp.max() != 0 else abs_lp
        mr = (self.returns - self.min_returns) / (self.max_returns - self.min_returns)
        self.mastering_rates = mr
        anc_mr = np.array([min((mr[a] for a in graph.ancestors(i)), default=1.0) for i in range(n)])
        succ_mr = np.array([min((mr[s] for s in graph.successors[i]), default=0.0) for i in range(n)])
        learning_state = (1.0 - self.potential_prop) * na_lp + self.potential_prop * (1.0 - mr)
        attention = anc_mr**self.power * learning_state * (1.0 - succ_mr)
        for i in reversed(graph.order):
            to_preds = attention[i] * self.pred_share
            attention[i] -= to_preds
            if graph.predecessors[i]:
                attention[graph.predecessors[i]] += to_preds / len(graph.predecessors[i])
            to_succs = attention[i] * self.succ_share
            attention[i] -= to_succs
            if graph.successors[i]:
                attention[graph.successors[i]] += to_succs / len(graph.successors[i])
        return attention

    def metrics(self) -> Dict[str, float]:
        """Teacher metrics plus each task's mastering rate (first `max_logged_tasks`)."""
        out = super().metrics()
        for i in range(min(self.num_tasks, self.max_logged_tasks)):
            out[f"curriculum/mastering_rate/{self._task_label(i)}"] = float(self.mastering_rates[i])
        return out


MASTERING_RATE_ARGS: list[tuple[str, dict[str, Any]]] = [
    *TEACHER_ARGS,
    ("--mr_window", {"type": int, "default": 10, "help": "mastering_rate: K, points in the mean return r_c."}),
    ("--mr_power", {"type": float, "default": 6.0, "help": "mastering_rate: p, power of Mast(ancestors)."}),
    (
        "--mr_potential_prop",
        {"type": float, "default": 0.5, "help": "mastering_rate: weight of 1 - Mast(c) against the learning progress."},
    ),
    ("--mr_pred_share", {"type": float, "default": 0.2, "help": "mastering_rate: attention passed to predecessors."}),
    ("--mr_succ_share", {"type": float, "default": 0.05, "help": "mastering_rate: attention passed to successors."}),
    (
        "--mr_min_return",
        {"type": float, "default": None, "help": "mastering_rate: m_c, lowest mean return (default: the env's, or 0)."},
    ),
    (
        "--mr_max_return",
        {
            "type": float,
            "default": None,
            "help": "mastering_rate: M_c, highest mean return (default: the env's, or 0.5).",
        },
    ),
]


def build(ctx: Any) -> MasteringRate:
    """`--curriculum=mastering_rate` (sf_curric/curricula/builtin.py) over the env's curriculum graph: an env list
    registered with `register_env_list` (the mr_* envs) brings its graph and return estimates on its maker
    (`make_env_fn.env_curriculum`); any other finite task space is a chain in task order."""
    env_curriculum = getattr(getattr(ctx.env_spec, "make_env_fn", None), "env_curriculum", None)
    min_return, max_return = ctx.option("mr_min_return"), ctx.option("mr_max_return")
    with config_errors("--curriculum=mastering_rate"):
        return MasteringRate(
            ctx.task_space,
            edges=getattr(env_curriculum, "edges", None),
            min_returns=min_return if min_return is not None else getattr(env_curriculum, "min_return", 0.0),
            max_returns=max_return if max_return is not None else getattr(env_curriculum, "max_return", 0.5),
            mr_window=ctx.option("mr_window"),
            power=ctx.option("mr_power"),
            potential_prop=ctx.option("mr_potential_prop"),
            pred_share=ctx.option("mr_pred_share"),
            succ_share=ctx.option("mr_succ_share"),
            **teacher_options(ctx, "prop"),
        )
