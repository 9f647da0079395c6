"""Every file in sf_curric_examples/ runs briefly (a subprocess with a tiny step budget) and does what it shows.

An example missing from EXAMPLES runs with the `sf_curric.train` flags of RUN_STYLE (most examples end in
`sf_curric.run()`); examples that need an optional extra are skipped, with the extra named, when it is missing.
"""

import importlib.util
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.algo.runner_helpers import read_scalars

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = ROOT / "sf_curric_examples"


def run_style(train_dir):
    """`sf_curric.train` flags of a ~1-second serial run."""
    return [
        f"--train_dir={train_dir}",
        "--experiment=example",
        "--serial_mode=True",
        "--num_workers=1",
        "--num_envs_per_worker=2",
        "--rollout=16",
        "--batch_size=32",
        "--num_epochs=1",
        "--train_for_env_steps=256",
        "--seed=0",
    ]


@dataclass
class Example:
    args: list = field(default_factory=list)  # after the run-style flags (or instead, with run_style=False)
    run_style: bool = True
    requires: dict = field(default_factory=dict)  # importable module -> how to install it
    helper_module: bool = False  # imported by other examples, not run on its own: importing it is the test
    alone: bool = False  # starts its own cluster / worker processes: run it after the others, not beside them


EXAMPLES = {
    "training_steps_curriculum.py": Example(["--training_info_interval_sec=0.01"]),
    "performance_curriculum.py": Example(),
    "custom_metrics.py": Example(),
    "minigrid_plr.py": Example(requires={"minigrid": 'pip install -e ".[minigrid]"'}),
    "procgen_plr.py": Example(
        requires={"procgen": "procgen2 in its own venv (see procgen_plr.py); SF_CURRIC_PROCGEN_PYTHON=that python"}
    ),
    "cleanrl_plr.py": Example(
        ["--total-timesteps", "256", "--num-envs", "2", "--num-steps", "32", "--num-levels", "8", "--vector", "sync"],
        run_style=False,
    ),
    "sb3_plr_callback.py": Example(
        ["--total-timesteps", "256", "--num-envs", "2", "--n-steps", "64", "--num-levels", "8"],
        run_style=False,
        requires={"stable_baselines3": "pip install stable-baselines3"},
        alone=True,
    ),
    "ray_curriculum.py": Example(
        ["--runners", "2", "--episodes", "3", "--levels", "4"],
        run_style=False,
        requires={"ray": 'pip install -e ".[ray]"'},
        alone=True,
    ),
    "cartpole_levels.py": Example(run_style=False, helper_module=True),
}


def _example_files():
    return sorted(p.name for p in EXAMPLES_DIR.glob("*.py") if p.name != "__init__.py")


def _interpreter(name, spec):
    """(python, None) to run the example with, or (None, why it is skipped). procgen may use a separate venv's
    python, named by SF_CURRIC_PROCGEN_PYTHON."""
    if name == "procgen_plr.py" and os.environ.get("SF_CURRIC_PROCGEN_PYTHON"):
        return os.environ["SF_CURRIC_PROCGEN_PYTHON"], None
    for module, how in spec.requires.items():
        if importlib.util.find_spec(module) is None:
            return None, f"{name} needs the optional {module!r} ({how})"
    return sys.executable, None


def _selected_examples(session):
    names = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if item.originalname == "test_example_runs_briefly" and callspec is not None:
            names.append(callspec.params["name"])
    return names


def _start(name, folder, python):
    spec = EXAMPLES.get(name, Example())
    args = (run_style(folder) if spec.run_style else []) + spec.args
    env = dict(os.environ, PYTHONPATH=str(ROOT), SDL_VIDEODRIVER="dummy")
    with open(folder / "stdout.txt", "w") as out, open(folder / "stderr.txt", "w") as err:
        return subprocess.Popen([python, str(EXAMPLES_DIR / name), *args], cwd=folder, env=env, stdout=out, stderr=err)


@pytest.fixture(scope="module")
def launched(request, tmp_path_factory):
    """Start the selected examples at once, each in its own folder: they mostly wait on imports, so running them
    side by side uses both cores. `alone` examples start when their test asks. Yields {name: (process or None,
    folder, python)} or {name: skip reason}."""
    runs = {}
    for name in _selected_examples(request.session):
        spec = EXAMPLES.get(name, Example())
        if spec.helper_module:
            continue
        python, reason = _interpreter(name, spec)
        if python is None:
            runs[name] = reason
            continue
        folder = tmp_path_factory.mktemp(name.removesuffix(".py"))
        runs[name] = (None if spec.alone else _start(name, folder, python), folder, python)
    yield runs
    for run in runs.values():
        if isinstance(run, tuple) and run[0] is not None and run[0].poll() is None:
            run[0].kill()
            run[0].wait()


def _finished(launched, name, timeout=300):
    run = launched[name]
    if isinstance(run, str):
        pytest.skip(run)
    process, folder, python = run
    if process is None:  # an `alone` example: the concurrent ones have finished by now (tests run in file order)
        for other in launched.values():
            if isinstance(other, tuple) and other[0] is not None:
                other[0].wait(timeout=timeout)
        process = _start(name, folder, python)
        launched[name] = (process, folder, python)
    returncode = process.wait(timeout=timeout)
    stdout, stderr = (folder / "stdout.txt").read_text(), (folder / "stderr.txt").read_text()
    assert returncode == 0, f"{name} failed:\n{stdout[-2000:]}\n{stderr[-3000:]}"
    return EXAMPLES.get(name, Example()), folder


def test_examples_folder_has_the_examples_of_this_issue():
    files = set(_example_files())
    for name in ("training_steps_curriculum.py", "performance_curriculum.py", "custom_metrics.py", "minigrid_plr.py"):
        assert name in files


@pytest.mark.parametrize("name", _example_files())
def test_example_runs_briefly(name, launched):
    if EXAMPLES.get(name, Example()).helper_module:
        _load(name)
        return
    spec, folder = _finished(launched, name)
    if spec.run_style:  # a real training run: it wrote its config and a checkpoint
        exp = folder / "example"
        assert (exp / "config.json").is_file()
        assert list((exp / "checkpoint_p0").glob("checkpoint_*.pth"))
        scalars = read_scalars(exp)
        assert "charts/FPS" in scalars
        if name == "custom_metrics.py":
            assert "charts/episodic_return" in scalars
            for key in ("max_abs_cart_position", "max_abs_pole_angle", "fell", "actions/left_fraction"):
                assert f"custom/{key}" in scalars
            assert 0.0 <= scalars["custom/actions/left_fraction"][-1][1] <= 1.0
        if name == "training_steps_curriculum.py":
            widths = [value for _, value in scalars["custom/init_half_width"]]
            assert widths[0] == pytest.approx(0.05) and widths[-1] > 0.06  # the range grew with training progress
        if name == "performance_curriculum.py":
            assert "custom/level" in scalars
        if name == "minigrid_plr.py":
            _eval_held_out_levels(name, folder)


def _eval_held_out_levels(name, tmp_path):
    """The PLR examples' `eval` word: held-out level seeds reach the env and land in eval.json."""
    args = [f"--train_dir={tmp_path}", "--experiment=example", "--eval_tasks=test", "--test_tasks=1000:1006"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, str(EXAMPLES_DIR / name), "eval", *args, "--eval_episodes_per_task=1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads((tmp_path / "example" / "eval" / "eval.json").read_text())
    assert sorted(int(e["task"]) for e in data["episodes"]) == list(range(1000, 1006))


def _load(name):
    spec = importlib.util.spec_from_file_location(name.removesuffix(".py"), EXAMPLES_DIR / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_performance_curriculum_moves_levels_on_the_last_n_episodes():
    import gymnasium as gym

    example = _load("performance_curriculum.py")
    env = example.PerformanceCurriculumCartPole(gym.make("CartPole-v1"), window=4)
    levels = []
    for episode_return in [450, 450, 450, 300, 480, 480, 480, 480, 10, 10, 10, 10, 10]:
        env._end_of_episode(float(episode_return))
        levels.append(env.level)
    # mean of 4 = 412.5 >= 400: up; window restarts; 4 x 480: up; 4 x 10 (mean < 100): down
    assert levels == [0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1]
    obs, _ = env.reset(seed=0)
    assert abs(obs).max() <= example.LEVELS[1]


def test_training_steps_curriculum_follows_the_training_info():
    import gymnasium as gym

    example = _load("training_steps_curriculum.py")
    env = example.TrainingStepsCartPole(gym.make("CartPole-v1"), ramp_share=0.5)
    widths = []
    for progress in (0.0, 0.125, 0.5, 1.0):  # the share of the budget (env steps or seconds) used
        env.set_training_info({"approx_total_training_steps": 10, "training_progress": progress})
        obs, _ = env.reset(seed=int(100 * progress))
        widths.append(env.half_width)
        assert abs(obs).max() <= env.half_width
    assert widths == pytest.approx([0.05, 0.1, 0.25, 0.25])
