"""LAMB (You et al. 2019, "Large Batch Optimization for Deep Learning"), as Sample Factory's `--optimizer=lamb` runs it.

For each parameter tensor w with gradient g, at step t (from 1):

    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g^2
    u = (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps) + weight_decay * w
    trust = clip(min(||w||, 10) / ||u||, min_trust, 1 / min_trust)    (1 when ||w|| or ||u|| is 0)
    w = w - lr * trust * u

This is the paper's layer-wise update with its scaling function phi(z) = min(z, 10) and a clipped trust ratio, the
variant Sample Factory 2.1.1 ships (`sample_factory/algo/utils/optimizers.py`, from bps-nav, Wijmans et al.) with the
defaults it uses (weight_decay 1e-4, min_trust 0.01; no look-ahead). Written here from that definition;
`tests/algo/test_lamb.py` checks it against a numpy implementation of the formulas above.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import torch
from torch.optim import Optimizer


class Lamb(Optimizer):
    """LAMB: Adam's direction, scaled per parameter tensor by the trust ratio ||w|| / ||update||.

    Args:
        params: the parameters (or parameter groups) to optimize.
        lr: learning rate.
        betas: Adam's moment decay rates.
        eps: added to the root of the second moment.
        weight_decay: decoupled weight decay added to the update (before the trust ratio).
        min_trust: the trust ratio is clipped to [min_trust, 1 / min_trust].

    Example:
        >>> opt = Lamb(torch.nn.Linear(2, 1).parameters(), lr=1e-3)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-6,
        weight_decay: float = 1e-4,
        min_trust: float = 0.01,
    ):
        if lr < 0 or eps < 0 or not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"invalid LAMB settings lr={lr}, eps={eps}, betas={betas}: lr, eps >= 0, betas in [0, 1)")
        if not 0.0 < min_trust <= 1.0:
            raise ValueError(f"LAMB's min_trust={min_trust} must be in (0, 1]")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "min_trust": min_trust}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                state = self.state[param]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(param)
                    state["exp_avg_sq"] = torch.zeros_like(param)
                state["step"] += 1
                step, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
                m.mul_(beta1).add_(param.grad, alpha=1.0 - beta1)
                v.mul_(beta2).addcmul_(param.grad, param.grad, value=1.0 - beta2)
                m_hat = m / (1.0 - beta1**step)
                v_root = (v / (1.0 - beta2**step)).sqrt_()
                update = m_hat.div_(v_root.add_(group["eps"]))
                if group["weight_decay"] > 0:
                    update.add_(param, alpha=group["weight_decay"])
                param.sub_(update, alpha=group["lr"] * _trust_ratio(param, update, group["min_trust"]))
        return loss


def _trust_ratio(param: torch.Tensor, update: torch.Tensor, min_trust: float) -> float:
    weight_norm = param.norm().item()
    update_norm = update.norm().item()
    if weight_norm == 0.0 or update_norm == 0.0 or min_trust == 1.0:
        return 1.0
    return min(max(min(weight_norm, 10.0) / update_norm, min_trust), 1.0 / min_trust)
