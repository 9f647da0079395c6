"""check_env for multi-agent (PettingZoo-API) envs: what the trainer relies on when agents are batch columns.

The env is checked through the same adapter the trainer uses (`MultiAgentEnv`): shared spaces, observations inside
the observation space, episodes that end, and tasks taken at reset when the env says it takes them.
"""

from __future__ import annotations

from typing import Any, List

import numpy as np

from sf_curric.envs.task_env_error import TaskEnvError


def check_multi_agent_env(env: Any, task_space: Any, num_episodes: int, max_steps: int, seed: int) -> List[str]:
    """Run `num_episodes` random-action episodes through `MultiAgentEnv`; raise TaskEnvError on what breaks training.

    Returns:
        Warnings: things that work but weaken a curriculum.
    """
    from sf_curric.curricula.task_space import as_task_space
    from sf_curric.envs.multi_agent import MultiAgentEnv

    try:
        game = env if isinstance(env, MultiAgentEnv) else MultiAgentEnv(env)
    except (ValueError, ImportError) as e:
        raise TaskEnvError(f"task env problems:\n- {e}") from e
    space = as_task_space(task_space) if task_space is not None else None
    warnings: List[str] = []
    if space is not None and not game._takes_new_task:
        raise TaskEnvError("task env problems:\n- env.reset does not accept new_task=...: add it to reset()")
    if space is None:
        warnings.append("the env takes no tasks: it trains (self-play curricula work), but without a task curriculum")
    else:
        space.seed(seed)
    game.action_space.seed(seed)
    errors: List[str] = []
    for episode in range(num_episodes):
        task = space.encode(space.sample()) if space is not None else None
        obs = game.reset(seed=seed + episode, new_task=task)
        for step in range(max_steps):
            for agent, o in obs.items():
                if not game.observation_space.contains(np.asarray(o, dtype=game.observation_space.dtype)):
                    errors.append(f"agent {agent!r}'s observation is outside the observation space (step {step})")
            if errors or game.done:
                break
            actions = {agent: _legal_action(game, obs.get(agent)) for agent in game.acting_agents()}
            obs = game.step(actions)[0]
        else:
            errors.append(f"an episode did not end within {max_steps} steps: end or truncate episodes")
        if errors:
            break
    game.close()
    if errors:
        raise TaskEnvError("task env problems:\n- " + "\n- ".join(errors))
    return warnings


def _legal_action(game: Any, obs: Any) -> Any:
    """A random action, legal when the observation ends with PettingZoo classic's action mask."""
    if game.mask_size and obs is not None:
        legal = np.flatnonzero(np.asarray(obs)[-game.mask_size :] > 0)
        if legal.size:
            return int(game.action_space.np_random.choice(legal))
    return game.action_space.sample()
