"""`--augment`: digits moved and turned within bounds, reproducibly, new each epoch."""
import numpy as np
from scipy import ndimage

from neurons.runformat import read_manifest
from tests.helpers.runs import mnist_sample
from tests.helpers.trainer import run_cli
from trainer import augment, data


def centre_of_mass(images):
    return np.array([ndimage.center_of_mass(image.astype(float)) for image in images])


def test_moves_stay_within_the_bounds_and_keep_the_ink():
    images, _ = mnist_sample(200)
    moved = augment.moved(images, np.random.default_rng(0))
    travel = np.abs(centre_of_mass(moved) - centre_of_mass(images))
    # A ±2 px shift plus a ±10° turn of ink that sits within ~10 px of the centre.
    assert travel.max() < augment.MAX_SHIFT + 10 * np.deg2rad(augment.MAX_DEGREES) + 0.5
    assert travel.mean() > 0.5
    ink_kept = moved.sum(axis=(1, 2)) / images.sum(axis=(1, 2))
    assert np.all((ink_kept > 0.9) & (ink_kept < 1.1))


def test_no_move_is_the_identity():
    images, _ = mnist_sample(20)

    class Still:
        def uniform(self, low, high, size):
            return np.zeros(size)

    np.testing.assert_array_equal(augment.moved(images, Still()), images)


def test_batches_are_reproducible_and_new_each_epoch():
    images, labels = mnist_sample(100)

    def batches(seed):
        dataset = augment.AugmentedDigits(images, labels, batch_size=32, seed=seed, to_inputs=data.model_inputs)
        first = dataset[0]
        dataset.on_epoch_end()
        return first, dataset[0]

    (x, y), (x_next, _) = batches(seed=3)
    (x_again, y_again), _ = batches(seed=3)
    np.testing.assert_array_equal(x, x_again)
    np.testing.assert_array_equal(y, y_again)
    assert x.shape == (32, 784) and 0 <= x.min() and x.max() <= 1
    assert not np.array_equal(x, x_next)
    assert len(augment.AugmentedDigits(images, labels, batch_size=32, seed=0, to_inputs=data.model_inputs)) == 4


def test_augmented_training_runs_and_is_reproducible(tmp_path, small_sample):
    for run_id in ("first", "again"):
        status, output = run_cli("train", "--data-dir", tmp_path, "--run-id", run_id, "--augment",
                                 "--epochs", 1, "--preset", "relu", "--seed", 4)
        assert status == 0, output
    first, again = (read_manifest(tmp_path / "runs" / run_id) for run_id in ("first", "again"))
    assert first["config"]["augment"] is True
    assert [s["crc32"] for s in first["snapshots"]] == [s["crc32"] for s in again["snapshots"]]
