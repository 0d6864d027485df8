"""Fixtures for dashboard tests: a free TCP port for dash_duo, and a data folder of runs.

Engineers working side by side keep to their own port ranges: set NEURON_LENS_TEST_PORTS=LOW-HIGH
(default 8110-8149), then `dash_duo.start_server(app, port=app_port)`.
"""
import pytest

from tests.helpers.browser import free_port, port_range


@pytest.fixture
def app_port() -> int:
    return free_port(*port_range())
