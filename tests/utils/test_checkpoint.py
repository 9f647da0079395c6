"""Checkpoint io: round trip, atomic write, keep the newest K plus the best, never touch other files."""

import pytest
import torch

from sf_curric.utils.checkpoint import (
    CheckpointError,
    list_checkpoints,
    load_checkpoint,
    load_newest_checkpoint,
    save_best_checkpoint,
    save_checkpoint,
)
from sf_curric.version import __version__


def test_round_trip_with_version(tmp_path):
    state = {"learner": {"w": torch.arange(5.0)}, "env_steps": 10, "cfg": {"env": "x"}}
    path = save_checkpoint(tmp_path, state, iteration=3, env_steps=10, keep=2)
    assert path.name == "checkpoint_000000003_10.pth"
    loaded = load_checkpoint(path)
    assert torch.equal(loaded["learner"]["w"], torch.arange(5.0)) and loaded["env_steps"] == 10
    assert loaded["sf_curric_version"] == __version__
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def test_keeps_the_newest_k_and_one_best_and_nothing_else_is_deleted(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "checkpoint_final.pth").write_text("mine too")  # not our naming pattern
    for it in range(1, 6):
        save_checkpoint(tmp_path, {"it": it}, iteration=it, env_steps=it * 100, keep=2)
        save_best_checkpoint(tmp_path, {"it": it}, iteration=it, env_steps=it * 100, avg_return=float(it))
    assert [p.name for p in list_checkpoints(tmp_path)] == [
        "checkpoint_000000004_400.pth",
        "checkpoint_000000005_500.pth",
    ]
    assert [p.name for p in list_checkpoints(tmp_path, "best")] == ["best_000000005_500_return_5.000.pth"]
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "checkpoint_final.pth").exists()
    assert load_newest_checkpoint(tmp_path / "no_such_experiment") is None


def test_newest_is_ordered_by_iteration_not_by_name_length(tmp_path):
    exp = tmp_path
    save_checkpoint(exp / "checkpoint_p0", {"a": 1}, iteration=9, env_steps=999, keep=5)
    save_checkpoint(exp / "checkpoint_p0", {"a": 2}, iteration=10, env_steps=1000, keep=5)
    path, state = load_newest_checkpoint(exp)
    assert state["a"] == 2


def test_unreadable_and_foreign_files_are_one_line_errors(tmp_path):
    bad = tmp_path / "checkpoint_000000001_5.pth"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(CheckpointError) as e:
        load_checkpoint(bad)
    assert "\n" not in str(e.value) and str(bad) in str(e.value) and "move it away" in str(e.value)
    foreign = tmp_path / "foreign.pth"
    torch.save({"weights": 1}, foreign)
    with pytest.raises(CheckpointError, match="not an sf_curric checkpoint"):
        load_checkpoint(foreign)
    assert bad.exists() and foreign.exists()
