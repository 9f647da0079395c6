"""Without the `report` extra, `python -m sf_curric.report` stops with one line that names it (rliable computes the
report's statistics), before it reads any file. Runs in the lean install: rliable is made unimportable."""

import subprocess
import sys

from .helpers import ROOT

RUN_REPORT = (  # `python -m sf_curric.report <folder>` with rliable unimportable
    "import runpy, sys; sys.modules['rliable'] = None; runpy.run_module('sf_curric.report', run_name='__main__')"
)


def test_missing_rliable_is_one_line_naming_the_report_extra(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", RUN_REPORT, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert (
        lines[0].startswith("sf_curric.report: error: ")
        and "rliable" in lines[0]
        and f'pip install -e "{ROOT}[report]"' in lines[0]
    ), lines[0]
