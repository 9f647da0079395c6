"""`CurriculumHost`: the Runner-side home of the run's one curriculum.

The host takes the curriculum built by `sf_curric.curricula.factory`, hands out tasks for env
resets from a prefetched buffer, and feeds back everything the curriculum learns from, exactly once, as typed
messages delivered by the one table of `sf_curric.curricula.feedback` (the sync wrappers' servers use it too):

- step batches (`StepBatch`), built from the trajectory, only when the curriculum overrides a step hook;
- the learner's `TrainResult` (values, advantages, episode ends) with the trajectory's tasks and env ids, as one
  `LearnerFeedback`, only when the curriculum overrides `update_on_learner_batch` (PLR, Robust PLR, ACCEL);
- the batch's `feedback` list: what the rollout workers appended to their outbox (an `EpisodeSummary` per finished
  episode, and any other message type with a handler);
- training info (`approx_total_training_steps`) from the runner's `_propagate_training_info()`.

Tasks travel as small ints (`code`): the encoded task for a finite task space, or a ticket issued here for a
continuous one (the host keeps ticket -> task until the episode that ran it is reported). `traj["tasks"]` and
`EpisodeSummary.task` hold these codes.

All public methods take one lock, so the parallel mode's task server thread may sample while the runner updates.
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from collections import deque
from typing import Any, Dict, Iterable, List, Tuple

import numpy as np
import torch

from sf_curric.algo.task_feed import in_process_feed
from sf_curric.cfg.arguments import flag_value
from sf_curric.curricula.curriculum import Curriculum
from sf_curric.curricula.factory import build_curriculum, curriculum_option
from sf_curric.curricula.feedback import EpisodeSummary, StepBatch, deliver
from sf_curric.curricula.learner_feedback import LearnerFeedback
from sf_curric.curricula.task_space import TaskSpace

log = logging.getLogger(__name__)


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
        self.reward_scale = float(reward_scale)
        self.max_logged_tasks = int(max_logged_tasks)
        self.return_window = int(return_window)
        self.lock = threading.RLock()
        self.prefetch_per_env = int(prefetch_per_env)
        self._serial_feed: Any = None  # serial mode's TaskFeed (task_feed.py), built at the first next_task
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
        self.steps_seen = 0  # env steps of batches that went through train_mask
        self.steps_trained = 0  # ... of which the learner trained on
        self._last_trained_log: Tuple[float, int] | None = None  # (time, steps_trained) at the last log
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
        """The task for the next reset of env `env_id` in serial mode, from the same prefetching `TaskFeed` as the
        worker processes use (task_feed.py), on in-process queues.

        Args:
            env_id: global index of the env (unused: every env draws from the one distribution).
        """
        if self._serial_feed is None:
            self._serial_feed = in_process_feed(self, self.num_envs, self.prefetch_per_env)
        return self._serial_feed(env_id)

    def pending_tasks(self) -> List[Tuple[int, Any]]:
        """Tasks sampled for serial-mode resets and not used yet."""
        return [] if self._serial_feed is None else self._serial_feed.pending()

    def decode(self, code: int) -> Any:
        """The task of a code from the trajectory or an episode summary.

        Args:
            code: `traj["tasks"]` entry or `EpisodeSummary.task` (for continuous spaces, a ticket kept until its
                episode is reported).
        """
        code = int(code)
        if self.finite:
            return self.task_space.decode(code)
        if code not in self._tickets:
            raise KeyError(f"task code {code} was never issued by this curriculum host (or was already reported)")
        return self._tickets[code]

    # ---- results in --------------------------------------------------------------------------------------------

    def on_feedback(self, messages: Iterable[Any]) -> None:
        """Deliver a batch's feedback list (what the rollout workers appended to their outbox) to the curriculum, each
        message exactly once, in order, with the handler of its type.

        Args:
            messages: e.g. the `EpisodeSummary` of every episode that ended in the batch.
        """
        with self.lock:
            start = time.perf_counter()
            for msg in messages:
                self._deliver(msg)
            self.seconds += time.perf_counter() - start

    def on_episodes(self, episodes: Iterable[Any]) -> None:
        """Deliver finished episodes (`EpisodeSummary`): `on_feedback` of a list that holds only episodes."""
        self.on_feedback(episodes)

    def _deliver(self, msg: Any) -> None:
        if type(msg) is not EpisodeSummary:
            deliver(self.curriculum, msg, self.decode)
            return
        if msg.task < 0:
            return  # an episode that started without a task (none come from a hosted run)
        deliver(self.curriculum, msg, self.decode)
        self.num_episodes_reported += 1
        if self.finite:
            self._returns.setdefault(msg.task, deque(maxlen=self.return_window)).append(msg.episode_return)
        else:
            self._tickets.pop(int(msg.task), None)  # its episode is reported: the ticket is not needed any more

    def on_batch(self, traj: Dict[str, torch.Tensor], result: Any = None, feedback: Iterable[Any] = ()) -> None:
        """Everything the curriculum learns from one training batch, in order: step batches (when it overrides a
        step hook), the learner's numbers (when it overrides `update_on_learner_batch`), then the batch's feedback.

        Args:
            traj: the batch's trajectory (docs/architecture.md layout).
            result: the learner's `TrainResult` for this batch; None skips learner updates.
            feedback: the batch's feedback list (`Batch.feedback`).
        """
        with self.lock:
            start = time.perf_counter()
            if self.curriculum.requires_step_updates:
                for batch in self._step_batches(traj):
                    deliver(self.curriculum, batch, self.decode)
            if result is not None and self.curriculum.requires_learner_updates:
                learner = LearnerFeedback.of_batch(traj, result)
                if learner.is_finite():
                    deliver(self.curriculum, learner, self.decode)
                    self.num_learner_updates += 1
                else:  # a batch the learner skipped (NaN/Inf): its scores would poison PLR's for good
                    self.num_learner_updates_skipped += 1
                    log.warning("curriculum: batch with non-finite values or advantages not used for scores")
            self.seconds += time.perf_counter() - start
        self.on_feedback(feedback or ())

    def train_mask(self, traj: Dict[str, torch.Tensor]) -> torch.Tensor | None:
        """`[T, B]` bool: the steps the learner may train on, for curricula that choose them (Robust PLR and ACCEL
        train only on replayed levels); None for the others (train on everything). Call it before training.

        Args:
            traj: the batch's trajectory (its `tasks` codes).
        """
        with self.lock:
            mask = self.curriculum.trains_on(_to_numpy(traj["tasks"]).astype(np.int64))
            if mask is None:
                return None
            mask = torch.as_tensor(np.asarray(mask, dtype=bool))
            self.steps_seen += mask.numel()
            self.steps_trained += int(mask.sum())
        return mask

    def apply_train_mask(self, traj: Dict[str, torch.Tensor]) -> None:
        """Put `train_mask(traj)` into `traj["train_mask"]` (what the learner reads) when the curriculum has one."""
        mask = self.train_mask(traj)
        if mask is not None:
            traj["train_mask"] = mask

    def trained_fraction(self) -> float | None:
        """Fraction of env steps trained on so far (None when every step is, or before the first batch)."""
        return self.steps_trained / self.steps_seen if self.steps_seen else None

    def _step_batches(self, traj: Dict[str, torch.Tensor]) -> List[StepBatch]:
        # One step batch per env column. The observation after a step that ended an episode is the next episode's
        # first one (the final observation is not stored), and step infos are not kept: they are empty dicts.
        tasks = _to_numpy(traj["tasks"])
        obs = _to_numpy(traj["obs"])[1:]
        rewards = _to_numpy(traj["rewards"]) / self.reward_scale
        terminated, truncated = _to_numpy(traj["terminated"]), _to_numpy(traj["truncated"])
        env_ids = _to_numpy(traj["env_ids"])
        steps = tasks.shape[0]
        return [
            StepBatch(
                int(env_ids[b]),
                tasks[:, b].tolist(),
                list(obs[:, b]),
                rewards[:, b].tolist(),
                terminated[:, b].tolist(),
                truncated[:, b].tolist(),
                [{} for _ in range(steps)],
                [None] * steps,
            )
            for b in range(tasks.shape[1])
        ]

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
                "steps_seen": self.steps_seen,
                "steps_trained": self.steps_trained,
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
            self.steps_seen = int(state.get("steps_seen", 0))
            self.steps_trained = int(state.get("steps_trained", 0))
            self._returns = {
                int(code): deque(values, maxlen=self.return_window) for code, values in state.get("returns", {}).items()
            }
            self._serial_feed = None  # tasks sampled before the restore are dropped

    # ---- logging -----------------------------------------------------------------------------------------------

    def distribution(self) -> np.ndarray | None:
        """The curriculum's current probability per task (finite spaces), or None."""
        if not self.finite:
            return None
        with self.lock:
            try:
                dist = self.curriculum.sample_distribution()
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
        if self.curriculum.task_names is not None:  # declared on Curriculum (None unless the user named tasks)
            return str(self.curriculum.task_names(code))
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
        from sf_curric.tracking.curriculum_images import add_image, render_distribution, render_top_tasks

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
        fraction = self.trained_fraction()
        if fraction is not None:  # Robust PLR / ACCEL: next to charts/FPS (env steps), the trained-on steps per second
            writer.add_scalar("curriculum/trained_fraction", fraction, step)
            now = time.monotonic()
            if self._last_trained_log is not None and now > self._last_trained_log[0]:
                rate = (self.steps_trained - self._last_trained_log[1]) / (now - self._last_trained_log[0])
                writer.add_scalar("charts/FPS_trained_on", rate, step)
            self._last_trained_log = (now, self.steps_trained)
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
    from sf_curric.envs.registry import get_env_spec, make_env

    if env_spec is None:
        env_spec = get_env_spec(cfg.env)
    curriculum = build_curriculum(cfg, num_envs, action_space, env_spec, make_env)
    if curriculum is None:
        return None
    log.info("curriculum: %r", curriculum)
    return CurriculumHost(
        curriculum,
        num_envs,
        prefetch_per_env=curriculum_option(cfg, "curriculum_prefetch"),
        reward_scale=flag_value(cfg, "reward_scale"),
    )
