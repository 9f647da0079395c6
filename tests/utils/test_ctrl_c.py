"""Ctrl-C as a flag: the first SIGINT sets the event (no KeyboardInterrupt that C code could swallow), the second
raises as usual, the previous handler comes back; `run_episodes` stops at the flag."""

import os
import signal
import threading

import gymnasium as gym
import pytest
import torch

from sf_curric.evaluation.episodes import EpisodeJob, run_episodes
from sf_curric.utils.ctrl_c import ctrl_c_requests


def test_first_sigint_sets_the_flag_second_raises_and_handler_is_restored():
    before = signal.getsignal(signal.SIGINT)
    with ctrl_c_requests() as requested:
        assert not requested.is_set()
        os.kill(os.getpid(), signal.SIGINT)
        assert requested.wait(5)
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            threading.Event().wait(5)  # the handler runs in the main thread at the next bytecode
    assert signal.getsignal(signal.SIGINT) is before


def test_outside_the_main_thread_the_handler_is_left_alone():
    seen = []

    def body():
        with ctrl_c_requests() as requested:
            seen.append((requested.is_set(), signal.getsignal(signal.SIGINT)))

    before = signal.getsignal(signal.SIGINT)
    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert seen == [(False, before)]


class _AlwaysLeft:
    def __init__(self, space):
        self.space = space

    def initial_rnn_states(self, n):
        return None

    def act(self, obs, states, deterministic=False):
        class Result:
            actions = torch.zeros(len(obs), dtype=torch.int64)
            rnn_states = None

        return Result()

    def to_env_actions(self, actions):
        return actions.numpy()


def test_run_episodes_stops_when_asked():
    env = gym.make("CartPole-v1")
    steps = []

    def should_stop():
        steps.append(1)
        return len(steps) > 30  # mid-episode: CartPole with action 0 falls after about 10 steps

    jobs = (EpisodeJob("default", None, "default", k, k) for k in range(10_000))
    records = run_episodes([env], _AlwaysLeft(env.action_space), jobs, should_stop=should_stop)
    assert len(steps) == 31
    assert 1 <= len(records) <= 3 and sum(r.episode_length for r in records) <= 30
