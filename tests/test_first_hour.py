"""A user's first hour: exit status of the script idiom, --help, the best checkpoint's own interval."""

import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest

from sf_curric.cfg.arguments import ESSENTIAL_FLAGS
from sf_curric.envs.registry import register_env
from sf_curric.train import run_with_result
from sf_curric.utils.checkpoint import list_checkpoints, load_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def _python(*args, timeout=180):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def test_sys_exit_main_exits_0_after_a_successful_run(tmp_path):
    # Sample Factory's idiom: main() returns run()'s status, the script ends in sys.exit(main())
    script = tmp_path / "my_train.py"
    script.write_text(
        "import sys\nfrom sf_curric import run\n\ndef main():\n    return run()\n\n"
        "if __name__ == '__main__':\n    sys.exit(main())\n"
    )
    flags = ["--env=CartPole-v1", f"--train_dir={tmp_path}", "--serial_mode=True", "--train_for_env_steps=512"]
    user = subprocess.run(
        [sys.executable, str(script), "--experiment=user", *flags],
        cwd=ROOT, capture_output=True, text=True, timeout=180, env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )  # fmt: skip
    assert user.returncode == 0, user.stderr[-2000:]
    module = _python("-m", "sf_curric.train", "--experiment=module", *flags)
    assert module.returncode == 0, module.stderr[-2000:]
    for experiment in ("user", "module"):
        assert list_checkpoints(tmp_path / experiment / "checkpoint_p0")
    bad = _python("-m", "sf_curric.train", "--experiment=bad", "--env=CartPole-v1", "--num_workers=0")
    assert bad.returncode == 2


@pytest.mark.parametrize("program", ["train", "enjoy", "eval"])
def test_help_names_its_entry_point_shows_defaults_and_essential_flags_first(program):
    result = _python("-m", f"sf_curric.{program}", "--help")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith(f"usage: python -m sf_curric.{program} ")
    essential = text[text.index("essential:") :].split("\n\n")[0]
    positions = [essential.index(f"  {flag} ") for flag in ESSENTIAL_FLAGS]
    assert positions == sorted(positions), "essential flags in their documented order"
    assert text.index("essential:") < text.index("basic:") < text.index("model and learner:")
    flat = " ".join(essential.split())  # argparse wraps lines at the terminal's width
    assert "(default: ./train_dir)" in flat and "(default: default_experiment)" in flat
    flat_text = " ".join(text.split())
    # gamma has per-env defaults (CartPole's): without --env the help says the env sets it
    gamma_help = "Discount factor. (default: set by the env; 0.99 for an env without per-env defaults)"
    assert f"--gamma GAMMA {gamma_help}" in flat_text
    assert "(default: None)" in flat and "set by" not in flat.split("--seed", 1)[1]  # no env sets --seed
    assert ("evaluation:" in text) == (program != "train")


def test_help_shows_the_per_env_defaults_of_the_env_given():
    text = _python("-m", "sf_curric.train", "--env=CartPole-v1", "--help").stdout
    block = " ".join(text[text.index("--train_for_env_steps") :].split("  --", 1)[0].split())
    assert "(default: 300000, set by --env=CartPole-v1)" in block  # its per-env default, not the static one
    seed = " ".join(text[text.index("--seed SEED") :].split("\n\n", 1)[0].split("  --", 1)[0].split())
    assert seed.endswith("(default: None)")  # CartPole's defaults do not set it


class FadingRewardEnv(gym.Env):
    """Episodes of 4 steps whose reward shrinks with every episode this process plays: the average return
    peaks early and then only falls, whatever the policy does."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = gym.spaces.Discrete(2)
    episodes_played = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        FadingRewardEnv.episodes_played += 1
        return np.zeros(1, np.float32), {}

    def step(self, action):
        self.t += 1
        reward = 100.0 / FadingRewardEnv.episodes_played
        return np.zeros(1, np.float32), reward, False, self.t >= 4, {}


register_env("fading_reward", lambda **_: FadingRewardEnv())


@pytest.mark.parametrize("interval,best_before_the_end", [(0, True), (1_000_000, False)])
def test_best_checkpoint_is_checked_on_its_own_interval(tmp_path, interval, best_before_the_end):
    FadingRewardEnv.episodes_played = 0
    result = run_with_result([
        "--env=fading_reward", f"--train_dir={tmp_path}", "--experiment=fade", "--serial_mode=True",
        "--num_workers=1", "--num_envs_per_worker=4", "--rollout=8", "--batch_size=32", "--num_epochs=1",
        "--train_for_env_steps=2048", "--stats_avg=8", "--save_every_sec=1000000",
        f"--save_best_every_sec={interval}", "--seed=1",
    ])  # fmt: skip
    [best] = list_checkpoints(tmp_path / "fade" / "checkpoint_p0", "best")
    state = load_checkpoint(best)
    if best_before_the_end:  # checked after every batch: the best is one of the first ones
        assert state["env_steps"] < result.env_steps / 4, (state["env_steps"], result.env_steps)
        assert state["best_avg_return"] > 10 * result.avg_return
    else:  # never checked during the run: only the final checkpoint was considered
        assert state["env_steps"] == result.env_steps


def test_eval_on_a_box_task_space_samples_and_prints_tasks(tmp_path):
    import json

    train = _python(
        "-m", "sf_curric.train", "--env=cartpole_curriculum", f"--train_dir={tmp_path}", "--experiment=box",
        "--serial_mode=True", "--train_for_env_steps=1024", "--final_eval_episodes=0", "--seed=2",
    )  # fmt: skip
    assert train.returncode == 0, train.stderr[-2000:]
    result = _python("-m", "sf_curric.eval", f"--train_dir={tmp_path}", "--experiment=box", "--eval_num_episodes=40")
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads((tmp_path / "box" / "eval" / "eval.json").read_text())
    tasks = {row["task"] for row in data["episodes"]}
    assert len(tasks) == 20 and data["groups"]["train"]["num_tasks"] == 20  # the default count, 2 episodes each
    printed = [line for line in (result.stdout + result.stderr).splitlines() if "20 training tasks drawn" in line]
    assert printed and all(label in printed[0] for label in tasks)
    for label in tasks:  # feasible: low <= high inside the task space
        low, high = (float(x) for x in label.strip("[]").split(","))
        assert -0.2 <= low <= 0.0 <= high <= 0.2
    few = _python("-m", "sf_curric.eval", f"--train_dir={tmp_path}", "--experiment=box", "--eval_num_tasks=3",
                  "--eval_episodes_per_task=1", f"--eval_output={tmp_path / 'few'}")  # fmt: skip
    assert few.returncode == 0 and json.loads((tmp_path / "few" / "eval.json").read_text())["groups"]["train"]["n"] == 3
