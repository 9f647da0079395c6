"""Sweep names stay inside their folders, checked for the whole sweep before any run starts; `--dry_run` prints
commands a POSIX shell runs exactly; two launchers of one sweep share its runs (issue 28)."""

import shlex
import subprocess
from pathlib import Path

import pytest

from sf_curric.launch import launch
from sf_curric.sweeps import Experiment, RunDescription
from sf_curric.sweeps.run_one import DONE_FILE

from .helpers import start_launcher, wait_for, write_sweep

FAKE = Path(__file__).with_name("fake_trainer.py")


def _everything(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


BAD_NAMES = {
    "sweep escapes train_dir": ('"../../escaped_sweep"', '"ok"', "RunDescription name '../../escaped_sweep'"),
    "experiment escapes the sweep": ('"sw"', '"../esc"', "Experiment name '../esc'"),
    "shell in a name": ('"sw"', '"$(touch X)"', "Experiment name '$(touch X)'"),
    "absolute path": ('"/tmp/abs_sweep"', '"ok"', "RunDescription name '/tmp/abs_sweep'"),
}


@pytest.mark.parametrize("case", list(BAD_NAMES))
def test_a_name_that_leaves_its_folder_stops_the_whole_sweep_before_any_run(tmp_path, capsys, case):
    sweep_name, bad_experiment, expected = BAD_NAMES[case]
    work = tmp_path / "work"
    train_dir = work / "a" / "b" / "train_dir"
    train_dir.mkdir(parents=True)
    sweep = write_sweep(
        tmp_path / "sweep.py",
        f"""
        RUN_DESCRIPTION = RunDescription(
            {sweep_name},
            [Experiment("first", "python {FAKE} --steps=1"), Experiment({bad_experiment}, "python {FAKE} --steps=1")],
        )
        """,
    )
    before = _everything(tmp_path)
    with pytest.raises(SystemExit) as info:
        launch([f"--run={sweep}", f"--train_dir={train_dir}"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sf_curric.launch: error: ") and expected in err[0], err
    assert _everything(tmp_path) == before  # not even the valid experiment's run started
    assert not Path("X").exists() and not Path("/tmp/abs_sweep").exists()


def test_a_run_name_made_from_a_seed_is_checked_too(tmp_path):
    desc = RunDescription("sw", [Experiment("e", "python x.py")], seeds=["1/../../up"])
    with pytest.raises(ValueError, match="is not a plain folder name"):
        desc.generate_runs(tmp_path)


def test_dry_run_prints_commands_a_shell_runs_exactly(tmp_path, capsys):
    marker = tmp_path / "X"
    value = f"sp ace; touch {marker}"
    desc_file = write_sweep(
        tmp_path / "sweep.py",
        f"""
        RUN_DESCRIPTION = RunDescription(
            "sw", [Experiment("e", "python {FAKE}", ParamList([{{"note": {value!r}, "q": "it's \\"quoted\\" $HOME"}}]))]
        )
        """,
    )
    launch([f"--run={desc_file}", f"--train_dir={tmp_path}", "--dry_run"])
    [line] = capsys.readouterr().out.strip().splitlines()
    # the shell gives the program exactly the argv the launcher would run, and runs nothing else
    printed = subprocess.run(["sh", "-c", "printf '%s\\0' " + line], capture_output=True, check=True).stdout
    argv = printed.decode().split("\0")[:-1]
    assert argv == shlex.split(line) and f"--note={value}" in argv and '--q=it\'s "quoted" $HOME' in argv
    assert not marker.exists()


def test_two_launchers_of_one_sweep_share_its_runs(tmp_path):
    sweep = write_sweep(
        tmp_path / "sweep.py",
        f"""
        RUN_DESCRIPTION = RunDescription(
            "both",
            [Experiment("f", "python {FAKE} --steps=200", env_vars={{"FAKE_STEP_SEC": "0.05"}})],
            seeds=[0, 1, 2, 3],
        )
        """,
    )
    first = start_launcher(sweep, tmp_path, "--max_parallel=2")
    runs = [tmp_path / "both" / "f" / f"f_seed_{s}" for s in range(4)]
    wait_for(lambda: sum((r / "starts.txt").exists() for r in runs) >= 2, 60, "the first launcher's runs to start")
    (tmp_path / "launcher.log").rename(tmp_path / "first.log")
    second = start_launcher(sweep, tmp_path, "--max_parallel=2")
    assert second.wait(timeout=120) == 0 and first.wait(timeout=120) == 0
    second_log = (tmp_path / "launcher.log").read_text()
    first_log = (tmp_path / "first.log").read_text()
    assert "failed" not in second_log.replace("0 failed", "") and "failed" not in first_log.replace("0 failed", "")
    assert f"held by another launcher (launcher pid {first.pid} on " in second_log, second_log
    for run in runs:  # every run ran exactly once, by one launcher or the other, and finished
        assert (run / "starts.txt").read_text().split() == ["0"] and (run / DONE_FILE).exists()
