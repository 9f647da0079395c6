"""`--env=ued_maze` trains with each method of the papers (DR, PLR, Robust PLR, ACCEL) through the batched env, in
serial mode and in worker processes with central inference, and `sf_curric.eval --levels=FILE` plays mazes the run
never saw, one row each."""

import json

import pytest

from sf_curric.envs.builtin.ued_maze_levels import format_level_file
from sf_curric.envs.builtin.ued_maze_prefabs import HAND_DESIGNED
from sf_curric.eval import run as evaluate
from sf_curric.train import run_with_result as train

# a tiny version of the papers' setting: small LSTM, short rollouts, a small level buffer that fills fast
TINY = [
    "--env=ued_maze", "--num_envs_per_worker=8", "--rollout=32", "--batch_size=256", "--num_epochs=1",
    "--rnn_size=16", "--accel_buffer_size=16", "--accel_min_fill=4", "--train_for_env_steps=2048", "--seed=1",
    "--save_every_sec=1000", "--num_torch_threads=1",
]  # fmt: skip


@pytest.mark.parametrize("curriculum", ["dr", "plr", "robust_plr", "accel"])
def test_each_method_trains_in_serial_mode(tmp_path, curriculum):
    result = train([*TINY, f"--train_dir={tmp_path}", f"--experiment={curriculum}", f"--curriculum={curriculum}",
                    "--serial_mode=True", "--num_workers=1"])  # fmt: skip
    assert result.env_steps >= 2048 and result.reason == "env_steps"


def test_accel_trains_in_worker_processes_with_central_inference_and_eval_plays_a_level_file(tmp_path, capsys):
    result = train([*TINY, f"--train_dir={tmp_path}", "--experiment=accel", "--curriculum=accel",
                    "--serial_mode=False", "--num_workers=2", "--inference_mode=central", "--worker_num_splits=1",
                    "--async_rl=True"])  # fmt: skip
    assert result.env_steps >= 2048
    levels = tmp_path / "mazes.txt"
    levels.write_text(format_level_file({"Corridor": ">...........G\n" + "\n".join(["#" * 13] * 12),
                                         "Labyrinth": HAND_DESIGNED["Labyrinth"]}))  # fmt: skip
    capsys.readouterr()
    report = evaluate(["--env=ued_maze", f"--train_dir={tmp_path}", "--experiment=accel", f"--levels={levels}",
                       "--eval_tasks=train", "--eval_num_tasks=2", "--eval_episodes_per_task=2",
                       "--num_torch_threads=1"])  # fmt: skip
    printed = capsys.readouterr().out
    rows = {row["level"]: row for row in report.data["levels"]}
    assert set(rows) == {"Corridor", "Labyrinth"} and all(row["episodes"] == 2 for row in rows.values())
    assert "Corridor" in printed and "solve rate" in printed
    saved = json.loads((report.output_dir / "eval.json").read_text())
    assert [row["level"] for row in saved["levels"]] == ["Corridor", "Labyrinth"]


def test_malformed_level_file_is_one_line_exit_2(tmp_path, capsys):
    train([*TINY, f"--train_dir={tmp_path}", "--experiment=dr", "--curriculum=dr", "--serial_mode=True",
           "--train_for_env_steps=256"])  # fmt: skip
    bad = tmp_path / "bad.txt"
    bad.write_text("== Broken\n" + HAND_DESIGNED["Labyrinth"].replace("G", "."))
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        evaluate([f"--train_dir={tmp_path}", "--experiment=dr", f"--levels={bad}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert info.value.code == 2 and "Traceback" not in "\n".join(err)
    assert err[-1].startswith("sf_curric.eval: error: --levels: ") and "bad.txt level 'Broken'" in err[-1]


@pytest.mark.slow
def test_the_papers_agent_learns_a_corridor(tmp_path):
    # the goal 5 cells ahead in a corridor: random play reaches it late or not at all, a learned policy in 6 steps
    corridor = "\n".join(["#" * 13] * 6 + [">.....G######"] + ["#" * 13] * 6)
    result = train([
        "--env=ued_maze", f"--train_dir={tmp_path}", "--experiment=corridor", "--curriculum=constant",
        f"--constant_task={corridor}", "--serial_mode=True", "--num_workers=1", "--num_envs_per_worker=16",
        "--rollout=32", "--batch_size=512", "--num_epochs=4", "--learning_rate=1e-3", "--lr_schedule=constant",
        "--rnn_size=64", "--train_for_env_steps=40000", "--seed=1", "--num_torch_threads=1",
    ])  # fmt: skip
    assert result.avg_return > 0.95  # random play: 0.22 (45 % of episodes reach the goal); 0.95: ~13 steps or fewer
