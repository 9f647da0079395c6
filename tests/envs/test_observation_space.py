"""What the policy observes: every space kind flattened to a Box or a flat Dict of leaves, unsupported keys dropped
and named, and make_env's envs (gymnasium's Discrete and Tuple envs, MiniGrid) returning that form."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from sf_curric.envs.observation_space import (
    ObservationSpaceError,
    PolicyObservation,
    policy_space,
    storage_fields,
    takes_as_is,
)
from sf_curric.envs.registry import make_env

BOX = spaces.Box(-1.0, 1.0, (3,), np.float32)


def test_a_box_is_taken_as_it_is():
    flat = policy_space(BOX)
    assert flat.space is BOX and flat.paths is None and flat.dropped == {}
    assert storage_fields(BOX) == ((3,), np.dtype(np.float32))


@pytest.mark.parametrize(
    "space,keys",
    [
        (spaces.Discrete(16), {"obs": spaces.Discrete(16)}),
        (spaces.MultiBinary(4), {"obs": spaces.MultiBinary(4)}),
        (
            spaces.Tuple((spaces.Discrete(32), spaces.Discrete(11))),
            {"0": spaces.Discrete(32), "1": spaces.Discrete(11)},
        ),
        (
            spaces.Dict({"a": BOX, "b": spaces.Dict({"c": spaces.Discrete(2), "d": spaces.Tuple((BOX,))})}),
            {"a": BOX, "b.c": spaces.Discrete(2), "b.d.0": BOX},
        ),
    ],
)
def test_other_spaces_become_a_flat_dict_of_leaves(space, keys):
    flat = policy_space(space)
    assert dict(flat.space.spaces) == keys and flat.dropped == {}
    assert takes_as_is(flat.space) and not takes_as_is(space)


def test_spaces_a_network_cannot_eat_are_dropped_and_named():
    space = spaces.Dict({"image": BOX, "mission": spaces.Text(10), "seq": spaces.Sequence(spaces.Discrete(2))})
    flat = policy_space(space)
    assert list(flat.space.spaces) == ["image"]
    assert flat.dropped == {"mission": "Text", "seq": "Sequence"}
    with pytest.raises(ObservationSpaceError, match="nothing a network can take"):
        policy_space(spaces.Dict({"mission": spaces.Text(10)}))
    with pytest.raises(ObservationSpaceError, match="same key"):
        policy_space(spaces.Dict({"a.b": BOX, "a": spaces.Dict({"b": BOX})}))


def test_policy_observation_converts_each_observation():
    env = PolicyObservation(gym.make("Blackjack-v1"))
    obs, _ = env.reset(seed=3)
    assert set(obs) == {"0", "1", "2"} and all(v.dtype == np.int64 and v.shape == () for v in obs.values())
    raw = env.unwrapped._get_obs()
    assert tuple(int(obs[k]) for k in ("0", "1", "2")) == tuple(int(x) for x in raw)
    assert env.observation_space.contains(obs)


def test_make_env_gives_policy_observations():
    frozen = make_env(None, env_name="FrozenLake-v1")
    obs, _ = frozen.reset(seed=0)
    assert obs == {"obs": 0} and frozen.observation_space == spaces.Dict({"obs": spaces.Discrete(16)})
    cartpole = make_env(None, env_name="CartPole-v1")
    assert not isinstance(cartpole, PolicyObservation)  # a Box env is not wrapped


def test_minigrid_drops_its_mission_and_keeps_image_and_direction():
    pytest.importorskip("minigrid", reason='pip install "sf_curric[minigrid]"')
    env = make_env(None, env_name="MiniGrid-Empty-5x5-v0")
    assert env.dropped == {"mission": "MissionSpace"}
    obs, _ = env.reset(seed=0)
    assert sorted(obs) == ["direction", "image"] and obs["image"].shape == (7, 7, 3)
    assert int(obs["direction"]) == env.unwrapped.agent_dir
