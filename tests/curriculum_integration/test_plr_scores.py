"""PLR inside the trainer: each task's score equals a numpy recomputation from the trajectories it was trained on.

The numpy side recomputes GAE from the recorded rewards, values, final values and terminated/truncated flags, joins
each env's episodes across rollouts (by env id, in time order), scores every finished episode by its mean |A|
(value_l1, PLR's default) and keeps, per task, the score of the last episode in PLR's commit order (batch by
batch, env column by env column, then time). With --plr_alpha=1 that is the task's stored score.
"""

import numpy as np
import pytest

from tests.curriculum_integration.envs import NUM_TASKS
from tests.curriculum_integration.helpers import HostRecorder, level_args, make_runner

GAMMA, LAMBDA = 0.9, 0.8


def numpy_gae(batch, gamma, lam):
    rewards, values = batch["rewards"].astype(np.float64), batch["values"].astype(np.float64)
    term, trunc = batch["terminated"].astype(bool), batch["truncated"].astype(bool)
    next_values = np.where(trunc, batch["final_values"], values[1:])
    deltas = rewards + gamma * next_values * ~term - values[:-1]
    advantages = np.zeros_like(rewards)
    running = np.zeros(rewards.shape[1])
    for t in reversed(range(rewards.shape[0])):
        running = deltas[t] + gamma * lam * ~(term[t] | trunc[t]) * running
        advantages[t] = running
    return advantages


def numpy_plr_scores(batches, gamma, lam):
    scores, open_episodes = {}, {}  # open_episodes: env id -> [task, sum |A|, steps]
    for batch in batches:
        advantages = numpy_gae(batch, gamma, lam)
        dones = batch["terminated"] | batch["truncated"]
        for col, env_id in enumerate(batch["env_ids"].tolist()):
            for t in range(advantages.shape[0]):
                episode = open_episodes.setdefault(env_id, [int(batch["tasks"][t, col]), 0.0, 0])
                assert episode[0] == batch["tasks"][t, col]
                episode[1] += abs(advantages[t, col])
                episode[2] += 1
                if dones[t, col]:
                    scores[episode[0]] = episode[1] / episode[2]
                    del open_episodes[env_id]
    return scores


@pytest.mark.parametrize("mode", ["serial", "parallel"])
def test_plr_scores_match_numpy(tmp_path, monkeypatch, mode):
    recorder = HostRecorder(monkeypatch)
    sampling = (
        ["--serial_mode=True", "--num_workers=1", "--num_envs_per_worker=4"]
        if mode == "serial"
        else ["--num_workers=2", "--num_envs_per_worker=2", "--async_rl=True"]
    )
    runner = make_runner(
        level_args(
            tmp_path,
            *sampling,
            "--curriculum=plr",
            "--plr_alpha=1.0",
            f"--gamma={GAMMA}",
            f"--gae_lambda={LAMBDA}",
            "--train_for_env_steps=1280",
        )  # fmt: skip
    )
    runner.run()
    sampler = runner.curriculum_host.curriculum.task_sampler
    expected = numpy_plr_scores(recorder.batches, GAMMA, LAMBDA)
    assert len(expected) >= NUM_TASKS // 2 and sampler.num_scored_episodes > 10
    assert sorted(expected) == np.flatnonzero(sampler.seen).tolist()
    for task, score in expected.items():
        assert sampler.task_scores[task] == pytest.approx(score, rel=1e-4, abs=1e-5), task
    # and the tasks were PLR's: everything trained on came from the tasks PLR handed out
    trained = {int(t) for b in recorder.batches for t in np.unique(b["tasks"])}
    assert trained <= set(recorder.issued)
