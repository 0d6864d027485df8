"""Fixtures shared by every test package: a headless browser set-up and synthetic run folders.

Only fixtures and hooks live here; what they call is in tests/helpers/, which tests and benchmarks
import the same way.
"""
import os

import pytest
from hypothesis import settings

from tests.helpers.browser import chrome_options
from tests.helpers.runs import write_synthetic_run

# CI draws the same fuzzing examples every time (.ci/run sets HYPOTHESIS_PROFILE=ci), so main
# passes or fails because of the code, not the draw; local runs keep exploring new examples.
settings.register_profile("ci", derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_setup_options():
    """Called by dash's pytest plugin before it starts Chromium: headless, as root, offline."""
    return chrome_options()


@pytest.fixture
def synthetic_run(tmp_path):
    """Factory: synthetic_run(run_id=..., **options) writes a run under tmp_path/data."""
    data_dir = tmp_path / "data"

    def make(run_id="synthetic", **options):
        return write_synthetic_run(data_dir, run_id, **options)

    make.data_dir = data_dir
    return make
