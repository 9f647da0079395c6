"""Task groups and episode counts of eval; the opencv video writer."""

import argparse

import numpy as np
import pytest
from gymnasium import spaces

from sf_curric.curricula.task_space import as_task_space
from sf_curric.evaluation.policy import EvaluationError
from sf_curric.evaluation.tasks import episode_jobs, episodes_per_task, parse_task_range, task_groups
from sf_curric.evaluation.video import VideoWriter


def _cfg(**kw):
    base = dict(
        env="x", eval_tasks="all", test_tasks=None, eval_num_tasks=0, seed=None,
        eval_episodes_per_task=None, eval_num_episodes=None, levels=None,
    )  # fmt: skip
    base.update(kw)
    return argparse.Namespace(**base)


def test_groups_of_a_finite_integer_task_space():
    groups = task_groups(_cfg(), as_task_space(spaces.Discrete(250, start=10)))
    assert [g.name for g in groups] == ["train", "test"]
    assert groups[0].tasks == list(range(10, 260))
    assert groups[1].tasks == list(range(260, 360))  # right after the training levels, at most 100
    (test,) = task_groups(_cfg(eval_tasks="test", test_tasks="1000:1005"), as_task_space(spaces.Discrete(5)))
    assert test.tasks == [1000, 1001, 1002, 1003, 1004]
    with pytest.raises(EvaluationError, match="overlaps"):
        task_groups(_cfg(test_tasks="4:9"), as_task_space(spaces.Discrete(5)))


def test_groups_without_integer_tasks():
    assert [g.name for g in task_groups(_cfg(), None)] == ["default"]
    with pytest.raises(EvaluationError, match="no task space"):
        task_groups(_cfg(eval_tasks="test"), None)
    multi = task_groups(_cfg(), as_task_space(spaces.MultiDiscrete([2, 3])))
    assert [g.name for g in multi] == ["train"] and len(multi[0].tasks) == 6
    with pytest.raises(EvaluationError, match="not integers"):
        task_groups(_cfg(eval_tasks="test"), as_task_space(spaces.MultiDiscrete([2, 3])))
    box = spaces.Box(-1.0, 1.0, (2,))
    assert task_groups(_cfg(), as_task_space(box))[0].tasks == [None]
    drawn = task_groups(_cfg(eval_num_tasks=4, seed=3), as_task_space(box))[0].tasks
    again = task_groups(_cfg(eval_num_tasks=4, seed=3), as_task_space(box))[0].tasks
    assert len(drawn) == 4 and all(box.contains(t.astype(np.float32)) for t in drawn)
    assert all(np.array_equal(a, b) for a, b in zip(drawn, again))


@pytest.mark.parametrize("text", ["5", "a:b", "5:5", "9:3", "1:2:3"])
def test_bad_task_ranges(text):
    with pytest.raises(EvaluationError, match="START:STOP"):
        parse_task_range(text)


def test_episode_counts_and_seeds():
    assert episodes_per_task(30, _cfg()) == [4] * 30  # ceil(100 / 30)
    assert episodes_per_task(4, _cfg(eval_num_episodes=10)) == [3, 3, 2, 2]
    assert episodes_per_task(3, _cfg(eval_episodes_per_task=2)) == [2, 2, 2]
    groups = task_groups(_cfg(seed=7), as_task_space(spaces.Discrete(3)))
    jobs = episode_jobs(groups, _cfg(seed=7, eval_episodes_per_task=5))
    assert len(jobs) == 30 and len({j.seed for j in jobs}) == 30
    assert [j.seed for j in jobs] == [j.seed for j in episode_jobs(groups, _cfg(seed=7, eval_episodes_per_task=5))]
    # more episodes per task keep the seeds of the first ones
    longer = episode_jobs(groups, _cfg(seed=7, eval_episodes_per_task=6))
    assert [j.seed for j in longer if j.episode < 5] == [j.seed for j in jobs]


@pytest.mark.heavy
def test_video_writer_frames_read_back(tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    writer = VideoWriter(tmp_path / "v.mp4", fps=12, max_frames=7)
    for i in range(9):
        frame = np.zeros((40, 64, 3), np.uint8)
        frame[..., 0] = 20 * i  # red grows: checks that the channels stay RGB
        writer.add(frame if i != 3 else np.zeros((20, 30, 3), np.uint8))  # odd size: resized
    writer.close()
    reader = imageio_ffmpeg.read_frames(str(tmp_path / "v.mp4"))
    assert next(reader)["size"] == (64, 40)
    frames = [np.frombuffer(f, np.uint8).reshape(40, 64, 3) for f in reader]
    assert len(frames) == 7
    assert frames[6][..., 0].mean() == pytest.approx(120, abs=12)  # red is channel 0 (RGB)
    assert frames[6][..., 2].mean() < 12
