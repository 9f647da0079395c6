"""Batches of observations: one array for a Box space, a dict of arrays (one per key) for a Dict space.

Every place that stores or moves observations (trajectories, shared memory, inference buffers, the learner's
minibatches) goes through these few functions, so it handles both forms the same way. The arrays are torch tensors
or numpy arrays; the leading dimensions (`[T+1, B]`, `[rows]`, ...) are the caller's, the trailing ones are the
space's (`sf_curric.envs.observation_space.storage_fields`).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence, TypeVar, Union

import numpy as np
import torch
from gymnasium import spaces

from sf_curric.envs.observation_space import storage_fields

Array = TypeVar("Array", torch.Tensor, np.ndarray)
ObsBatch = Union[torch.Tensor, np.ndarray, dict]  # an array, or {key: array}


def obs_map(fn: Callable[[Any], Any], obs: Any) -> Any:
    """`fn` applied to the array, or to each array of a dict (the same keys back).

    Example:
        >>> obs_map(lambda t: t[0], {"image": torch.zeros(4, 7, 7, 3)})["image"].shape
        torch.Size([7, 7, 3])
    """
    if isinstance(obs, dict):
        return {key: fn(value) for key, value in obs.items()}
    return fn(obs)


def obs_index(obs: Any, index: Any) -> Any:
    """`obs[index]` of the array, or of each array of a dict (views for basic indexing)."""
    if isinstance(obs, dict):
        return {key: value[index] for key, value in obs.items()}
    return obs[index]


def obs_zip(fn: Callable[..., Any], *batches: Any) -> Any:
    """`fn(a, b, ...)` on matching arrays of batches of one form (for a dict, key by key)."""
    if isinstance(batches[0], dict):
        return {key: fn(*(batch[key] for batch in batches)) for key in batches[0]}
    return fn(*batches)


def obs_leaves(obs: Any) -> list[Any]:
    """The arrays of a batch (one, or one per key)."""
    return list(obs.values()) if isinstance(obs, dict) else [obs]


def obs_rows(obs: Any) -> int:
    """The size of the first dimension (the same for every array of a dict)."""
    return int(obs_leaves(obs)[0].shape[0])


def allocate_obs(space: spaces.Space, lead: Sequence[int], share_memory: bool = False) -> Any:
    """Zeroed torch storage for observations of `space` with leading dimensions `lead`.

    Args:
        space: a policy space (a Box or a flat Dict of leaves).
        lead: leading shape, e.g. `(T + 1, B)`.
        share_memory: in shared memory (for worker processes).

    Example:
        >>> allocate_obs(spaces.Box(0, 1, (4,)), (33, 8)).shape
        torch.Size([33, 8, 4])
    """

    def zeros(field: tuple[tuple[int, ...], np.dtype]) -> torch.Tensor:
        shape, dtype = field
        tensor = torch.zeros((*lead, *shape), dtype=torch.from_numpy(np.zeros((), dtype=dtype)).dtype)
        return tensor.share_memory_() if share_memory else tensor

    fields = storage_fields(space)
    if isinstance(fields, dict):
        return {key: zeros(field) for key, field in fields.items()}
    return zeros(fields)


def stack_obs(space: spaces.Space, observations: Sequence[Any]) -> Any:
    """Env observations (one per env) -> one numpy batch of the storage form.

    Args:
        space: the policy space the observations belong to.
        observations: what the envs returned (arrays, or dicts of arrays for a Dict space).
    """
    fields = storage_fields(space)
    if isinstance(fields, dict):
        return {key: np.stack([np.asarray(o[key], dtype=dtype) for o in observations]) for key, (_, dtype) in
                fields.items()}  # fmt: skip
    return np.stack([np.asarray(o, dtype=fields[1]) for o in observations])


def write_obs(buffer: Any, index: Any, obs: Any) -> None:
    """`buffer[index] = obs` for storage of either form (a row, or rows with a batch of that form); the rollout hot
    path: no allocation.

    Raises:
        ValueError: the observation's shape does not fit (numpy's broadcasting error); KeyError: a key is missing.
    """
    if isinstance(buffer, dict):
        for key, array in buffer.items():
            array[index] = obs[key]
    else:
        buffer[index] = obs


def to_torch(obs: Any) -> Any:
    """numpy batch -> torch tensors sharing the memory (tensors are returned as they are)."""
    return obs_map(lambda x: torch.from_numpy(x) if isinstance(x, np.ndarray) else x, obs)


def to_numpy(obs: Any) -> Any:
    """CPU torch batch -> numpy arrays sharing the memory (arrays are returned as they are)."""
    return obs_map(lambda x: x.numpy() if isinstance(x, torch.Tensor) else x, obs)


def concat_obs(batches: Sequence[Any], dim: int = 0) -> Any:
    """Concatenate batches of one form along `dim` (torch tensors)."""
    return obs_zip(lambda *parts: torch.cat(parts, dim=dim), *batches)


def obs_finite(obs: Any) -> bool:
    """True when no floating-point array of the batch holds NaN or inf (integer arrays always pass)."""
    return all(bool(torch.isfinite(x).all()) for x in obs_leaves(obs) if x.is_floating_point())
