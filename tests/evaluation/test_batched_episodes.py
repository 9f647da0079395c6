"""The batched episode runner gives every episode the same actions whatever the number of envs beside it
(recurrent states are kept per env and zeroed at every reset)."""

import pytest

from sf_curric.command_line import parse_args
from sf_curric.evaluation.evaluate import evaluate
from sf_curric.train import run as train


@pytest.fixture(scope="module")
def recurrent_cartpole(tmp_path_factory):
    train_dir = tmp_path_factory.mktemp("rnn")
    train(
        [
            "--env=CartPole-v1",
            f"--train_dir={train_dir}",
            "--experiment=gru",
            "--serial_mode=True",
            "--use_rnn=True",
            "--rnn_size=16",
            "--num_epochs=2",
            "--train_for_env_steps=4096",
            "--seed=2",
        ]
    )
    return train_dir


def _returns(train_dir, out, num_envs):
    cfg = parse_args(
        [
            f"--train_dir={train_dir}",
            "--experiment=gru",
            "--deterministic",
            "--eval_num_episodes=10",
            f"--eval_num_envs={num_envs}",
            f"--eval_output={out}",
        ],
        evaluation=True,
    )
    episodes = evaluate(cfg).data["episodes"]
    return {(e["task"], e["episode"]): (e["episode_return"], e["seed"]) for e in episodes}


def test_recurrent_policy_plays_the_same_episodes_alone_and_batched(recurrent_cartpole, tmp_path):
    alone = _returns(recurrent_cartpole, tmp_path / "a", 1)
    batched = _returns(recurrent_cartpole, tmp_path / "b", 4)
    assert len(alone) == 10
    assert alone == batched
    assert len({r for r, _ in alone.values()}) > 1  # episodes differ (seeded start states), so the check has teeth
