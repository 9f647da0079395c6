"""docs/configuration.md is generated from the parser: every flag appears there."""

from pathlib import Path

from sf_curric.cfg.arguments import build_parser
from sf_curric.cfg.reference import render_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_flag_is_documented():
    text = DOC.read_text()
    flags = [a.option_strings[0] for a in build_parser(evaluation=True)._actions if a.dest != "help"]
    missing = [flag for flag in flags if f"| `{flag}` |" not in text]
    assert not missing, f"regenerate with `python -m sf_curric.cfg.reference --out docs/configuration.md`: {missing}"


def test_every_group_and_per_env_default_is_rendered():
    text = render_markdown()
    for title in ("## Basic", "## Sampling", "## Curriculum", "## Evaluation", "### CartPole-v1"):
        assert title in text
    assert "| `--gae_lambda` | `0.8` |" in text  # CartPole's per-env default table


def test_machine_dependent_defaults_are_words():
    assert "| `--num_workers` | int | `number of CPU cores` |" in render_markdown()
