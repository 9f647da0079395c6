"""`MultiPolicyRunner`: `--num_policies=N` policies trained side by side in one run, with PBT over them when
`--with_pbt=True` (Sample Factory's multi-policy training on one machine).

Each policy is a `Runner` of its own (learner, sampler with its 1/N of the envs and workers, curriculum,
checkpoint_p<i>, tensorboard/p<i>), set up in policy order; this loop trains them in turns, one batch each, so they
advance at the same pace, and runs PBT after each round. As in SF, `--train_for_env_steps` is per policy: the run
ends when every policy has trained that many (a policy that is done stops training and waits for the others).

On a multi-agent env with `--pbt_mix_policies_in_one_env=True` (SF's default) the policies play each other: each
policy's games seat its trained agent against another policy, drawn per episode (fictitious self-play over a pool
that holds the other policies' current weights, refreshed every `--selfplay_snapshot_every` env steps).
"""

from __future__ import annotations

import argparse
import logging
import math
import signal
import threading
from typing import Any

from sf_curric.algo.nan_guard import NonFiniteTrainingError
from sf_curric.algo.runner import Runner, RunResult
from sf_curric.algo.stop_and_save import FinalSaveError, StopRequested, record_stop_cause
from sf_curric.cfg.population import policy_config
from sf_curric.errors import ConfigError

log = logging.getLogger("sf_curric")


class MultiPolicyRunner:
    """Trains `cfg.num_policies` policies (see the module docstring); `run()` as `Runner.run()`.

    Args:
        cfg: the resolved run config.
        prepare_dir: as `Runner`'s (applied once, by policy 0).

    Example:
        >>> result = MultiPolicyRunner(parse_args(["--env=CartPole-v1", "--num_policies=2"])).run()
    """

    def __init__(self, cfg: argparse.Namespace, prepare_dir: bool = False):
        self.cfg = cfg
        self.mixing = mixes_policies(cfg)  # a multi-agent env: each policy plays the others in its games
        configs = [policy_config(cfg, i) for i in range(cfg.num_policies)]
        if self.mixing:
            for sub in configs:  # the other policies are the opponent pool (one slot each), drawn uniformly
                sub.curriculum, sub.selfplay_pool_size = "fictitious_self_play", cfg.num_policies - 1
        self.runners = [
            Runner(sub, prepare_dir and i == 0, policy_id=i, experiment_cfg=cfg) for i, sub in enumerate(configs)
        ]
        self.pbt: Any = None  # sf_curric.algo.pbt.PopulationBasedTraining with --with_pbt
        self._stop_signal: str | None = None

    def run(self) -> RunResult:
        """Train every policy until each has stopped; save each at the end. The summed env steps are returned."""
        previous_handlers = self._install_signal_handlers()
        failed = True
        try:
            for runner in self.runners:
                runner._setup()
            if self.mixing:
                for runner in self.runners:
                    others = {r.policy_id: r.learner for r in self.runners if r is not runner}
                    runner.self_play.use_population(others, runner.env_steps)
            if self.cfg.with_pbt:
                from sf_curric.algo.pbt import PopulationBasedTraining

                self.pbt = PopulationBasedTraining(self.cfg, self.runners[0].exp_dir)
                self.pbt.start(self.runners)
            reasons = self._loop()
            results = [runner._end_loop(reason) for runner, reason in zip(self.runners, reasons)]
            failed = False
            return _combined(results)
        except (FinalSaveError, NonFiniteTrainingError) as e:
            record_stop_cause(e)
            raise
        except Exception as e:  # a fatal stop: keep what every policy learned
            record_stop_cause(e)
            for runner in self.runners:
                runner._save_before_fatal_stop(e)
            raise
        finally:
            for signum, handler in previous_handlers.items():
                signal.signal(signum, handler)
            for runner in reversed(self.runners):  # policy 0 last: it closes the experiment's log file
                runner._close(failed)

    def _loop(self) -> list[str]:
        for runner in self.runners:
            runner._begin_loop()
        reasons: list[str | None] = [None] * len(self.runners)
        while any(reason is None for reason in reasons):
            for i, runner in enumerate(self.runners):
                if reasons[i] is None:
                    reasons[i] = runner._iterate()
            if self._stop_signal is not None:  # every policy stops now and saves
                reasons = [reason or "interrupted" for reason in reasons]
            elif self.pbt is not None:
                self.pbt.after_iteration(self.runners)
        return [str(reason) for reason in reasons]

    # ---- signals ---------------------------------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self._stop_signal is not None:  # second Ctrl-C: stop now
            raise KeyboardInterrupt
        self._stop_signal = signal.Signals(signum).name
        log.info("%s received: saving a checkpoint of each policy and stopping", self._stop_signal)
        for runner in self.runners:
            runner._stop_signal = self._stop_signal
        if any(runner._waiting_for_batch for runner in self.runners):
            raise StopRequested

    def _install_signal_handlers(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        return {signum: signal.signal(signum, self._on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}


def mixes_policies(cfg: argparse.Namespace) -> bool:
    """Whether the policies play each other inside the games (`--pbt_mix_policies_in_one_env` with a multi-agent
    env); a curriculum of the user's cannot be combined with it (the opponents are the curriculum's tasks)."""
    from sf_curric.envs.multi_agent import is_multi_agent
    from sf_curric.envs.registry import make_env

    if cfg.num_policies < 2 or not cfg.pbt_mix_policies_in_one_env:
        return False
    probe = make_env(cfg, {"worker_index": 0, "vector_index": 0, "env_id": -1})
    probe.close()
    if not is_multi_agent(probe):
        return False
    if cfg.curriculum not in (None, "none"):
        raise ConfigError(
            f"--curriculum={cfg.curriculum}: with --num_policies={cfg.num_policies} on a multi-agent env the policies "
            "play each other (the opponents are the curriculum's tasks): leave --curriculum out, or pass "
            "--pbt_mix_policies_in_one_env=False (every agent of a game acts with one policy)"
        )
    return True


def _combined(results: list[RunResult]) -> RunResult:
    """One `RunResult` for the run: env steps and episodes summed, the best policy's average return, why policy 0
    stopped (or `interrupted`), the first policy that was solved."""
    returns = [r.avg_return for r in results if math.isfinite(r.avg_return)]
    reasons = {r.reason for r in results}
    solved = [r for r in results if r.solved_at_env_steps is not None]
    return RunResult(
        env_steps=sum(r.env_steps for r in results),
        avg_return=max(returns) if returns else float("nan"),
        num_episodes=sum(r.num_episodes for r in results),
        reason="interrupted" if "interrupted" in reasons else results[0].reason,
        solved_at_env_steps=solved[0].solved_at_env_steps if solved else None,
        solved_at_seconds=solved[0].solved_at_seconds if solved else None,
    )
