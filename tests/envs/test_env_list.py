"""Env lists as task spaces (EnvListEnv, register_env_list) and the built-in MiniGrid curricula (mr_*)."""

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

from sf_curric.envs.builtin.env_list import EnvListEnv
from sf_curric.envs.builtin.minigrid_curricula import MASTERING_RATE_CURRICULA
from sf_curric.envs.env_list_setup import register_env_list
from sf_curric.envs.registry import get_env_spec, make_env
from sf_curric.errors import install_command

pytest.importorskip("minigrid")

BUP = MASTERING_RATE_CURRICULA["mr_blockedunlockpickup"].env_ids


def test_the_env_changes_at_reset():
    env = EnvListEnv(BUP)
    assert env.observation_space == gym.spaces.Box(0, 255, (7, 7, 3), np.uint8)
    assert env.action_space == gym.spaces.Discrete(7)
    assert env.task_space.tasks == list(BUP)
    for env_id in (BUP[1], BUP[0], BUP[2]):
        obs, info = env.reset(new_task=env_id, seed=0)
        assert info["task"] == env_id and env.current.spec.id == env_id
        assert env.observation_space.contains(obs)
        _, _, _, _, info = env.step(2)
        assert info["task"] == env_id and info["task_completion"] == 0.0
    obs, info = env.reset()  # no new task: the same env again
    assert info["task"] == BUP[2] and env.current.spec.id == BUP[2]
    with pytest.raises(ValueError, match="not in"):
        env.reset(new_task="MiniGrid-Empty-5x5-v0")
    env.close()


def test_each_env_of_the_list_is_seeded_from_the_reset_seed():
    def first_observations(seed):
        env = EnvListEnv(BUP)
        out = [env.reset(seed=seed, new_task=BUP[0])[0]]
        out += [env.reset(new_task=env_id)[0] for env_id in BUP[1:]]
        return out

    a, b, c = first_observations(3), first_observations(3), first_observations(4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_a_solved_episode_reports_completion():
    env = EnvListEnv(["MiniGrid-Empty-5x5-v0"])
    env.reset(seed=0, new_task="MiniGrid-Empty-5x5-v0")
    env.current.unwrapped.agent_pos = np.array([3, 2])  # one step left of the goal at (3, 3), facing down
    env.current.unwrapped.agent_dir = 1
    _, reward, terminated, _, info = env.step(2)
    assert terminated and reward > 0 and info["task_completion"] == 1.0


def test_envs_with_different_spaces_are_refused_in_one_line():
    with pytest.raises(ValueError) as err:
        EnvListEnv(["MiniGrid-Unlock-v0", "CartPole-v1"])
    message = str(err.value)
    assert "\n" not in message and "CartPole-v1 has observation_space" in message and "wrap" in message


def test_builtin_curricula_are_registered_with_their_graph():
    for name, curriculum in MASTERING_RATE_CURRICULA.items():
        spec = get_env_spec(name)
        assert spec.curriculum == "mastering_rate" and spec.task_space.tasks == list(curriculum.env_ids)
        assert spec.make_env_fn.env_curriculum is curriculum
    assert MASTERING_RATE_CURRICULA["mr_keycorridor"].env_ids[-1] == "MiniGrid-KeyCorridorS6R3-v0"
    assert len(MASTERING_RATE_CURRICULA["mr_obstructedmaze"].edges) == 10
    env = make_env(type("Cfg", (), {"env": "mr_obstructedmaze"})())  # builds all 9 envs: spaces checked
    assert env.observation_space.shape == (7, 7, 3)
    env.close()


def test_register_env_list_in_a_few_lines():
    curriculum = register_env_list("doorkeys_for_test", ["MiniGrid-DoorKey-5x5-v0", "MiniGrid-DoorKey-6x6-v0"])
    spec = get_env_spec("doorkeys_for_test")
    assert spec.task_space.tasks == ["MiniGrid-DoorKey-5x5-v0", "MiniGrid-DoorKey-6x6-v0"]
    assert spec.make_env_fn.env_curriculum == curriculum and curriculum.edges is None
    with pytest.raises(ValueError, match="not in the list"):
        register_env_list("bad_edges", ["MiniGrid-DoorKey-5x5-v0"], edges=[("MiniGrid-DoorKey-5x5-v0", "x")])


def test_missing_minigrid_is_one_line_naming_the_extra():
    code = (
        "import sys; sys.modules['minigrid'] = None\n"
        "from sf_curric.envs.builtin.env_list import EnvListEnv\n"
        "EnvListEnv(['MiniGrid-Unlock-v0'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    last = out.stderr.strip().splitlines()[-1]
    assert (
        out.returncode != 0
        and last.startswith("sf_curric.envs.dependencies.EnvDependencyError")
        and install_command("minigrid") in last
    )


def test_a_prefix_keeps_the_first_envs_and_their_edges():
    om = MASTERING_RATE_CURRICULA["mr_obstructedmaze"]
    p4 = om.prefix(4)  # 1Dl, 1Dlh, 1Dlhb, 2Dl
    assert [i.split("-")[2] for i in p4.env_ids] == ["1Dl", "1Dlh", "1Dlhb", "2Dl"]
    short = {(a.split("-")[2], b.split("-")[2]) for a, b in p4.edges}
    assert short == {("1Dl", "1Dlh"), ("1Dl", "2Dl"), ("1Dlh", "1Dlhb")}
    assert MASTERING_RATE_CURRICULA["mr_keycorridor"].prefix(3).edges is None  # a chain stays a chain
    with pytest.raises(ValueError, match="keeps 1 to 9 envs"):
        om.prefix(10)
