"""docs/configuration.md is generated from the parser: the committed page is what the generator writes today."""

import difflib
from pathlib import Path

from sf_curric.reference import render_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_configuration_page_is_the_regenerated_reference():
    # compared whole, not searched for flag names: a changed help text, default, choice or group shows up too
    expected, committed = render_markdown(), DOC.read_text()
    diff = "".join(
        difflib.unified_diff(committed.splitlines(True), expected.splitlines(True), "committed", "generated")
    )
    assert not diff, f"regenerate with `python -m sf_curric.reference --out docs/configuration.md`:\n{diff[:3000]}"


def test_every_group_and_per_env_default_is_rendered():
    text = render_markdown()
    for title in ("## Basic", "## Sampling", "## Curriculum", "## Evaluation", "### CartPole-v1"):
        assert title in text
    assert "| `--gae_lambda` | `0.8` |" in text  # the rl-zoo per-env defaults table (cartpole_curriculum)


def test_machine_dependent_defaults_are_words():
    assert "| `--num_workers` | int | `number of CPU cores` |" in render_markdown()
