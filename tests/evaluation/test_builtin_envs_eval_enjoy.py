"""eval and enjoy as a user types them, with their defaults, after training each built-in env that has a task space:
an env that takes only its training tasks (frozen_lake_curriculum) evaluates those and says so, a level-seeded env
(maze_levels) gets held-out seeds, and enjoy without a window ends by itself."""

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sf_curric import enjoy as enjoy_cli
from sf_curric import eval as eval_cli
from sf_curric.evaluation.args import DEFAULT_EPISODES_WITHOUT_WINDOW
from sf_curric.train import run_with_result as train

ROOT = Path(__file__).resolve().parents[2]
# a few hundred steps in one process: eval and enjoy need a checkpoint, not a trained policy
TINY_RUN = ["--serial_mode=True", "--num_workers=1", "--num_envs_per_worker=2", "--rollout=16", "--batch_size=32",
            "--num_epochs=1", "--train_for_env_steps=96", "--final_eval_episodes=0", "--auto_defaults=False",
            "--seed=1"]  # fmt: skip
# env -> (eval's groups with the default --eval_tasks=all, the line that says why there is no test group)
EXPECTED = {
    "frozen_lake_curriculum": (
        ["train"],
        "no held-out tasks (frozen_lake_curriculum takes only the 13 tasks of DiscreteTaskSpace(13))",
    ),
    "cartpole_curriculum": (["train"], "no held-out tasks (the tasks of cartpole_curriculum are not integer"),
    "maze_levels": (["train", "test"], None),
}


@pytest.fixture(scope="module")
def train_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("builtin")
    for env in EXPECTED:
        result = train([f"--env={env}", f"--experiment={env}", f"--train_dir={root}", *TINY_RUN])
        assert result.env_steps >= 96, env
    return root


def _headless(monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("env", list(EXPECTED))
def test_eval_with_its_defaults_evaluates_the_tasks_the_env_takes(train_dir, env, tmp_path, caplog):
    groups, why = EXPECTED[env]
    with caplog.at_level(logging.INFO, logger="sf_curric"):
        report = eval_cli.run([f"--env={env}", f"--experiment={env}", f"--train_dir={train_dir}",
                               f"--eval_output={tmp_path}"])  # fmt: skip
    assert list(report.data["groups"]) == groups
    for group in groups:  # every task of the group ran and was counted once
        tasks = {e["task"] for e in report.data["episodes"] if e["group"] == group}
        assert len(tasks) == report.data["groups"][group]["num_tasks"]
    if why is not None:
        assert sum(why in r.getMessage() for r in caplog.records) == 1, [r.getMessage() for r in caplog.records]
    if env == "maze_levels":  # held-out level seeds right after the 200 training seeds
        test = sorted({int(e["task"]) for e in report.data["episodes"] if e["group"] == "test"})
        assert test == list(range(200, 300))


def test_held_out_tasks_asked_for_on_an_env_without_them_is_one_line(train_dir, capsys):
    with pytest.raises(SystemExit) as exit_info:
        eval_cli.run(["--env=frozen_lake_curriculum", "--experiment=frozen_lake_curriculum",
                      f"--train_dir={train_dir}", "--eval_tasks=test"])  # fmt: skip
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "has no held-out tasks: use --eval_tasks=train" in err, err


@pytest.mark.parametrize("env", list(EXPECTED))
def test_enjoy_without_a_window_ends_after_its_default_episodes(train_dir, env, monkeypatch):
    _headless(monkeypatch)
    result = enjoy_cli.run([f"--env={env}", f"--experiment={env}", f"--train_dir={train_dir}"])
    assert len(result.episodes) == DEFAULT_EPISODES_WITHOUT_WINDOW
    assert [r.job.episode for r in result.episodes] == list(range(DEFAULT_EPISODES_WITHOUT_WINDOW))


def test_enjoy_with_a_window_plays_until_the_window_is_closed(train_dir, monkeypatch):
    pygame = pytest.importorskip("pygame")
    monkeypatch.setenv("DISPLAY", ":polish-test")  # a display is set: enjoy shows a window (on SDL's dummy driver)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    closed_after = 2

    def close_the_window(record):
        if record.job.episode == closed_after - 1:
            pygame.event.post(pygame.event.Event(pygame.QUIT))  # as the window's close button does

    cfg = ["--env=frozen_lake_curriculum", "--experiment=frozen_lake_curriculum", f"--train_dir={train_dir}"]
    from sf_curric.command_line import parse_args
    from sf_curric.evaluation.replay import enjoy

    result = enjoy(parse_args(cfg, evaluation=True), on_episode=close_the_window)
    # the episode already started when the window closed finishes off-screen, and no other one starts
    assert len(result.episodes) == closed_after + 1


def test_ctrl_c_ends_enjoy_cleanly(train_dir):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("DISPLAY", None)
    cmd = [sys.executable, "-m", "sf_curric.enjoy", "--env=frozen_lake_curriculum",
           "--experiment=frozen_lake_curriculum", f"--train_dir={train_dir}",
           "--max_num_episodes=100000000"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    while line and not line.startswith("episode "):  # playing once it printed an episode ("": it ended)
        line = proc.stdout.readline()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err and "enjoy: stopped by Ctrl-C after" in err, err[-2000:]
