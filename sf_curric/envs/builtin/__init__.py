"""Built-in envs, registered when the env registry first looks a name up (so `--env=cartpole_curriculum` needs
no user code). A name the user registered first keeps the user's registration."""

from sf_curric.envs import registry
from sf_curric.envs.builtin.cartpole_curriculum import eval_groups, make_cartpole_curriculum, task_space

BUILTIN_ENVS = ("cartpole_curriculum",)


def _register_builtins() -> None:
    if "cartpole_curriculum" not in registry._REGISTRY:
        registry.register_env(
            "cartpole_curriculum", make_cartpole_curriculum, task_space=task_space(), curriculum="simple_box"
        )
    from sf_curric.evaluation.final_eval import register_eval_groups

    register_eval_groups("cartpole_curriculum", eval_groups)


_register_builtins()
