"""Suite-wide collection rules."""

import pytest

SLOW_TEST_TIMEOUT_S = 4 * 3600  # long learning runs on a loaded 2-core machine; pytest.ini's 600 s is for the rest


HEAVY_MARKERS = ("ray", "envpool")  # these extras belong to test-heavy: their tests run in CI's second step


@pytest.fixture(scope="session")
def _builtin_env_specs():
    from sf_curric.envs import registry
    from sf_curric.envs.builtin import builtin_envs

    registry._load_builtin_envs()
    return {name: registry._REGISTRY[name] for name, *_ in builtin_envs()}


@pytest.fixture(autouse=True)
def _keep_builtin_envs(_builtin_env_specs):
    """A test that re-registers a built-in name (e.g. a tiny in-process `maze_levels` sweep, in a module-scoped
    fixture) gives the built-in spec back afterwards, so later tests see `--env=maze_levels` as users do."""
    from sf_curric.envs import registry

    yield
    registry._REGISTRY.update(_builtin_env_specs)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if any(item.get_closest_marker(name) is not None for name in HEAVY_MARKERS):
            item.add_marker(pytest.mark.heavy)
    if not config.pluginmanager.hasplugin("timeout"):
        return
    for item in items:
        if item.get_closest_marker("slow") is not None and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(SLOW_TEST_TIMEOUT_S))
