"""TrainingInfoBoard: the one channel of training info, read in this process and in a started process."""

import multiprocessing

import pytest

from sf_curric.algo.training_info_board import TrainingInfoBoard


def _read_in_child(board, go, out):
    out.put(board.read())
    go.wait(120)
    out.put(board.read())


def test_board_versions_and_contents():
    board = TrainingInfoBoard()
    assert board.version == 0 and board.read() == (0, None)
    board.publish({"approx_total_training_steps": 5})
    board.publish({"approx_total_training_steps": 9, "stage": "hard"})
    assert board.read() == (2, {"approx_total_training_steps": 9, "stage": "hard"})


def test_a_started_process_reads_what_was_published_before_and_after_it_started():
    board = TrainingInfoBoard()
    board.publish({"approx_total_training_steps": 1})
    ctx = multiprocessing.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    child = ctx.Process(target=_read_in_child, args=(board, go, out))
    child.start()
    assert out.get(timeout=120) == (1, {"approx_total_training_steps": 1})
    board.publish({"approx_total_training_steps": 2})  # the child holds the board already: shared memory
    go.set()
    assert out.get(timeout=120) == (2, {"approx_total_training_steps": 2})
    child.join(60)


def test_too_big_info_names_the_fix():
    board = TrainingInfoBoard(capacity=64)
    with pytest.raises(ValueError, match="send smaller values"):
        board.publish({"blob": "x" * 1000})
    assert board.read() == (0, None)  # nothing half-written
