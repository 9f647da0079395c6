"""EnvPool as an env backend (`--env=envpool:<task id>`); skipped with the reason when envpool is absent."""

import numpy as np
import pytest

from sf_curric.command_line import default_cfg
from sf_curric.envs import envpool_env
from sf_curric.envs.registry import env_exists, make_env, unknown_env_message


def test_missing_envpool_names_the_extra(monkeypatch):
    monkeypatch.setattr(envpool_env, "envpool_installed", lambda: False)
    assert not env_exists("envpool:CartPole-v1")
    assert 'pip install "sf_curric[envpool]"' in unknown_env_message("envpool:CartPole-v1")
    with pytest.raises(ValueError, match=r"sf_curric\[envpool\]"):
        make_env(None, env_name="envpool:CartPole-v1")


envpool = pytest.importorskip("envpool", reason='envpool is not installed: pip install "sf_curric[envpool]"')


def _views(task, num_envs, seed=1):
    cfg = default_cfg(f"envpool:{task}", num_envs_per_worker=num_envs, seed=seed)
    return [make_env(cfg, {"worker_index": 0, "vector_index": i, "env_id": i}) for i in range(num_envs)]


def test_unknown_task_id_lists_close_names():
    assert env_exists("envpool:CartPole-v1")
    assert not env_exists("envpool:CartPol-v1")
    assert "envpool:CartPole-v1" in unknown_env_message("envpool:CartPol-v1")


def test_views_step_their_own_env_and_reset_after_an_episode():
    envs = _views("CartPole-v1", 3)
    try:
        first = [env.reset()[0] for env in envs]
        assert all(env.observation_space.contains(o) for env, o in zip(envs, first))
        assert len({o.tobytes() for o in first}) == 3  # three envs, three different seeds
        lengths, length = [], 0
        env = envs[1]
        while len(lengths) < 3:  # CartPole pushed left always ends within ~10 steps
            obs, reward, terminated, truncated, _ = env.step(0)
            length += 1
            assert reward == 1.0 and env.observation_space.contains(obs)
            if terminated or truncated:
                lengths.append(length)
                length = 0
                obs, _ = env.reset()
                assert np.all(np.abs(obs) <= 0.05)  # a fresh CartPole state, not the ended one
        assert all(5 <= n <= 30 for n in lengths), lengths
        obs0, *_ = envs[0].step(1)  # env 0 was not stepped by env 1's episodes: it is still at its first state + 1
        assert np.abs(obs0 - first[0]).max() < 0.5
        mid, _ = envs[0].reset()  # a reset in the middle of an episode
        assert np.all(np.abs(mid) <= 0.05)
    finally:
        for env in envs:
            env.close()


def test_atari_images_are_channels_last():
    [env] = _views("Pong-v5", 1)
    try:
        obs, _ = env.reset()
        assert obs.shape == (84, 84, 4) and obs.dtype == np.uint8
        assert env.observation_space.shape == (84, 84, 4)
        obs, *_ = env.step(0)
        assert obs.shape == (84, 84, 4)
    finally:
        env.close()


def test_serial_run_learns_envpool_cartpole(tmp_path):
    from sf_curric.train import run_with_result as run

    result = run(
        ["--env=envpool:CartPole-v1", f"--train_dir={tmp_path}", "--experiment=ep", "--serial_mode=True",
         "--num_envs_per_worker=8", "--train_for_env_steps=30000", "--seed=1"]
    )  # fmt: skip
    assert result.env_steps >= 30000 and result.avg_return > 60.0, result  # random play: ~22


def test_parallel_run_with_two_workers(tmp_path):
    from sf_curric.train import run_with_result as run

    result = run(
        ["--env=envpool:CartPole-v1", f"--train_dir={tmp_path}", "--experiment=ep2", "--num_workers=2",
         "--num_envs_per_worker=4", "--train_for_env_steps=4096", "--seed=1", "--num_epochs=1"]
    )  # fmt: skip
    assert result.env_steps >= 4096 and result.num_episodes > 50
