"""The docs site builds strictly, and CI runs exactly the README's test command."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert block, "README.md must start with a bash block holding the two commands"
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_starts_with_train_and_test_commands():
    commands = _readme_commands()
    assert len(commands) == 2
    assert "python -m sf_curric.train" in commands[0] and "--env=" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    test_command = _readme_commands()[1].split("&&")[-1].strip()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines, f"{test_command!r} must be a line of .ci/run"


def test_docs_build_strictly(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_uses_a_fresh_venv_with_the_readme_install():
    """Globally installed packages on the CI machine must not hide a dependency missing from setup.py."""
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 -m venv" in ci and "--system-site-packages" not in ci
    readme_install = _readme_commands()[1].split("&&")[1].strip().replace("pip install", "")
    assert readme_install.strip() in ci


def test_ci_runs_the_heavy_tests_after_installing_their_extras():
    """README line 2 installs the lean `test` extra; CI's second step adds `test-heavy` and runs the tests that
    skipped without it (marked `heavy`)."""
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    install = ci.index('python3 -m pip install -q -e ".[test-heavy]"')
    assert (
        ci.index("python3 -m pytest tests -q")
        < install
        < ci.index('python3 -m pytest tests -q -m "heavy and not slow"')
    )
