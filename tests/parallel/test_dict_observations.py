"""Dict observations (every leaf kind, nested, a dropped Text key) through serial mode, worker processes and central
inference: the trajectory holds each key as the env returned it, and the stored log-probs and values are the
learner's own for those observations (what was stored is what the acting policy saw); then a short training run."""

import numpy as np
import pytest
import torch

from sf_curric.algo.learner import Learner
from sf_curric.algo.parallel.sampler import ParallelSampler
from sf_curric.algo.sampling import SerialSampler
from sf_curric.command_line import default_cfg
from sf_curric.envs.registry import make_env
from tests.parallel import envs

KEYS = ["cue", "flags.bits", "flags.pair", "image", "pos"]
MODES = {
    "serial": {"serial_mode": True},
    "workers": {"serial_mode": False, "inference_mode": "local"},
    "central": {"serial_mode": False, "inference_mode": "central", "worker_num_splits": 2},
}


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # small batches: torch's thread pool only adds synchronization cost (the runner sets --num_torch_threads)
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _cfg(**overrides):
    base = dict(
        num_workers=2, num_envs_per_worker=4, rollout=envs.EPISODE_LENGTH, batch_size=40, num_batches_per_epoch=1,
        num_epochs=1, device="cpu", seed=1, encoder_conv_architecture="convnet_minigrid", encoder_conv_mlp_layers=[16],
        encoder_mlp_layers=[16], obs_discrete_encoding="embedding", obs_embedding_size=3,
    )  # fmt: skip
    base.update(overrides)
    return default_cfg("test_dict_obs_env", **base)


def _expected(env_id: int, t: int) -> dict:
    """What DictObsEnv returns at episode step t, in the policy's flat form."""
    return {
        "cue": (env_id + t) % 3,
        "flags.bits": [t % 2, 1],
        "flags.pair": [t % 2, t % 3],
        "image": np.full((7, 7, 3), t),
        "pos": [env_id, t],
    }


@pytest.mark.parametrize("mode", list(MODES))
def test_stored_observations_are_the_envs_and_the_acting_policys(mode):
    cfg = _cfg(**MODES[mode])
    probe = make_env(cfg)
    learner = Learner(cfg, probe.observation_space, probe.action_space)
    assert list(learner.model.obs_space.spaces) == KEYS and probe.dropped == {"mission": "Text"}
    sampler = SerialSampler(cfg, learner) if cfg.serial_mode else ParallelSampler(cfg, learner)
    try:
        batch = sampler.get_batch()
    finally:
        sampler.close()
    traj = batch.traj
    assert sorted(traj["obs"]) == KEYS
    steps, columns = traj["rewards"].shape
    assert columns == 8 and traj["obs"]["image"].dtype == torch.uint8 and traj["obs"]["cue"].dtype == torch.int64
    for b in range(columns):
        env_id = int(traj["env_ids"][b])
        for t in range(steps + 1):  # rollouts are one episode long: obs[t] is episode step t % 5
            for key, value in _expected(env_id, t % envs.EPISODE_LENGTH).items():
                np.testing.assert_array_equal(traj["obs"][key][t, b].numpy(), value, err_msg=f"{key} t={t} b={b}")
    # rewards 1 exactly where the action was the cue: the actions stored are the ones the envs received
    cues = traj["obs"]["cue"][:steps]
    torch.testing.assert_close(traj["rewards"], (traj["actions"] == cues).float())
    with torch.no_grad():
        out = learner.model.evaluate({k: v[:steps] for k, v in traj["obs"].items()}, traj["actions"])
    torch.testing.assert_close(traj["log_probs"], out.log_probs, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(traj["values"][:steps], learner.model.denormalize_values(out.values), atol=1e-5,
                               rtol=1e-5)  # fmt: skip


def test_a_dict_observation_policy_learns_the_cue():
    # the best action is the Discrete key `cue`; random play earns 1/3 per step (5 steps: 1.67 per episode)
    cfg = _cfg(serial_mode=True, num_workers=1, num_envs_per_worker=16, batch_size=80, num_epochs=4,
               learning_rate=3e-3, obs_discrete_encoding="onehot")  # fmt: skip
    probe = make_env(cfg)
    learner = Learner(cfg, probe.observation_space, probe.action_space)
    sampler = SerialSampler(cfg, learner)
    returns = []
    try:
        for _ in range(60):
            batch = sampler.get_batch()
            learner.train(batch.traj, batch.env_steps)
            returns += [e.episode_return for e in batch.episodes]
    finally:
        sampler.close()
    assert np.mean(returns[-32:]) >= 4.5, np.mean(returns[-32:])
