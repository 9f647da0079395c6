"""Self-play plumbing: the pool of frozen snapshots (runner side) and the opponents' policy (rollout side).

The runner's `SelfPlayManager` stores a snapshot of the trained policy every `--selfplay_snapshot_every` env steps
(and one at the start) into the slot the curriculum's `add_agent()` gives, writes it to
`<experiment>/opponent_pool/snapshot_<id>.pth` with an index `pool.json` (slot -> file), and keeps the snapshots in
its checkpoints. Rollout workers, in this process or in worker processes, hold one `OpponentPolicy` that reads
`pool.json` when the training info says the pool changed; it keeps one model per pool slot (not per env) and acts
for every opponent column facing that slot in one batched forward pass.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sf_curric.curricula.registry import is_self_play_curriculum

log = logging.getLogger(__name__)

POOL_DIR = "opponent_pool"
POOL_INDEX = "pool.json"
INFO_KEY = "opponent_pool_version"  # training info: the pool changed (workers re-read pool.json)


def is_self_play(cfg: argparse.Namespace) -> bool:
    """Whether `--curriculum` is a self-play curriculum (marked so in the curriculum table)."""
    return is_self_play_curriculum(cfg.curriculum)


def pool_dir(cfg: argparse.Namespace) -> Path:
    """`<experiment>/opponent_pool` (`opponent_pool_p<i>` for policy i > 0 of a `--num_policies` run)."""
    from sf_curric.cfg.experiment import experiment_dir
    from sf_curric.cfg.population import policy_suffix

    return experiment_dir(cfg) / (POOL_DIR + policy_suffix(cfg))


class OpponentPolicy:
    """Acts for self-play opponent columns with the snapshots of the pool.

    Args:
        obs_space: observation space of the policy.
        action_space: action space of the policy.
        cfg: the run's config (model flags; the experiment folder holds the pool).
    """

    def __init__(self, obs_space: Any, action_space: Any, cfg: argparse.Namespace):
        if cfg.use_rnn:
            raise ValueError("self-play opponents need a feed-forward policy: drop --use_rnn")
        self.obs_space, self.action_space, self.cfg = obs_space, action_space, cfg
        self.dir = pool_dir(cfg)
        self._files: dict[int, str] = {}  # slot -> snapshot file, from pool.json
        self._models: dict[int, tuple[str, Any]] = {}  # slot -> (file, model): one model per slot, reloaded in place
        self.refresh()

    def refresh(self) -> None:
        """Re-read `pool.json` (the runner rewrites it after every snapshot)."""
        index = self.dir / POOL_INDEX
        if index.exists():
            self._files = {int(k): v for k, v in json.loads(index.read_text()).items()}

    def _model(self, slot: int) -> Any:
        if slot not in self._files:
            self.refresh()
        if slot not in self._files:  # written after this worker read the index: play the newest it knows
            slot = max(self._files, key=lambda s: self._files[s])
        name = self._files[slot]
        cached = self._models.get(slot)
        if cached is None or cached[0] != name:
            from sf_curric.model import ActorCritic

            model = cached[1] if cached is not None else ActorCritic(self.obs_space, self.action_space, self.cfg)
            model.load_state_dict(torch.load(self.dir / name, map_location="cpu", weights_only=True))
            model.eval()
            self._models[slot] = (name, model)
        return self._models[slot][1]

    @torch.no_grad()
    def act(self, slots: np.ndarray, obs: np.ndarray) -> np.ndarray:
        """Env actions for observations `obs [R, ...]` of rows that face pool slots `slots [R]`."""
        out = None
        for slot in np.unique(slots):
            rows = np.nonzero(slots == slot)[0]
            model = self._model(int(slot))
            actions = np.asarray(model.to_env_actions(model.act(obs[rows]).actions))
            if out is None:
                out = np.empty((len(slots), *actions.shape[1:]), dtype=actions.dtype)
            out[rows] = actions
        return out


def worker_opponents(cfg: argparse.Namespace, obs_space: Any, action_space: Any) -> OpponentPolicy | None:
    """The `OpponentPolicy` of a rollout worker of this run (None without self-play)."""
    return OpponentPolicy(obs_space, action_space, cfg) if is_self_play(cfg) else None


class SelfPlayManager:
    """Runner side of self-play: snapshots into the pool, the pool's files, checkpoints.

    Args:
        cfg: reads `--selfplay_snapshot_every` and the experiment folder.
        learner: the `Learner` whose policy is snapshotted.
        curriculum_host: the run's `CurriculumHost` holding a `SelfPlay` curriculum.
    """

    def __init__(self, cfg: argparse.Namespace, learner: Any, curriculum_host: Any):
        self.cfg, self.learner, self.host = cfg, learner, curriculum_host
        self.curriculum = curriculum_host.curriculum
        self.every = int(cfg.selfplay_snapshot_every)
        if self.every < 1:
            raise ValueError(f"--selfplay_snapshot_every={self.every} must be >= 1 (env steps between snapshots)")
        self.dir = pool_dir(cfg)
        self.snapshots: dict[int, dict[str, Any]] = {}  # slot -> {"id", "env_steps", "state"}
        self.next_id = 0
        self.last_snapshot_steps = 0
        self.version = 0  # bumped at every change of the pool (sent as training info)
        self.population: dict[int, Any] = {}  # policy id -> Learner: the other policies of a --num_policies run

    def use_population(self, learners: dict[int, Any], env_steps: int) -> None:
        """Play the other policies of a `--num_policies` run instead of snapshots of this one
        (`--pbt_mix_policies_in_one_env`): one pool slot per policy, refreshed with its current weights every
        `--selfplay_snapshot_every` env steps."""
        self.population = dict(learners)
        self._refresh_population(env_steps)

    def opponent_policy(self) -> OpponentPolicy:
        """The `OpponentPolicy` of a rollout worker in this process (serial mode)."""
        model = self.learner.model
        return OpponentPolicy(model.obs_space, model.action_space, self.cfg)

    def start(self, env_steps: int) -> None:
        """Write the pool's files; take the first snapshot (the untrained policy) unless resumed."""
        from sf_curric.cfg.validation import ConfigError
        from sf_curric.envs.multi_agent import is_multi_agent
        from sf_curric.envs.registry import make_env

        probe = make_env(self.cfg, {"worker_index": 0, "vector_index": 0, "env_id": -1})
        probe.close()
        if not is_multi_agent(probe):
            raise ConfigError(f"self-play needs a multi-agent (PettingZoo) env; {self.cfg.env!r} is a single-agent env")
        self.dir.mkdir(parents=True, exist_ok=True)
        if not self.snapshots:
            self.snapshot(env_steps)
        else:
            for slot in self.snapshots:
                self._write(slot)
            self._write_index()

    def after_train(self, env_steps: int) -> bool:
        """Snapshot when `--selfplay_snapshot_every` env steps passed since the last one; True when it did."""
        if env_steps - self.last_snapshot_steps < self.every:
            return False
        if self.population:
            self._refresh_population(env_steps)
        else:
            self.snapshot(env_steps)
        return True

    def _refresh_population(self, env_steps: int) -> None:
        for slot, (policy_id, learner) in enumerate(sorted(self.population.items())):
            with self.host.lock:
                self.curriculum.add_agent(slot)
            state = learner.policy_state_dict()
            self.snapshots[slot] = {
                "id": self.next_id,
                "env_steps": int(env_steps),
                "state": state,
                "policy": policy_id,
            }
            self.next_id += 1
            self._write(slot)
        self.last_snapshot_steps = int(env_steps)
        self._write_index()

    def snapshot(self, env_steps: int) -> int:
        """Store the trained policy now; returns its pool slot."""
        with self.host.lock:
            slot = self.curriculum.add_agent()
        self.snapshots[slot] = {
            "id": self.next_id,
            "env_steps": int(env_steps),
            "state": self.learner.policy_state_dict(),
        }
        self.next_id += 1
        self.last_snapshot_steps = int(env_steps)
        self._write(slot)
        self._write_index()
        log.info(
            "self-play: snapshot %d of the policy at %d env steps in pool slot %d", self.next_id - 1, env_steps, slot
        )
        return slot

    def _file(self, slot: int) -> str:
        return f"snapshot_{self.snapshots[slot]['id']:06d}.pth"

    def _write(self, slot: int) -> None:
        path = self.dir / self._file(slot)
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            torch.save(self.snapshots[slot]["state"], tmp)
            os.replace(tmp, path)

    def _write_index(self) -> None:
        index = {str(slot): self._file(slot) for slot in self.snapshots}
        tmp = self.dir / (POOL_INDEX + ".tmp")
        tmp.write_text(json.dumps(index))
        os.replace(tmp, self.dir / POOL_INDEX)  # readers see the old or the new index, never half of one
        keep = set(index.values())
        for old in self.dir.glob("snapshot_*.pth"):  # snapshots that left the pool
            if old.name not in keep:
                old.unlink(missing_ok=True)
        self.version += 1

    def training_info(self) -> dict[str, Any]:
        """What rollout workers need to know: the pool's version (they re-read `pool.json` when it changes)."""
        return {INFO_KEY: self.version}

    def state_dict(self) -> dict[str, Any]:
        """The pool (snapshots included) for checkpoints."""
        return {"snapshots": self.snapshots, "next_id": self.next_id, "last_snapshot_steps": self.last_snapshot_steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what `state_dict` saved (the curriculum's own state is restored by the curriculum host)."""
        self.snapshots = {int(k): v for k, v in state["snapshots"].items()}
        self.next_id = int(state["next_id"])
        self.last_snapshot_steps = int(state["last_snapshot_steps"])


def build_self_play(cfg: argparse.Namespace, learner: Any, curriculum_host: Any) -> SelfPlayManager | None:
    """The run's `SelfPlayManager`, or None when `--curriculum` is not a self-play curriculum."""
    return SelfPlayManager(cfg, learner, curriculum_host) if is_self_play(cfg) else None
