"""docs/migrating_from_sample_factory.md: Sample Factory's example commands, as its docs type them, run here with
`python -m sf_curric.train`; the SF custom-env script of the page runs; the errors the page quotes are the program's.

The page's commands also run in tests/docs/test_docs_commands.py (EnvPool ones in its heavy step); this module ties
them to SF's own text and runs the MuJoCo one, which that test cannot (the mujoco extra is not in the test venv).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from sf_curric.train import run_with_result
from tests.docs.doc_commands import ROOT, page_commands

PAGE = ROOT / "docs" / "migrating_from_sample_factory.md"
# sf_examples/train_gym_env.py's docstring in Sample Factory 2.1.1 (its "Example command line for CartPole-v1")
SF_GYM = (
    "python -m sf_examples.train_gym_env --algo=APPO --use_rnn=False --num_envs_per_worker=20 "
    "--policy_workers_per_policy=2 --recurrence=1 --with_vtrace=False --batch_size=512 --reward_scale=0.1 "
    "--save_every_sec=10 --experiment_summaries_interval=10 --experiment=example_gym_cartpole-v1 --env=CartPole-v1"
)
# docs/09-environment-integrations/mujoco.md of Sample Factory
SF_MUJOCO = "python -m sf_examples.mujoco.train_mujoco --algo=APPO --env=mujoco_ant --experiment=<experiment_name>"


def _page_argv(starts_with: str) -> list[str]:
    """The argv (after `python -m sf_curric.train`) of the page's command that starts so."""
    [command] = [c.command for c in page_commands(PAGE) if c.command.startswith(starts_with)]
    return shlex.split(command)[3:]


def _short(argv: list[str], train_dir: Path) -> list[str]:
    return [*argv, f"--train_dir={train_dir}", "--train_for_env_steps=2000"]  # the last value of a flag wins


def test_the_gym_example_of_sample_factory_runs_with_only_the_script_changed(tmp_path):
    text = PAGE.read_text()
    assert SF_GYM in text  # SF's command, quoted on the page
    ours = SF_GYM.replace("sf_examples.train_gym_env", "sf_curric.train")
    assert _page_argv(ours) == shlex.split(ours)[3:]  # the command of the page is SF's, script aside
    result = run_with_result(_short(shlex.split(ours)[3:], tmp_path))
    assert result.env_steps >= 2000 and result.reason == "env_steps"
    log = (tmp_path / "example_gym_cartpole-v1" / "sf_log.txt").read_text()
    for typed in ("--policy_workers_per_policy=2", "--algo=APPO"):  # accepted, and said what they do here
        assert f"{typed} (Sample Factory): " in log


def test_the_mujoco_example_runs_with_gymnasiums_id(tmp_path):
    from sf_curric.envs.dependencies import missing_dependency

    assert SF_MUJOCO in PAGE.read_text()
    argv = _page_argv("python -m sf_curric.train --algo=APPO --env=Ant-v4")
    problem = missing_dependency("Ant-v4")
    if problem:
        pytest.skip(problem)  # names the install line: pip install -e "<checkout>[mujoco]"
    result = run_with_result(_short(argv, tmp_path))
    assert result.env_steps >= 2000


def _python_block(text: str) -> str:
    [block] = re.findall(r"```python\n(.*?)```", text, re.S)
    return block


def test_the_custom_env_script_of_the_page_trains_with_its_registered_defaults(tmp_path):
    script = tmp_path / "train_custom_env.py"
    script.write_text(_python_block(PAGE.read_text()))
    argv = ["--env=custom_env_name", "--experiment=CustomEnv", f"--train_dir={tmp_path}", "--train_for_env_steps=1024"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, str(script), *argv], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    config = json.loads((tmp_path / "CustomEnv" / "config.json").read_text())
    config = config.get("cfg", config)
    # register_env_defaults' values (SF's set_defaults) reached the run
    assert (config["learning_rate"], config["lr_schedule"]) == (0.00025, "linear_decay")


def _stderr_of(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as stopped:
        run_with_result(argv)
    assert stopped.value.code == 2
    return capsys.readouterr().err.strip()


def test_the_num_policies_error_quoted_on_the_page_is_the_programs(capsys, tmp_path):
    typed = "--num_policies=3 --num_workers=2 --num_envs_per_worker=4"
    line = _stderr_of(["--env=CartPole-v1", *typed.split(), f"--train_dir={tmp_path}"], capsys)
    assert "\n" not in line and f"$ python -m sf_curric.train --env=CartPole-v1 {typed}\n{line}\n" in PAGE.read_text()
    assert not list(tmp_path.iterdir())  # nothing written


def test_sample_factorys_env_names_and_experiment_names_stop_with_the_line_the_page_quotes(capsys, tmp_path):
    page = " ".join(PAGE.read_text().split())
    # a fresh process, as a user's: this one holds the envs other tests registered (they would be "closest names")
    typed = [sys.executable, "-m", "sf_curric.train", "--env=atari_breakout", f"--train_dir={tmp_path}"]
    fresh = subprocess.run(typed, cwd=ROOT, capture_output=True, text=True, timeout=120)
    unknown = fresh.stderr.strip()
    assert fresh.returncode == 2 and "\n" not in unknown, unknown
    assert unknown.removeprefix("sf_curric.train: error: ") in page
    spaced = _stderr_of(["--env=CartPole-v1", "--experiment=Experiment Name", f"--train_dir={tmp_path}"], capsys)
    assert spaced.removeprefix("sf_curric.train: error: ") in page
