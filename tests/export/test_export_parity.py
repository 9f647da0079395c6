"""Export: TorchScript and onnxruntime outputs equal the trained model's own action parameters, values and next
recurrent state (max abs diff <= 1e-5), for MLP, CNN, GRU and LSTM models; the CLI exports a trained experiment;
the docs' examples run without importing sf_curric."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from gymnasium import spaces

from sf_curric.command_line import default_cfg
from sf_curric.export import export_policy, reference_outputs
from sf_curric.model.actor_critic import ActorCritic

ort = pytest.importorskip("onnxruntime", reason='pip install "sf_curric[export]"')
ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-5

VECTOR = spaces.Box(-10.0, 10.0, (6,), np.float32)
IMAGE = spaces.Box(0, 255, (36, 36, 3), np.uint8)
MODELS = {
    "mlp": (VECTOR, spaces.Discrete(5), {}),
    "mlp_box": (VECTOR, spaces.Box(-1.0, 1.0, (2,), np.float32), {"actor_critic_share_weights": False}),
    "mlp_multidiscrete": (VECTOR, spaces.MultiDiscrete([3, 5]), {}),
    "cnn": (IMAGE, spaces.Discrete(4), {}),
    "gru": (VECTOR, spaces.Discrete(5), {"use_rnn": True, "rnn_type": "gru", "rnn_size": 16}),
    "gru_separate": (
        VECTOR,
        spaces.Discrete(5),
        {"use_rnn": True, "rnn_type": "gru", "rnn_size": 16, "actor_critic_share_weights": False},
    ),
    "lstm": (VECTOR, spaces.Discrete(5), {"use_rnn": True, "rnn_type": "lstm", "rnn_size": 16}),
}


def _model(name):
    obs_space, action_space, overrides = MODELS[name]
    torch.manual_seed(0)
    cfg = default_cfg(normalize_input=True, normalize_returns=True, **overrides)
    model = ActorCritic(obs_space, action_space, cfg)
    # statistics far from the identity, so that a missing normalization shows
    if model.obs_normalizer is not None:
        model.obs_normalizer.update(torch.randn(500, *obs_space.shape) * 3.0 + 1.5)
    model.returns_normalizer.update(torch.randn(500) * 7.0 + 4.0)
    obs_space.seed(1)
    obs = torch.from_numpy(np.stack([obs_space.sample() for _ in range(9)]))
    states = torch.randn(9, model.rnn_state_size) if model.is_recurrent else None
    return model, obs, states


def _run_exported(path, fmt, obs, states):
    if fmt == "torchscript":
        policy = torch.jit.load(str(path))
        with torch.no_grad():
            out = policy(obs) if states is None else policy(obs, states)
        return [o.numpy() for o in out]
    session = ort.InferenceSession(str(path))
    feeds = {"obs": obs.numpy()}
    if states is not None:
        feeds["rnn_states"] = states.numpy()
    return session.run(None, feeds)


def _max_diffs(out, ref):
    diffs = {
        "action_params": np.abs(out[0] - ref.action_params.numpy()).max(),
        "values": np.abs(out[1] - ref.values.numpy()).max(),
    }
    if ref.new_rnn_states is not None:
        diffs["new_rnn_states"] = np.abs(out[2] - ref.new_rnn_states.numpy()).max()
    return diffs


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
@pytest.mark.parametrize("name", list(MODELS))
def test_exported_outputs_match_the_model(name, fmt, tmp_path):
    model, obs, states = _model(name)
    ref = reference_outputs(model, obs, states)
    path = export_policy(model, tmp_path / f"policy.{fmt}", fmt)
    out = _run_exported(path, fmt, obs, states)
    assert len(out) == (3 if states is not None else 2)
    diffs = _max_diffs(out, ref)
    assert max(diffs.values()) <= TOL, diffs
    # another batch size works too (dynamic batch axis)
    out_one = _run_exported(path, fmt, obs[:1], None if states is None else states[:1])
    assert np.abs(out_one[0] - ref.action_params[:1].numpy()).max() <= TOL


def _cli(module, *args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def trained_gru(tmp_path_factory):
    train_dir = tmp_path_factory.mktemp("train_dir")
    flags = ["--serial_mode=True", "--use_rnn=True", "--rnn_size=16", "--train_for_env_steps=2048", "--seed=1"]
    result = _cli("sf_curric.train", "--env=CartPole-v1", f"--train_dir={train_dir}", "--experiment=gru", *flags)
    assert result.returncode == 0, result.stderr[-2000:]
    return train_dir


@pytest.mark.parametrize("fmt", ["torchscript", "onnx"])
def test_cli_exports_a_trained_recurrent_policy(trained_gru, fmt):
    from sf_curric.command_line import parse_args
    from sf_curric.evaluation.policy import load_eval_config, load_policy

    result = _cli("sf_curric.export", f"--train_dir={trained_gru}", "--experiment=gru", f"--format={fmt}")
    assert result.returncode == 0, result.stderr[-2000:]
    path = trained_gru / "gru" / "export" / ("policy.pt" if fmt == "torchscript" else "policy.onnx")
    assert path.exists() and path.with_name(path.name + ".json").exists()
    cfg = load_eval_config(parse_args([f"--train_dir={trained_gru}", "--experiment=gru"], evaluation=True))
    model = load_policy(cfg, spaces.Box(-np.inf, np.inf, (4,), np.float32), spaces.Discrete(2)).model
    torch.manual_seed(2)
    obs, states = torch.randn(5, 4), torch.randn(5, model.rnn_state_size)
    diffs = _max_diffs(_run_exported(path, fmt, obs, states), reference_outputs(model, obs, states))
    assert max(diffs.values()) <= TOL, diffs


def test_cli_bad_format_and_missing_experiment_are_one_line_errors(tmp_path):
    result = _cli("sf_curric.export", f"--train_dir={tmp_path}", "--experiment=none", "--format=onnx")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    result = _cli("sf_curric.export", "--format=keras")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_doc_examples_run_without_sf_curric(tmp_path):
    """The two examples of docs/export.md, on a non-recurrent CartPole policy, never import sf_curric."""
    train_dir = tmp_path / "td"
    result = _cli("sf_curric.train", "--env=CartPole-v1", f"--train_dir={train_dir}", "--experiment=demo",
                  "--serial_mode=True", "--train_for_env_steps=1024", "--seed=1")  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    text = (ROOT / "docs" / "export.md").read_text()
    for fmt in ("torchscript", "onnx"):
        assert (
            _cli("sf_curric.export", f"--train_dir={train_dir}", "--experiment=demo", f"--format={fmt}").returncode == 0
        )
        code = re.search(rf"```python\n# export-example: {fmt}\n(.*?)```", text, re.S).group(1)
        code = code.replace("train_dir/", f"{train_dir}/") + "\nimport sys\nassert 'sf_curric' not in sys.modules\n"
        run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
        assert run.stdout.startswith("action "), run.stdout
