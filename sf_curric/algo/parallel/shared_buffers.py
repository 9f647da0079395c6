"""Preallocated shared-memory tensors: trajectory slots, policy weights and a small control block.

All tensors use torch's shared memory (`share_memory_()`); with the default `file_descriptor`
strategy on Linux the segment is unlinked as soon as it is created and travels to the workers as a
file descriptor, so nothing is left in /dev/shm when the processes exit, even after a SIGKILL.
"""

import time
from typing import Dict, Mapping

import torch

from sf_curric.model.obs_batch import concat_obs, obs_index, obs_map

# Control block layout (one shared int64 tensor).
STOP = 0  # 1 asks every worker to exit
NUM_CONTROL_FIELDS = 1


class SharedTrajectories:
    """`num_slots` trajectory slots with the layout of a template trajectory dict.

    Args:
        template: one trajectory (dict of tensors, the layout of docs/architecture.md; `obs` may be a dict of
            tensors, one per key of a Dict observation space); only its shapes and dtypes are used.
        num_slots: number of slots to allocate.

    Example:
        >>> buffers = SharedTrajectories({"rewards": torch.zeros(4, 2)}, num_slots=3)
        >>> buffers.slot(1)["rewards"].shape
        torch.Size([4, 2])
    """

    def __init__(self, template: Mapping[str, torch.Tensor], num_slots: int):
        if num_slots < 1:
            raise ValueError(f"num_slots must be >= 1, got {num_slots}")
        self.num_slots = num_slots
        self.tensors: Dict[str, torch.Tensor] = {
            key: obs_map(lambda t: torch.zeros((num_slots, *t.shape), dtype=t.dtype).share_memory_(), value)
            for key, value in template.items()
        }

    def slot(self, index: int) -> Dict[str, torch.Tensor]:
        """Views of slot `index` (writing into them writes into shared memory)."""
        return {key: obs_index(t, index) for key, t in self.tensors.items()}

    def gather(self, indices: list) -> Dict[str, torch.Tensor]:
        """Copy the given slots into one trajectory, concatenated along the env dimension.

        Keys whose tensors have a time dimension (`[T, B, ...]`) are concatenated on dim 1, the
        per-env keys (`env_ids [B]`, `rnn_states [B, H]`) on dim 0.
        """
        out = {}
        for key, t in self.tensors.items():
            parts = [obs_index(t, i) for i in indices]
            out[key] = concat_obs(parts, dim=0 if key in PER_ENV_KEYS else 1)
        return out


# Trajectory keys without a time dimension (see docs/architecture.md).
PER_ENV_KEYS = frozenset({"env_ids", "rnn_states"})


class SharedWeights:
    """A shared copy of a model's state dict, published by the learner and read by the workers.

    A seqlock (an even counter that is odd while a write is in progress) lets readers detect and
    retry a torn copy without any lock between processes.

    Args:
        state_dict: the learner's model state dict (shapes and dtypes are copied; values too).
    """

    def __init__(self, state_dict: Mapping[str, torch.Tensor]):
        self.tensors = {k: v.detach().to("cpu", copy=True).share_memory_() for k, v in state_dict.items()}
        # [seqlock counter, learner version of the published weights]
        self.header = torch.zeros(2, dtype=torch.int64).share_memory_()

    @property
    def version(self) -> int:
        """Learner version of the weights currently published."""
        return int(self.header[1])

    def publish(self, state_dict: Mapping[str, torch.Tensor], version: int) -> None:
        """Copy `state_dict` into shared memory and announce `version` (learner side)."""
        self.header[0] += 1  # odd: write in progress
        with torch.no_grad():
            for k, v in state_dict.items():
                self.tensors[k].copy_(v)
        self.header[1] = version
        self.header[0] += 1

    def read_into(self, model: torch.nn.Module, timeout: float = 5.0) -> int:
        """Load the published weights into `model` (worker side) and return their version."""
        deadline = time.monotonic() + timeout
        while True:
            before = int(self.header[0])
            if before % 2 == 0:
                version = int(self.header[1])
                model.load_state_dict(self.tensors)
                if int(self.header[0]) == before:
                    return version
            if time.monotonic() > deadline:
                raise RuntimeError("shared weights stayed locked for too long; is the learner process alive?")
            time.sleep(0.0005)


# Heartbeat columns (one float64 row per worker, written by the worker, read by the runner's stall check).
BEAT_TIME = 0  # time.monotonic() (system-wide on Linux) of the worker's latest sign of progress
BEAT_SLOT = 1  # trajectory slot being filled, -1 outside a rollout
NUM_BEAT_FIELDS = 2


class ControlBlock:
    """Shared flags: the stop request and one heartbeat row per worker.

    Args:
        num_workers: number of worker processes.
    """

    def __init__(self, num_workers: int):
        self.flags = torch.zeros(NUM_CONTROL_FIELDS, dtype=torch.int64).share_memory_()
        # [worker, BEAT_*]: written at every policy step, env reset and wait of the worker (sampler's stall check)
        self.heartbeat = torch.zeros((max(1, num_workers), NUM_BEAT_FIELDS), dtype=torch.float64).share_memory_()
        self.heartbeat[:, BEAT_SLOT] = -1

    def request_stop(self) -> None:
        """Ask every worker to exit at its next check."""
        self.flags[STOP] = 1

    @property
    def stop_requested(self) -> bool:
        """True once `request_stop()` was called."""
        return bool(self.flags[STOP])
