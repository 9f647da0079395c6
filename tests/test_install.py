"""Install commands work from a clone: the hints errors print name an extra of setup.py in the form pip accepts,
and the docs never tell users to install `sf_curric[...]` from the package index (it is not there)."""

import re
import subprocess
import sys
from pathlib import Path

from sf_curric.errors import install_command

ROOT = Path(__file__).resolve().parents[1]


def _setup_extras() -> set[str]:
    """The extras of setup.py: the keys of its `_extras` dict and the `_extras["..."] = ...` lines after it."""
    text = (ROOT / "setup.py").read_text()
    block = text[text.index("_extras = {") : text.index("\n}\n", text.index("_extras = {"))]
    return set(re.findall(r'^    "([\w-]+)":', block, re.M)) | set(re.findall(r'_extras\["([\w-]+)"\]\s*=', text))


def test_every_extra_named_in_code_and_docs_exists():
    extras = _setup_extras()
    named = set()
    for path in [*ROOT.glob("sf_curric/**/*.py"), *ROOT.glob("docs/*.md"), ROOT / "README.md"]:
        text = path.read_text()
        named |= {(path.name, m) for m in re.findall(r"install_command\([\"'](\w+)[\"']\)", text)}
        named |= {(path.name, m) for m in re.findall(r'pip install -e "\.\[([\w,-]+)\]"', text) for m in m.split(",")}
    unknown = sorted((where, name) for where, name in named if name not in extras)
    assert not unknown, f"these extras are not in setup.py: {unknown}"


def test_docs_install_from_the_clone_not_the_index():
    wrong = []
    for path in [*ROOT.glob("docs/*.md"), ROOT / "README.md", *ROOT.glob("sf_curric/**/*.py")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"pip install [\"']?sf_curric\[", line):
                wrong.append(f"{path.relative_to(ROOT)}:{number}")
    assert not wrong, f'sf_curric is not on the package index: write pip install -e ".[extra]" in {wrong}'


def test_the_printed_install_command_is_accepted_by_pip():
    """The hint names this checkout, so it works from any folder (a dry run: nothing is installed)."""
    command = install_command("video")
    assert command == f'pip install -e "{ROOT}[video]"'
    target = command.split("-e ", 1)[1].strip('"')
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-build-isolation", "--no-index",
         "-e", target],
        capture_output=True, text=True, timeout=120, cwd="/",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Would install sf_curric" in result.stdout


def test_one_pygame_for_every_extra():
    """pygame and pygame-ce install into the same `pygame/` folder: every extra asks for pygame-ce (minigrid's)."""
    requirements = re.findall(r'"(pygame[\w-]*)[<>=!~]', (ROOT / "setup.py").read_text())
    assert requirements and set(requirements) == {"pygame-ce"}, requirements


def test_one_opencv_headless_in_core_and_no_pillow():
    """Core draws and encodes its images with OpenCV's headless build; Pillow is no core requirement, and nothing
    asks for the GUI build (opencv-python and opencv-python-headless install into the same `cv2/` folder)."""
    text = (ROOT / "setup.py").read_text()
    required = re.findall(r'^\s+"([\w-]+)[<>=]', text.split("install_requires", 1)[1], re.M)
    assert "opencv-python-headless" in required and "pillow" not in [r.lower() for r in required], required
    assert not re.findall(r'"opencv-python[<>=!~"]', text)  # the GUI build, in core or an extra
