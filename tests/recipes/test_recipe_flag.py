"""docs/architecture.md's recipe "A flag", done exactly as written: one `(flag, kwargs)` entry in the list of the
module that reads it, then `docs/configuration.md` regenerated. The parser, `--help`, the declared default and the
reference all follow from the entry, and the committed reference is compared with the generated one, so a flag
added without regenerating is caught (tests/cfg/test_reference.py)."""

from pathlib import Path

import pytest

from sf_curric.cfg.arguments import flag_value
from sf_curric.command_line import build_parser, default_cfg, parse_args
from sf_curric.reference import render_markdown
from sf_curric.tracking.args import TRACKING_ARGS

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
ENTRY = ("--eval_recipe_flag", {"type": int, "default": 7, "help": "A flag added by the recipe test."})


@pytest.fixture
def new_flag():
    TRACKING_ARGS.append(ENTRY)  # the list beside the code that reads it (here: tracking's)
    yield
    TRACKING_ARGS.remove(ENTRY)


def test_one_entry_makes_the_flag(new_flag):
    assert "--eval_recipe_flag" in build_parser().format_help()
    assert default_cfg("CartPole-v1").eval_recipe_flag == 7
    assert parse_args(["--eval_recipe_flag=3"]).eval_recipe_flag == 3
    assert flag_value(object(), "eval_recipe_flag", TRACKING_ARGS) == 7  # a hand-made config gets the one default
    assert "| `--eval_recipe_flag` | int | `7` | A flag added by the recipe test. |" in render_markdown()


def test_the_reference_must_be_regenerated(new_flag):
    assert render_markdown() != DOC.read_text()  # the committed page is stale until regenerated


def test_without_the_entry_the_reference_is_current():
    assert render_markdown() == DOC.read_text()
