"""Generalization during training on maze_levels: 200 training levels, held-out levels evaluated as it trains.

    python sf_curric_examples/maze_generalization.py --experiment=maze_gen --train_for_env_steps=300000 \\
        --eval_every_env_steps=25000 --eval_episodes=200 --eval_test_tasks=10000:10200

writes eval/train/return, eval/test/return and eval/gap to tensorboard (and wandb with --with_wandb), the curve to
train_dir/maze_gen/checkpoint_p0/eval_curve.png, and keeps the best checkpoint by held-out return
(docs/tracking.md).
"""

from gymnasium.spaces import Discrete

from sf_curric import register_env, run
from sf_curric.envs.builtin.maze_levels import make_maze_levels

NUM_LEVELS = 200


def make_maze_generalization(render_mode=None):
    """The curriculum-efficacy benchmark's maze (5x5 egocentric view, benchmarks/curriculum_efficacy.py)."""
    return make_maze_levels(render_mode=render_mode, view=5)


register_env("maze_generalization", make_maze_generalization, task_space=Discrete(NUM_LEVELS), curriculum="dr")

DEFAULTS = [
    "--env=maze_generalization",
    "--num_envs_per_worker=32",
    "--rollout=32",
    "--batch_size=1024",
    "--num_epochs=4",
    "--learning_rate=5e-4",
    "--exploration_loss_coeff=0.01",
    "--encoder_mlp_layers",
    "128",
    "128",
]

if __name__ == "__main__":
    import sys

    run(DEFAULTS + sys.argv[1:])
