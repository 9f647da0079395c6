"""ACCEL (arXiv 2203.01302): a buffer of high-regret levels that grows by generating new levels and editing replayed
ones, on top of Robust PLR (only replayed levels are trained on).

Every draw is one of:

- a child waiting to be evaluated: a replayed level edited by `mutate(level, rng, num_edits)` (one per scored
  replay episode, the paper's "edit" step);
- a replay, with probability `replay_prob` once the buffer holds `min_fill` levels: a buffer level drawn by the
  PLR replay distribution (rank of scores mixed with staleness);
- a new level from the generator.

Children and new levels are "staged": their first episode is scored (the learner does not train on it), then the
level enters the buffer if the buffer has room or its score beats the lowest score there (that level is dropped).

Levels are values the env builds (`reset(new_task=level)`): hashable and picklable, e.g. maze_levels' layout
strings. Codes are slots: `0 .. buffer_size - 1` the buffer, then `staging` slots reused in turn.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Dict, List

import numpy as np

from sf_curric.curricula.curriculum import Curriculum
from sf_curric.curricula.learner_feedback import LearnerFeedback
from sf_curric.curricula.plr.plr import _numpy, rollout_arrays
from sf_curric.curricula.plr.scores import STRATEGIES
from sf_curric.curricula.plr.task_sampler import TaskSampler
from sf_curric.curricula.task_space import TaskSpace, as_task_space
from sf_curric.errors import ConfigError


class LevelSlots(TaskSpace):
    """The task space of an ACCEL curriculum: slot index <-> the level it holds now."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.levels: List[Any] = [None] * size
        self.slot_of: Dict[Any, int] = {}

    @property
    def num_tasks(self) -> int:
        return len(self.levels)

    @property
    def tasks(self) -> list:
        return list(self.levels)

    def encode(self, task: Any) -> int:
        try:
            return self.slot_of[task]
        except (KeyError, TypeError):
            raise self._not_in_space(task) from None

    def decode(self, encoded: Any) -> Any:
        return self.levels[int(encoded)]

    def contains(self, task: Any) -> bool:
        try:
            return task in self.slot_of
        except TypeError:
            return False

    def task_name(self, index: int) -> str:
        return f"slot{index}"

    def __repr__(self) -> str:
        return f"LevelSlots({len(self.levels)})"


class _SlotScores(TaskSampler):
    """PLR scores over slots; a finished episode's score goes to `on_score(slot, score)` instead of straight in."""

    on_score: Callable[[int, float], None]

    def _commit(self, task: int, score: float) -> None:
        self.on_score(task, score)

    def commit(self, task: int, score: float) -> None:
        super()._commit(task, score)


class ACCEL(Curriculum):
    """Evolving curriculum: replay high-regret levels, edit them, keep the edits that score high.

    Args:
        generator: `generator(rng) -> level`: a new level (e.g. a random level of the env's generator).
        mutate: `mutate(level, rng, num_edits) -> level`: the env's edit of a level.
        buffer_size: levels kept (the paper's 4000).
        num_edits: edits per child (the paper's 5 for mazes).
        replay_prob: probability of a replay once the buffer holds `min_fill` levels (the paper's 0.8).
        min_fill: levels in the buffer before any replay.
        staging: slots for levels being evaluated (must exceed the levels in flight: envs x prefetch).
        num_processes: envs (PLR's actors).
        strategy, temperature, staleness_coef, score_transform, alpha: PLR scoring (the paper's
            positive_value_loss, rank, 0.3, 0.3).
        seed: seed of all random choices (generator, edits, replays).
        **kwargs: other `TaskSampler` options.

    Example:
        >>> accel = ACCEL(generate_level, mutate, buffer_size=4000, num_processes=64, seed=0)
    """

    def __init__(
        self,
        generator: Callable[[np.random.Generator], Any],
        mutate: Callable[[Any, np.random.Generator, int], Any],
        buffer_size: int = 4000,
        num_edits: int = 5,
        replay_prob: float = 0.8,
        min_fill: int = 1,
        staging: int = 1024,
        num_processes: int = 64,
        strategy: str = "positive_value_loss",
        temperature: float = 0.3,
        staleness_coef: float = 0.3,
        score_transform: str = "rank",
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        if buffer_size < 1 or staging < 1 or num_edits < 0 or min_fill < 1:
            raise ValueError("ACCEL needs buffer_size >= 1, staging >= 1, num_edits >= 0 and min_fill >= 1")
        if not 0.0 <= replay_prob <= 1.0:
            raise ValueError(f"ACCEL replay_prob must be in [0, 1], got {replay_prob}")
        super().__init__(LevelSlots(buffer_size + staging), seed=seed)
        self.task_names = self.task_space.task_name
        self.generator, self.mutator = generator, mutate
        self.buffer_size, self.num_edits, self.replay_prob = int(buffer_size), int(num_edits), float(replay_prob)
        self.min_fill, self.staging = int(min_fill), int(staging)
        self._sampler = _SlotScores(
            list(range(buffer_size + staging)),
            num_actors=num_processes,
            strategy=strategy,
            temperature=temperature,
            staleness_coef=staleness_coef,
            score_transform=score_transform,
            seed=seed,
            **kwargs,
        )
        self._sampler.on_score = self._on_score
        self.children: deque = deque(maxlen=max(1, staging // 2))
        self.next_staging = 0
        self.num_filled = 0
        self.counts = {"replayed": 0, "generated": 0, "edited": 0, "added": 0, "rejected": 0}

    _NOT_STATE = Curriculum._NOT_STATE | {"generator", "mutator", "_sampler"}

    @property
    def task_sampler(self) -> TaskSampler:
        """The PLR sampler over slots (scores, staleness)."""
        return self._sampler

    @property
    def needs_action_logits(self) -> bool:
        """True for PLR's policy strategies."""
        return not self._sampler.requires_value_buffers

    @property
    def levels(self) -> List[Any]:
        """The buffer's levels (slot order), without empty slots."""
        return [lv for lv in self.task_space.levels[: self.buffer_size] if lv is not None]

    def buffer_scores(self) -> Dict[Any, float]:
        """Score of every buffer level."""
        space, scores = self.task_space, self._sampler.task_scores
        return {space.levels[i]: float(scores[i]) for i in range(self.num_filled)}

    # --- sampling ------------------------------------------------------------------------------------------
    def _stage(self, level: Any) -> Any:
        space = self.task_space
        slot = space.slot_of.get(level)
        if slot is not None and slot < self.buffer_size:
            return level  # already in the buffer: the draw replays it
        slot = self.buffer_size + self.next_staging
        self.next_staging = (self.next_staging + 1) % self.staging
        old = space.levels[slot]
        if old is not None and space.slot_of.get(old) == slot:
            del space.slot_of[old]
        space.levels[slot] = level
        space.slot_of[level] = slot
        return level

    def _draw(self) -> Any:
        sampler = self._sampler
        if self.children:
            self.counts["edited"] += 1
            level = self._stage(self.children.popleft())
        elif self.num_filled >= self.min_fill and self.rng.random() < self.replay_prob:
            slot = sampler._sample_replay()
            sampler.sample_count += 1  # staleness as in TaskSampler.sample_index
            if sampler._staleness_tree is not None:
                sampler._staleness_tree.add(slot, 0, sampler.sample_count - int(sampler.last_sampled[slot]))
            sampler.last_sampled[slot] = sampler.sample_count
            self.counts["replayed"] += 1
            return self.task_space.levels[slot]
        else:
            self.counts["generated"] += 1
            level = self._stage(self.generator(self.rng))
        sampler.sample_count += 1
        return level

    def _sample_tasks(self, k: int) -> list:
        return [self._draw() for _ in range(k)]

    def _sample_weights(self) -> np.ndarray:
        return self._sampler.sample_weights()

    def _sample_distribution(self) -> list:
        return self._sample_weights().tolist()

    def trains_on(self, slots: np.ndarray) -> np.ndarray:
        """Which steps the learner trains on: those of buffer levels (replays), not of staged ones."""
        return np.asarray(slots) < self.buffer_size

    # --- scores --------------------------------------------------------------------------------------------
    def _on_score(self, slot: int, score: float) -> None:
        space, sampler = self.task_space, self._sampler
        if slot < self.buffer_size:  # a replay: update its score, queue an edited child
            sampler.commit(slot, score)
            if space.levels[slot] is not None:
                self.children.append(self.mutator(space.levels[slot], self.rng, self.num_edits))
            return
        level = space.levels[slot]
        home = space.slot_of.get(level)
        if home is not None and home < self.buffer_size:  # scored again after it joined the buffer
            sampler.commit(home, score)
            return
        if self.num_filled < self.buffer_size:
            target = self.num_filled
            self.num_filled += 1
        else:
            scores = sampler.task_scores[: self.buffer_size]
            target = int(np.argmin(scores))  # ties: the lowest slot
            if not score > scores[target]:
                self.counts["rejected"] += 1
                return
            del space.slot_of[space.levels[target]]
        self.counts["added"] += 1
        space.levels[target] = level
        space.slot_of[level] = target
        sampler.task_scores[target] = score  # a new level: its own score, not blended with the old one's
        if not sampler.seen[target]:
            sampler.seen[target] = True
            sampler.num_seen += 1
        sampler.last_sampled[target] = sampler.sample_count
        sampler.num_scored_episodes += 1
        sampler._score_weights_cache = sampler._score_cdf_cache = sampler._unseen_cdf_cache = None
        sampler._staleness_tree = None

    def update_on_learner_batch(self, feedback: LearnerFeedback) -> None:
        """Score the trainer's batch of slots (as `PrioritizedLevelReplay.update_on_learner_batch`)."""
        self.update_with_rollout(**rollout_arrays(feedback, self.needs_action_logits))

    def update_with_rollout(self, tasks: Any, dones: Any, **kwargs: Any) -> None:
        """Score a learner rollout of slots (same arguments as `PrioritizedLevelReplay.update_with_rollout`)."""
        values = kwargs.pop("values", None)
        if values is not None:
            values = _numpy(values).astype(np.float64)[: _numpy(tasks).shape[0]]
        kwargs = {k: None if v is None else _numpy(v) for k, v in kwargs.items()}
        self._sampler.update_with_rollout(
            _numpy(tasks).astype(np.int64), _numpy(dones).astype(bool), values=values, **kwargs
        )

    # --- logging and checkpoints ---------------------------------------------------------------------------
    def metrics(self) -> Dict[str, float]:
        out = {f"curriculum/accel_{k}": float(v) for k, v in self.counts.items()}
        out["curriculum/buffer_levels"] = float(self.num_filled)
        scores = self._sampler.task_scores[: self.num_filled]
        out["curriculum/mean_score"] = float(scores.mean()) if scores.size else 0.0
        return out

    def state_dict(self) -> Dict[str, Any]:
        state = super().state_dict()
        state["state"]["levels"] = list(self.task_space.levels)
        state["state"]["slot_of"] = dict(self.task_space.slot_of)
        state["sampler"] = self._sampler.state_dict()
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        state_dict = {**state_dict, "state": dict(state_dict["state"])}
        self.task_space.levels = list(state_dict["state"].pop("levels"))
        self.task_space.slot_of = dict(state_dict["state"].pop("slot_of"))
        self._sampler.load_state_dict(state_dict.pop("sampler"))
        super().load_state_dict(state_dict)


ACCEL_ARGS: list[tuple[str, dict[str, Any]]] = [
    ("--accel_buffer_size", {"type": int, "default": 4000, "help": "accel: levels kept in the buffer (paper: 4000)."}),
    ("--accel_num_edits", {"type": int, "default": 5, "help": "accel: edits per child level (paper: 5)."}),
    (
        "--accel_replay_prob",
        {"type": float, "default": 0.8, "help": "accel: probability of replaying a buffer level (paper: 0.8)."},
    ),
    (
        "--accel_strategy",
        {
            "type": str,
            "default": "positive_value_loss",
            "choices": STRATEGIES,
            "help": "accel: level score (a --plr_strategy value; paper: positive_value_loss).",
        },
    ),  # fmt: skip
    ("--accel_temperature", {"type": float, "default": 0.3, "help": "accel: rank temperature (paper: 0.3)."}),
    ("--accel_staleness_coef", {"type": float, "default": 0.3, "help": "accel: staleness weight (paper: 0.3)."}),
]


def _env_level_functions(ctx: Any) -> tuple[Any, Any]:
    """`(mutate, generate_level)` from register_env, else methods of the env (an env is made to look)."""
    mutate = getattr(ctx.env_spec, "mutate", None)
    generator = getattr(ctx.env_spec, "generate_level", None)
    if (mutate is None or generator is None) and ctx.make_env is not None:
        env = ctx.make_env(ctx.cfg)
        inner = getattr(env, "unwrapped", env)
        mutate = mutate or getattr(env, "mutate", None) or getattr(inner, "mutate", None)
        generator = generator or getattr(inner, "generate_level", None)
        env.close()
    return mutate, generator


def build(ctx: Any) -> ACCEL:
    """`--curriculum=accel` (sf_curric/curricula/builtin.py): ACCEL with the env's `mutate` (from register_env or a
    method of the env) and, as the generator, the env's `generate_level` when it has one, else uniform draws from
    its task space."""
    cfg = ctx.cfg
    mutate, generator = _env_level_functions(ctx)
    if mutate is None:
        raise ConfigError(
            f"--curriculum=accel needs a level mutation: register_env({cfg.env!r}, ..., mutate=fn) or define "
            "mutate(level, rng, num_edits) on the TaskEnv"
        )
    if generator is None:
        tasks = as_task_space(ctx.task_space).tasks
        if tasks is None:
            raise ConfigError("--curriculum=accel needs a finite task space or register_env(..., generate_level=fn)")

        def generator(rng: Any) -> Any:
            return tasks[int(rng.random() * len(tasks))]

    return ACCEL(
        generator,
        mutate,
        buffer_size=ctx.option("accel_buffer_size"),
        num_edits=ctx.option("accel_num_edits"),
        replay_prob=ctx.option("accel_replay_prob"),
        staging=max(1024, 4 * ctx.num_envs * ctx.option("curriculum_prefetch")),
        num_processes=ctx.num_envs,
        strategy=ctx.option("accel_strategy"),
        temperature=ctx.option("accel_temperature"),
        staleness_coef=ctx.option("accel_staleness_coef"),
        seed=ctx.seed,
    )
