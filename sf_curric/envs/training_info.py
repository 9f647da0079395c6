"""Passing information from the RL algorithm to the env (`TrainingInfoInterface`, as in Sample Factory).

The runner's `_propagate_training_info()` sends `{"approx_total_training_steps": ...}` to every env; each env
receives it before its next reset, on the first wrapper of its chain that implements the interface.
"""

from __future__ import annotations

from typing import Any, Dict


class TrainingInfoInterface:
    """Implement this in an env or any wrapper of its chain to receive training information.

    Example:
        >>> class MyWrapper(gym.Wrapper, TrainingInfoInterface):
        ...     def __init__(self, env):
        ...         gym.Wrapper.__init__(self, env)
        ...         TrainingInfoInterface.__init__(self)
    """

    def __init__(self):
        self.training_info: Dict[str, Any] = dict()

    def set_training_info(self, training_info):
        """
        Send the training information to the environment, i.e. number of training steps so far.
        Some environments rely on that i.e. to implement curricula.
        :param training_info: dictionary containing information about the current training session. Guaranteed to
        contain 'approx_total_training_steps' (approx because it lags a bit behind due to multiprocess synchronization)
        """
        self.training_info = training_info


def _implements(obj: Any) -> bool:
    if isinstance(obj, TrainingInfoInterface):
        return True
    # Duck typing on the class: gymnasium>=1.0 wrappers no longer forward attributes, so this looks only at
    # what the object itself defines.
    return callable(getattr(type(obj), "set_training_info", None))


def find_training_info_interface(env: Any) -> Any | None:
    """The first object in the wrapper chain (outermost first) that implements `TrainingInfoInterface`.

    Args:
        env: an env, possibly wrapped: `Wrapper3(Wrapper2(Wrapper1(env)))`.

    Returns:
        That wrapper or env, or None when nothing in the chain implements it.

    Example:
        >>> find_training_info_interface(gym.make("CartPole-v1")) is None
        True
    """
    seen = set()
    current = env
    while current is not None and id(current) not in seen:
        if _implements(current):
            return current
        seen.add(id(current))
        current = getattr(current, "env", None)
    return None


def set_training_info(env: Any, training_info: Dict[str, Any]) -> bool:
    """Deliver `training_info` to the first implementer in `env`'s chain.

    Args:
        env: an env, possibly wrapped.
        training_info: at least `{"approx_total_training_steps": int}`.

    Returns:
        True when some wrapper received it.
    """
    target = find_training_info_interface(env)
    if target is None:
        return False
    target.set_training_info(dict(training_info))
    return True
