"""Install sf_curric: `pip install torch==2.13.0 && pip install -e ".[test]"`.

torch is listed without an upper bound so that an installed CPU or CUDA build is kept; install the
build you want first (see README.md).
"""

import re
from pathlib import Path

from setuptools import find_packages, setup

_version = re.search(r'__version__ = "([^"]+)"', Path("sf_curric/version.py").read_text()).group(1)

_extras = {
    "ray": ["ray[default]>=2.52"],  # 2.52: token auth (RAY_AUTH_MODE=token)
    "minigrid": ["minigrid>=2.3"],
    # procgen2 pulls gym 0.26 and numpy 1.x: keep it in its own environment when possible.
    "procgen": ["procgen2"],
    "atari": ["ale-py>=0.9"],
    "vizdoom": ["vizdoom>=1.2"],
    "plots": ["matplotlib>=3.7"],
    "wandb": ["wandb>=0.16"],
    # enjoy --save_video: H.264 through the ffmpeg inside imageio-ffmpeg's wheel; pygame renders gymnasium's
    # classic-control envs (CartPole)
    "video": ["imageio-ffmpeg>=0.4.9", "pygame>=2.1"],
    "tensorboard": ["tensorboard>=2.10"],  # `tensorboard --logdir train_dir`
    # EnvPool's C++ envs as a backend: --env=envpool:CartPole-v1 (cp311 wheels from 1.2)
    "envpool": ["envpool>=1.2"],
    "export": ["onnx>=1.14", "onnxruntime>=1.16", "onnxscript>=0.1"],
    # multi-agent: PettingZoo envs (the built-in budget_duel needs nothing); classic board games draw with pygame
    "pettingzoo": ["pettingzoo>=1.24", "pygame>=2.1"],
    # sf_curric.report: rliable's metrics, tensorboard's event reader, matplotlib's curves
    "report": ["rliable>=1.2", "tensorboard>=2.14", "matplotlib>=3.7"],
}
# `test` = the test tools plus every extra the suite exercises, so README line 2 runs every test that
# can run here (procgen needs its own environment; its tests skip with the reason).
_TEST_TOOLS = ["pytest>=7", "pytest-timeout>=2.1", "hypothesis>=6", "mkdocs>=1.5", "psutil>=5", "scipy>=1.10"]
_TESTED_EXTRAS = ["ray", "minigrid", "plots", "wandb", "video", "envpool", "export", "pettingzoo", "report"]
_extras["test"] = sorted(set(_TEST_TOOLS) | {req for name in _TESTED_EXTRAS for req in _extras[name]})
_extras["all"] = sorted({req for name, reqs in _extras.items() if name not in ("procgen", "test") for req in reqs})

setup(
    name="sf_curric",
    version=_version,
    description="High-throughput asynchronous PPO with curriculum learning built in",
    long_description=Path("README.md").read_text(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.9",
    packages=find_packages(include=["sf_curric", "sf_curric.*", "sf_curric_examples", "sf_curric_examples.*"]),
    package_data={"sf_curric.cfg": ["*.json"]},  # Sample Factory's flag list (sf_curric/cfg/sample_factory_help.py)
    install_requires=[
        "torch>=2.0",
        "gymnasium>=1.0",
        "numpy>=1.24",
        "faster-fifo>=1.4.5",
        "tensorboardX>=2.6",
        "opencv-python>=4.8",
        "psutil>=5",
    ],
    extras_require=_extras,
)
