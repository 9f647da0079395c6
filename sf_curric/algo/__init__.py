"""Training: the learner and PPO math (`learner`, `ppo`), the rollout worker and runner, and `parallel/`.

Nothing is imported here, so `import sf_curric.algo.<module>` loads only what it needs (worker processes).
"""
