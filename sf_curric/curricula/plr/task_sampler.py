"""TaskSampler: the scoring, staleness and replay logic of Prioritized Level Replay (arXiv 2010.03934).

Follows the paper and facebookresearch/level-replay's `LevelSampler`:

- a level's score is the mean per-step score of an episode on it (see `scores.py`), blended into the stored
  score with `alpha` (`S <- (1 - alpha) S + alpha s`);
- an episode cut by the end of a rollout is carried per actor and merged with its continuation, weighted by
  the number of steps of each part (`carry_partial_episodes=False` scores each part on its own at the end of
  its rollout, as the reference code does);
- replay weights mix the transformed scores with the transformed staleness:
  `P = (1 - staleness_coef) P_S + staleness_coef P_C`, both over seen levels only;
- the replay schedule decides between replaying a seen level and trying an unseen one.

All randomness comes from the sampler's own `numpy.random.Generator`; draws are inverse-CDF with one uniform
per decision, which keeps a seeded run reproducible and lets tests recompute every choice.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, Sequence

import numpy as np

from sf_curric.curricula.plr.fenwick import StalenessTree
from sf_curric.curricula.plr.options import IGNORABLE_OPTIONS, SCHEDULES, check_options
from sf_curric.curricula.plr.scores import NO_SCORE_STRATEGIES, POLICY_STRATEGIES, STRATEGIES, per_step_scores
from sf_curric.curricula.plr.transforms import TRANSFORMS, transform_weights

__all__ = ["TaskSampler", "TRANSFORMS", "SCHEDULES", "STRATEGIES", "IGNORABLE_OPTIONS"]


class TaskSampler:
    """Prioritized Level Replay task sampler over a finite list of tasks.

    Args:
        tasks: the tasks (any objects); the sampler works with their indices 0..n-1.
        num_actors: number of parallel environments (columns of the rollouts); actor ids are 0..num_actors-1.
        strategy: score function: value_l1 (default), gae, positive_value_loss, one_step_td_error, max_mc
            (Robust PLR's MaxMC: mean of `R_max - V(s_t)`, `R_max` the task's best episode return so far),
            policy_entropy, least_confidence, min_margin, or random / sequential (no scores).
        replay_schedule: "proportionate" (replay with probability = fraction of levels seen) or "fixed"
            (replay with probability 1 - nu once a fraction rho of levels is seen; always when all are seen).
        score_transform: rank (default), power, softmax, eps_greedy, max, constant.
        temperature: temperature beta of the score transform.
        eps: epsilon of the eps_greedy transform.
        rho: fraction of levels that must be seen before any replay.
        nu: probability of trying an unseen level under the fixed schedule.
        replay_prob: alternative to `nu` (`replay_prob = 1 - nu`); give one or the other.
        alpha: score EMA weight of the newest episode (1.0 keeps only the latest score).
        staleness_coef: weight of staleness in the replay distribution.
        staleness_transform: transform applied to staleness (default power).
        staleness_temperature: temperature of the staleness transform.
        gamma: discount used by one_step_td_error.
        carry_partial_episodes: merge an episode split across rollouts into one score (default True).
        num_actions: number of discrete actions, needed by the policy strategies.
        seed: seed of the sampler's RNG.

    Example:
        >>> sampler = TaskSampler(list(range(200)), num_actors=16, seed=0)
        >>> task = sampler.sample()
    """

    def __init__(
        self,
        tasks: Sequence[Any],
        num_actors: int = 1,
        strategy: str = "value_l1",
        replay_schedule: str = "proportionate",
        score_transform: str = "rank",
        temperature: float = 0.1,
        eps: float = 0.05,
        rho: float = 1.0,
        nu: float | None = None,
        replay_prob: float | None = None,
        alpha: float = 1.0,
        staleness_coef: float = 0.1,
        staleness_transform: str = "power",
        staleness_temperature: float = 1.0,
        gamma: float = 0.999,
        carry_partial_episodes: bool = True,
        num_actions: int | None = None,
        seed: int | None = None,
        **ignored: Any,
    ) -> None:
        nu = check_options(
            ignored, tasks, num_actors, strategy, replay_schedule, score_transform, staleness_transform, temperature,
            staleness_temperature, rho, nu, replay_prob, alpha, staleness_coef, num_actions,
        )  # fmt: skip

        self.tasks = list(tasks)
        self.num_tasks = len(self.tasks)
        self.num_actors = int(num_actors)
        self.strategy = strategy
        self.replay_schedule = replay_schedule
        self.score_transform = score_transform
        self.temperature = float(temperature)
        self.eps = float(eps)
        self.rho = float(rho)
        self.nu = nu
        self.alpha = float(alpha)
        self.staleness_coef = float(staleness_coef)
        self.staleness_transform = staleness_transform
        self.staleness_temperature = float(staleness_temperature)
        self.gamma = float(gamma)
        self.carry_partial_episodes = bool(carry_partial_episodes)
        self.num_actions = num_actions

        self.rng = np.random.default_rng(seed)
        n = self.num_tasks
        self.task_scores = np.zeros(n, dtype=np.float64)
        self.seen = np.zeros(n, dtype=bool)
        self.num_seen = 0
        # staleness of task i = sample_count - last_sampled[i] (every draw ages all tasks by one)
        self.sample_count = 0
        self.last_sampled = np.zeros(n, dtype=np.int64)
        self.next_task_index = 0  # sequential strategy
        # the episode each actor had in progress at the end of its last rollout: task index (-1: none),
        # mean score so far and number of steps so far
        self.partial_task = np.full(self.num_actors, -1, dtype=np.int64)
        self.partial_score = np.zeros(self.num_actors, dtype=np.float64)
        self.partial_steps = np.zeros(self.num_actors, dtype=np.int64)
        self.partial_return = np.zeros(self.num_actors, dtype=np.float64)  # max_mc: return of the carried part
        self.max_returns = np.full(n, -np.inf)  # max_mc: the best episode return seen on each task
        self.last_score = 0.0
        self.num_scored_episodes = 0
        self._score_weights_cache: np.ndarray | None = None
        self._score_cdf_cache: np.ndarray | None = None
        self._unseen_cdf_cache: np.ndarray | None = None
        self._staleness_tree: StalenessTree | None = None

    # --- properties ----------------------------------------------------------------------------------------
    @property
    def requires_value_buffers(self) -> bool:
        """True for strategies scored from values/advantages (not from action distributions)."""
        return self.strategy not in POLICY_STRATEGIES

    @property
    def task_staleness(self) -> np.ndarray:
        """Draws since each task was last drawn."""
        return (self.sample_count - self.last_sampled).astype(np.float64)

    @property
    def unseen_task_weights(self) -> np.ndarray:
        """1.0 for tasks never scored, 0.0 otherwise (reference code's name)."""
        return (~self.seen).astype(np.float64)

    @property
    def proportion_seen(self) -> float:
        """Fraction of tasks scored at least once."""
        return self.num_seen / self.num_tasks

    # --- scoring -------------------------------------------------------------------------------------------
    def update_with_rollout(
        self,
        tasks: np.ndarray,
        dones: np.ndarray,
        actor_ids: np.ndarray | None = None,
        advantages: np.ndarray | None = None,
        rewards: np.ndarray | None = None,
        values: np.ndarray | None = None,
        next_values: np.ndarray | None = None,
        action_log_dists: np.ndarray | None = None,
    ) -> None:
        """Score every episode (or episode part) of a [T, B] rollout.

        Args:
            tasks: [T, B] task index of the episode each step belongs to.
            dones: [T, B] the episode ended at this step (terminated or truncated).
            actor_ids: [B] actor of each column (default 0..B-1); stable across rollouts.
            advantages: [T, B] GAE advantages (value_l1, gae, positive_value_loss).
            rewards: [T, B] rewards (one_step_td_error, max_mc).
            values: [T, B] values V(s_t) (one_step_td_error, max_mc).
            next_values: [T, B] V(s_{t+1}), 0 where terminated (one_step_td_error).
            action_log_dists: [T, B, A] action logits or log-probabilities (policy strategies).
        """
        if self.strategy in NO_SCORE_STRATEGIES:
            return
        tasks = np.asarray(tasks, dtype=np.int64)
        dones = np.asarray(dones, dtype=bool)
        if tasks.ndim != 2 or dones.shape != tasks.shape:
            raise ValueError(f"tasks and dones must both be [T, B], got {tasks.shape} and {dones.shape}")
        num_steps, num_cols = tasks.shape
        if tasks.size == 0:
            return
        actor_ids = np.arange(num_cols) if actor_ids is None else np.asarray(actor_ids, dtype=np.int64).reshape(-1)
        if actor_ids.shape != (num_cols,) or actor_ids.min() < 0 or actor_ids.max() >= self.num_actors:
            raise ValueError(
                f"actor_ids must be [B]={num_cols} ids in [0, {self.num_actors}); raise num_processes to the number "
                "of parallel envs"
            )
        if tasks.min() < 0 or tasks.max() >= self.num_tasks:
            raise ValueError(f"task indices must be in [0, {self.num_tasks}), got {tasks.min()}..{tasks.max()}")
        q = self._per_step(advantages, rewards, values, next_values, action_log_dists, tasks.shape)

        # segments in actor-major, time order (the reference's order): rows of the transposed [B, T] arrays
        q_flat = q.T.reshape(-1)
        done_flat = dones.T.reshape(-1)
        task_flat = tasks.T.reshape(-1)
        starts_mask = np.zeros(num_steps * num_cols, dtype=bool)
        starts_mask[::num_steps] = True
        starts_mask[1:] |= done_flat[:-1]
        starts = np.flatnonzero(starts_mask)
        sums = np.add.reduceat(q_flat, starts)
        ends = np.append(starts[1:], num_steps * num_cols)
        lengths = ends - starts
        returns = np.zeros(len(starts))
        if self.strategy == "max_mc":
            returns = np.add.reduceat(np.asarray(rewards, dtype=np.float64).T.reshape(-1), starts)
        for start, length, total, ret in zip(starts.tolist(), lengths.tolist(), sums.tolist(), returns.tolist()):
            actor = int(actor_ids[start // num_steps])
            task = int(task_flat[start])
            score, steps = total / length, length
            if start % num_steps == 0 and self.partial_task[actor] >= 0:
                score, steps, ret = self._merge_partial(actor, task, score, steps, ret)
            if done_flat[start + length - 1]:
                self._commit(task, self._episode_score(task, score, ret))
            else:
                self.partial_task[actor] = task
                self.partial_score[actor] = score
                self.partial_steps[actor] = steps
                self.partial_return[actor] = ret
                self.last_score = score

    def _episode_score(self, task: int, score: float, episode_return: float) -> float:
        """The score of a finished episode: max_mc adds the task's best return (this episode's included)."""
        if self.strategy != "max_mc":
            return score
        self.max_returns[task] = max(self.max_returns[task], episode_return)
        return float(self.max_returns[task]) + score

    def _per_step(self, advantages, rewards, values, next_values, action_log_dists, shape) -> np.ndarray:
        def need(name: str, array: Any) -> np.ndarray:
            if array is None:
                raise ValueError(f"PLR strategy {self.strategy!r} needs {name!r} in every update")
            array = np.asarray(array, dtype=np.float64)
            if array.shape[:2] != shape:
                raise ValueError(f"{name!r} must be shaped like tasks {shape}, got {array.shape}")
            return array

        if self.strategy in ("value_l1", "gae", "positive_value_loss"):
            return per_step_scores(self.strategy, advantages=need("advantages", advantages))
        if self.strategy == "one_step_td_error":
            return per_step_scores(
                self.strategy,
                rewards=need("rewards", rewards),
                values=need("values", values),
                next_values=need("next_values", next_values),
                gamma=self.gamma,
            )
        if self.strategy == "max_mc":
            need("rewards", rewards)
            return per_step_scores(self.strategy, values=need("values", values))
        return per_step_scores(self.strategy, action_log_dists=need("action_log_dists", action_log_dists))

    def _merge_partial(self, actor: int, task: int, score: float, steps: int, ret: float) -> tuple[float, int, float]:
        old_task = int(self.partial_task[actor])
        old_score, old_steps = float(self.partial_score[actor]), int(self.partial_steps[actor])
        old_return = float(self.partial_return[actor])
        self._forget_partial(actor)
        if old_task != task:
            # the stream lost this episode's end: score what was seen of it on its own
            self._commit(old_task, self._episode_score(old_task, old_score, old_return))
            return score, steps, ret
        total = old_steps + steps
        return old_score + (score - old_score) * steps / total, total, old_return + ret

    def _forget_partial(self, actor: int) -> None:
        self.partial_task[actor] = -1
        self.partial_score[actor] = 0.0
        self.partial_steps[actor] = 0
        self.partial_return[actor] = 0.0

    def _commit(self, task: int, score: float) -> None:
        if not self.seen[task]:
            self.seen[task] = True
            self.num_seen += 1
            self._unseen_cdf_cache = None
            if self._staleness_tree is not None:
                self._staleness_tree.add(task, 1, int(self.last_sampled[task]))
        self.task_scores[task] = (1.0 - self.alpha) * self.task_scores[task] + self.alpha * score
        self.last_score = score
        self.num_scored_episodes += 1
        self._score_weights_cache = None
        self._score_cdf_cache = None

    def update_task_score(self, task: int, score: float) -> None:
        """Record the score of one finished episode of task index `task` (for custom scoring)."""
        if not 0 <= task < self.num_tasks:
            raise ValueError(f"task index must be in [0, {self.num_tasks}), got {task}")
        self._commit(int(task), float(score))

    def after_update(self) -> None:
        """Score the carried partial episodes on their own and forget them (the reference code's behaviour
        after every learner update; called automatically when `carry_partial_episodes` is False)."""
        for actor in np.flatnonzero(self.partial_task >= 0).tolist():
            task = int(self.partial_task[actor])
            self._commit(task, self._episode_score(task, float(self.partial_score[actor]), self.partial_return[actor]))
            self._forget_partial(actor)

    # --- weights -------------------------------------------------------------------------------------------
    def _transform(self, transform: str, temperature: float, values: np.ndarray) -> np.ndarray:
        """Unnormalized weights over seen tasks (0 elsewhere)."""
        offset = 0.0 if self.staleness_coef > 0 else 1e-3  # the reference code's offset
        return transform_weights(transform, temperature, values, self.seen, self.eps, offset)

    def _normalized(self, weights: np.ndarray) -> np.ndarray:
        z = weights.sum()
        return weights / z if z > 0 else weights

    def score_weights(self) -> np.ndarray:
        """P_S: transformed scores over seen tasks, normalized (cached until a score changes)."""
        if self._score_weights_cache is None:
            raw = self._transform(self.score_transform, self.temperature, self.task_scores)
            self._score_weights_cache = self._normalized(raw)
        return self._score_weights_cache

    def staleness_weights(self) -> np.ndarray:
        """P_C: transformed staleness over seen tasks, normalized."""
        if self.staleness_transform != "power":
            return self._normalized(
                self._transform(self.staleness_transform, self.staleness_temperature, self.task_staleness)
            )
        # fast path of the default transform, run on every draw: no boolean indexing, no copies of the mask
        weights = (self.sample_count - self.last_sampled).astype(np.float64)
        if self.staleness_temperature != 1.0:
            weights **= 1.0 / self.staleness_temperature
        if self.num_seen < self.num_tasks:
            weights *= self.seen
        z = weights.sum()
        if z > 0:
            weights /= z
        return weights

    def sample_weights(self) -> np.ndarray:
        """Replay distribution over tasks: `(1 - staleness_coef) P_S + staleness_coef P_C` (0 on unseen)."""
        weights = self.score_weights()
        if self.staleness_coef > 0:
            weights = (1.0 - self.staleness_coef) * weights + self.staleness_coef * self.staleness_weights()
        return weights

    def replay_probability(self) -> float:
        """Probability that the next draw replays a seen task (the rest tries an unseen one)."""
        if self.num_seen == 0:
            return 0.0
        if self.num_seen == self.num_tasks:
            return 1.0
        p_seen = self.proportion_seen
        if p_seen < self.rho:
            return 0.0
        return 1.0 - self.nu if self.replay_schedule == "fixed" else p_seen

    def sample_distribution(self) -> np.ndarray:
        """The probability of each task being the next draw (schedule, replay weights and unseen tasks)."""
        n = self.num_tasks
        if self.strategy == "random":
            return np.full(n, 1.0 / n)
        if self.strategy == "sequential":
            dist = np.zeros(n)
            dist[self.next_task_index] = 1.0
            return dist
        p_replay = self.replay_probability()
        dist = np.zeros(n)
        if p_replay > 0:
            dist += p_replay * self._normalized(self.sample_weights())
        if p_replay < 1:
            dist += (1.0 - p_replay) * (~self.seen) / (n - self.num_seen)
        return dist

    # --- sampling ------------------------------------------------------------------------------------------
    def _draw(self, weights: np.ndarray) -> int:
        cdf = np.cumsum(weights)
        return int(min(np.searchsorted(cdf, self.rng.random() * cdf[-1], side="right"), self.num_tasks - 1))

    def _sample_unseen(self) -> int:
        if self._unseen_cdf_cache is None:
            self._unseen_cdf_cache = np.cumsum(~self.seen)
        cdf = self._unseen_cdf_cache
        return int(np.searchsorted(cdf, self.rng.random() * cdf[-1], side="right"))

    def _draw_score(self) -> int | None:
        """Inverse-CDF draw from P_S (cached CDF, O(log n)); None when P_S has no mass."""
        if self._score_cdf_cache is None:
            self._score_cdf_cache = np.cumsum(self.score_weights())
        cdf = self._score_cdf_cache
        if not cdf[-1] > 0:
            return None
        return int(min(np.searchsorted(cdf, self.rng.random() * cdf[-1], side="right"), self.num_tasks - 1))

    def _draw_staleness(self) -> int | None:
        """Inverse-CDF draw from P_C; None when P_C has no mass. O(log n) for the default transform."""
        if self.staleness_transform == "power" and self.staleness_temperature == 1.0:
            if self._staleness_tree is None:
                self._staleness_tree = StalenessTree(self.seen, self.last_sampled)
            total = self._staleness_tree.total(self.sample_count)
            if total <= 0:
                return None
            return self._staleness_tree.find(self.sample_count, self.rng.random() * total)
        weights = self.staleness_weights()
        if not weights.sum() > 0:
            return None
        return self._draw(weights)

    def _sample_replay(self) -> int:
        """Draw from `(1 - c) P_S + c P_C` in two stages: pick the component (one uniform, only when c > 0),
        then the task within it; a component without mass hands over to the other one."""
        coef = self.staleness_coef
        staleness_first = coef > 0 and self.rng.random() < coef
        draws = (
            (self._draw_staleness, self._draw_score) if staleness_first else (self._draw_score, self._draw_staleness)
        )
        for draw in draws if coef > 0 else draws[:1]:
            index = draw()
            if index is not None:
                return index
        return self._draw(self.seen.astype(np.float64))  # every weight is 0: uniform over seen tasks

    def sample_index(self) -> int:
        """Draw the index of the next task (and age every task's staleness by one)."""
        if self.strategy == "random":
            return int(self.rng.random() * self.num_tasks)
        if self.strategy == "sequential":
            index = self.next_task_index
            self.next_task_index = (index + 1) % self.num_tasks
            return index
        p_seen = self.proportion_seen
        replay = False
        if self.replay_schedule == "fixed":
            if p_seen >= self.rho:
                # one draw decides; replay is certain once every task is seen
                replay = self.rng.random() > self.nu or self.num_seen == self.num_tasks
        else:
            replay = p_seen >= self.rho and self.rng.random() < p_seen
        if replay and self.num_seen == 0:
            replay = False
        if not replay and self.num_seen == self.num_tasks:
            replay = True  # nothing unseen is left to try
        index = self._sample_replay() if replay else self._sample_unseen()
        self.sample_count += 1
        if self._staleness_tree is not None and self.seen[index]:
            self._staleness_tree.add(index, 0, self.sample_count - int(self.last_sampled[index]))
        self.last_sampled[index] = self.sample_count
        return index

    def sample(self) -> Any:
        """Draw the next task (the task object, not its index)."""
        return self.tasks[self.sample_index()]

    # --- logging and checkpoints ---------------------------------------------------------------------------
    def metrics(self) -> Dict[str, float]:
        """Scalars for logging: proportion seen, score statistics over seen tasks, last score, staleness."""
        seen_scores = self.task_scores[self.seen]
        return {
            "curriculum/proportion_seen": self.proportion_seen,
            "curriculum/mean_score": float(seen_scores.mean()) if seen_scores.size else 0.0,
            "curriculum/max_score": float(seen_scores.max()) if seen_scores.size else 0.0,
            "curriculum/last_score": float(self.last_score),
            "curriculum/mean_staleness": float(self.task_staleness[self.seen].mean()) if seen_scores.size else 0.0,
            "curriculum/scored_episodes": float(self.num_scored_episodes),
        }

    _STATE_KEYS = (
        "task_scores",
        "seen",
        "num_seen",
        "sample_count",
        "last_sampled",
        "next_task_index",
        "partial_task",
        "partial_score",
        "partial_steps",
        "partial_return",
        "max_returns",
        "last_score",
        "num_scored_episodes",
    )

    def state_dict(self) -> Dict[str, Any]:
        """Scores, staleness, carried partial episodes and the RNG state."""
        state = {key: copy.deepcopy(getattr(self, key)) for key in self._STATE_KEYS}
        state["rng"] = copy.deepcopy(self.rng.bit_generator.state)
        return state

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        """Restore a state produced by `state_dict`."""
        if len(state["task_scores"]) != self.num_tasks or len(state["partial_task"]) != self.num_actors:
            raise ValueError(
                "this PLR state was saved with a different number of tasks or actors; construct PLR with the same "
                "task space and num_processes"
            )
        for key in self._STATE_KEYS:
            if key in state:  # partial_return, max_returns: absent from states saved before max_mc
                setattr(self, key, copy.deepcopy(state[key]))
        self.rng.bit_generator.state = copy.deepcopy(state["rng"])
        self._score_weights_cache = None
        self._score_cdf_cache = None
        self._unseen_cdf_cache = None
        self._staleness_tree = None
