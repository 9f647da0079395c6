"""PPO, top to bottom: advantages (GAE or V-trace) -> return targets -> minibatch epochs -> stats.

Everything the learner does with a trajectory happens in `ppo_train`; the helpers above it are the math, and the loss
terms are a list in losses.py (what each term is), summed, stepped and averaged into stats here. Shapes
follow docs/architecture.md: `T` steps of `B` envs, `values [T+1, B]` in return units, `terminated` and
`truncated` kept apart (bootstrap from `final_values` on truncation, not on termination; the recursion is cut at
either, since `obs[t+1]` then belongs to the next episode).
"""

from __future__ import annotations

import argparse
import math
from typing import Callable, NamedTuple

import torch
from torch import nn

from sf_curric.algo.learner_batch import LearnerBatch
from sf_curric.algo.losses import Minibatch, calculate_losses, loss_stat_names, masked_mean
from sf_curric.model.actor_critic import ActorCritic


def logged_as_losses() -> tuple[str, ...]:
    """The `TrainResult.stats` the runner writes as `losses/<name>` (docs/metrics.md): every loss term's stats and
    the explained variance of the value targets; the others go to `train/<name>`."""
    return (*loss_stat_names(), "explained_variance")


# ---- advantage estimators --------------------------------------------------------------------------------------


def bootstrap_values(
    values: torch.Tensor, final_values: torch.Tensor, terminated: torch.Tensor, truncated: torch.Tensor
) -> torch.Tensor:
    """`[T, B]` value of the state after step t: `final_values[t]` where truncated, `values[t+1]` otherwise, 0 where
    terminated (what GAE's TD errors bootstrap from, and PLR's one_step_td_error reads).

    Args:
        values: `[T+1, B]` in return units.
        final_values: `[T, B]`.
        terminated: `[T, B]` bool.
        truncated: `[T, B]` bool.
    """
    after = torch.where(truncated.bool(), final_values, values[1:])  # obs[t+1] is the next episode's after a cut
    return after * (~terminated.bool()).to(values.dtype)


def compute_gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    final_values: torch.Tensor,
    terminated: torch.Tensor,
    truncated: torch.Tensor,
    gamma: float,
    gae_lambda: float,
) -> torch.Tensor:
    """Generalized advantage estimation with separate termination and truncation.

    `delta[t] = r[t] + gamma * next_value[t] * (1 - terminated[t]) - values[t]` with `next_value[t] =
    final_values[t] if truncated[t] else values[t+1]`; `A[t] = delta[t] + gamma * lambda * A[t+1]`, the second
    term dropped where `terminated[t] | truncated[t]`.

    Args:
        rewards: `[T, B]`.
        values: `[T+1, B]` value estimates in return units (`values[T]` bootstraps the last step).
        final_values: `[T, B]` value of the final observation where `truncated`, else ignored.
        terminated: `[T, B]` bool, episode ended in a terminal state.
        truncated: `[T, B]` bool, episode was cut (time limit).
        gamma: discount.
        gae_lambda: GAE lambda.

    Returns:
        advantages `[T, B]`; the return targets are `advantages + values[:-1]`.

    Example:
        >>> r = torch.ones(3, 1); v = torch.zeros(4, 1); z = torch.zeros(3, 1, dtype=torch.bool)
        >>> compute_gae(r, v, torch.zeros(3, 1), z, z, gamma=1.0, gae_lambda=1.0)[:, 0].tolist()
        [3.0, 2.0, 1.0]
    """
    terminated, truncated = terminated.bool(), truncated.bool()
    continues = (~(terminated | truncated)).to(rewards.dtype)
    deltas = rewards + gamma * bootstrap_values(values, final_values, terminated, truncated) - values[:-1]
    advantages = torch.empty_like(rewards)
    running = torch.zeros_like(rewards[0])
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = deltas[t] + gamma * gae_lambda * continues[t] * running
        advantages[t] = running
    return advantages


class VTraceResult(NamedTuple):
    """V-trace outputs, `[T, B]` each: value targets `vs` and policy-gradient advantages."""

    vs: torch.Tensor
    advantages: torch.Tensor


def compute_vtrace(
    rewards: torch.Tensor,
    values: torch.Tensor,
    final_values: torch.Tensor,
    terminated: torch.Tensor,
    truncated: torch.Tensor,
    behavior_log_probs: torch.Tensor,
    target_log_probs: torch.Tensor,
    gamma: float,
    rho_bar: float,
    c_bar: float,
) -> VTraceResult:
    """V-trace targets (Espeholt et al., 2018) with separate termination and truncation.

    With `rho[t] = min(rho_bar, pi/mu)`, `c[t] = min(c_bar, pi/mu)` and `next_value` as in `compute_gae`:
    `vs[t] = V[t] + rho[t] * delta[t] + gamma * c[t] * (vs[t+1] - V[t+1])` (last term dropped where the episode
    ended at t, and `vs[T] = V[T]`), and the policy-gradient advantage is
    `rho[t] * (r[t] + gamma * (1 - terminated[t]) * next_vs[t] - V[t])` where `next_vs[t]` is `final_values[t]`
    on truncation, else `vs[t+1]`. On-policy with `rho_bar = c_bar = 1` this equals GAE with lambda = 1.

    Args:
        rewards: `[T, B]`.
        values: `[T+1, B]` value estimates in return units.
        final_values: `[T, B]` value of the final observation where `truncated`.
        terminated: `[T, B]` bool.
        truncated: `[T, B]` bool.
        behavior_log_probs: `[T, B]` log mu(a|s), the policy that acted.
        target_log_probs: `[T, B]` log pi(a|s), the policy being trained.
        gamma: discount.
        rho_bar: clip of the importance weights in the TD errors and the advantages (`--vtrace_rho`).
        c_bar: clip of the trace coefficients (`--vtrace_c`).

    Returns:
        VTraceResult(vs, advantages).
    """
    terminated, truncated = terminated.bool(), truncated.bool()
    ratios = torch.exp(target_log_probs - behavior_log_probs)
    rhos = ratios.clamp(max=rho_bar)
    cs = ratios.clamp(max=c_bar)
    not_terminal = (~terminated).to(rewards.dtype)
    continues = (~(terminated | truncated)).to(rewards.dtype)
    deltas = rhos * (rewards + gamma * bootstrap_values(values, final_values, terminated, truncated) - values[:-1])

    vs_minus_v = torch.empty_like(rewards)
    running = torch.zeros_like(rewards[0])
    for t in range(rewards.shape[0] - 1, -1, -1):
        running = deltas[t] + gamma * cs[t] * continues[t] * running
        vs_minus_v[t] = running
    vs = values[:-1] + vs_minus_v

    vs_next = torch.cat([vs[1:], values[-1:]])
    next_vs = torch.where(truncated, final_values, vs_next)
    advantages = rhos * (rewards + gamma * next_vs * not_terminal - values[:-1])
    return VTraceResult(vs, advantages)


def explained_variance(predictions: torch.Tensor, targets: torch.Tensor) -> float:
    """`1 - Var(targets - predictions) / Var(targets)`: 1 is perfect, 0 is no better than the mean (nan when the
    targets are constant)."""
    var_targets = targets.var(unbiased=False)
    if var_targets.item() == 0.0:
        return float("nan")
    return (1.0 - (targets - predictions).var(unbiased=False) / var_targets).item()


# ---- the update -------------------------------------------------------------------------------------------------


class PpoOutput(NamedTuple):
    """What `ppo_train` returns: stats (float values) and what it computed per step, `[T, B]` each.

    Attributes:
        stats: float metrics (see `TrainResult.stats`).
        advantages: advantages used (GAE or V-trace), before normalization.
        values: baseline values used, in return units.
        returns: value-loss targets (`advantages + values`, or V-trace's `vs`).
        next_values: value of the state after each step, 0 where terminated (`bootstrap_values`).
        dones: bool, the episode ended at the step (`terminated | truncated`).
        valid: bool, the samples the losses used (`valid` and `train_mask` together), or None for all of them.
    """

    stats: dict[str, float]
    advantages: torch.Tensor
    values: torch.Tensor
    returns: torch.Tensor
    next_values: torch.Tensor
    dones: torch.Tensor
    valid: torch.Tensor | None


class _Targets(NamedTuple):
    """Advantages, the baseline they are measured from and the value targets, `[T, B]` in return units."""

    advantages: torch.Tensor
    baseline: torch.Tensor
    returns: torch.Tensor


class _Epochs(NamedTuple):
    """What the minibatch epochs did: summed stats, optimizer steps, skipped minibatches, early stop."""

    sums: dict[str, float]
    sgd_steps: int
    nan_skipped: int
    early_stopped: bool


def _episode_starts(dones: torch.Tensor) -> torch.Tensor:
    # obs[t] starts a new episode when step t-1 ended one; obs[0] starts from the stored rnn state
    return torch.cat([torch.zeros_like(dones[:1]), dones[:-1]])


def _targets(model: ActorCritic, batch: LearnerBatch, cfg: argparse.Namespace) -> _Targets:
    """GAE on the acting policy's values, or V-trace on the current value function (`--with_vtrace`)."""
    rewards, final_values = batch.rewards.float(), batch.final_values.float()
    terminated, truncated = batch.terminated.bool(), batch.truncated.bool()
    if not cfg.with_vtrace:
        values = batch.values.float()
        advantages = compute_gae(rewards, values, final_values, terminated, truncated, cfg.gamma, cfg.gae_lambda)
        return _Targets(advantages, values[:-1], advantages + values[:-1])
    # V-trace corrects for policy lag with the current policy's log-probs; its baseline is the current value function
    # (evaluated on all T+1 observations; truncated episodes bootstrap from the acting policy's final_values, since
    # the final observations are not stored).
    steps = rewards.shape[0]
    with torch.no_grad():
        starts_ext = None
        if model.is_recurrent:
            starts_ext = torch.cat([_episode_starts(terminated | truncated), (terminated[-1:] | truncated[-1:])])
        rnn_states = batch.rnn_states.float() if model.is_recurrent else None
        params, raw_values = model.forward_sequence(batch.obs, rnn_states, starts_ext)
        target_log_probs, _ = model.action_head.log_prob_entropy(params[:steps], batch.actions)
        baseline = model.denormalize_values(raw_values)
    vtrace = compute_vtrace(
        rewards, baseline, final_values, terminated, truncated, batch.log_probs.float(), target_log_probs,
        cfg.gamma, cfg.vtrace_rho, cfg.vtrace_c,
    )  # fmt: skip
    return _Targets(vtrace.advantages, baseline[:-1], vtrace.vs)


def _trained_samples(batch: LearnerBatch) -> torch.Tensor | None:
    """`[T, B]` bool of the samples the losses use, or None for all: samples of other policies or of agents that
    finished / wait (multi-agent) are left out, and Robust PLR's `train_mask` (only replayed levels' steps) narrows
    the same mask. GAE runs over all of them (a waiting agent's return flows through its waiting steps)."""
    valid, train_mask = batch.valid, batch.train_mask
    if train_mask is not None:
        valid = train_mask.bool() if valid is None else valid.bool() & train_mask.bool()
    return None if valid is None or bool(valid.all()) else valid.bool()


def _normalized(adv: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Advantages with zero mean and unit (unbiased) std over the samples trained on."""
    if mask is None:
        return (adv - adv.mean()) / (adv.std() + 1e-8)
    mean = masked_mean(adv, mask)
    count = mask.sum().clamp(min=2.0)  # unbiased, as Tensor.std() above
    std = ((adv - mean).square() * mask).sum().div(count - 1.0).sqrt()
    return (adv - mean) / (std + 1e-8)


class _Split(NamedTuple):
    """How one batch is cut into minibatches: `count` of them over `items` shuffled items; `take(idx, per_step)`
    gives the model's evaluation of the items `idx`, those items of the `per_step` tensors, and the mask."""

    items: int
    count: int
    take: Callable[[torch.Tensor, tuple], tuple]


def _split(model: ActorCritic, batch: LearnerBatch, cfg: argparse.Namespace, valid: torch.Tensor | None) -> _Split:
    """Non-recurrent models: shuffled samples (only the valid ones); recurrent models: whole env columns,
    `batch_size // T` per minibatch, invalid steps masked in the means."""
    obs, actions = batch.obs, batch.actions
    steps, envs = batch.rewards.shape
    if model.is_recurrent:
        rnn_states = batch.rnn_states.float()
        starts = _episode_starts(batch.terminated.bool() | batch.truncated.bool())

        def take_columns(idx: torch.Tensor, per_step: tuple) -> tuple:
            out = model.evaluate(obs[:steps, idx], actions[:, idx], rnn_states[idx], starts[:, idx])
            mask = None if valid is None else valid[:, idx].to(per_step[0].dtype)
            return out, tuple(x[:, idx] for x in per_step), mask

        return _Split(envs, max(1, round(envs / max(1, cfg.batch_size // steps))), take_columns)
    flat_obs = obs[:steps].reshape(steps * envs, *obs.shape[2:])
    flat_actions = actions.reshape(steps * envs, *actions.shape[2:])
    valid_flat = None if valid is None else valid.reshape(-1).nonzero().squeeze(1)
    items = steps * envs if valid_flat is None else int(valid_flat.numel())

    def take_samples(idx: torch.Tensor, per_step: tuple) -> tuple:
        if valid_flat is not None:
            idx = valid_flat[idx]
        return model.evaluate(flat_obs[idx], flat_actions[idx]), tuple(x.reshape(-1)[idx] for x in per_step), None

    return _Split(items, max(1, round(items / max(1, cfg.batch_size))), take_samples)


def _epochs(
    model: ActorCritic,
    optimizer: torch.optim.Optimizer,
    batch: LearnerBatch,
    cfg: argparse.Namespace,
    per_step: tuple,
    valid: torch.Tensor | None,
    clip_ratio: float,
) -> _Epochs:
    """The minibatch epochs (Sample Factory's `_train`): losses, the optimizer step, stats summed by name."""
    split = _split(model, batch, cfg, valid)
    sums = {name: 0.0 for name in (*loss_stat_names(), "grad_norm")}
    sgd_steps = nan_skipped = 0
    params_list = [p for p in model.parameters() if p.requires_grad]
    max_norm = cfg.max_grad_norm if cfg.max_grad_norm > 0 else math.inf
    for _epoch in range(cfg.num_epochs):
        for idx in torch.randperm(split.items, device=batch.rewards.device).tensor_split(split.count):
            out, (adv, behavior, target, old), mask = split.take(idx, per_step)
            if mask is not None and not bool(mask.any()):
                continue
            if cfg.normalize_advantage and adv.numel() > 1:
                adv = _normalized(adv, mask)
            mb = Minibatch(out.log_probs, out.entropy, out.values, behavior, adv, target, old, mask, clip_ratio, cfg)
            loss, stats = calculate_losses(mb)
            if cfg.target_kl > 0 and stats["approx_kl"] > 1.5 * cfg.target_kl:
                return _Epochs(sums, sgd_steps, nan_skipped, True)
            # Step, unless the loss or the gradient is not finite: never write NaN weights.
            optimizer.zero_grad(set_to_none=True)
            if not math.isfinite(loss.item()):
                nan_skipped += 1
                continue
            loss.backward()
            grad_norm = nn.utils.clip_grad_norm_(params_list, max_norm).item()
            if not math.isfinite(grad_norm):
                optimizer.zero_grad(set_to_none=True)
                nan_skipped += 1
                continue
            optimizer.step()
            sgd_steps += 1
            for name, value in stats.items():
                sums[name] += value
            sums["grad_norm"] += grad_norm
    return _Epochs(sums, sgd_steps, nan_skipped, False)


def ppo_train(
    model: ActorCritic,
    optimizer: torch.optim.Optimizer,
    batch: LearnerBatch,
    cfg: argparse.Namespace,
    clip_ratio: float,
) -> PpoOutput:
    """One PPO training call on a batch already on the model's device.

    Args:
        model: the learner's ActorCritic (its normalizers are updated here).
        optimizer: optimizer over `model.parameters()`, learning rate already set.
        batch: the trajectory fields PPO reads (`rnn_states` for recurrent models; an optional `valid [T, B]`
            leaves the False samples out of the losses, statistics and normalizers; an optional `train_mask
            [T, B]` narrows it further: Robust PLR trains only on replayed levels). With no sample left, nothing
            changes (no optimizer step, no normalizer update).
        cfg: reads the flags in `sf_curric.algo.args.ALGO_ARGS` and the loss terms' coefficient flags.
        clip_ratio: the PPO clip for this call (after the clip schedule).

    Returns:
        PpoOutput(stats, advantages, values, returns, next_values, dones, valid).
    """
    terminated, truncated = batch.terminated.bool(), batch.truncated.bool()
    # the value after each step (handed on to the curriculum with the advantages: nobody recomputes it)
    next_values = bootstrap_values(batch.values.float(), batch.final_values.float(), terminated, truncated)

    # 1. Advantages and return targets, in return units; the samples the losses use.
    advantages, baseline, returns = _targets(model, batch, cfg)
    valid = _trained_samples(batch)
    per_step_out = (advantages, baseline, returns, next_values, terminated | truncated, valid)
    if valid is not None and not bool(valid.any()):
        return PpoOutput(_stats(_Epochs({}, 0, 0, False), baseline[:0], returns[:0], advantages[:0], clip_ratio),
                         *per_step_out)  # fmt: skip
    v_baseline, v_returns, v_adv = (x if valid is None else x[valid] for x in (baseline, returns, advantages))

    # A non-finite batch (NaN reward or observation) is skipped whole: it would poison the normalizers as well as
    # the weights. Counted in stats["nan_skipped"] (full NaN diagnosis is the caller's job).
    finite = torch.isfinite(returns).all() & torch.isfinite(advantages).all()
    if batch.obs.is_floating_point():
        finite &= torch.isfinite(batch.obs).all()
    if not finite.item():
        skipped = _Epochs({}, 0, cfg.num_epochs * _split(model, batch, cfg, valid).count, False)
        return PpoOutput(_stats(skipped, v_baseline, v_returns, v_adv, clip_ratio), *per_step_out)

    # 2. Value targets in value-head units: fold the new returns into the return normalizer first, then express
    #    the targets and the old predictions (for value clipping) with the updated statistics.
    if model.returns_normalizer is not None:
        model.returns_normalizer.update(v_returns)
    per_step = (
        advantages,
        batch.log_probs.float(),
        model.normalize_returns(returns),
        model.normalize_returns(baseline),
    )

    # 3. Minibatch epochs. Non-recurrent: shuffled samples; recurrent: whole env columns (sequences).
    epochs = _epochs(model, optimizer, batch, cfg, per_step, valid, clip_ratio)

    # 4. The observation normalizer learns from this batch after the update, so the epochs above saw the
    #    statistics the acting policy used (ratio 1 at the first minibatch in synchronous PPO).
    if model.obs_normalizer is not None:
        steps = batch.rewards.shape[0]
        model.obs_normalizer.update(batch.obs[:steps] if valid is None else batch.obs[:steps][valid])
    return PpoOutput(_stats(epochs, v_baseline, v_returns, v_adv, clip_ratio), *per_step_out)


def _stats(
    epochs: _Epochs, baseline: torch.Tensor, returns: torch.Tensor, advantages: torch.Tensor, clip_ratio: float
) -> dict[str, float]:
    """`TrainResult.stats`: every loss term's stats and the gradient norm averaged over the optimizer steps (nan
    without one), then the batch's own numbers."""
    n = epochs.sgd_steps
    stats = {k: (epochs.sums.get(k, 0.0) / n if n else float("nan")) for k in (*loss_stat_names(), "grad_norm")}
    stats.update(
        explained_variance=explained_variance(baseline, returns),
        adv_mean=advantages.mean().item(),
        adv_std=advantages.std().item() if advantages.numel() > 1 else 0.0,
        clip_ratio=clip_ratio,
        sgd_steps=float(n),
        nan_skipped=float(epochs.nan_skipped),
        early_stopped=float(epochs.early_stopped),
    )
    return stats
