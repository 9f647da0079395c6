"""README line 1, from the command line: FrozenLake with a reverse curriculum, and the same command without one."""

import json
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sf_curric.utils.checkpoint import list_checkpoints, load_checkpoint

ROOT = Path(__file__).resolve().parents[2]


def readme_train_flags() -> list[str]:
    """The flags of README line 1's train command (the test runs what the README says)."""
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    train = next(part for part in block.group(1).splitlines()[0].split("&&") if "sf_curric.train" in part)
    words = shlex.split(train)
    return words[words.index("sf_curric.train") + 1 :]


def _run_demo(tmp_path, *extra, timeout):
    cmd = [sys.executable, "-m", "sf_curric.train", *readme_train_flags(), f"--train_dir={tmp_path}", *extra]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _final(tmp_path, experiment):
    return json.loads((tmp_path / experiment / "final_eval.json").read_text())["groups"]


def test_readme_line_1_is_the_frozen_lake_demo_with_its_baseline():
    flags = readme_train_flags()
    assert "--env=frozen_lake_curriculum" in flags and "--baseline_curriculum=none" in flags
    assert "--experiment=demo" in flags and "--seed=1" in flags


def test_demo_short_run_trains_both_arms_and_prints_the_comparison(tmp_path):
    # 20k env steps per arm (a few seconds each on an idle machine): the curriculum moves the start back at least
    # once (level 0 is 1-2 moves from the goal, so random moves succeed there), while the baseline trains from the
    # env's own start
    log = _run_demo(tmp_path, "--train_for_env_steps=20000", "--final_eval_episodes=10", timeout=400)
    assert "curriculum: PerformanceCurriculum level 0/12" in log  # the progress lines show the level
    assert "training the same command with --curriculum=none alongside (experiment demo_none" in log
    state = load_checkpoint(list_checkpoints(tmp_path / "demo" / "checkpoint_p0")[-1])
    curriculum = state["curriculum"]["curriculum"]
    assert curriculum["class"] == "PerformanceCurriculum" and curriculum["state"]["level"] >= 1
    baseline = load_checkpoint(list_checkpoints(tmp_path / "demo_none" / "checkpoint_p0")[-1])
    assert baseline["cfg"]["curriculum"] == "none" and baseline["cfg"]["seed"] == 1
    assert baseline["env_steps"] >= 20000 and not (tmp_path / "demo_none_none").exists()
    ours, theirs = _final(tmp_path, "demo"), _final(tmp_path, "demo_none")
    assert list(ours) == list(theirs) == ["easiest", "hardest", "whole space"]
    for groups in (ours, theirs):  # 10 episodes per group, each counted once though a group repeats its task
        assert [g["n"] for g in groups.values()] == [10, 10, 10]
        assert [g["num_tasks"] for g in groups.values()] == [1, 1, 10]
    table = log[log.index("the same command with --curriculum=none (experiment demo_none):") :].splitlines()
    assert table[1].split()[:3] == ["group", "--curriculum=performance", "--curriculum=none"]
    hardest = next(line for line in table if line.startswith("hardest"))
    assert f"{ours['hardest']['mean']:.2f}" in hardest and f"{theirs['hardest']['mean']:.2f}" in hardest
    sentence = next(line for line in table if line.startswith("The 95 % interval of --curriculum=performance "))
    saved = json.loads((tmp_path / "demo" / "baseline_comparison.json").read_text())
    assert saved["sentence"] == sentence and saved["baseline_experiment"] == "demo_none"
    assert set(saved["groups"]) == set(ours) and set(saved["groups"].values()) <= {"above", "below", "overlaps"}


def test_ctrl_c_stops_both_arms_and_each_saves_a_checkpoint(tmp_path):
    # SIGINT to the run alone (as a terminal's Ctrl-C reaches it: the baseline has its own session): the run saves,
    # then stops the baseline with one SIGTERM, and the baseline saves too; nothing is compared
    cmd = [sys.executable, "-m", "sf_curric.train", *readme_train_flags(), f"--train_dir={tmp_path}",
           "--train_for_env_steps=100000000", "--save_every_sec=100000"]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 300
    for name in ("demo", "demo_none"):  # both arms are training once each has written a progress line
        while "env steps" not in _log_text(tmp_path / name) and time.monotonic() < deadline:
            time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, output[-3000:]
    for name in ("demo", "demo_none"):
        [checkpoint] = list_checkpoints(tmp_path / name / "checkpoint_p0")
        assert load_checkpoint(checkpoint)["env_steps"] > 0, name
        assert "saving a checkpoint and stopping" in _log_text(tmp_path / name), name
    assert "the same command with --curriculum=none (experiment demo_none):" not in output
    assert not (tmp_path / "demo" / "baseline_comparison.json").exists()


def _log_text(exp_dir: Path) -> str:
    log = exp_dir / "sf_log.txt"
    return log.read_text() if log.exists() else ""


@pytest.mark.slow
def test_readme_demo_curriculum_beats_no_curriculum_on_the_env_start(tmp_path, request):
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the README's demo, 1-3 minutes: opt in with -m slow")
    log = _run_demo(tmp_path, timeout=900)
    ours, theirs = _final(tmp_path, "demo"), _final(tmp_path, "demo_none")
    assert ours["hardest"]["ci95_low"] > theirs["hardest"]["ci95_high"], (ours["hardest"], theirs["hardest"])
    assert ours["hardest"]["mean"] >= 0.9 and theirs["hardest"]["mean"] == 0.0
    assert "lies above that of --curriculum=none on " in log and "level 12/12" in log
