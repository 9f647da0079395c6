"""PPO, top to bottom: advantages (GAE or V-trace) -> return targets -> minibatch epochs -> stats.

Everything the learner does with a trajectory happens in `ppo_train`; the helpers above it are the math. Shapes
follow docs/architecture.md: `T` steps of `B` envs, `values [T+1, B]` in return units, `terminated` and
`truncated` kept apart (bootstrap from `final_values` on truncation, not on termination; the recursion is cut at
either, since `obs[t+1]` then belongs to the next episode).
"""

from __future__ import annotations

import argparse
import math
from typing import NamedTuple

import torch
from torch import nn

from sf_curric.algo.learner_batch import LearnerBatch
from sf_curric.model.actor_critic import ActorCritic

# TrainResult.stats averaged over the SGD minibatches of one train() call
MINIBATCH_STATS = ("policy_loss", "value_loss", "entropy", "approx_kl", "clipfrac", "grad_norm")
# the stats the runner writes as losses/<name> (docs/metrics.md); the others go to train/<name>
LOSS_STATS = ("policy_loss", "value_loss", "entropy", "approx_kl", "clipfrac", "explained_variance")

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
    if targets.numel() < 2:  # no trained step (Robust PLR, ACCEL): nothing to explain, and no torch warning
        return float("nan")
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


def _masked_mean(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    # mean over the valid entries (mask 1.0), or over all when there is no mask
    if mask is None:
        return x.mean()
    return (x * mask).sum() / mask.sum().clamp(min=1.0)


def _episode_starts(dones: torch.Tensor) -> torch.Tensor:
    # obs[t] starts a new episode when step t-1 ended one; obs[0] starts from the stored rnn state
    return torch.cat([torch.zeros_like(dones[:1]), dones[:-1]])


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
        cfg: reads the flags in `sf_curric.algo.args.ALGO_ARGS`.
        clip_ratio: the PPO clip for this call (after the clip schedule).

    Returns:
        PpoOutput(stats, advantages, values, returns, next_values, dones, valid).
    """
    obs, actions = batch.obs, batch.actions
    behavior_log_probs = batch.log_probs.float()
    rewards = batch.rewards.float()
    terminated, truncated = batch.terminated.bool(), batch.truncated.bool()
    final_values = batch.final_values.float()
    steps, envs = rewards.shape
    recurrent = model.is_recurrent
    rnn_states = batch.rnn_states.float() if recurrent else None
    dones = terminated | truncated
    starts = _episode_starts(dones) if recurrent else None
    # the value after each step (handed on to the curriculum with the advantages: nobody recomputes it)
    next_values = bootstrap_values(batch.values.float(), final_values, terminated, truncated)

    # 1. Advantages and return targets, in return units.
    if cfg.with_vtrace:
        # V-trace corrects for policy lag with the current policy's log-probs; its baseline is the current value
        # function (evaluated on all T+1 observations; truncated episodes bootstrap from the acting policy's
        # final_values, since the final observations are not stored).
        with torch.no_grad():
            starts_ext = torch.cat([starts, (terminated[-1:] | truncated[-1:])]) if recurrent else None
            params, raw_values = model.forward_sequence(obs, rnn_states, starts_ext)
            target_log_probs, _ = model.action_head.log_prob_entropy(params[:steps], actions)
            baseline = model.denormalize_values(raw_values)
        vtrace = compute_vtrace(
            rewards,
            baseline,
            final_values,
            terminated,
            truncated,
            behavior_log_probs,
            target_log_probs,
            cfg.gamma,
            cfg.vtrace_rho,
            cfg.vtrace_c,
        )
        advantages, returns, baseline = vtrace.advantages, vtrace.vs, baseline[:-1]
    else:
        values = batch.values.float()
        advantages = compute_gae(rewards, values, final_values, terminated, truncated, cfg.gamma, cfg.gae_lambda)
        baseline = values[:-1]
        returns = advantages + baseline

    # Samples of other policies or of agents that finished / wait (multi-agent) are not trained on: GAE above runs
    # over them (a waiting agent's return flows through its waiting steps), everything below leaves them out.
    # Robust PLR's `train_mask` (only replayed levels' steps are trained on) narrows the same mask.
    valid, train_mask = batch.valid, batch.train_mask
    if train_mask is not None:
        valid = train_mask.bool() if valid is None else valid.bool() & train_mask.bool()
    valid = None if valid is None or bool(valid.all()) else valid.bool()
    per_step_out = (advantages, baseline, returns, next_values, dones, valid)  # what PpoOutput hands on, [T, B]
    if valid is not None and not bool(valid.any()):
        return PpoOutput(_stats({}, 0, 0, False, baseline[:0], returns[:0], advantages[:0], clip_ratio), *per_step_out)
    v_baseline, v_returns, v_adv = (x if valid is None else x[valid] for x in (baseline, returns, advantages))

    # A non-finite batch (NaN reward or observation) is skipped whole: it would poison the normalizers as well as
    # the weights. Counted in stats["nan_skipped"] (full NaN diagnosis is the caller's job).
    if recurrent:
        item_count, minibatch_size = envs, max(1, cfg.batch_size // steps)
    else:
        item_count, minibatch_size = steps * envs, cfg.batch_size
        if valid is not None:  # minibatches of valid samples only
            valid_flat = valid.reshape(-1).nonzero().squeeze(1)
            item_count = int(valid_flat.numel())
    num_minibatches = max(1, round(item_count / max(1, minibatch_size)))
    finite = torch.isfinite(returns).all() & torch.isfinite(advantages).all()
    if obs.is_floating_point():
        finite &= torch.isfinite(obs).all()
    if not finite.item():
        stats = _stats({}, 0, cfg.num_epochs * num_minibatches, False, v_baseline, v_returns, v_adv, clip_ratio)
        return PpoOutput(stats, *per_step_out)

    # 2. Value targets in value-head units: fold the new returns into the return normalizer first, then express
    #    the targets and the old predictions (for value clipping) with the updated statistics.
    if model.returns_normalizer is not None:
        model.returns_normalizer.update(v_returns)
    target_values = model.normalize_returns(returns)
    old_values = model.normalize_returns(baseline)

    # 3. Minibatch epochs. Non-recurrent: shuffled samples; recurrent: whole env columns (sequences).
    sums = {k: 0.0 for k in MINIBATCH_STATS}
    sgd_steps = nan_skipped = 0
    early_stopped = False
    params_list = [p for p in model.parameters() if p.requires_grad]
    max_norm = cfg.max_grad_norm if cfg.max_grad_norm > 0 else math.inf
    per_step = (advantages, behavior_log_probs, target_values, old_values)  # [T, B] tensors sliced per minibatch
    if not recurrent:  # samples are independent: flatten [T, B] once
        flat_obs = obs[:steps].reshape(steps * envs, *obs.shape[2:])
        flat_actions = actions.reshape(steps * envs, *actions.shape[2:])

    for _epoch in range(cfg.num_epochs):
        for idx in torch.randperm(item_count, device=rewards.device).tensor_split(num_minibatches):
            mask = None  # recurrent minibatches hold whole columns: invalid steps are masked in the means
            if recurrent:
                out = model.evaluate(obs[:steps, idx], actions[:, idx], rnn_states[idx], starts[:, idx])
                adv, behavior, target, old = (x[:, idx] for x in per_step)
                if valid is not None:
                    mask = valid[:, idx].to(adv.dtype)
                    if not bool(mask.any()):
                        continue
            else:
                if valid is not None:
                    idx = valid_flat[idx]
                out = model.evaluate(flat_obs[idx], flat_actions[idx])
                adv, behavior, target, old = (x.reshape(-1)[idx] for x in per_step)

            if cfg.normalize_advantage and adv.numel() > 1:
                if mask is None:
                    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                else:
                    mean = _masked_mean(adv, mask)
                    count = mask.sum().clamp(min=2.0)  # unbiased, as Tensor.std() above
                    std = ((adv - mean).square() * mask).sum().div(count - 1.0).sqrt()
                    adv = (adv - mean) / (std + 1e-8)

            # Clipped policy loss.
            log_ratio = out.log_probs - behavior
            ratio = torch.exp(log_ratio)
            policy_loss = _masked_mean(-torch.min(ratio * adv, ratio.clamp(1.0 - clip_ratio, 1.0 + clip_ratio) * adv),
                                       mask)  # fmt: skip

            # Value loss (mean squared error of normalized returns), optionally clipped around the old prediction.
            value_loss = (out.values - target).square()
            if cfg.ppo_clip_value > 0:
                clipped = old + (out.values - old).clamp(-cfg.ppo_clip_value, cfg.ppo_clip_value)
                value_loss = torch.max(value_loss, (clipped - target).square())
            value_loss = _masked_mean(value_loss, mask)

            entropy = _masked_mean(out.entropy, mask)
            loss = policy_loss + cfg.value_loss_coeff * value_loss - cfg.exploration_loss_coeff * entropy

            with torch.no_grad():
                approx_kl = _masked_mean((ratio - 1.0) - log_ratio, mask).item()  # k3 estimator, >= 0
                clipfrac = _masked_mean(((ratio - 1.0).abs() > clip_ratio).float(), mask).item()
            if cfg.target_kl > 0 and approx_kl > 1.5 * cfg.target_kl:
                early_stopped = True
                break

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
            sums["policy_loss"] += policy_loss.item()
            sums["value_loss"] += value_loss.item()
            sums["entropy"] += entropy.item()
            sums["approx_kl"] += approx_kl
            sums["clipfrac"] += clipfrac
            sums["grad_norm"] += grad_norm
        if early_stopped:
            break

    # 4. The observation normalizer learns from this batch after the update, so the epochs above saw the
    #    statistics the acting policy used (ratio 1 at the first minibatch in synchronous PPO).
    if model.obs_normalizer is not None:
        model.obs_normalizer.update(obs[:steps] if valid is None else obs[:steps][valid])

    stats = _stats(sums, sgd_steps, nan_skipped, early_stopped, v_baseline, v_returns, v_adv, clip_ratio)
    return PpoOutput(stats, *per_step_out)


def _stats(
    sums: dict[str, float],
    sgd_steps: int,
    nan_skipped: int,
    early_stopped: bool,
    baseline: torch.Tensor,
    returns: torch.Tensor,
    advantages: torch.Tensor,
    clip_ratio: float,
) -> dict[str, float]:
    stats = {k: (sums[k] / sgd_steps if sgd_steps else float("nan")) for k in MINIBATCH_STATS}
    stats.update(
        explained_variance=explained_variance(baseline, returns),
        adv_mean=advantages.mean().item(),
        adv_std=advantages.std().item() if advantages.numel() > 1 else 0.0,
        clip_ratio=clip_ratio,
        sgd_steps=float(sgd_steps),
        nan_skipped=float(nan_skipped),
        early_stopped=float(early_stopped),
    )
    return stats
