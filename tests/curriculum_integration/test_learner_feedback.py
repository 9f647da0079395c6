"""The curriculum's learner feedback inside the trainer: the learner's own numbers, no second forward pass.

PLR with a policy strategy (policy_entropy) needs the acting policy's logits and the learner's values. The test
recomputes, independently with the model's `forward_sequence` on the same batch just before the learner trains on it
(serial mode: the weights that acted), the values, the next values and the logits, recomputes GAE in numpy, and
checks the `LearnerFeedback` PLR received against them; it counts model passes while the curriculum is fed (none);
and in both modes the stored logits reproduce the stored log-probabilities of the actions taken.
"""

import numpy as np
import pytest
import torch

from sf_curric.algo.curriculum_host import CurriculumHost
from sf_curric.algo.learner import Learner, TrainResult
from sf_curric.curricula import LearnerFeedback, PrioritizedLevelReplay
from sf_curric.model.actor_critic import ActorCritic
from tests.curriculum_integration.helpers import level_args, make_runner
from tests.curriculum_integration.test_plr_scores import numpy_gae

GAMMA, LAMBDA = 0.9, 0.8


def _plr_args(tmp_path, *extra):
    return level_args(
        tmp_path, "--curriculum=plr", "--plr_strategy=policy_entropy", f"--gamma={GAMMA}", f"--gae_lambda={LAMBDA}",
        "--train_for_env_steps=640", *extra,
    )  # fmt: skip


def _log_probs_from_logits(batch):
    logp = torch.log_softmax(torch.as_tensor(batch["action_logits"], dtype=torch.float64), dim=-1)
    return logp.gather(-1, torch.as_tensor(batch["actions"]).unsqueeze(-1)).squeeze(-1).numpy()


def test_plr_gets_the_learners_values_and_the_acting_logits_without_a_second_forward_pass(tmp_path, monkeypatch):
    expected, received, passes = [], [], {"forward_sequence": 0, "act": 0}
    original_forward, original_act = ActorCritic.forward_sequence, ActorCritic.act

    def counting_forward(self, *args, **kwargs):
        passes["forward_sequence"] += 1
        return original_forward(self, *args, **kwargs)

    def counting_act(self, *args, **kwargs):
        passes["act"] += 1
        return original_act(self, *args, **kwargs)

    train = Learner.train

    def recording_train(self, traj, env_steps, train_seconds):
        with torch.no_grad():  # independently: the model that acted, on the same batch, before it trains
            params, raw = original_forward(self.model, traj["obs"])
            values = self.model.denormalize_values(raw).double().numpy()
        batch = {k: v.detach().cpu().numpy().copy() for k, v in traj.items()}
        batch["values"] = values  # the recomputed ones, for GAE and next values below
        expected.append((batch, params[:-1].double().numpy()))
        return train(self, traj, env_steps, train_seconds)

    on_batch = CurriculumHost.on_batch

    def counting_on_batch(self, traj, result=None, feedback=()):
        before = dict(passes)
        on_batch(self, traj, result, feedback)
        assert passes == before  # feeding the curriculum ran the model neither way

    def recording_update(self, feedback):
        received.append(feedback)
        return update(self, feedback)

    update = PrioritizedLevelReplay.update_on_learner_batch
    monkeypatch.setattr(ActorCritic, "forward_sequence", counting_forward)
    monkeypatch.setattr(ActorCritic, "act", counting_act)
    monkeypatch.setattr(Learner, "train", recording_train)
    monkeypatch.setattr(CurriculumHost, "on_batch", counting_on_batch)
    monkeypatch.setattr(PrioritizedLevelReplay, "update_on_learner_batch", recording_update)
    runner = make_runner(_plr_args(tmp_path, "--serial_mode=True", "--num_workers=1", "--num_envs_per_worker=4"))
    runner.run()

    assert len(received) == len(expected) >= 4 and passes["forward_sequence"] > 0
    for feedback, (batch, logits) in zip(received, expected):
        assert isinstance(feedback, LearnerFeedback) and feedback.valid is None  # every sample was trained on
        term, trunc = batch["terminated"], batch["truncated"]
        np.testing.assert_array_equal(feedback.tasks, batch["tasks"])
        np.testing.assert_array_equal(feedback.env_ids, batch["env_ids"])
        np.testing.assert_array_equal(feedback.dones, term | trunc)
        np.testing.assert_allclose(feedback.values, batch["values"][:-1], rtol=1e-5, atol=1e-5)
        next_values = np.where(trunc, batch["final_values"], batch["values"][1:]) * ~term
        np.testing.assert_allclose(feedback.next_values, next_values, rtol=1e-5, atol=1e-5)
        advantages = numpy_gae(batch, GAMMA, LAMBDA)
        np.testing.assert_allclose(feedback.advantages, advantages, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(feedback.returns, advantages + batch["values"][:-1], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(feedback.action_logits, logits, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(_log_probs_from_logits(batch), batch["log_probs"], rtol=1e-5, atol=1e-5)
    sampler = runner.curriculum_host.curriculum.task_sampler
    assert sampler.num_scored_episodes > 0 and runner.curriculum_host.num_learner_updates == len(received)


@pytest.mark.parametrize("inference_mode", ["local", "central"])
def test_parallel_workers_store_the_acting_logits(tmp_path, monkeypatch, inference_mode):
    batches = []
    on_batch = CurriculumHost.on_batch

    def recording_on_batch(self, traj, result=None, feedback=()):
        batches.append({k: v.detach().cpu().numpy().copy() for k, v in traj.items()})
        on_batch(self, traj, result, feedback)

    monkeypatch.setattr(CurriculumHost, "on_batch", recording_on_batch)
    args = _plr_args(tmp_path, "--num_workers=2", "--num_envs_per_worker=2", f"--inference_mode={inference_mode}")
    runner = make_runner(args)
    runner.run()
    assert runner.sampler.inference_mode == inference_mode  # central inference returns the logits too
    assert batches and runner.curriculum_host.curriculum.task_sampler.num_scored_episodes > 0
    for batch in batches:
        assert batch["action_logits"].shape == (*batch["actions"].shape, 2)
        np.testing.assert_allclose(_log_probs_from_logits(batch), batch["log_probs"], rtol=1e-5, atol=1e-5)


def test_value_strategies_store_no_logits(tmp_path):
    runner = make_runner(level_args(tmp_path, "--curriculum=plr", "--serial_mode=True", "--train_for_env_steps=64"))
    runner.run()
    assert "action_logits" not in runner.sampler.slots[0]


def test_the_hook_is_declared_on_curriculum_and_overriding_it_is_what_asks_for_learner_batches():
    from gymnasium.spaces import Discrete

    from sf_curric.curricula import Curriculum, DomainRandomization

    feedback = LearnerFeedback(*(np.zeros((2, 1)) for _ in range(7)))
    DomainRandomization(Discrete(3)).update_on_learner_batch(feedback)  # the default: nothing, no error
    strategies = {s: PrioritizedLevelReplay(Discrete(3), num_processes=1, strategy=s, action_space=Discrete(2))
                  for s in ("value_l1", "one_step_td_error", "policy_entropy", "min_margin")}  # fmt: skip
    assert {s: plr.needs_action_logits for s, plr in strategies.items()} == {
        "value_l1": False, "one_step_td_error": False, "policy_entropy": True, "min_margin": True
    }  # fmt: skip

    class Scores(Curriculum):  # no flag to remember: overriding the hook is what asks for learner batches
        got: list = []

        def _sample_distribution(self):
            return [1 / 3] * 3

        def update_on_learner_batch(self, feedback):
            self.got.append(feedback)

    host = CurriculumHost(Scores(Discrete(3)), num_envs=1)
    traj = {"tasks": torch.zeros(2, 1, dtype=torch.int64), "env_ids": torch.zeros(1, dtype=torch.int64),
            "rewards": torch.ones(2, 1), "terminated": torch.zeros(2, 1, dtype=torch.bool),
            "truncated": torch.zeros(2, 1, dtype=torch.bool)}  # fmt: skip
    result = TrainResult({}, torch.full((2, 1), 0.5), torch.full((2, 1), 2.0))
    host.on_batch(traj, result)
    (feedback,) = Scores.got
    np.testing.assert_allclose(feedback.returns, np.full((2, 1), 2.5))  # advantages + values, as the learner's
