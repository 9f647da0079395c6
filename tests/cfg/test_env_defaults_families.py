"""Per-env defaults by family: every MiniGrid-* and BabyAI-* env gets the MiniGrid defaults; a name's own entry and
the flags typed win over them."""

from sf_curric.cfg.env_defaults import MINIGRID, builtin_env_defaults, get_env_defaults
from sf_curric.command_line import parse_args


def test_every_minigrid_env_gets_the_family_defaults():
    for env in ("MiniGrid-DoorKey-8x8-v0", "MiniGrid-Empty-8x8-v0", "BabyAI-GoToRedBall-v0"):
        assert get_env_defaults(env) == MINIGRID
    cfg = parse_args(["--env=MiniGrid-DoorKey-8x8-v0"])
    assert cfg.encoder_conv_architecture == "convnet_minigrid" and cfg.image_obs_scale == 1.0
    assert cfg.encoder_mlp_layers == [] and cfg.rollout == 128
    assert get_env_defaults("CartPole-v1")["rollout"] == 32  # other envs are untouched
    assert "MiniGrid-*" in builtin_env_defaults()


def test_typed_flags_win_over_the_family():
    cfg = parse_args(["--env=MiniGrid-DoorKey-8x8-v0", "--encoder_conv_architecture=resnet_impala", "--rollout=64"])
    assert cfg.encoder_conv_architecture == "resnet_impala" and cfg.rollout == 64 and cfg.learning_rate == 7e-4
