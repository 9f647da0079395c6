"""A local Ray cluster per test module that asks for one.

Per module, not per session: the multiprocessing tests between the Ray modules fork the pytest process, and a
fork while Ray's gRPC client is live can leave that client hung in the parent (seen in CI: the next actor creation
waited forever in `internal_kv_put`). Ray's docs do not support forking a connected driver; so no fork happens
while a cluster is up here."""

import pytest

# A Ray call in a test never waits forever: a worker that cannot start (or an actor left holding the
# cluster's CPUs) fails that test with Ray's GetTimeoutError instead of hanging the whole run.
RAY_GET_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    from sf_curric.utils.local_ray import init_local_ray

    init_local_ray(num_cpus=2, log_to_driver=False, configure_logging=False)  # on loopback, as users get it
    yield ray
    ray.shutdown()


def ray_get(refs):
    import ray

    return ray.get(refs, timeout=RAY_GET_TIMEOUT_S)


def kill_actors(actors):
    """Free the actors' CPUs now rather than whenever Ray collects their handles."""
    import ray

    for actor in actors:
        ray.kill(actor)
