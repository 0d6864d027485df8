"""Fixtures for dashboard tests: a free TCP port for dash_duo, and a data folder of runs.

Engineers working side by side keep to their own port ranges: set NEURON_LENS_TEST_PORTS=LOW-HIGH
(default 8110-8149), then `dash_duo.start_server(app, port=app_port)`.
"""
import os
import random
import socket

import pytest

PORT_RANGE_ENV = "NEURON_LENS_TEST_PORTS"
DEFAULT_PORT_RANGE = "8110-8149"


def port_range() -> tuple[int, int]:
    low, _, high = os.environ.get(PORT_RANGE_ENV, DEFAULT_PORT_RANGE).partition("-")
    return int(low), int(high or low)


def free_port(low: int, high: int) -> int:
    """A port in [low, high] that nothing listens on right now, tried in random order."""
    candidates = list(range(low, high + 1))
    random.shuffle(candidates)
    for port in candidates:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}-{high}")


@pytest.fixture
def app_port() -> int:
    return free_port(*port_range())
