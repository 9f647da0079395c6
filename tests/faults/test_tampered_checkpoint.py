"""A checkpoint whose values were changed after it was written (its SHA-256 rewritten to match, as a tool would) is
range-checked on resume: each value no run writes is one line naming the file, exit 2, nothing on disk changed
(issue 28: 5 of 9 such cases were tracebacks, 3 were accepted silently)."""

import math
import shutil

import pytest
import torch

from sf_curric.train import run
from sf_curric.utils.checkpoint import list_checkpoints, load_checkpoint, write_checkpoint_file
from sf_curric.utils.logs import close_log_file


def _args(train_dir, steps=64):
    return [
        "--env=cartpole_curriculum", f"--train_dir={train_dir}", "--experiment=exp", "--serial_mode=True",
        "--num_workers=1", "--num_envs_per_worker=2", "--rollout=8", "--batch_size=16", "--device=cpu",
        f"--train_for_env_steps={steps}", "--num_torch_threads=1",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("trained")
    run(_args(root))
    close_log_file()
    return root


def _box(state):
    return state["curriculum"]["curriculum"]["state"]  # SimpleBoxCurriculum's attributes


def _set(path_in_state, value):
    def tamper(state):
        *parents, last = path_in_state
        target = state
        for key in parents:
            target = target[key]
        target[last] = value

    return tamper


def _set_box(key, value):
    return lambda state: _box(state).__setitem__(key, value)


def _nan_weight(state):
    weights = state["learner"]["model"]
    name = next(k for k, v in weights.items() if v.is_floating_point() and v.numel() > 1)
    weights[name] = torch.full_like(weights[name], math.nan)


TAMPERED = {
    "negative env steps": (_set(["env_steps"], -5000), "env_steps=-5000"),
    "env steps as text": (_set(["iteration"], "abc"), "iteration='abc'"),
    "NaN train seconds": (_set(["train_seconds"], math.nan), "train_seconds=nan"),
    "NaN bounds": (_set_box("max_range", (math.nan, math.nan)), "max_range[0]: is NaN"),
    "inf bounds": (_set_box("max_range", (-math.inf, math.inf)), "max_range[0]: -inf is not finite"),
    "range outside the task space": (_set_box("max_range", (0.5, 0.1)), "is not inside"),
    "required_successes=-1e30": (_set_box("required_successes", -1e30), "required_successes=-1e+30 must be at least 1"),
    "negative streak": (_set_box("consecutive_successes", -3), "consecutive_successes: -3 is negative"),
    "another curriculum class": (
        _set(["curriculum", "curriculum", "class"], "PrioritizedLevelReplay"),
        "a 'PrioritizedLevelReplay' curriculum state",
    ),
    "an attribute it does not have": (_set_box("task_space", 5), "attributes this curriculum does not have"),
    "a random generator it cannot use": (
        _set_box("__task_space_rng__", {"bit_generator": "PCG64", "state": "nope"}),
        "__task_space_rng__.state: a str, not a dict",
    ),
    "a random generator numpy refuses": (
        _set_box("__task_space_rng__", {"bit_generator": "MT19937", "state": {}}),
        "does not fit --curriculum",
    ),
    "episode returns as text": (_set(["episode_stats", "returns"], ["abc"]), "episode statistics"),
    "negative host counter": (_set(["curriculum", "num_tasks_issued"], -1), "num_tasks_issued: -1 is negative"),
    "NaN weights": (_nan_weight, "NaN/Inf in"),
}


@pytest.mark.parametrize("case", list(TAMPERED))
def test_a_tampered_value_is_one_line_and_changes_nothing(trained, tmp_path, capsys, case):
    tamper, expected = TAMPERED[case]
    train_dir = tmp_path / "td"
    shutil.copytree(trained, train_dir)
    [path] = list_checkpoints(train_dir / "exp" / "checkpoint_p0")
    state = load_checkpoint(path)
    tamper(state)
    write_checkpoint_file(state, path)  # a valid SHA-256: the tamperer rewrote it
    before = {p: p.read_bytes() for p in train_dir.rglob("*") if p.is_file()}
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        try:
            run(_args(train_dir, steps=128))
        finally:
            close_log_file()
    assert info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()  # the console log's lines, then the error
    assert err[-1].startswith("sf_curric.train: error: ") and not any("Traceback" in line for line in err), err
    assert path.name in err[-1] and expected in err[-1], err[-1]
    assert {p: p.read_bytes() for p in train_dir.rglob("*") if p.is_file()} == before


def test_the_untampered_checkpoint_resumes(trained, tmp_path):
    train_dir = tmp_path / "td"
    shutil.copytree(trained, train_dir)
    run(_args(train_dir, steps=128))
    close_log_file()
    assert load_checkpoint(list_checkpoints(train_dir / "exp" / "checkpoint_p0")[-1])["env_steps"] >= 128
