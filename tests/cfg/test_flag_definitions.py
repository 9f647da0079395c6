"""Each flag is defined once, and code that reads a flag from a hand-made config gets that one default."""

import argparse
from collections import Counter

from sf_curric.cfg.arguments import flag_value
from sf_curric.command_line import build_parser, declared_default, flag_groups
from sf_curric.curricula.plr.build import PLR_ARGS


def _all_specs():
    return [spec for _, specs in flag_groups(evaluation=True) for spec in specs]


def test_no_flag_is_defined_twice():
    counts = Counter(flag for flag, _ in _all_specs())
    assert not [flag for flag, n in counts.items() if n > 1]


def test_declared_defaults_are_the_parser_defaults():
    parser = build_parser(evaluation=True)
    for action in parser._actions:
        if action.dest != "help":
            assert declared_default(action.dest) == action.default, action.dest


def test_flag_value_falls_back_to_the_declared_default():
    cfg = argparse.Namespace(worker_num_splits=3)
    assert flag_value(cfg, "worker_num_splits") == 3
    assert flag_value(cfg, "worker_stall_timeout_sec") == 120.0
    assert flag_value(cfg, "plr_strategy", PLR_ARGS) == "value_l1"  # another package's flag: its list is given
