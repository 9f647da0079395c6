"""docs/conformance.md names real tests: every `path::test` it cites exists (a renamed test breaks this)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_cited_test_exists():
    text = (ROOT / "docs" / "conformance.md").read_text()
    cited, current = [], None
    for path, name in re.findall(r"`(?:(tests/[\w/]+\.py))?::(\w+)`", text):
        current = path or current
        cited.append((current, name))
    assert len(cited) >= 20
    missing = [f"{p}::{n}" for p, n in cited if not re.search(rf"^def {n}\(", (ROOT / p).read_text(), re.M)]
    assert not missing, f"docs/conformance.md cites tests that do not exist: {missing}"
