"""How one training batch is cut into minibatches (Sample Factory's `--batch_size`, `--recurrence`,
`--shuffle_minibatches`).

- Feed-forward models: samples (only those trained on), `round(items / batch_size)` nearly equal minibatches.
- Recurrent models: sequences of `--recurrence` steps (-1: the whole rollout) of one env column, `batch_size //
  recurrence` per minibatch; a sequence without a step trained on is left out (no forward or backward pass: Robust
  PLR's and ACCEL's columns that hold only new or edited levels). A rollout of T steps holds `T / recurrence`
  sequences per column; each starts from the recurrent state the current weights reach at its first step, run from
  the state stored at the rollout's start (Sample Factory stores the acting policy's state of every step instead; the
  first sequence of a column starts from that stored state in both).
- `--shuffle_minibatches`: a new random order every epoch; False: Sample Factory's fixed order, env by env (a
  column's consecutive steps, or sequences, stay together), the same minibatches in every epoch.
"""

from __future__ import annotations

import argparse
from typing import Callable, NamedTuple

import torch

from sf_curric.algo.learner_batch import LearnerBatch
from sf_curric.model.actor_critic import ActorCritic, EvalResult
from sf_curric.model.obs_batch import obs_index, obs_map


def episode_starts(dones: torch.Tensor) -> torch.Tensor:
    """`[T, B]`: obs[t] starts a new episode when step t-1 ended one (obs[0] starts from the stored rnn state)."""
    return torch.cat([torch.zeros_like(dones[:1]), dones[:-1]])


def sequence_length(cfg: argparse.Namespace, rollout: int) -> int:
    """Steps of one recurrent training sequence: `--recurrence`, or the whole rollout for -1 (the default)."""
    return rollout if cfg.recurrence in (-1, 0) else int(cfg.recurrence)


class Split(NamedTuple):
    """One batch cut into minibatches.

    Attributes:
        items: samples (feed-forward) or sequences (recurrent) to spread over the minibatches.
        count: minibatches per epoch.
        prepare: `prepare(per_step)`: the `[T, B]` tensors the losses read, laid out like the items (once a call).
        take: `take(idx, prepared)`: the model's evaluation of the items `idx`, their part of the prepared tensors
            and the mask of the samples trained on (None: all).
        order: `order(epoch_generator_device)`: the item order of one epoch (split into `count` minibatches).
    """

    items: int
    count: int
    prepare: Callable[[tuple], tuple]
    take: Callable[[torch.Tensor, tuple], tuple[EvalResult, tuple, torch.Tensor | None]]
    order: Callable[[], torch.Tensor]


def split_batch(model: ActorCritic, batch: LearnerBatch, cfg: argparse.Namespace, valid: torch.Tensor | None) -> Split:
    """The minibatches of `batch` (see the module docstring).

    Args:
        model: the learner's model.
        batch: the training batch.
        cfg: reads `--batch_size`, `--recurrence`, `--shuffle_minibatches`.
        valid: `[T, B]` bool, the samples trained on (None: all).
    """
    if model.is_recurrent:
        return _sequences(model, batch, cfg, valid)
    return _samples(model, batch, cfg, valid)


def _order(items: int, shuffle: bool, fixed: torch.Tensor) -> Callable[[], torch.Tensor]:
    if shuffle:
        return lambda: torch.randperm(items, device=fixed.device)
    return lambda: fixed


def _samples(model: ActorCritic, batch: LearnerBatch, cfg: argparse.Namespace, valid: torch.Tensor | None) -> Split:
    actions = batch.actions
    steps, envs = batch.rewards.shape
    flat_obs = obs_map(lambda x: x[:steps].reshape(steps * envs, *x.shape[2:]), batch.obs)
    flat_actions = actions.reshape(steps * envs, *actions.shape[2:])
    chosen = torch.arange(steps * envs, device=actions.device)  # flat index t * B + b of each item
    if valid is not None:
        chosen = valid.reshape(-1).nonzero().squeeze(1)
    items = int(chosen.numel())
    env_major = torch.argsort((chosen % envs) * steps + chosen // envs)  # Sample Factory's layout: env by env

    def take(idx: torch.Tensor, prepared: tuple) -> tuple:
        flat = chosen[idx]
        return model.evaluate(obs_index(flat_obs, flat), flat_actions[flat]), tuple(x[flat] for x in prepared), None

    def prepare(per_step: tuple) -> tuple:
        return tuple(x.reshape(-1) for x in per_step)

    count = max(1, round(items / max(1, cfg.batch_size)))
    return Split(items, count, prepare, take, _order(items, cfg.shuffle_minibatches, env_major))


def _sequences(model: ActorCritic, batch: LearnerBatch, cfg: argparse.Namespace, valid: torch.Tensor | None) -> Split:
    steps, envs = batch.rewards.shape
    length = sequence_length(cfg, steps)
    if steps % length:
        raise ValueError(f"--recurrence={length} does not divide the rollout ({steps} steps): make it a divisor")
    per_column = steps // length
    starts = episode_starts(batch.terminated.bool() | batch.truncated.bool())
    rnn_states = batch.rnn_states.float()
    trained_obs = obs_index(batch.obs, slice(steps))
    if per_column > 1:  # the state at each sequence's first step, from the current weights (no gradient)
        rnn_states = model.rnn_states_at(trained_obs, rnn_states, starts, length).reshape(per_column * envs, -1)

    def cut(x: torch.Tensor) -> torch.Tensor:
        # [T, B, ...] -> [length, per_column * B, ...]: column k * B + b holds steps k*length.. of env b
        if per_column == 1:
            return x
        rest = x.shape[2:]
        return x.reshape(per_column, length, envs, *rest).transpose(0, 1).reshape(length, per_column * envs, *rest)

    obs, actions, seq_starts = obs_map(cut, trained_obs), cut(batch.actions), cut(starts)
    seq_valid = None if valid is None else cut(valid)
    # sequences without a step to train on (Robust PLR / ACCEL: only new or edited levels in them) are left out whole
    column = torch.arange(per_column * envs, device=batch.rewards.device)
    if seq_valid is not None:
        column = seq_valid.any(dim=0).nonzero().squeeze(1)
    items = int(column.numel())

    def take(idx: torch.Tensor, prepared: tuple) -> tuple:
        idx = column[idx]
        out = model.evaluate(obs_index(obs, (slice(None), idx)), actions[:, idx], rnn_states[idx], seq_starts[:, idx])
        mask = None if seq_valid is None else seq_valid[:, idx].to(prepared[0].dtype)
        return out, tuple(x[:, idx] for x in prepared), mask

    def prepare(per_step: tuple) -> tuple:
        return tuple(cut(x) for x in per_step)

    env_major = torch.argsort((column % envs) * per_column + column // envs)  # positions into `column`
    count = max(1, round(items / max(1, cfg.batch_size // length)))
    return Split(items, count, prepare, take, _order(items, cfg.shuffle_minibatches, env_major))
