"""Networks: encoders (MLP, CNN), recurrent cores, action heads, running normalizers and `ActorCritic`."""

from sf_curric.model.actor_critic import ActorCritic, ActResult, EvalResult
from sf_curric.model.normalizer import RunningMeanStd

__all__ = ["ActorCritic", "ActResult", "EvalResult", "RunningMeanStd"]
