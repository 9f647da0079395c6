"""TrainingInfoInterface (seed 000) and unwrapping to the FIRST wrapper of the chain that implements it."""

import gymnasium as gym

from sf_curric.envs.training_info import TrainingInfoInterface, find_training_info_interface, set_training_info


class InfoWrapper(gym.Wrapper, TrainingInfoInterface):
    def __init__(self, env):
        gym.Wrapper.__init__(self, env)
        TrainingInfoInterface.__init__(self)


class DuckWrapper(gym.Wrapper):
    """Implements the interface without inheriting from it."""

    def set_training_info(self, training_info):
        self.received = training_info


class InfoEnv(gym.Env, TrainingInfoInterface):
    observation_space = gym.spaces.Discrete(2)
    action_space = gym.spaces.Discrete(2)

    def __init__(self):
        TrainingInfoInterface.__init__(self)


def test_interface_is_the_seed_one():
    iface = TrainingInfoInterface()
    assert iface.training_info == {}
    iface.set_training_info({"approx_total_training_steps": 5})
    assert iface.training_info == {"approx_total_training_steps": 5}


def test_first_implementer_in_the_chain_wins():
    inner = InfoWrapper(gym.make("CartPole-v1"))
    outer = InfoWrapper(gym.wrappers.RecordEpisodeStatistics(inner))
    chain = gym.wrappers.TimeAwareObservation(outer)
    assert find_training_info_interface(chain) is outer
    assert set_training_info(chain, {"approx_total_training_steps": 10})
    assert outer.training_info == {"approx_total_training_steps": 10}
    assert inner.training_info == {}


def test_deep_chain_and_base_env():
    env = InfoEnv()
    wrapped = gym.Wrapper(gym.Wrapper(gym.Wrapper(env)))
    assert find_training_info_interface(wrapped) is env
    duck = DuckWrapper(gym.Wrapper(env))
    assert find_training_info_interface(gym.Wrapper(duck)) is duck


def test_nothing_implements_it():
    env = gym.make("CartPole-v1")
    assert find_training_info_interface(env) is None
    assert set_training_info(env, {"approx_total_training_steps": 1}) is False
