"""What the policy observes: any gymnasium observation space as a Box, or as a flat Dict of leaves it can encode.

`policy_space(space)` says what a network takes from `space`:

- a `Box` stays as it is (vectors of any shape, `(H, W, C)` images);
- `Discrete`, `MultiDiscrete` and `MultiBinary` become the one key `"obs"` of a Dict;
- a `Dict` or `Tuple` becomes a flat Dict of its leaves (`Box`, `Discrete`, `MultiDiscrete`, `MultiBinary`), nested
  keys joined with "." (`{"a": {"b": ...}}` -> `"a.b"`, `Tuple` items by index: `"0"`, `"1"`, ...);
- leaves a network cannot eat (`Text` such as MiniGrid's `mission`, `Graph`, `Sequence`, ...) are dropped and named
  in `PolicySpace.dropped`; a space with nothing left is an `ObservationSpaceError`.

`PolicyObservation` (applied by `make_env` where the space changes) turns each observation into that form, so every
part of the trainer (storage, shared memory, inference, export) sees a Box or a flat Dict of fixed-shape arrays.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import gymnasium as gym
import numpy as np
from gymnasium import spaces

# leaves a network encodes: vectors / images, one-hot or embedded integers, binary vectors
LEAF_SPACES = (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)
KEY_SEPARATOR = "."
SINGLE_KEY = "obs"  # the key of a lone Discrete / MultiDiscrete / MultiBinary observation

Path = tuple[Any, ...]  # keys (Dict) and indexes (Tuple) from the raw observation down to a leaf
Field = tuple[tuple[int, ...], np.dtype]  # shape and dtype of a stored observation array


class ObservationSpaceError(ValueError):
    """The observations do not fit the policy network; the message is one line that names the fix."""


class PolicySpace(NamedTuple):
    """What `policy_space` makes of an observation space.

    Attributes:
        space: a Box, or a flat Dict of `LEAF_SPACES` (what the network takes).
        paths: for a Dict, where each of its keys is found in the raw observation (None: a Box taken as it is).
        dropped: keys left out (a network cannot eat them) -> their space's type name.
    """

    space: spaces.Space
    paths: dict[str, Path] | None
    dropped: dict[str, str]


def _leaves(space: spaces.Space, path: Path, out: dict[Path, spaces.Space], dropped: dict[str, str]) -> None:
    if isinstance(space, spaces.Dict):
        for key, sub in space.spaces.items():
            _leaves(sub, (*path, key), out, dropped)
    elif isinstance(space, spaces.Tuple):
        for index, sub in enumerate(space.spaces):
            _leaves(sub, (*path, index), out, dropped)
    elif isinstance(space, LEAF_SPACES):
        out[path] = space
    else:
        dropped[_key(path)] = type(space).__name__


def _key(path: Path) -> str:
    return KEY_SEPARATOR.join(str(part) for part in path) or SINGLE_KEY


def policy_space(space: spaces.Space) -> PolicySpace:
    """The observation space a network takes from `space` (see the module docstring).

    Args:
        space: an env's observation space.

    Raises:
        ObservationSpaceError: no part of `space` can be encoded.

    Example:
        >>> policy_space(spaces.Tuple((spaces.Discrete(32), spaces.Discrete(11)))).space
        Dict('0': Discrete(32), '1': Discrete(11))
    """
    if isinstance(space, spaces.Box):
        return PolicySpace(space, None, {})
    leaves: dict[Path, spaces.Space] = {}
    dropped: dict[str, str] = {}
    _leaves(space, (), leaves, dropped)
    if not leaves:
        raise ObservationSpaceError(
            f"observation space {space} has nothing a network can take: give the env a Box, Discrete, "
            "MultiDiscrete, MultiBinary observation, or a Dict/Tuple holding some (wrap it in a "
            "gymnasium.ObservationWrapper)"
        )
    keys = {_key(path): path for path in leaves}
    if len(keys) != len(leaves):
        raise ObservationSpaceError(
            f"observation space {space} gives two parts the same key once nested keys are joined with "
            f"{KEY_SEPARATOR!r}: rename one in an ObservationWrapper"
        )
    return PolicySpace(spaces.Dict({key: leaves[path] for key, path in keys.items()}), keys, dropped)


def takes_as_is(space: spaces.Space) -> bool:
    """Whether observations of `space` reach the network unchanged (a Box, or a flat Dict of leaves)."""
    if isinstance(space, spaces.Box):
        return True
    return isinstance(space, spaces.Dict) and all(isinstance(sub, LEAF_SPACES) for sub in space.spaces.values())


def _get(obs: Any, path: Path) -> Any:
    for part in path:
        obs = obs[part]
    return obs


class PolicyObservation(gym.ObservationWrapper):
    """Observations in the form of `policy_space(env.observation_space)`: a flat dict of the leaves (numpy arrays
    of each leaf's dtype), dropped keys left out.

    `reset` passes every keyword on (`new_task=` reaches a TaskWrapper inside).

    Args:
        env: an env whose observation space is not taken as it is (see `takes_as_is`).

    Attributes:
        dropped: keys left out -> their space's type name.

    Example:
        >>> env = PolicyObservation(gym.make("Blackjack-v1"))
        >>> env.reset(seed=0)[0]
        {'0': array(15), '1': array(2), '2': array(0)}
    """

    def __init__(self, env: gym.Env):
        super().__init__(env)
        flat = policy_space(env.observation_space)
        self.observation_space = flat.space
        self.dropped = flat.dropped
        self._paths = flat.paths or {}
        self._dtypes = {key: _storage_dtype(sub) for key, sub in flat.space.spaces.items()}

    def reset(self, **kwargs: Any) -> tuple[Any, dict]:
        obs, info = self.env.reset(**kwargs)
        return self.observation(obs), info

    def observation(self, observation: Any) -> dict[str, np.ndarray]:
        return {key: np.asarray(_get(observation, path), self._dtypes[key]) for key, path in self._paths.items()}


def _storage_dtype(space: spaces.Space) -> np.dtype:
    """The dtype a leaf is stored with: a Box's own, int64 for integers, int8 for binary vectors."""
    if isinstance(space, spaces.Box):
        return np.dtype(space.dtype)
    if isinstance(space, spaces.MultiBinary):
        return np.dtype(np.int8)
    return np.dtype(np.int64)


def storage_fields(space: spaces.Space) -> Field | dict[str, Field]:
    """Shape and dtype of one stored observation: `(shape, dtype)` for a Box, `{key: (shape, dtype)}` for a Dict.

    Args:
        space: a policy space (a Box or a flat Dict of leaves, see `policy_space`).

    Example:
        >>> storage_fields(spaces.Dict({"direction": spaces.Discrete(4)}))
        {'direction': ((), dtype('int64'))}
    """
    if isinstance(space, spaces.Box):
        return tuple(space.shape), np.dtype(space.dtype)
    if not takes_as_is(space):
        raise ObservationSpaceError(
            f"observation space {space} is not a Box or a flat Dict of Box/Discrete/MultiDiscrete/MultiBinary: "
            "build the env with sf_curric's make_env (it wraps it in PolicyObservation)"
        )
    return {key: (tuple(sub.shape), _storage_dtype(sub)) for key, sub in space.spaces.items()}


def with_policy_observations(env: gym.Env) -> gym.Env:
    """`env`, wrapped in `PolicyObservation` when its observations need converting (Discrete, Tuple, nested or
    partly unsupported Dict spaces).

    Args:
        env: a gymnasium env.
    """
    return env if takes_as_is(env.observation_space) else PolicyObservation(env)


def describe_dropped(env: Any) -> str | None:
    """One line naming the observation keys `make_env`'s env leaves out of the policy's input (None: none).

    Args:
        env: an env built by `make_env`.
    """
    dropped = env.dropped if isinstance(env, PolicyObservation) else {}
    if not dropped:
        return None
    keys = ", ".join(f"{key} ({kind})" for key, kind in dropped.items())
    return f"observation keys left out of the policy's input (a network cannot take them): {keys}"
