"""Sample Factory 2.1.1's flag list, walked: every flag parses, and each is implemented (a test of its effect is
named in `sf_curric.cfg.sample_factory_implemented` and exists), or accepted and explained (a run that types it logs
one line saying what it does here)."""

import ast
import re
from pathlib import Path

import pytest

from sf_curric.cfg.sample_factory import ACCEPTED, CONDITIONAL_NOTES, sample_factory_notes
from sf_curric.cfg.sample_factory_help import load_flags, parse_help, to_json
from sf_curric.cfg.sample_factory_implemented import IMPLEMENTED
from sf_curric.command_line import build_parser, parse_args

ROOT = Path(__file__).resolve().parents[2]
HELP_TEXT = ROOT / "tests" / "data" / "sample_factory_2.1.1_help_gym.txt"
SF_FLAGS = load_flags()
EXPLAINED = {a.flag for a in ACCEPTED}


def test_flag_data_is_the_parsed_help_text():
    flags = parse_help(HELP_TEXT.read_text())
    assert len(flags) == 115
    assert to_json(flags) == (ROOT / "sf_curric" / "cfg" / "sample_factory_2.1.1_flags.json").read_text()
    by_name = {f.flag: f for f in flags}
    assert by_name["--lr_schedule"].choices == ("constant", "kl_adaptive_minibatch", "kl_adaptive_epoch")
    assert by_name["--encoder_mlp_layers"].default == "[512, 512]" and by_name["--encoder_mlp_layers"].is_list
    assert "bootstrappedMonte-Carlo" in by_name["--rollout"].help  # argparse wrapped after the hyphen


def _typed(flag, default: str) -> list[str]:
    if default == "None":
        return []
    if default.startswith("["):
        return [flag, *re.findall(r"[^\[\], ]+", default)]
    if flag == "--device":  # SF's default (gpu) is refused at validation on a machine without CUDA, not by the parser
        return [f"{flag}=cpu"]
    return [f"{flag}={default}"]


@pytest.mark.parametrize("sf_flag", SF_FLAGS, ids=lambda f: f.flag)
def test_every_sample_factory_flag_parses_with_its_default_typed(sf_flag):
    parser = build_parser()
    assert sf_flag.flag in parser._option_string_actions
    argv = ["--env=CartPole-v1", *_typed(sf_flag.flag, sf_flag.default)]
    cfg = parser.parse_args(argv)
    action = parser._option_string_actions[sf_flag.flag]
    if sf_flag.choices:  # every value SF offers is accepted
        assert set(sf_flag.choices) <= set(action.choices or ()), sf_flag.flag
    assert hasattr(cfg, action.dest)


def test_each_flag_is_implemented_or_explained_never_both():
    names = [f.flag for f in SF_FLAGS]
    for flag in names:
        kinds = [flag in IMPLEMENTED, flag in EXPLAINED]
        assert sum(kinds) == 1, (flag, kinds)
    assert set(IMPLEMENTED) | EXPLAINED == set(names)


def _test_functions(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


@pytest.mark.parametrize("flag", sorted(IMPLEMENTED))
def test_implemented_flags_name_tests_that_exist_and_use_the_flag(flag):
    for node_id in IMPLEMENTED[flag]:
        path, name = node_id.split("::")
        source = (ROOT / path).read_text()
        assert name in _test_functions(ROOT / path), node_id
        assert re.search(rf"\b{flag[2:]}\b", source), (flag, node_id)


# a value of each conditionally explained flag that has no effect with CartPole-v1's defaults
CONDITIONAL_VALUES = {
    "--num_batches_to_accumulate": "3",
    "--recurrence": "4",
    "--algo": "APPO",
    "--pbt_mix_policies_in_one_env": "True",
    "--with_pbt": "True",
}


def test_explained_flags_log_one_line_each_and_implemented_ones_none():
    argv = ["--env=CartPole-v1"]
    for accepted in ACCEPTED:
        value = accepted.kwargs["default"]
        argv += [accepted.flag] if isinstance(value, list) else [f"{accepted.flag}={value}"]
    assert list(CONDITIONAL_VALUES) == [n.flag for n in CONDITIONAL_NOTES]
    argv += [f"{flag}={value}" for flag, value in CONDITIONAL_VALUES.items()]
    lines = sample_factory_notes(parse_args([*argv, "--gamma=0.9", "--serial_mode=True"]))
    expected = [a.flag for a in ACCEPTED] + [n.flag for n in CONDITIONAL_NOTES]
    assert [line.split("=")[0] for line in lines] == expected
    assert all(a.here in line for a, line in zip(ACCEPTED, lines))
    assert sample_factory_notes(parse_args(["--env=CartPole-v1", "--gamma=0.9", "--recurrence=1"])) == []


def test_sample_factory_best_cartpole_command_runs_as_typed(tmp_path):
    from sf_curric.train import run_with_result

    sf_command = (
        "--algo=APPO --use_rnn=False --recurrence=1 --with_vtrace=False --batch_size=512 --reward_scale=0.1 "
        "--num_envs_per_worker=32 --policy_workers_per_policy=2 --batched_sampling=True"
    ).split()
    ours = [f"--train_dir={tmp_path}", "--experiment=sf", "--env=CartPole-v1", "--train_for_env_steps=20000"]
    result = run_with_result([*ours, *sf_command])
    assert result.env_steps >= 20000
    log = (tmp_path / "sf" / "sf_log.txt").read_text()
    for flag in ("--policy_workers_per_policy=2", "--batched_sampling=True", "--algo=APPO"):
        assert f"{flag} (Sample Factory): " in log
