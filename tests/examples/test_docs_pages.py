"""The docs site's nav (mkdocs.yml) lists every page in docs/, and every page it lists exists."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _nav_pages():
    text = (ROOT / "mkdocs.yml").read_text()
    nav = text.split("\nnav:\n", 1)[1]
    pages = []
    for line in nav.splitlines():
        if not line.startswith("  "):
            break
        match = re.match(r"\s+- [^:]+:\s*(\S+\.md)\s*$", line)
        if match:
            pages.append(match.group(1))
    return pages


def test_nav_lists_every_page_once():
    pages = _nav_pages()
    on_disk = sorted(p.relative_to(ROOT / "docs").as_posix() for p in (ROOT / "docs").rglob("*.md"))
    missing = sorted(set(on_disk) - set(pages))
    assert not missing, f"add these pages to the nav in mkdocs.yml: {missing}"
    assert len(pages) == len(set(pages)), "a page is listed twice in the nav of mkdocs.yml"
    absent = [p for p in pages if not (ROOT / "docs" / p).is_file()]
    assert not absent, f"the nav of mkdocs.yml lists pages that do not exist: {absent}"
    assert pages[0] == "index.md"


def test_every_cli_flag_of_enjoy_and_eval_is_in_the_configuration_reference():
    from sf_curric.evaluation.args import evaluation_args

    reference = (ROOT / "docs" / "configuration.md").read_text()
    missing = [flag for flag, _ in evaluation_args() if f"`{flag}`" not in reference]
    assert not missing, f"regenerate docs/configuration.md (python -m sf_curric.reference --out ...): {missing}"
