"""`sf_curric.report` on a bad sweep folder or without its extra: one line naming the fix, exit 2."""

import sys

import pytest
from tensorboardX import SummaryWriter

from sf_curric.report import main

from .helpers import needs_report_extra


def _sweep(root, run_info: str | None):
    run_dir = root / "sweep" / "lr" / "lr_seed_0"
    writer = SummaryWriter(str(run_dir / "tensorboard"))
    for step in range(1, 4):
        writer.add_scalar("charts/episodic_return", float(step), step * 100)
    writer.close()
    if run_info is not None:
        (run_dir / "sweep_run.json").write_text(run_info)
    return root / "sweep", run_dir / "sweep_run.json"


def _report(sweep_dir, capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["report", str(sweep_dir), "--reps=50"])
    capsys.readouterr()
    code = main()
    return code, capsys.readouterr().err


def _one_line(result, *expected):
    code, err = result
    assert code == 2, err
    assert "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("sf_curric.report: error: "), last
    for text in expected:
        assert text in last, last


@needs_report_extra  # the report checks for rliable before it reads any file
@pytest.mark.parametrize("run_info", ["{garbage", "[1, 2]", '{"method": 5, "seed": 0}', '{"seed": "x"}'])
def test_a_garbage_sweep_run_json_is_one_line_naming_it(tmp_path, capsys, monkeypatch, run_info):
    sweep_dir, info = _sweep(tmp_path, run_info)
    result = _report(sweep_dir, capsys, monkeypatch)
    _one_line(result, f"cannot read {info}", "delete it to group the run by its folder name")
