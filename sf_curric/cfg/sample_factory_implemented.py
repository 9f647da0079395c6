"""Sample Factory 2.1.1's flags that sf_curric implements with SF's meaning, each with the tests of its effect.

`IMPLEMENTED` is read by the flag walk (`tests/cfg/test_sample_factory_flags.py`: every SF flag is implemented here,
or accepted and explained in `sf_curric.cfg.sample_factory`, or pending; each test named exists and uses the flag) and
by the table of docs/sample_factory_flags.md (`python -m sf_curric.reference --sample_factory`).
"""

_EFFECTS = "tests/cfg/test_sample_factory_flag_effects.py"
_WANDB = "tests/tracking/test_wandb_offline.py"
_MINIBATCHES = "tests/algo/test_minibatches.py"
_HEADS = "tests/model/test_action_heads.py"
_OBS = "tests/model/test_obs_preprocessing.py"
_INIT = "tests/model/test_initialization.py"
_RUNS = "tests/algo/test_runner_sample_factory_flags.py"
_FRAMES = "tests/envs/test_frames.py"
_EXPORT = "tests/export/test_export_parity.py::test_exported_outputs_match_the_model"

_MULTI = "tests/algo/test_multi_policy.py"
_PBT = "tests/algo/test_pbt.py"

# SF flag -> the tests of its effect here (each names the flag in its module)
IMPLEMENTED: dict[str, list[str]] = {
    "--num_policies": [f"{_MULTI}::test_two_policies_train_side_by_side_each_with_its_own_folder_and_envs"],
    "--pbt_mix_policies_in_one_env": [f"{_MULTI}::test_policies_play_each_other_in_a_multi_agent_env"],
    "--with_pbt": [f"{_PBT}::test_pbt_run_mutates_and_a_resume_keeps_each_policys_hyper_parameters"],
    "--pbt_period_env_steps": [f"{_PBT}::test_a_worst_policy_takes_a_best_ones_weights_when_the_gap_is_large_enough"],
    "--pbt_start_mutation": [f"{_PBT}::test_pbt_run_mutates_and_a_resume_keeps_each_policys_hyper_parameters"],
    "--pbt_replace_fraction": [f"{_PBT}::test_a_worst_policy_takes_a_best_ones_weights_when_the_gap_is_large_enough"],
    "--pbt_mutation_rate": [f"{_PBT}::test_mutation_rate_is_the_fraction_of_parameters_that_change"],
    "--pbt_replace_reward_gap": [f"{_PBT}::test_a_gap_below_the_thresholds_keeps_the_weights"],
    "--pbt_replace_reward_gap_absolute": [f"{_PBT}::test_a_gap_below_the_thresholds_keeps_the_weights"],
    "--pbt_optimize_gamma": [f"{_PBT}::test_pbt_optimize_gamma_perturbs_one_minus_gamma"],
    "--pbt_target_objective": [f"{_PBT}::test_pbt_target_objective_ranks_by_the_named_episode_stat"],
    "--pbt_perturb_min": [
        f"{_PBT}::test_mutations_multiply_or_divide_by_a_factor_in_the_perturb_range_and_never_touch_policy_0"
    ],
    "--pbt_perturb_max": [
        f"{_PBT}::test_mutations_multiply_or_divide_by_a_factor_in_the_perturb_range_and_never_touch_policy_0"
    ],
    "--algo": [f"{_EFFECTS}::test_algo_is_appo_only"],
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
    "--batch_size": [f"{_EFFECTS}::test_batch_size_sets_the_minibatch_count"],
    "--num_batches_per_epoch": ["tests/cfg/test_auto_defaults.py::test_batch_holds_whole_rollouts"],
    "--num_epochs": [f"{_EFFECTS}::test_batch_size_sets_the_minibatch_count"],
    "--rollout": ["tests/algo/test_rollout.py::test_reward_scale_and_clip_apply_to_training_rewards_not_to_returns"],
    "--gamma": [f"{_EFFECTS}::test_gae_flags_reach_the_advantages"],
    "--gae_lambda": [f"{_EFFECTS}::test_gae_flags_reach_the_advantages"],
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
    "--exploration_loss_coeff": [f"{_EFFECTS}::test_loss_coefficients_weight_their_terms"],
    "--value_loss_coeff": [f"{_EFFECTS}::test_loss_coefficients_weight_their_terms"],
    "--ppo_clip_ratio": [f"{_EFFECTS}::test_ppo_clip_ratio_bounds_the_ratio_that_gets_a_gradient"],
    "--ppo_clip_value": ["tests/algo/test_learner.py::test_value_clipping_limits_the_move_away_from_the_acting_values"],
    "--with_vtrace": ["tests/algo/test_learner.py::test_learns_a_contextual_bandit"],
    "--vtrace_rho": [f"{_EFFECTS}::test_vtrace_flags_reach_the_targets"],
    "--vtrace_c": [f"{_EFFECTS}::test_vtrace_flags_reach_the_targets"],
    "--adam_eps": [f"{_EFFECTS}::test_adam_flags_reach_the_optimizer"],
    "--adam_beta1": [f"{_EFFECTS}::test_adam_flags_reach_the_optimizer"],
    "--adam_beta2": [f"{_EFFECTS}::test_adam_flags_reach_the_optimizer"],
    "--max_grad_norm": [f"{_EFFECTS}::test_max_grad_norm_clips_the_update"],
    "--optimizer": ["tests/algo/test_lamb.py::test_optimizer_lamb_trains_the_learner"],
    "--recurrence": [
        f"{_MINIBATCHES}::test_sequences_of_recurrence_steps_continue_the_whole_rollout",
        f"{_MINIBATCHES}::test_recurrent_learner_learns_the_memory_task_with_sequences_of_one_episode",
    ],
    "--shuffle_minibatches": [
        f"{_MINIBATCHES}::test_unshuffled_minibatches_are_sample_factorys_fixed_env_by_env_slices"
    ],
    "--value_bootstrap": [f"{_MINIBATCHES}::test_value_bootstrap_false_ends_the_return_at_a_time_limit"],
    "--exploration_loss": [
        "tests/algo/test_sample_factory_losses.py::test_symmetric_kl_exploration_keeps_every_action_likely"
    ],
    "--kl_loss_coeff": ["tests/algo/test_sample_factory_losses.py::test_kl_loss_keeps_the_policy_near_the_acting_one"],
    "--lr_schedule_kl_threshold": ["tests/algo/test_lr_schedule.py::test_high_kl_lowers_the_rate"],
    "--lr_adaptive_min": ["tests/algo/test_lr_schedule.py::test_kl_adaptive_rule"],
    "--lr_adaptive_max": ["tests/algo/test_lr_schedule.py::test_low_kl_raises_the_rate_after_every_minibatch_or_epoch"],
    "--learning_rate": ["tests/algo/test_learner.py::test_linear_schedules_and_version"],
    "--lr_schedule": ["tests/algo/test_learner.py::test_linear_schedules_and_version"],
    "--experiment_summaries_interval": [f"{_EFFECTS}::test_summaries_interval_and_train_for_seconds"],
    "--train_for_seconds": [f"{_EFFECTS}::test_summaries_interval_and_train_for_seconds"],
    "--stats_avg": ["tests/test_first_hour.py::test_best_checkpoint_is_checked_on_its_own_interval"],
    "--save_best_every_sec": ["tests/test_first_hour.py::test_best_checkpoint_is_checked_on_its_own_interval"],
    "--train_for_env_steps": ["tests/algo/test_runner.py::test_keep_checkpoints_and_best"],
    "--save_every_sec": ["tests/algo/test_runner.py::test_keep_checkpoints_and_best"],
    "--keep_checkpoints": ["tests/algo/test_runner.py::test_keep_checkpoints_and_best"],
    "--load_checkpoint_kind": [f"{_EFFECTS}::test_load_checkpoint_kind_best_in_eval_and_on_resume"],
    "--log_to_file": [f"{_RUNS}::test_log_to_file_and_flush_interval"],
    "--env_frameskip": [
        f"{_FRAMES}::test_max_and_skip_sums_rewards_and_keeps_the_max_of_the_last_two_frames",
        f"{_FRAMES}::test_make_env_wraps_a_pixel_gymnasium_id_and_nothing_else",
        "tests/envs/test_envpool.py::test_typed_frame_flags_become_envpools_frame_skip_and_stack_num",
    ],
    "--env_framestack": [
        f"{_FRAMES}::test_frame_stack_concatenates_the_last_frames_oldest_first",
        f"{_FRAMES}::test_make_env_wraps_a_pixel_gymnasium_id_and_nothing_else",
    ],
    "--summaries_use_frameskip": [f"{_FRAMES}::test_summaries_use_frameskip_counts_frames"],
    "--flush_summaries_interval": [f"{_RUNS}::test_log_to_file_and_flush_interval"],
    "--default_niceness": [f"{_RUNS}::test_default_niceness_renices_the_training_process"],
    "--save_milestones_sec": [f"{_RUNS}::test_milestones_are_kept"],
    "--save_best_metric": [f"{_RUNS}::test_save_best_metric_names_any_logged_scalar_and_save_best_after"],
    "--save_best_after": [f"{_RUNS}::test_save_best_metric_names_any_logged_scalar_and_save_best_after"],
    "--encoder_mlp_layers": [f"{_EFFECTS}::test_model_shape_flags"],
    "--encoder_conv_architecture": [f"{_EFFECTS}::test_conv_encoder_flags"],
    "--encoder_conv_mlp_layers": [f"{_EFFECTS}::test_conv_encoder_flags"],
    "--use_rnn": ["tests/algo/test_learner.py::test_recurrent_learner_learns_a_memory_task"],
    "--rnn_size": ["tests/algo/test_learner.py::test_recurrent_learner_learns_a_memory_task"],
    "--rnn_type": ["tests/model/test_core.py::test_sequence_matches_step_loop"],
    "--obs_subtract_mean": [f"{_OBS}::test_vector_obs_are_shifted_and_scaled_before_the_network", _EXPORT],
    "--obs_scale": [
        f"{_OBS}::test_vector_obs_are_shifted_and_scaled_before_the_network",
        f"{_OBS}::test_the_running_normalizer_learns_the_scaled_observations",
        f"{_OBS}::test_uint8_images_obs_scale_replaces_the_division_by_255",
    ],
    "--normalize_input_keys": [f"{_OBS}::test_normalize_input_keys"],
    "--adaptive_stddev": [f"{_HEADS}::test_adaptive_stddev_gaussian_matches_torch_distributions", f"{_EXPORT}"],
    "--initial_stddev": [f"{_HEADS}::test_initial_stddev_and_tanh_scale", f"{_EXPORT}"],
    "--continuous_tanh_scale": [f"{_HEADS}::test_initial_stddev_and_tanh_scale", f"{_EXPORT}"],
    "--rnn_num_layers": [
        "tests/model/test_core.py::test_sequence_matches_step_loop",
        f"{_EXPORT}",
    ],
    "--nonlinearity": [f"{_EFFECTS}::test_model_shape_flags"],
    "--policy_init_gain": [f"{_EFFECTS}::test_model_shape_flags"],
    "--policy_initialization": [
        f"{_INIT}::test_xavier_uniform_weights_are_uniform_within_glorots_bound",
        f"{_INIT}::test_torch_default_is_torchs_own_initialization",
    ],
    "--actor_critic_share_weights": [f"{_EFFECTS}::test_model_shape_flags"],
    "--with_wandb": ["tests/tracking/test_wandb_offline.py::test_offline_run_holds_config_and_images"],
    "--wandb_user": [f"{_WANDB}::test_wandb_flags_reach_the_run"],
    "--wandb_project": [f"{_WANDB}::test_wandb_flags_reach_the_run"],
    "--wandb_group": [f"{_WANDB}::test_wandb_flags_reach_the_run"],
    "--wandb_job_type": [f"{_WANDB}::test_wandb_flags_reach_the_run"],
    "--wandb_tags": ["tests/tracking/test_wandb_offline.py::test_offline_run_holds_config_and_images"],
}
