"""`--baseline_curriculum`: the verdict per group, the sentence, the baseline's command line, bad input."""

import subprocess
import sys
import types

import pytest

from sf_curric.cfg.validation import ConfigError
from sf_curric.command_line import parse_args
from sf_curric.evaluation.baseline_arm import (
    baseline_command,
    comparison_sentence,
    comparison_table,
    interval_verdict,
    start_baseline,
)


def _group(mean, low, high):
    return {"mean": mean, "ci95_low": low, "ci95_high": high, "n": 50}


@pytest.mark.parametrize(
    "ours,theirs,verdict",
    [
        ((0.9, 0.8, 1.0), (0.1, 0.0, 0.2), "above"),
        ((0.1, 0.0, 0.2), (0.9, 0.8, 1.0), "below"),
        ((0.5, 0.3, 0.7), (0.6, 0.6, 0.6), "overlaps"),
        ((1.0, 1.0, 1.0), (1.0, 1.0, 1.0), "overlaps"),  # equal intervals: neither above nor below
        ((0.2, 0.1, 0.3), (0.3, 0.3, 0.5), "overlaps"),  # touching ends count as overlapping
        ((0.5, None, None), (0.1, 0.0, 0.2), "unknown"),  # one episode: no interval
    ],
)
def test_interval_verdict(ours, theirs, verdict):
    assert interval_verdict(_group(*ours), _group(*theirs)) == verdict


def test_a_group_missing_from_the_baseline_is_unknown():
    assert interval_verdict(_group(1.0, 0.9, 1.0), None) == "unknown"


def test_comparison_sentence_names_every_group_once():
    ours, theirs = "--curriculum=performance", "--curriculum=none"
    assert comparison_sentence({"easiest": "above", "hardest": "above", "whole space": "above"}, ours, theirs) == (
        "The 95 % interval of --curriculum=performance lies above that of --curriculum=none on easiest, hardest and "
        "whole space."
    )
    assert comparison_sentence({"easiest": "overlaps", "hardest": "above"}, ours, theirs) == (
        "The 95 % interval of --curriculum=performance lies above that of --curriculum=none on hardest and overlaps "
        "it on easiest."
    )
    assert comparison_sentence({"a": "overlaps"}, ours, theirs) == (
        "The 95 % interval of --curriculum=performance overlaps that of --curriculum=none on a."
    )
    assert comparison_sentence({"a": "below", "b": "unknown"}, ours, theirs) == (
        "The 95 % interval of --curriculum=performance lies below that of --curriculum=none on a and cannot be "
        "compared on b (too few episodes)."
    )


def test_comparison_table_lines_hold_both_runs():
    ours = {"easiest": _group(1.0, 1.0, 1.0), "hardest": _group(0.96, 0.9, 1.0)}
    theirs = {"easiest": _group(0.04, 0.0, 0.1), "hardest": _group(0.0, 0.0, 0.0)}
    table = comparison_table(ours, theirs, "--curriculum=performance", "--curriculum=none",
                             {"easiest": "above", "hardest": "above"})  # fmt: skip
    lines = table.splitlines()
    assert "--curriculum=performance" in lines[0] and "--curriculum=none" in lines[0]
    assert lines[2].split() == ["hardest", "0.96", "[0.90,", "1.00]", "0.00", "[0.00,", "0.00]", "above"]


def test_baseline_command_reruns_the_module_or_the_script(monkeypatch):
    main = types.ModuleType("__main__")
    main.__spec__ = types.SimpleNamespace(name="sf_curric.train")
    monkeypatch.setitem(sys.modules, "__main__", main)
    command = baseline_command(["--env=x", "--experiment=demo", "--curriculum=plr"], "none", "demo_none")
    assert command == [sys.executable, "-m", "sf_curric.train", "--env=x", "--experiment=demo", "--curriculum=plr",
                       "--curriculum=none", "--experiment=demo_none", "--baseline_curriculum="]  # fmt: skip
    main.__spec__ = None  # a user's script: run it again (it registers its envs first)
    monkeypatch.setattr(sys, "argv", ["/home/me/my_train.py", "--env=x"])
    assert baseline_command(["--env=x"], "dr", "e_dr")[:3] == [sys.executable, "/home/me/my_train.py", "--env=x"]


def test_the_last_value_of_a_flag_wins_so_the_overrides_hold():
    cfg = parse_args(["--env=CartPole-v1", "--experiment=a", "--baseline_curriculum=none", "--experiment=a_none",
                      "--baseline_curriculum="])  # fmt: skip
    assert cfg.experiment == "a_none" and cfg.baseline_curriculum == ""


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--baseline_curriculum=nonsense"], "unknown --baseline_curriculum='nonsense'"),
        (["--baseline_curriculum=dr", "--curriculum=dr"], "is the run's own --curriculum"),
        (["--baseline_curriculum=none", "--final_eval_episodes=0"], "set --final_eval_episodes"),
    ],
)
def test_bad_baseline_flags_are_one_line_errors_before_any_process_starts(tmp_path, flags, message):
    cfg = parse_args(["--env=frozen_lake_curriculum", f"--train_dir={tmp_path}", "--experiment=e", *flags])
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("'", "'")):
        start_baseline(cfg, [])
    assert not (tmp_path / "e_nonsense").exists() and not (tmp_path / "e_none").exists()


def test_a_bad_baseline_flag_exits_2_from_the_command_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sf_curric.train", "--env=frozen_lake_curriculum", f"--train_dir={tmp_path}",
         "--experiment=e", "--baseline_curriculum=nonsense"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("sf_curric.train: error: unknown --baseline_curriculum")
    assert not (tmp_path / "e").exists()  # checked before the experiment folder is made
