"""Sample Factory 2.1.1's flag list, walked: every flag parses, and each is implemented (a test of its effect is
named here and exists) or accepted and explained (a run that types it logs one line saying what it does here)."""

import ast
import re
from pathlib import Path

import pytest

from sf_curric.cfg.sample_factory import ACCEPTED, CONDITIONAL_NOTES, PENDING, sample_factory_notes
from sf_curric.cfg.sample_factory_help import load_flags, parse_help, to_json
from sf_curric.command_line import build_parser, parse_args

ROOT = Path(__file__).resolve().parents[2]
HELP_TEXT = ROOT / "tests" / "data" / "sample_factory_2.1.1_help_gym.txt"
EFFECTS = "tests/cfg/test_sample_factory_flag_effects.py"
WANDB = "tests/tracking/test_wandb_offline.py"
MINIBATCHES = "tests/algo/test_minibatches.py"
HEADS = "tests/model/test_action_heads.py"
OBS = "tests/model/test_obs_preprocessing.py"
INIT = "tests/model/test_initialization.py"
RUNS = "tests/algo/test_runner_sample_factory_flags.py"
FRAMES = "tests/envs/test_frames.py"
EXPORT = "tests/export/test_export_parity.py::test_exported_outputs_match_the_model"

# SF flag -> the tests of its effect here (each names the flag in its module)
IMPLEMENTED: dict[str, list[str]] = {
    "--algo": [f"{EFFECTS}::test_algo_is_appo_only"],
    "--decoder_mlp_layers": ["tests/model/test_ued_maze_agent.py::test_act_and_evaluate_agree_through_the_head_layers"],
    "--env": ["tests/cfg/test_validation.py::test_unknown_env_lists_the_closest_names"],
    "--experiment": ["tests/test_first_hour.py::test_sys_exit_main_exits_0_after_a_successful_run"],
    "--train_dir": ["tests/test_first_hour.py::test_sys_exit_main_exits_0_after_a_successful_run"],
    "--restart_behavior": [
        "tests/cfg/test_experiment.py::test_restart_moves_the_old_folder_aside_and_overwrite_deletes_it"
    ],
    "--device": ["tests/algo/test_learner.py::test_bad_config_and_device_name_the_fix"],
    "--seed": ["tests/algo/test_rollout.py::test_same_seed_same_trajectory_with_the_real_model"],
    "--async_rl": ["tests/parallel/test_sampler.py::test_sync_mode_trains_with_zero_policy_lag"],
    "--serial_mode": ["tests/test_first_hour.py::test_sys_exit_main_exits_0_after_a_successful_run"],
    "--worker_num_splits": [
        "tests/parallel/test_central_inference.py::test_double_buffered_groups_all_get_training_info_before_their_next_reset"
    ],
    "--num_batches_to_accumulate": [
        "tests/parallel/test_sampler.py::test_num_batches_to_accumulate_sets_how_far_workers_run_ahead"
    ],
    "--max_policy_lag": [
        "tests/parallel/test_sampler.py::test_slots_older_than_max_policy_lag_are_counted_not_silently_dropped"
    ],
    "--num_workers": [
        "tests/parallel/test_sampler.py::test_async_batches_hold_every_env_and_close_leaves_nothing_behind"
    ],
    "--num_envs_per_worker": [
        "tests/parallel/test_sampler.py::test_async_batches_hold_every_env_and_close_leaves_nothing_behind"
    ],
    "--batch_size": [f"{EFFECTS}::test_batch_size_sets_the_minibatch_count"],
    "--num_batches_per_epoch": ["tests/cfg/test_auto_defaults.py::test_batch_holds_whole_rollouts"],
    "--num_epochs": [f"{EFFECTS}::test_batch_size_sets_the_minibatch_count"],
    "--rollout": ["tests/algo/test_rollout.py::test_reward_scale_and_clip_apply_to_training_rewards_not_to_returns"],
    "--gamma": [f"{EFFECTS}::test_gae_flags_reach_the_advantages"],
    "--gae_lambda": [f"{EFFECTS}::test_gae_flags_reach_the_advantages"],
    "--reward_scale": [
        "tests/algo/test_rollout.py::test_reward_scale_and_clip_apply_to_training_rewards_not_to_returns"
    ],
    "--reward_clip": [
        "tests/algo/test_rollout.py::test_reward_scale_and_clip_apply_to_training_rewards_not_to_returns"
    ],
    "--normalize_returns": [
        "tests/model/test_actor_critic.py::test_act_reports_values_in_return_units_and_normalizes_obs"
    ],
    "--normalize_input": [
        "tests/model/test_actor_critic.py::test_act_reports_values_in_return_units_and_normalizes_obs"
    ],
    "--exploration_loss_coeff": [f"{EFFECTS}::test_loss_coefficients_weight_their_terms"],
    "--value_loss_coeff": [f"{EFFECTS}::test_loss_coefficients_weight_their_terms"],
    "--ppo_clip_ratio": [f"{EFFECTS}::test_ppo_clip_ratio_bounds_the_ratio_that_gets_a_gradient"],
    "--ppo_clip_value": ["tests/algo/test_learner.py::test_value_clipping_limits_the_move_away_from_the_acting_values"],
    "--with_vtrace": ["tests/algo/test_learner.py::test_learns_a_contextual_bandit"],
    "--vtrace_rho": [f"{EFFECTS}::test_vtrace_flags_reach_the_targets"],
    "--vtrace_c": [f"{EFFECTS}::test_vtrace_flags_reach_the_targets"],
    "--adam_eps": [f"{EFFECTS}::test_adam_flags_reach_the_optimizer"],
    "--adam_beta1": [f"{EFFECTS}::test_adam_flags_reach_the_optimizer"],
    "--adam_beta2": [f"{EFFECTS}::test_adam_flags_reach_the_optimizer"],
    "--max_grad_norm": [f"{EFFECTS}::test_max_grad_norm_clips_the_update"],
    "--optimizer": ["tests/algo/test_lamb.py::test_optimizer_lamb_trains_the_learner"],
    "--recurrence": [
        f"{MINIBATCHES}::test_sequences_of_recurrence_steps_continue_the_whole_rollout",
        f"{MINIBATCHES}::test_recurrent_learner_learns_the_memory_task_with_sequences_of_one_episode",
    ],
    "--shuffle_minibatches": [
        f"{MINIBATCHES}::test_unshuffled_minibatches_are_sample_factorys_fixed_env_by_env_slices"
    ],
    "--value_bootstrap": [f"{MINIBATCHES}::test_value_bootstrap_false_ends_the_return_at_a_time_limit"],
    "--exploration_loss": [
        "tests/algo/test_sample_factory_losses.py::test_symmetric_kl_exploration_keeps_every_action_likely"
    ],
    "--kl_loss_coeff": ["tests/algo/test_sample_factory_losses.py::test_kl_loss_keeps_the_policy_near_the_acting_one"],
    "--lr_schedule_kl_threshold": ["tests/algo/test_lr_schedule.py::test_high_kl_lowers_the_rate"],
    "--lr_adaptive_min": ["tests/algo/test_lr_schedule.py::test_kl_adaptive_rule"],
    "--lr_adaptive_max": ["tests/algo/test_lr_schedule.py::test_low_kl_raises_the_rate_after_every_minibatch_or_epoch"],
    "--learning_rate": ["tests/algo/test_learner.py::test_linear_schedules_and_version"],
    "--lr_schedule": ["tests/algo/test_learner.py::test_linear_schedules_and_version"],
    "--experiment_summaries_interval": [f"{EFFECTS}::test_summaries_interval_and_train_for_seconds"],
    "--train_for_seconds": [f"{EFFECTS}::test_summaries_interval_and_train_for_seconds"],
    "--stats_avg": ["tests/test_first_hour.py::test_best_checkpoint_is_checked_on_its_own_interval"],
    "--save_best_every_sec": ["tests/test_first_hour.py::test_best_checkpoint_is_checked_on_its_own_interval"],
    "--train_for_env_steps": ["tests/algo/test_runner.py::test_keep_checkpoints_and_best"],
    "--save_every_sec": ["tests/algo/test_runner.py::test_keep_checkpoints_and_best"],
    "--keep_checkpoints": ["tests/algo/test_runner.py::test_keep_checkpoints_and_best"],
    "--load_checkpoint_kind": [f"{EFFECTS}::test_load_checkpoint_kind_best_in_eval_and_on_resume"],
    "--log_to_file": [f"{RUNS}::test_log_to_file_and_flush_interval"],
    "--env_frameskip": [
        f"{FRAMES}::test_max_and_skip_sums_rewards_and_keeps_the_max_of_the_last_two_frames",
        f"{FRAMES}::test_make_env_wraps_a_pixel_gymnasium_id_and_nothing_else",
        "tests/envs/test_envpool.py::test_typed_frame_flags_become_envpools_frame_skip_and_stack_num",
    ],
    "--env_framestack": [
        f"{FRAMES}::test_frame_stack_concatenates_the_last_frames_oldest_first",
        f"{FRAMES}::test_make_env_wraps_a_pixel_gymnasium_id_and_nothing_else",
    ],
    "--summaries_use_frameskip": [f"{FRAMES}::test_summaries_use_frameskip_counts_frames"],
    "--flush_summaries_interval": [f"{RUNS}::test_log_to_file_and_flush_interval"],
    "--default_niceness": [f"{RUNS}::test_default_niceness_renices_the_training_process"],
    "--save_milestones_sec": [f"{RUNS}::test_milestones_are_kept"],
    "--save_best_metric": [f"{RUNS}::test_save_best_metric_names_any_logged_scalar_and_save_best_after"],
    "--save_best_after": [f"{RUNS}::test_save_best_metric_names_any_logged_scalar_and_save_best_after"],
    "--encoder_mlp_layers": [f"{EFFECTS}::test_model_shape_flags"],
    "--encoder_conv_architecture": [f"{EFFECTS}::test_conv_encoder_flags"],
    "--encoder_conv_mlp_layers": [f"{EFFECTS}::test_conv_encoder_flags"],
    "--use_rnn": ["tests/algo/test_learner.py::test_recurrent_learner_learns_a_memory_task"],
    "--rnn_size": ["tests/algo/test_learner.py::test_recurrent_learner_learns_a_memory_task"],
    "--rnn_type": ["tests/model/test_core.py::test_sequence_matches_step_loop"],
    "--obs_subtract_mean": [f"{OBS}::test_vector_obs_are_shifted_and_scaled_before_the_network", EXPORT],
    "--obs_scale": [
        f"{OBS}::test_vector_obs_are_shifted_and_scaled_before_the_network",
        f"{OBS}::test_the_running_normalizer_learns_the_scaled_observations",
        f"{OBS}::test_uint8_images_obs_scale_replaces_the_division_by_255",
    ],
    "--normalize_input_keys": [f"{OBS}::test_normalize_input_keys"],
    "--adaptive_stddev": [f"{HEADS}::test_adaptive_stddev_gaussian_matches_torch_distributions", f"{EXPORT}"],
    "--initial_stddev": [f"{HEADS}::test_initial_stddev_and_tanh_scale", f"{EXPORT}"],
    "--continuous_tanh_scale": [f"{HEADS}::test_initial_stddev_and_tanh_scale", f"{EXPORT}"],
    "--rnn_num_layers": [
        "tests/model/test_core.py::test_sequence_matches_step_loop",
        f"{EXPORT}",
    ],
    "--nonlinearity": [f"{EFFECTS}::test_model_shape_flags"],
    "--policy_init_gain": [f"{EFFECTS}::test_model_shape_flags"],
    "--policy_initialization": [
        f"{INIT}::test_xavier_uniform_weights_are_uniform_within_glorots_bound",
        f"{INIT}::test_torch_default_is_torchs_own_initialization",
    ],
    "--actor_critic_share_weights": [f"{EFFECTS}::test_model_shape_flags"],
    "--with_wandb": ["tests/tracking/test_wandb_offline.py::test_offline_run_holds_config_and_images"],
    "--wandb_user": [f"{WANDB}::test_wandb_flags_reach_the_run"],
    "--wandb_project": [f"{WANDB}::test_wandb_flags_reach_the_run"],
    "--wandb_group": [f"{WANDB}::test_wandb_flags_reach_the_run"],
    "--wandb_job_type": [f"{WANDB}::test_wandb_flags_reach_the_run"],
    "--wandb_tags": ["tests/tracking/test_wandb_offline.py::test_offline_run_holds_config_and_images"],
}

SF_FLAGS = load_flags()
EXPLAINED = {a.flag for a in ACCEPTED}
PENDING_FLAGS = {p.flag for p in PENDING}


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
        kinds = [flag in IMPLEMENTED, flag in EXPLAINED, flag in PENDING_FLAGS]
        assert sum(kinds) == 1, (flag, kinds)
    assert set(IMPLEMENTED) | EXPLAINED | PENDING_FLAGS == set(names)


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
CONDITIONAL_VALUES = {"--num_batches_to_accumulate": "3", "--recurrence": "4", "--algo": "APPO"}


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
