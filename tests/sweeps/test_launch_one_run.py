"""The default suite's real sweep: one short sf_curric.train run launched, reported (where the `report` extra is
installed; without it the report's one-line error), then skipped on re-launch (the 2 x 2 CartPole sweeps, Ray and
the killed launcher are in test_launch_cartpole.py, marked slow)."""

import importlib.util

import pytest

from sf_curric.errors import ConfigError, install_command
from sf_curric.launch import launch
from sf_curric.report import report
from sf_curric.sweeps.run_one import DONE_FILE
from sf_curric.utils.checkpoint import find_newest_checkpoint

from .helpers import write_sweep


def test_one_cartpole_run(tmp_path):
    sweep = write_sweep(
        tmp_path / "sweep.py",
        """
        RUN_DESCRIPTION = RunDescription(
            "one",
            [Experiment("cp", "python -m sf_curric.train --env=CartPole-v1 --serial_mode=True --num_envs_per_worker=8 "
                        "--rollout=16 --batch_size=128 --train_for_env_steps=1024 --device=cpu")],
            seeds=[3],
        )
        """,
    )
    argv = [f"--run={sweep}", f"--train_dir={tmp_path}", "--max_parallel=1"]
    assert [o.status for o in launch(argv)] == ["done"]
    run = tmp_path / "one" / "cp" / "cp_seed_3"
    assert (run / DONE_FILE).exists() and find_newest_checkpoint(run).name.endswith("_1024.pth")
    if importlib.util.find_spec("rliable") is None:  # README line 2's venv: no report extra
        with pytest.raises(ConfigError, match=r"needs rliable: .*\[report\]") as stop:
            report([str(tmp_path / "one"), "--reps=200"])
        assert install_command("report") in str(stop.value)
    else:
        (rep,) = report([str(tmp_path / "one"), "--reps=200"])
        assert rep["tag"] == "charts/episodic_return" and rep["methods"]["cp"]["runs"] == ["cp_seed_3"]
    assert [o.status for o in launch(argv)] == ["skipped"]
