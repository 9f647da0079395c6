"""Start-up probe for benchmarks/startup.py (on PYTHONPATH of the measured command only, never installed).

When `SFC_STARTUP_T0` (a `time.time()` value) and `SFC_STARTUP_FILE` are set, the first `CartPoleEnv.step` of every
process (the runner in serial mode, each rollout worker otherwise) appends `first_env_step <seconds since T0>` to
that file. Nothing is imported until gymnasium's CartPole module is: an import hook patches it then.
"""

import os
import sys

if os.environ.get("SFC_STARTUP_T0") and os.environ.get("SFC_STARTUP_FILE"):
    import importlib.abc
    import time

    _MODULE = "gymnasium.envs.classic_control.cartpole"

    def _patch(module):
        original = module.CartPoleEnv.step
        state = {"done": False}

        def step(self, action):
            if not state["done"]:
                state["done"] = True
                elapsed = time.time() - float(os.environ["SFC_STARTUP_T0"])
                with open(os.environ["SFC_STARTUP_FILE"], "a") as f:
                    f.write(f"first_env_step {elapsed:.3f}\n")
            return original(self, action)

        module.CartPoleEnv.step = step

    class _Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name != _MODULE:
                return None
            sys.meta_path.remove(self)
            import importlib.util

            spec = importlib.util.find_spec(name)
            loader = spec.loader
            exec_module = loader.exec_module

            def exec_and_patch(module):
                exec_module(module)
                _patch(module)

            loader.exec_module = exec_and_patch
            return spec

    sys.meta_path.insert(0, _Finder())
