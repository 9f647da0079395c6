"""Install sf_curric: `pip install torch==2.13.0 && pip install -e ".[test]"`.

torch is listed without an upper bound so that an installed CPU or CUDA build is kept; install the
build you want first (see README.md).
"""

import re
from pathlib import Path

from setuptools import find_packages, setup

_version = re.search(r'__version__ = "([^"]+)"', Path("sf_curric/version.py").read_text()).group(1)

# One pygame for every extra: minigrid requires pygame-ce, and pygame and pygame-ce install into the same `pygame/`
# folder (whichever installs last wins; uninstalling one breaks the other). gymnasium's classic-control rendering
# and PettingZoo's board games import `pygame`, which pygame-ce provides.
_PYGAME = "pygame-ce>=2.4"

_extras = {
    "ray": ["ray[default]>=2.52"],  # 2.52: token auth (RAY_AUTH_MODE=token)
    "minigrid": ["minigrid>=2.3"],  # brings pygame-ce
    # procgen2 pulls gym 0.26 and numpy 1.x: keep it in its own environment when possible.
    "procgen": ["procgen2"],
    "atari": ["ale-py>=0.9"],
    # gymnasium's own envs that need more than gymnasium: LunarLander/CarRacing, the MuJoCo envs, phys2d/tabular (jax)
    "box2d": ["gymnasium[box2d]>=1.0"],
    "mujoco": ["gymnasium[mujoco]>=1.0"],
    "jax": ["gymnasium[jax]>=1.0"],
    "shimmy": ["shimmy[dm-control]>=1.0"],  # dm_control/... ids
    "vizdoom": ["vizdoom>=1.2"],
    "plots": ["matplotlib>=3.7"],
    # wandb.Image encodes the curriculum charts with Pillow (wandb does not require it; sf_curric's core has none)
    "wandb": ["wandb>=0.16", "pillow>=10.1"],
    # enjoy --save_video: H.264 through the ffmpeg inside imageio-ffmpeg's wheel; pygame renders gymnasium's
    # classic-control envs (CartPole) and draws enjoy's window
    "video": ["imageio-ffmpeg>=0.4.9", _PYGAME],
    "tensorboard": ["tensorboard>=2.10"],  # `tensorboard --logdir train_dir`
    # EnvPool's C++ envs as a backend: --env=envpool:CartPole-v1 (cp311 wheels from 1.2)
    "envpool": ["envpool>=1.2"],
    "export": ["onnx>=1.14", "onnxruntime>=1.16", "onnxscript>=0.1"],
    # multi-agent: PettingZoo envs (the built-in budget_duel needs nothing); classic board games draw with pygame
    "pettingzoo": ["pettingzoo>=1.24", _PYGAME],
    # sf_curric.report: rliable's IQM, stratified-bootstrap intervals and probability of improvement (Agarwal et al.
    # 2021), matplotlib's curves (event files are read with tensorboardX's protobufs). rliable 1.2 needs arch < 8,
    # and arch 7 does not import under pandas 3 (pandas' deprecate_kwarg changed): hence pandas < 3.
    "report": ["rliable>=1.2", "pandas<3", "matplotlib>=3.7"],
}
# `test` = the test tools plus the light extras the suite exercises: README line 2's venv stays under 1.5 GB and
# its suite under 8 minutes on 2 cores. `test-heavy` adds the heavy extras (envpool with its MuJoCo assets,
# ray, video's ffmpeg, export's onnxruntime, wandb, tensorboard's server, report's rliable with pandas, statsmodels
# and arch), whose tests skip without them and run in CI's second step (.ci/run; docs/getting_started.md lists what
# each extra costs). procgen needs its own environment; its tests skip with the reason.
_TEST_TOOLS = [
    "pytest>=7", "pytest-timeout>=2.1", "pytest-xdist>=3", "hypothesis>=6", "mkdocs>=1.5", "psutil>=5", "scipy>=1.10"
]  # fmt: skip
_TESTED_EXTRAS = ["minigrid", "plots", "pettingzoo"]
_HEAVY_EXTRAS = ["ray", "envpool", "video", "export", "wandb", "tensorboard", "report"]
_extras["test"] = sorted(set(_TEST_TOOLS) | {req for name in _TESTED_EXTRAS for req in _extras[name]})
_extras["test-heavy"] = sorted(set(_extras["test"]) | {req for name in _HEAVY_EXTRAS for req in _extras[name]})
_extras["all"] = sorted(
    {req for name, reqs in _extras.items() if name not in ("procgen", "test", "test-heavy") for req in reqs}
)

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
        # OpenCV draws the curriculum charts, PNG-encodes tensorboard images, writes GIFs (imencodeanimation: 4.11)
        # and resizes frames. The headless build: the same cv2 without the Qt/GTK GUI libraries (180 MB where
        # opencv-python is 300 MB), since sf_curric opens no OpenCV window (enjoy's window is pygame's, the video
        # extra). gymnasium's Atari preprocessing imports the same cv2.
        "opencv-python-headless>=4.11",
        "psutil>=5",
    ],
    extras_require=_extras,
)
