"""`EagerAdam`: torch's Adam without its torch.compile hooks, which cost ~2 s of CPU at start-up.

torch wraps `Optimizer.step`, `zero_grad`, `state_dict`, `load_state_dict` and `add_param_group` in decorators
that import `torch._dynamo` on their first call (to mark graph breaks for torch.compile). sf_curric never compiles
the optimizer, and that import is the largest single part of a run's start-up on a small CPU (more than `import
torch` itself). `EagerAdam` calls the same undecorated methods: same update, same state_dict format (checkpoints
load in either class), `isinstance(opt, torch.optim.Adam)` holds.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import torch

_RAW_STEP = inspect.unwrap(torch.optim.Adam.step)


class EagerAdam(torch.optim.Adam):
    """`torch.optim.Adam` whose methods skip the torch.compile wrappers (see the module docstring)."""

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adam update (the undecorated `Adam.step`, run without autograd like the decorated one)."""
        with torch.no_grad():
            return _RAW_STEP(self, closure)


for _name in ("zero_grad", "state_dict", "load_state_dict", "add_param_group"):
    setattr(EagerAdam, _name, inspect.unwrap(getattr(torch.optim.Adam, _name)))
