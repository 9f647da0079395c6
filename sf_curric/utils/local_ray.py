"""A Ray that sf_curric starts on this machine: every server on loopback, token authentication on.

`ray.init(_node_ip_address="127.0.0.1")` alone is not enough on Linux: Ray replaces a loopback node address by the
machine's reachable IP (`services.resolve_ip_for_localhost`) unless `RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`, the
switch for single-machine Ray, and then its GCS, raylet, workers, agents and metrics endpoints listen on all
interfaces (measured with Ray 2.60: 11 listeners, 3 of them Prometheus endpoints answering anyone). With the switch
every one of them binds 127.0.0.1 (test: `tests/sync/test_ray_loopback.py` lists the sockets). `RAY_AUTH_MODE=token`
makes every RPC carry the session's token (Ray >= 2.52; the default from 2.60 on). Both are set in this process's
environment before Ray starts, so Ray's own processes, which inherit it, do the same.
"""

from __future__ import annotations

import os
from typing import Any

LOOPBACK = "127.0.0.1"
LOCAL_RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "token"}


def init_local_ray(**init_kwargs: Any) -> None:
    """Start a Ray instance on this machine bound to loopback, without dashboard, with token authentication.

    Args:
        **init_kwargs: more `ray.init` arguments (`num_cpus`, `configure_logging`, ...).

    Raises:
        ImportError: ray is not installed (the message names the extra).
    """
    newly_set = [key for key in LOCAL_RAY_ENV if key not in os.environ]
    for key in newly_set:  # a value the user set (e.g. RAY_AUTH_MODE=disabled) is theirs
        os.environ[key] = LOCAL_RAY_ENV[key]
    try:
        import ray
        from ray._private import ray_constants
        from ray._raylet import Config
    except ImportError as e:
        from sf_curric.errors import install_command

        raise ImportError(f"a local Ray needs ray (ray[default]>=2.52): {install_command('ray')}") from e
    # Both are read once when Ray is imported: when that was earlier (a sweep file, the launcher), refresh them the
    # way Ray's own token set-up does, or the driver would miss what its servers see.
    ray_constants.ENABLE_RAY_CLUSTER = os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] not in ("0", "false", "False")
    if "RAY_AUTH_MODE" in newly_set:
        Config.initialize("")
    ray.init(_node_ip_address=LOOPBACK, include_dashboard=False, **init_kwargs)
