"""Envs that raise in step or reset: the worker rebuilds the env, discards the episode, counts, goes on."""

import pytest

from sf_curric.algo.env_guard import EnvErrorLimitExceeded
from sf_curric.algo.runner import Runner
from tests.faults import envs
from tests.faults.helpers import small_cfg, train_subprocess


def _episodes_seen(runner):
    """Every episode summary the runner receives (what a curriculum would be told)."""
    seen = []
    original = runner.stats.add

    def add(episodes):
        seen.extend(episodes)
        original(episodes)

    runner.stats.add = add
    return seen


@pytest.mark.parametrize("fault", ["step", "reset"])
def test_serial_run_survives_env_exceptions_and_counts_them(tmp_path, monkeypatch, fault):
    record = tmp_path / "faults"
    record.mkdir()
    envs.set_faults(monkeypatch, record_dir=str(record), **{f"{fault}_raise_every": 37 if fault == "step" else 3})
    cfg = small_cfg(tmp_path, max_env_errors=1000, train_for_env_steps=2048)
    runner = Runner(cfg)
    seen = _episodes_seen(runner)
    result = runner.run()

    injected = envs.count_injected(record).get(fault, 0)
    assert injected >= 5
    assert result.reason == "env_steps" and result.env_steps >= 2048  # training went on to the end
    assert runner.sampler.stats()["env_errors"] == injected  # every fault counted, none missed
    # a broken episode is never reported as finished: every reported episode ran its full length
    assert seen and all(ep.episode_length == envs.EPISODE_LENGTH for ep in seen)
    if fault == "step":
        # each failed step discards one episode: the reported episodes are the env steps minus the broken ones
        assert len(seen) < result.env_steps // envs.EPISODE_LENGTH


def test_parallel_workers_survive_env_exceptions_and_report_the_count(tmp_path, monkeypatch):
    record = tmp_path / "faults"
    record.mkdir()
    envs.set_faults(monkeypatch, record_dir=str(record), step_raise_every=23)
    cfg = small_cfg(tmp_path, serial_mode=False, num_workers=2, num_envs_per_worker=2, rollout=8, batch_size=32,
                    max_env_errors=1000, train_for_env_steps=1200)  # fmt: skip
    runner = Runner(cfg)
    seen = _episodes_seen(runner)
    result = runner.run()
    injected = envs.count_injected(record).get("step", 0)
    assert result.env_steps >= 1200 and injected >= 5
    # counted by the workers and delivered with the trajectories (faults after the last batch are not counted yet)
    assert 0 < runner.sampler.num_env_errors <= injected
    assert runner.sampler.stats()["env_errors"] == runner.sampler.num_env_errors
    assert all(ep.episode_length == envs.EPISODE_LENGTH for ep in seen)


def test_crash_loop_stops_with_the_traceback(tmp_path, monkeypatch):
    envs.set_faults(monkeypatch, step_raise_every=5)
    cfg = small_cfg(tmp_path, max_env_errors=3)
    with pytest.raises(EnvErrorLimitExceeded, match="more than --max_env_errors=3") as info:
        Runner(cfg).run()
    assert isinstance(info.value.__cause__, envs.InjectedFault)  # the env's own error is the cause


def test_crash_loop_cli_exits_non_zero_and_prints_the_env_error(tmp_path):
    out = train_subprocess(
        ["--env=test_faulty_env", f"--train_dir={tmp_path}", "--experiment=loop", "--serial_mode=True",
         "--num_workers=1", "--num_envs_per_worker=2", "--max_env_errors=2", "--device=cpu"],
        env_vars={envs.FAULTS_ENV_VAR: '{"step_raise_every": 3}'},
    )  # fmt: skip
    assert out.returncode != 0
    assert "InjectedFault" in out.stderr and "more than --max_env_errors=2" in out.stderr


def test_parallel_stop_cause_is_in_sf_log_txt(tmp_path):
    # issue 28: in parallel mode sf_log.txt said only "stopping on RuntimeError"; the env errors were on stderr only
    out = train_subprocess(
        ["--env=test_faulty_env", f"--train_dir={tmp_path}", "--experiment=loop", "--serial_mode=False",
         "--num_workers=1", "--num_envs_per_worker=1", "--rollout=8", "--batch_size=32", "--device=cpu",
         "--max_env_errors=3", "--env_error_window=0", "--train_for_env_steps=100000000", "--save_every_sec=100000"],
        env_vars={envs.FAULTS_ENV_VAR: '{"step_raise_every": 101}'},
    )  # fmt: skip
    assert out.returncode != 0 and "EnvErrorLimitExceeded" in out.stderr
    log_file = (tmp_path / "loop" / "sf_log.txt").read_text()
    warnings = [line for line in log_file.splitlines() if "WARNING env 0 (task -1) raised InjectedFault" in line]
    assert len(warnings) == 3  # each env error the worker survived, from the worker process
    assert "stopping on RuntimeError: worker process 0 failed: EnvErrorLimitExceeded" in log_file
    assert "more than --max_env_errors=3" in log_file and "Traceback" in log_file
    assert "tests/faults/envs.py" in log_file  # the env's own traceback: where to fix it
