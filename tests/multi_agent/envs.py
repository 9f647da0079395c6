"""Multi-agent test games (module level, so that worker processes can build them by name)."""

import numpy as np
from gymnasium import spaces

from sf_curric.envs.registry import register_env

REWARD_BASE = 10


class CountingGame:
    """PettingZoo parallel API, 3 agents. Agent k acts at in-game steps p = 0..k+1 and then leaves: a0 and a1
    terminate, a2 is truncated (so it bootstraps). Reward of agent k at step p: 10 * (k + 1) + p. The game ends
    after 4 steps. obs = [p, k, game index]. Episode ends report the training info last received."""

    metadata = {"name": "counting_game"}
    possible_agents = ["a0", "a1", "a2"]

    def __init__(self, index=0):
        self.index = index
        self.agents = []
        self.p = 0
        self.training_info = {}
        self.resets = []

    def set_training_info(self, info):
        self.training_info = dict(info)

    def observation_space(self, agent):
        return spaces.Box(-1e6, 1e6, (3,), np.float32)

    def action_space(self, agent):
        return spaces.Discrete(2)

    def _obs(self, agent):
        return np.array([self.p, int(agent[1]), self.index], np.float32)

    def reset(self, seed=None, options=None):
        self.resets.append(dict(self.training_info))
        self.agents = list(self.possible_agents)
        self.p = 0
        return {a: self._obs(a) for a in self.agents}, {a: {} for a in self.agents}

    def step(self, actions):
        assert sorted(actions) == sorted(self.agents), (actions, self.agents)
        rewards = {a: float(REWARD_BASE * (int(a[1]) + 1) + self.p) for a in self.agents}
        self.p += 1
        terms, truncs, infos = {}, {}, {}
        for a in self.agents:
            k = int(a[1])
            ends = self.p == k + 2
            terms[a] = ends and k < 2
            truncs[a] = ends and k == 2
            infos[a] = (
                {"episode_extra_stats": {"ti": self.training_info.get("approx_total_training_steps", -1)}}
                if ends
                else {}
            )
        obs = {a: self._obs(a) for a in self.agents}
        self.agents = [a for a in self.agents if not (terms[a] or truncs[a])]
        return obs, rewards, terms, truncs, infos

    def close(self):
        pass


def episode_return(k):
    """Return of agent k's episode in CountingGame."""
    return float(sum(REWARD_BASE * (k + 1) + p for p in range(k + 2)))


def make_counting_game(env_config=None):
    return CountingGame(0 if env_config is None else max(0, env_config["env_id"]) // 3)


register_env("test_ma_counting", make_counting_game)
