"""Suite-wide collection rules."""

import pytest

SLOW_TEST_TIMEOUT_S = 4 * 3600  # long learning runs on a loaded 2-core machine; pytest.ini's 600 s is for the rest


HEAVY_MARKERS = ("ray", "envpool")  # these extras belong to test-heavy: their tests run in CI's second step


def pytest_collection_modifyitems(config, items):
    for item in items:
        if any(item.get_closest_marker(name) is not None for name in HEAVY_MARKERS):
            item.add_marker(pytest.mark.heavy)
    if not config.pluginmanager.hasplugin("timeout"):
        return
    for item in items:
        if item.get_closest_marker("slow") is not None and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(SLOW_TEST_TIMEOUT_S))
