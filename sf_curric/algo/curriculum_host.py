"""`CurriculumHost`: the Runner-side home of the run's one curriculum.

The host builds the curriculum from `--curriculum` (or the one given to `register_env`), hands out tasks for env
resets from a prefetched buffer, and feeds back everything the curriculum learns from, exactly once:

- episode results (task, return, length, `task_completion`, `episode_extra_stats`) of every batch;
- step batches, built from the trajectory, only when the curriculum `requires_step_updates`;
- the learner's `TrainResult` (advantages, values) with the trajectory's tasks, dones and env ids, for PLR;
- training info (`approx_total_training_steps`) from the runner's `_propagate_training_info()`.

Tasks travel as small ints (`code`): the encoded task for a finite task space, or a ticket issued here for a
continuous one (the host keeps ticket -> task until the episode that ran it is reported). `traj["tasks"]` and
`EpisodeSummary.task` hold these codes.

All public methods take one lock, so the parallel mode's task server thread may sample while the runner updates.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import logging
import threading
import time
from collections import deque
from typing import Any, Callable, Dict, Iterable, List, Tuple

import numpy as np
import torch

from sf_curric.algo.curriculum_args import CURRICULUM_OPTION_ARGS
from sf_curric.curricula.curriculum import Curriculum
from sf_curric.curricula.task_space import TaskSpace

log = logging.getLogger(__name__)

_OPTION_DEFAULTS = {flag[2:]: spec["default"] for flag, spec in CURRICULUM_OPTION_ARGS}


def _opt(cfg: argparse.Namespace, name: str) -> Any:
    return getattr(cfg, name, _OPTION_DEFAULTS.get(name))


def _config_error(message: str) -> Exception:
    from sf_curric.cfg.validation import ConfigError

    return ConfigError(message)


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


# ---- building the curriculum -------------------------------------------------------------------------------


def _plr(task_space: Any, cfg: argparse.Namespace, num_envs: int, action_space: Any, seed: int | None) -> Curriculum:
    from sf_curric.curricula.plr.plr import PrioritizedLevelReplay
    from sf_curric.curricula.plr.scores import POLICY_STRATEGIES

    return PrioritizedLevelReplay(
        task_space,
        num_steps=cfg.rollout,
        num_processes=num_envs,
        gamma=cfg.gamma,
        gae_lambda=cfg.gae_lambda,
        action_space=action_space if cfg.plr_strategy in POLICY_STRATEGIES else None,
        seed=seed,
        strategy=cfg.plr_strategy,
        score_transform=cfg.plr_score_transform,
        temperature=cfg.plr_temperature,
        staleness_coef=cfg.plr_staleness_coef,
        staleness_transform=cfg.plr_staleness_transform,
        rho=cfg.plr_rho,
        nu=cfg.plr_nu,
        alpha=cfg.plr_alpha,
        replay_schedule=cfg.plr_replay_schedule,
        eps=cfg.plr_eps,
    )


def _named_curriculum(
    name: str, task_space: Any, cfg: argparse.Namespace, num_envs: int, action_space: Any, seed: int | None
) -> Curriculum:
    """The curriculum `--curriculum=name` over `task_space`, configured by its flags."""
    from sf_curric import curricula

    if name == "dr":
        return curricula.DomainRandomization(task_space, seed=seed)
    if name == "plr":
        return _plr(task_space, cfg, num_envs, action_space, seed)
    if name == "simple_box":
        return curricula.SimpleBoxCurriculum(
            task_space,
            steps=_opt(cfg, "simple_box_steps"),
            success_threshold=_opt(cfg, "simple_box_success_threshold"),
            required_successes=_opt(cfg, "simple_box_required_successes"),
            seed=seed,
        )
    if name == "learning_progress":
        return curricula.LearningProgress(
            task_space,
            ema_alpha=_opt(cfg, "lp_ema_alpha"),
            p_theta=_opt(cfg, "lp_p_theta"),
            uniform_mix=_opt(cfg, "lp_uniform_mix"),
            seed=seed,
        )
    if name == "performance":
        threshold = _opt(cfg, "perf_promote_threshold")
        if threshold is None:
            raise _config_error("--curriculum=performance needs --perf_promote_threshold (e.g. the return to reach)")
        return curricula.PerformanceCurriculum(
            task_space,
            promote_threshold=threshold,
            window=_opt(cfg, "perf_window"),
            metric=_opt(cfg, "perf_metric"),
            demote_threshold=_opt(cfg, "perf_demote_threshold"),
            replay_easier=_opt(cfg, "perf_replay_easier"),
            seed=seed,
        )
    if name == "constant":
        task = _opt(cfg, "constant_task")
        if task is None:
            raise _config_error("--curriculum=constant needs --constant_task (a task of the env's task space, e.g. 3)")
        return curricula.Constant(_literal(task), task_space, seed=seed)
    if name == "sequential":
        return _sequential(task_space, cfg, num_envs, action_space, seed)
    raise _config_error(f"unknown --curriculum={name!r}: use none, dr, plr, sequential, simple_box, "
                        "learning_progress, performance or constant")  # fmt: skip


def _sequential(task_space: Any, cfg: argparse.Namespace, num_envs: int, action_space: Any, seed: int | None):
    from sf_curric.curricula import SequentialCurriculum

    stages_text, conditions_text = _opt(cfg, "sequential_stages"), _opt(cfg, "sequential_conditions")
    if not stages_text:
        raise _config_error("--curriculum=sequential needs --sequential_stages (e.g. '0;[1,2];dr')")
    stages: list = []
    for item in (s.strip() for s in stages_text.split(";")):
        if item in ("dr", "plr", "learning_progress", "performance", "simple_box"):
            stages.append(_named_curriculum(item, task_space, cfg, num_envs, action_space, seed))
        else:
            stages.append(_literal(item))
    conditions = [c.strip() for c in conditions_text.split(";")] if conditions_text else []
    try:
        return SequentialCurriculum(stages, conditions, task_space, seed=seed)
    except ValueError as e:
        raise _config_error(f"--sequential_stages/--sequential_conditions: {e}") from None


# values a curriculum factory given to register_env may ask for, by parameter name
def _factory_values(task_space: Any, cfg: argparse.Namespace, num_envs: int, seed: int | None) -> Dict[str, Any]:
    return {
        "task_space": task_space,
        "cfg": cfg,
        "num_envs": num_envs,
        "num_processes": num_envs,
        "num_steps": cfg.rollout,
        "gamma": cfg.gamma,
        "gae_lambda": cfg.gae_lambda,
        "seed": seed,
    }


def _call_factory(factory: Callable[..., Any], values: Dict[str, Any]) -> Any:
    try:
        params = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        return factory(values["task_space"])
    kwargs: Dict[str, Any] = {}
    for i, p in enumerate(params):
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in values:
            kwargs[p.name] = values[p.name]
        elif i == 0 and p.default is p.empty and p.kind is not p.KEYWORD_ONLY:
            kwargs[p.name] = values["task_space"]  # e.g. `lambda space: DomainRandomization(space)`
        elif p.default is p.empty:
            raise _config_error(
                f"curriculum factory {getattr(factory, '__name__', factory)!r} needs {p.name!r}; it may take "
                f"{sorted(values)} by name"
            )
    return factory(**kwargs)


def build_curriculum(
    cfg: argparse.Namespace, num_envs: int, action_space: Any = None, env_spec: Any = None
) -> Curriculum | None:
    """The run's curriculum: `--curriculum` when given, else the one registered with the env, else None.

    A curriculum instance or factory given to `register_env(..., curriculum=...)` is used unless `--curriculum`
    names one; a factory's parameters are filled by name (task_space, cfg, num_envs, num_processes, num_steps,
    gamma, gae_lambda, seed; an unnamed first parameter gets the task space).

    Args:
        cfg: the run's config (`--curriculum`, `--curriculum_seed`, the `--plr_*` flags and the option flags).
        num_envs: envs in the run (PLR's number of actors).
        action_space: the env's action space (PLR's policy strategies need a Discrete one).
        env_spec: the registry entry of `cfg.env` (looked up when None).

    Example:
        >>> curriculum = build_curriculum(cfg, num_envs=16)
    """
    if env_spec is None:
        from sf_curric.envs.registry import get_env_spec

        env_spec = get_env_spec(cfg.env)
    task_space = getattr(env_spec, "task_space", None)
    registered = getattr(env_spec, "curriculum", None)
    seed = cfg.curriculum_seed if getattr(cfg, "curriculum_seed", None) is not None else cfg.seed
    choice = cfg.curriculum if cfg.curriculum is not None else registered
    if choice is None or choice == "none":
        return None
    if isinstance(choice, str):
        if task_space is None:
            if isinstance(registered, Curriculum):
                task_space = registered.task_space
            else:
                raise _config_error(
                    f"--curriculum={choice} needs a task space: register the env with "
                    f"register_env({cfg.env!r}, make_env_fn, task_space=...) or drop --curriculum"
                )
        try:
            curriculum = _named_curriculum(choice, task_space, cfg, num_envs, action_space, seed)
        except ValueError as e:  # e.g. --constant_task outside the task space: bad input, one line that names it
            raise _config_error(str(e)) from None
    elif isinstance(choice, Curriculum):
        curriculum = choice
    elif callable(choice):
        if task_space is None:
            raise _config_error(f"env {cfg.env!r} has a curriculum factory but no task_space: pass task_space=...")
        curriculum = _call_factory(choice, _factory_values(task_space, cfg, num_envs, seed))
        if not isinstance(curriculum, Curriculum):
            raise _config_error(f"the curriculum factory of {cfg.env!r} returned {type(curriculum).__name__}, "
                                "not a sf_curric Curriculum")  # fmt: skip
    else:
        raise _config_error(f"register_env(curriculum=...) got {choice!r}: pass a name, a Curriculum or a factory")
    sampler = getattr(curriculum, "task_sampler", None)
    if sampler is not None and getattr(sampler, "num_actors", num_envs) < num_envs:
        raise _config_error(
            f"the registered PLR curriculum has num_processes={sampler.num_actors} but the run has {num_envs} envs: "
            f"construct it with num_processes >= {num_envs}"
        )
    return curriculum


# ---- the host ------------------------------------------------------------------------------------------------


def _finite(x: Any) -> bool:
    return bool(torch.isfinite(torch.as_tensor(x)).all())


def _to_numpy(x: Any) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


class CurriculumHost:
    """Owns the curriculum during training: prefetched tasks out, results in (each exactly once), logging.

    Args:
        curriculum: the run's curriculum.
        num_envs: envs in the run.
        prefetch_per_env: tasks sampled ahead per env.
        reward_scale: `--reward_scale` (step updates report unscaled rewards).
        max_logged_tasks: per-task scalars (mean return) are written for at most this many tasks.
        history: distributions kept for the "top tasks over time" image.
        return_window: episodes per task averaged for the per-task mean return.

    Example:
        >>> host = CurriculumHost(DomainRandomization(Discrete(10), seed=0), num_envs=4)
        >>> code, task = host.next_task(env_id=0)
    """

    def __init__(
        self,
        curriculum: Curriculum,
        num_envs: int,
        prefetch_per_env: int = 2,
        reward_scale: float = 1.0,
        max_logged_tasks: int = 16,
        history: int = 256,
        return_window: int = 100,
    ) -> None:
        if prefetch_per_env < 1:
            raise ValueError(f"--curriculum_prefetch={prefetch_per_env} must be >= 1")
        self.curriculum = curriculum
        self.task_space: TaskSpace = curriculum.task_space
        self.finite = self.task_space.is_finite
        self.num_envs = int(num_envs)
        self.prefetch = int(prefetch_per_env) * self.num_envs
        self.reward_scale = float(reward_scale)
        self.max_logged_tasks = int(max_logged_tasks)
        self.return_window = int(return_window)
        self.lock = threading.RLock()
        self._buffer: deque = deque()  # prefetched (code, task) for next_task
        self._tickets: Dict[int, Any] = {}  # continuous spaces: code -> task of episodes not reported yet
        self._next_ticket = 0
        self._returns: Dict[int, deque] = {}  # finite spaces: code -> recent returns
        self._recent_codes: List[int] = []  # codes issued since the last log (histogram)
        self._recent_tasks: List[Any] = []  # continuous tasks issued since the last log (histogram)
        self._history: deque = deque(maxlen=history)  # (step, distribution)
        self.num_tasks_issued = 0
        self.num_episodes_reported = 0
        self.num_learner_updates = 0
        self.num_learner_updates_skipped = 0
        self.seconds = 0.0  # time spent in the curriculum (sampling, updates, logging)

    # ---- tasks out ---------------------------------------------------------------------------------------------

    def _code(self, task: Any) -> int:
        if self.finite:
            return int(self.task_space.encode(task))
        code = self._next_ticket
        self._next_ticket += 1
        self._tickets[code] = task
        return code

    def take_tasks(self, n: int) -> List[Tuple[int, Any]]:
        """Sample `n` tasks from the curriculum now.

        Args:
            n: how many.

        Returns:
            `(code, task)` pairs: `code` goes into the trajectory, `task` into `env.reset(new_task=task)`.
        """
        if n <= 0:
            return []
        with self.lock:
            start = time.perf_counter()
            tasks = self.curriculum.sample(n)
            out = [(self._code(task), task) for task in tasks]
            self.num_tasks_issued += n
            if self.finite:
                self._recent_codes.extend(code for code, _ in out)
            elif len(self._recent_tasks) < 10_000:
                self._recent_tasks.extend(task for _, task in out)
            self.seconds += time.perf_counter() - start
        return out

    def next_task(self, env_id: int) -> Tuple[int, Any]:
        """The task for the next reset of env `env_id` (serial mode), from the prefetched buffer.

        Args:
            env_id: global index of the env (unused: every env draws from the one distribution).
        """
        if not self._buffer:
            self._buffer.extend(self.take_tasks(self.prefetch))
        return self._buffer.popleft()

    def pending_tasks(self) -> List[Tuple[int, Any]]:
        """Tasks sampled for serial-mode resets and not used yet."""
        return list(self._buffer)

    def decode(self, code: int, keep: bool = True) -> Any:
        """The task of a code from the trajectory or an episode summary.

        Args:
            code: `traj["tasks"]` entry or `EpisodeSummary.task`.
            keep: for continuous spaces, keep the ticket (False: its episode is reported, forget it).
        """
        code = int(code)
        if self.finite:
            return self.task_space.decode(code)
        if code not in self._tickets:
            raise KeyError(f"task code {code} was never issued by this curriculum host (or was already reported)")
        return self._tickets[code] if keep else self._tickets.pop(code)

    # ---- results in --------------------------------------------------------------------------------------------

    def on_episodes(self, episodes: Iterable[Any]) -> None:
        """Deliver finished episodes (`EpisodeSummary`) to the curriculum: task progress, then the episode.

        Args:
            episodes: the batch's episode summaries; each must be delivered exactly once.
        """
        with self.lock:
            start = time.perf_counter()
            curriculum = self.curriculum
            on_extra = getattr(curriculum, "update_on_episode_extra_stats", None)
            for ep in episodes:
                if ep.task < 0:
                    continue  # an episode that started without a task (none come from a hosted run)
                task = self.decode(ep.task, keep=False)
                progress = ep.task_completion
                if progress is not None:
                    curriculum.update_task_progress(task, progress, env_id=ep.env_id)
                curriculum.update_on_episode(ep.episode_return, ep.episode_length, task, progress, env_id=ep.env_id)
                if on_extra is not None and ep.extra_stats:
                    on_extra(task, ep.extra_stats, env_id=ep.env_id)
                self.num_episodes_reported += 1
                if self.finite:
                    self._returns.setdefault(ep.task, deque(maxlen=self.return_window)).append(ep.episode_return)
            self.seconds += time.perf_counter() - start

    def on_batch(self, traj: Dict[str, torch.Tensor], result: Any = None, model: Any = None, episodes=None) -> None:
        """Everything the curriculum learns from one training batch, in order: step batches (when the curriculum
        requires them), the learner's scores (PLR), then the batch's finished episodes.

        Args:
            traj: the batch's trajectory (docs/architecture.md layout).
            result: the learner's `TrainResult` for this batch (advantages, values); None skips learner updates.
            model: the learner's `ActorCritic`, needed by PLR's policy strategies (action distributions).
            episodes: the batch's `EpisodeSummary` list.
        """
        with self.lock:
            start = time.perf_counter()
            if self.curriculum.requires_step_updates:
                self._step_updates(traj)
            if result is not None and self.curriculum.requires_learner_updates:
                if _finite(result.advantages) and _finite(result.values):
                    self._learner_update(traj, result, model)
                else:  # a batch the learner skipped (NaN/Inf): its scores would poison PLR's for good
                    self.num_learner_updates_skipped += 1
                    log.warning("curriculum: batch with non-finite values or advantages not used for scores")
            self.seconds += time.perf_counter() - start
        if episodes:
            self.on_episodes(episodes)

    def _learner_update(self, traj: Dict[str, torch.Tensor], result: Any, model: Any) -> None:
        update = getattr(self.curriculum, "update_with_rollout", None)
        if update is None:
            return
        terminated, truncated = traj["terminated"].bool(), traj["truncated"].bool()
        values = traj["values"].float()
        # value of the state after step t (docs/architecture.md), 0 after a terminal step
        next_values = torch.where(truncated, traj["final_values"].float(), values[1:]) * (~terminated).float()
        kwargs = {
            "tasks": traj["tasks"],
            "dones": terminated | truncated,
            "values": result.values,
            "advantages": result.advantages,
            "actor_ids": traj["env_ids"],
            "rewards": traj["rewards"],
            "next_values": next_values,
        }
        sampler = getattr(self.curriculum, "task_sampler", None)
        if sampler is not None and not sampler.requires_value_buffers:
            kwargs["action_log_dists"] = self._action_logits(traj, model)
        update(**kwargs)
        self.num_learner_updates += 1

    @staticmethod
    def _action_logits(traj: Dict[str, torch.Tensor], model: Any) -> torch.Tensor:
        if model is None:
            raise ValueError("PLR's policy strategies need the learner's model: pass model= to on_batch")
        steps = traj["rewards"].shape[0]
        device = next(model.parameters()).device
        starts = None
        if model.is_recurrent:
            ended = (traj["terminated"] | traj["truncated"]).bool()
            starts = torch.cat([torch.zeros_like(ended[:1]), ended[:-1]]).to(device)
        with torch.no_grad():
            states = traj["rnn_states"].to(device) if model.is_recurrent else None
            params, _ = model.forward_sequence(traj["obs"][:steps].to(device), states, starts)
        return params.float().cpu()

    def _step_updates(self, traj: Dict[str, torch.Tensor]) -> None:
        # One step batch per env column. The observation after a step that ended an episode is the next episode's
        # first one (the final observation is not stored), and step infos are not kept: they are empty dicts.
        tasks = _to_numpy(traj["tasks"])
        obs = _to_numpy(traj["obs"])[1:]
        rewards = _to_numpy(traj["rewards"]) / self.reward_scale
        terminated, truncated = _to_numpy(traj["terminated"]), _to_numpy(traj["truncated"])
        env_ids = _to_numpy(traj["env_ids"])
        steps = tasks.shape[0]
        for b in range(tasks.shape[1]):
            column_tasks = [self.decode(code) for code in tasks[:, b]]
            columns = (
                column_tasks,
                list(obs[:, b]),
                rewards[:, b].tolist(),
                terminated[:, b].tolist(),
                truncated[:, b].tolist(),
                [{} for _ in range(steps)],
            )
            self.curriculum.update_on_step_batch(columns, env_id=int(env_ids[b]))

    def set_training_info(self, training_info: Dict[str, Any]) -> None:
        """Forward the runner's training info (`approx_total_training_steps`) to the curriculum.

        Args:
            training_info: the dict `_propagate_training_info()` sends to every env.
        """
        with self.lock:
            self.curriculum.set_training_info(dict(training_info))

    # ---- checkpoints -------------------------------------------------------------------------------------------

    def state_dict(self) -> Dict[str, Any]:
        """The curriculum's state (scores, staleness, stage, RNG) and the host's counters."""
        with self.lock:
            return {
                "curriculum": self.curriculum.state_dict(),
                "num_tasks_issued": self.num_tasks_issued,
                "num_episodes_reported": self.num_episodes_reported,
                "num_learner_updates": self.num_learner_updates,
                "returns": {code: list(values) for code, values in self._returns.items()},
            }

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Restore what `state_dict()` saved (tasks prefetched before the checkpoint are not restored: the envs
        of a resumed run start new episodes with new tasks).

        Args:
            state: the dict from `state_dict()`.
        """
        with self.lock:
            self.curriculum.load_state_dict(state["curriculum"])
            self.num_tasks_issued = int(state.get("num_tasks_issued", 0))
            self.num_episodes_reported = int(state.get("num_episodes_reported", 0))
            self.num_learner_updates = int(state.get("num_learner_updates", 0))
            self._returns = {
                int(code): deque(values, maxlen=self.return_window) for code, values in state.get("returns", {}).items()
            }
            self._buffer.clear()

    # ---- logging -----------------------------------------------------------------------------------------------

    def distribution(self) -> np.ndarray | None:
        """The curriculum's current probability per task (finite spaces), or None."""
        if not self.finite:
            return None
        with self.lock:
            try:
                dist = np.asarray(self.curriculum._sample_distribution(), dtype=np.float64)
            except NotImplementedError:
                return None
        total = dist.sum()
        return dist / total if total > 0 else None

    def mean_returns(self) -> Dict[int, float]:
        """Mean return of the recent episodes of each task seen (finite spaces), by task code."""
        with self.lock:
            return {code: float(np.mean(values)) for code, values in sorted(self._returns.items()) if values}

    def task_label(self, code: int) -> str:
        """A short printable name of a task code (for tags and images)."""
        names = getattr(self.curriculum, "task_names", None)
        if names is not None:
            return str(names(code))
        task = self.task_space.decode(code)
        return str(task) if isinstance(task, (int, str, np.integer)) else str(code)

    def log(self, writer: Any, step: int) -> None:
        """Write curriculum metrics to a tensorboardX writer: the curriculum's scalars (curriculum/entropy,
        curriculum/num_active_tasks, ...), the task distribution as a histogram and as images (probability per
        task; top tasks over time), the tasks issued since the last call, and per-task mean return.

        Args:
            writer: a `tensorboardX.SummaryWriter`.
            step: global step (env steps).
        """
        from sf_curric.algo.curriculum_images import add_image, render_distribution, render_top_tasks

        start = time.perf_counter()
        with self.lock:
            metrics = self.curriculum.metrics()
            recent_codes, self._recent_codes = self._recent_codes, []
            recent_tasks, self._recent_tasks = self._recent_tasks, []
        dist = self.distribution()
        if dist is not None:
            positive = dist[dist > 0]
            metrics.setdefault("curriculum/entropy", float(-(positive * np.log(positive)).sum()))
            metrics.setdefault("curriculum/num_active_tasks", float(len(positive)))
            self._history.append((int(step), dist))
            _histogram_raw(writer, "curriculum/task_distribution", dist, step)
            labels = [self.task_label(i) for i in range(len(dist))] if len(dist) <= 64 else None
            add_image(writer, "curriculum/task_probability", render_distribution(dist, labels), step)
            if len(self._history) >= 2:
                image = render_top_tasks(list(self._history), top_k=5, label=self.task_label)
                add_image(writer, "curriculum/top_tasks_over_time", image, step)
        if recent_codes:
            counts = np.bincount(np.asarray(recent_codes), minlength=self.task_space.num_tasks)
            _histogram_raw(writer, "curriculum/sampled_tasks", counts.astype(np.float64), step)
        if recent_tasks:
            flat = np.asarray([np.asarray(t, dtype=np.float64).reshape(-1) for t in recent_tasks])
            for i in range(min(flat.shape[1], 8)):
                writer.add_histogram(f"curriculum/sampled_task_dim{i}", flat[:, i], step)
        for key, value in metrics.items():
            writer.add_scalar(key, value, step)
        returns = self.mean_returns()
        for code in list(returns)[: self.max_logged_tasks]:
            writer.add_scalar(f"curriculum/task_return/{self.task_label(code)}", returns[code], step)
        writer.add_scalar("curriculum/tasks_issued", float(self.num_tasks_issued), step)
        writer.add_scalar("curriculum/episodes_reported", float(self.num_episodes_reported), step)
        self.seconds += time.perf_counter() - start
        writer.add_scalar("perf/curriculum_sec", self.seconds, step)


def _histogram_raw(writer: Any, tag: str, weights: np.ndarray, step: int) -> None:
    """A histogram with one bucket per task index whose height is `weights[i]` (probability or count)."""
    n = len(weights)
    index = np.arange(n, dtype=np.float64)
    total = float(weights.sum())
    if total <= 0:
        return
    writer.add_histogram_raw(
        tag,
        min=float(index[weights > 0].min()),
        max=float(index[weights > 0].max()),
        num=total,
        sum=float((index * weights).sum()),
        sum_squares=float((index * index * weights).sum()),
        bucket_limits=(index + 0.5).tolist(),
        bucket_counts=weights.tolist(),
        global_step=step,
    )


def build_curriculum_host(
    cfg: argparse.Namespace, num_envs: int, action_space: Any = None, env_spec: Any = None
) -> CurriculumHost | None:
    """The run's `CurriculumHost`, or None when the run has no curriculum.

    Args:
        cfg: the run's config.
        num_envs: envs in the run.
        action_space: the env's action space.
        env_spec: the registry entry of `cfg.env` (looked up when None).
    """
    curriculum = build_curriculum(cfg, num_envs, action_space, env_spec)
    if curriculum is None:
        return None
    log.info("curriculum: %r", curriculum)
    return CurriculumHost(
        curriculum,
        num_envs,
        prefetch_per_env=_opt(cfg, "curriculum_prefetch"),
        reward_scale=getattr(cfg, "reward_scale", 1.0),
    )
