"""docs/metrics.md names every tag a short training run writes (a PLR run in serial mode, a DR run in the
asynchronous mode, a continuous-task curriculum): read back from the event files, not from the code."""

import re
from pathlib import Path

import pytest

from sf_curric.train import run as train
from tests.algo.runner_helpers import read_scalars
from tests.evaluation import corridor

ROOT = Path(__file__).resolve().parents[2]


def _documented_patterns():
    text = (ROOT / "docs" / "metrics.md").read_text()
    names = re.findall(r"`((?:charts|losses|train|perf|custom|curriculum)/[^`\s]+)`", text)
    # `<placeholder>` stands for any task label, index or key
    return [re.compile("^" + re.sub(r"<[^>]+>", "[^ ]+", re.escape(name)) + "$") for name in names]


COMMON = [
    "--num_workers=1",
    "--num_envs_per_worker=4",
    "--rollout=16",
    "--batch_size=64",
    "--num_epochs=1",
    "--train_for_env_steps=512",
    "--seed=0",
    "--experiment_summaries_interval=0.05",
]


@pytest.fixture(scope="module")
def tags(tmp_path_factory):
    corridor.register()
    d = tmp_path_factory.mktemp("metrics")
    name = corridor.ENV_NAME
    runs = {
        "plr": [f"--env={name}", "--serial_mode=True", "--curriculum=plr"],
        "dr_async": [f"--env={name}", "--serial_mode=False", "--curriculum=dr"],
        "box": ["--env=cartpole_curriculum", "--serial_mode=True"],
    }
    found = {}
    for experiment, args in runs.items():
        train([*args, f"--train_dir={d}", f"--experiment={experiment}", *COMMON])
        found[experiment] = set(read_scalars(d / experiment))
    return found


def test_every_logged_tag_is_documented(tags):
    patterns = _documented_patterns()
    for experiment, names in tags.items():
        undocumented = sorted(t for t in names if not any(p.match(t) for p in patterns))
        assert not undocumented, f"{experiment}: add these to docs/metrics.md: {undocumented}"
    # the runs did exercise each family
    assert {"curriculum/proportion_seen", "custom/level"} <= tags["plr"]
    assert "perf/policy_lag_avg" in tags["dr_async"]
    assert "curriculum/range_high" in tags["box"]
