"""Bad input: one line on stderr that names the fix, exit status != 0, no file deleted or changed.

Most cases call `sf_curric.train.run()` in this process (the same code as the command line, SystemExit carries the
exit status); one case runs the real command line to check the process exit status and stderr end to end.
"""

import json
import shutil
import sys

import pytest

from sf_curric.errors import install_command
from sf_curric.train import run
from sf_curric.utils.checkpoint import CHECKPOINT_SUBDIR
from sf_curric.utils.logs import close_log_file
from tests.faults import envs
from tests.faults.helpers import train_subprocess


def _base(tmp_path, experiment="exp"):
    return [
        "--env=test_faulty_env", f"--train_dir={tmp_path}", f"--experiment={experiment}", "--serial_mode=True",
        "--num_workers=1", "--num_envs_per_worker=2", "--rollout=8", "--batch_size=16", "--device=cpu",
        "--train_for_env_steps=64",
    ]  # fmt: skip


def _files(root):
    # the run lock beside an experiment folder (utils/run_lock.py) holds the pid of its last run: not experiment data
    return {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file() and p.suffix != ".lock"}


def _fails_with_one_line(argv, capsys, *expected):
    with pytest.raises(SystemExit) as info:
        try:
            run(argv)
        finally:
            close_log_file()
    assert info.value.code not in (0, None)
    err = capsys.readouterr().err.strip().splitlines()
    assert err, "nothing on stderr"
    last = err[-1]
    assert "sf_curric.train: error: " in last, err[-5:]  # argparse adds "python -m " in front
    for text in expected:
        assert text in last, last
    return last


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A train_dir holding one experiment with checkpoints, trained briefly (once for the module)."""
    root = tmp_path_factory.mktemp("trained")
    run(_base(root) + ["--save_every_sec=1"])
    close_log_file()
    return root


@pytest.mark.parametrize(
    "flags, expected",
    [
        (["--env=NoSuchEnv-v9"], ["NoSuchEnv-v9", "fix --env"]),
        (["--rollout=0"], ["--rollout=0 must be at least 1"]),
        (["--gamma=1.5"], ["--gamma=1.5", "e.g. --gamma=0.99"]),
        (["--batch_size=20"], ["not a multiple of --rollout=8", "change --batch_size or --rollout"]),
        (["--rollout=abc"], ["--rollout", "abc"]),
        (["--env=test_faulty_task_env", "--curriculum=constant", "--constant_task=99"], ["99", "pick a task"]),
        (["--seed=-1"], ["--seed=-1 must be in 0 .. 4294967295"]),
        ([f"--seed={2**66}"], [f"--seed={2**66} must be in 0 .. 4294967295"]),
        (["--num_envs_per_worker=1000000000"], ["1000000000 envs", "lower --rollout, --num_envs_per_worker"]),
    ],
)
def test_bad_flags_stop_with_one_line_and_touch_nothing(trained, capsys, monkeypatch, flags, expected):
    envs.set_faults(monkeypatch)
    before = _files(trained)
    _fails_with_one_line(_base(trained, "new") + flags, capsys, *expected)
    after = _files(trained)
    assert {path: after.get(path) for path in before} == before  # nothing deleted or changed
    assert not [path for path in after if "checkpoint" in str(path) and path not in before]


def test_resuming_with_another_env_is_refused(trained, capsys, monkeypatch):
    envs.set_faults(monkeypatch)
    before = _files(trained)
    _fails_with_one_line(_base(trained) + ["--env=CartPole-v1"], capsys, "was trained on --env=test_faulty_env")
    assert _files(trained) == before


def test_env_whose_instances_declare_different_spaces(tmp_path, monkeypatch, capsys):
    envs.set_faults(monkeypatch, odd_instance_obs_size=5)
    _fails_with_one_line(_base(tmp_path), capsys, "env 1 has observation space", "declare the same observation space")


def test_env_whose_observations_change_shape_after_a_reset(tmp_path, monkeypatch, capsys):
    envs.set_faults(monkeypatch, obs_grows_after_resets=2)
    _fails_with_one_line(
        _base(tmp_path), capsys, "returned an observation of shape (5,)", "match its observation_space"
    )


def test_parallel_worker_with_different_spaces_is_one_line_too(tmp_path, monkeypatch, capsys):
    envs.set_faults(monkeypatch, odd_instance_obs_size=5)
    argv = _base(tmp_path) + ["--serial_mode=False", "--num_workers=1", "--num_envs_per_worker=2"]
    _fails_with_one_line(argv, capsys, "env 1 has observation space")


def test_unreadable_checkpoint_is_an_error_not_a_restart_and_nothing_is_deleted(tmp_path, trained):
    shutil.copytree(trained, tmp_path, dirs_exist_ok=True)
    ckpt_dir = tmp_path / "exp" / CHECKPOINT_SUBDIR
    newest = sorted(ckpt_dir.glob("checkpoint_*.pth"))[-1]
    newest.write_bytes(b"not a checkpoint: truncated by a full disk")
    before = _files(tmp_path)
    out = train_subprocess(_base(tmp_path) + ["--restart_behavior=resume"], env_vars={envs.FAULTS_ENV_VAR: "{}"})
    assert out.returncode == 2
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("sf_curric.train: error: no usable latest checkpoint") and newest.name in last
    assert "--restart_behavior=restart" in last and "is damaged (not a readable zip archive" in last
    assert _files(tmp_path) == before  # not deleted, not overwritten, no new checkpoint, config.json unchanged
    assert json.loads((tmp_path / "exp" / "config.json").read_text())["env"] == "test_faulty_env"


def test_an_env_whose_extra_is_missing_is_one_line(tmp_path, monkeypatch, capsys):
    for name in [m for m in sys.modules if m == "pettingzoo" or m.startswith("pettingzoo.")] or ["pettingzoo"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if the pettingzoo extra were not installed (nor imported)
    argv = _base(tmp_path) + ["--env=tictactoe"]
    _fails_with_one_line(argv, capsys, "--env=tictactoe needs pettingzoo", install_command("pettingzoo"))
    assert list(tmp_path.iterdir()) == []
