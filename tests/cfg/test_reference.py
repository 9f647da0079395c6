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


SF_PAGE = DOC.with_name("sample_factory_flags.md")


def test_sample_factory_flags_page_is_the_regenerated_table():
    from sf_curric.reference_sample_factory import render_sample_factory_flags

    expected, committed = render_sample_factory_flags(), SF_PAGE.read_text()
    diff = "".join(
        difflib.unified_diff(committed.splitlines(True), expected.splitlines(True), "committed", "generated")
    )
    command = "python -m sf_curric.reference --sample_factory --out docs/sample_factory_flags.md"
    assert not diff, f"regenerate with `{command}`:\n{diff[:3000]}"


def test_sample_factory_table_reads_each_flags_status_and_default_from_the_code():
    from sf_curric.cfg.sample_factory_help import load_flags
    from sf_curric.reference_sample_factory import render_sample_factory_flags

    text = render_sample_factory_flags()
    rows = [line for line in text.splitlines() if line.startswith("| `--")]
    assert [row.split("`")[1] for row in rows] == [f.flag for f in load_flags()]  # every SF flag, in SF's order
    assert "| `--num_policies` | `1` | implemented | Number of policies to train jointly" in text
    assert "| `--batched_sampling` | `False` | no effect | A rollout worker always steps" in text
    assert "| `--ppo_clip_ratio` | `0.1` | implemented | PPO policy clip" in text and "| `0.2` |" in text
    assert "| `--gamma` | `0.99` | implemented | Discount factor. |  |" in text  # same default: the cell is empty
