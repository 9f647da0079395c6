"""docs/configuration.md is generated from the parser: every flag appears there, with its current default."""

from pathlib import Path

from sf_curric.cfg.arguments import build_parser
from sf_curric.cfg.reference import render_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_flag_is_documented():
    text = DOC.read_text()
    flags = [a.option_strings[0] for a in build_parser(evaluation=True)._actions if a.dest != "help"]
    missing = [flag for flag in flags if f"| `{flag}` |" not in text]
    assert not missing, f"regenerate with `python -m sf_curric.cfg.reference --out docs/configuration.md`: {missing}"


def test_the_doc_is_up_to_date_with_the_parser():
    assert DOC.read_text() == render_markdown(), (
        "docs/configuration.md is stale: run `python -m sf_curric.cfg.reference --out docs/configuration.md`"
    )


def test_machine_dependent_defaults_are_words():
    assert "| `--num_workers` | int | `number of CPU cores` |" in render_markdown()
