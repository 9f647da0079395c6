"""A start that fails leaves the disk as it found it (issue 28): no experiment folder, no log, no lock file, no
train_dir it made; a later `--restart_behavior=overwrite` of the same name is not refused. The checks that need no
disk run before anything is created; what a failure after that (the first batch) made is removed, and a folder that
`restart` moved aside is moved back."""

import pytest

from sf_curric.train import run
from sf_curric.utils.logs import close_log_file
from tests.faults import envs


def _args(train_dir, *extra, experiment="e"):
    return [
        f"--train_dir={train_dir}", f"--experiment={experiment}", "--serial_mode=True", "--num_workers=1",
        "--num_envs_per_worker=2", "--rollout=8", "--batch_size=16", "--device=cpu", "--train_for_env_steps=64",
        "--num_torch_threads=1", *extra,
    ]  # fmt: skip


def _fails(argv, capsys, expected):
    with pytest.raises(SystemExit) as info:
        try:
            run(argv)
        finally:
            close_log_file()
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("sf_curric.train: error: ") and expected in err[-1], err[-5:]
    assert not any("Traceback" in line for line in err)


def _tree(root):
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else None for p in sorted(root.rglob("*"))}


FAILED_STARTS = [
    (["--env=CartPole-v1", "--curriculum=plr"], "needs a task space"),
    (["--env=test_faulty_task_env", "--curriculum=constant", "--constant_task=99"], "99"),
    (["--env=cartpole_curriculum", "--curriculum=sequential", "--sequential_stages=bogus_stage"], "bogus_stage"),
    (["--env=CartPole-v1", "--curriculum=self_play"], "needs a multi-agent (PettingZoo) env"),
    (["--env=CartPole-v1", "--rollout=1000000000", "--batch_size=1000000000"], "lower --rollout"),
]


@pytest.mark.parametrize("flags, expected", FAILED_STARTS, ids=[f[0][-1] for f in FAILED_STARTS])
def test_a_failed_start_leaves_nothing_and_overwrite_works_after_it(tmp_path, capsys, monkeypatch, flags, expected):
    envs.set_faults(monkeypatch)
    train_dir = tmp_path / "new" / "train_dir"  # made by the start, so it must go too
    _fails(_args(train_dir, *flags), capsys, expected)
    assert list(tmp_path.iterdir()) == []
    shared = tmp_path / "shared"  # a train_dir with someone's experiment in it: untouched
    (shared / "other").mkdir(parents=True)
    (shared / "other" / "notes.txt").write_text("mine")
    before = _tree(shared)
    _fails(_args(shared, *flags), capsys, expected)
    assert _tree(shared) == before
    if flags == FAILED_STARTS[0][0]:  # one real start after a failed one is enough (each takes seconds)
        run(_args(shared, "--env=CartPole-v1", "--restart_behavior=overwrite"))  # issue 28: "not an experiment"
        close_log_file()
        assert (shared / "e" / "config.json").exists() and (shared / "other" / "notes.txt").read_text() == "mine"


def test_a_start_that_fails_at_the_first_batch_is_undone_and_restart_moves_the_old_folder_back(
    tmp_path, capsys, monkeypatch
):
    envs.set_faults(monkeypatch)
    run(_args(tmp_path, "--env=test_faulty_env"))
    close_log_file()
    before = _tree(tmp_path)
    # found only once the worker process builds its envs: after the folder was prepared
    envs.set_faults(monkeypatch, odd_instance_obs_size=5)
    parallel = ["--env=test_faulty_env", "--serial_mode=False", "--restart_behavior=restart"]
    _fails(_args(tmp_path, *parallel), capsys, "env 1 has observation space")
    assert _tree(tmp_path) == before  # no e_old_* folder, no half-made e/, the old run back in place
    _fails(_args(tmp_path, *parallel, experiment="fresh"), capsys, "env 1 has observation space")
    assert _tree(tmp_path) == before
