"""`python -m trainer import`: models trained elsewhere become runs whose forward pass is Keras's."""
import json

import keras
import numpy as np
import pytest

import neurons
from neurons.forward import probabilities
from tests.helpers.runs import mnist_sample
from tests.helpers.trainer import run_cli

FIT_DIGITS = 600


def sequential(batchnorm: bool) -> keras.Model:
    """Fed raw 0–255 pixels: Rescaling inside, an Activation layer after a linear Dense."""
    layers = [keras.Input((28, 28)), keras.layers.Rescaling(1 / 255), keras.layers.Flatten(),
              keras.layers.Dense(24, activation="relu", name="first_look")]
    if batchnorm:
        layers.append(keras.layers.BatchNormalization(name="after_first"))
    layers += [keras.layers.Dropout(0.1, name="thin"), keras.layers.Dense(12, name="second_look"),
               keras.layers.Activation("tanh", name="squash"), keras.layers.Dense(10, name="scores"),
               keras.layers.Softmax(name="as_probabilities")]
    return keras.Sequential(layers, name="sequential_custom")


def functional(batchnorm: bool) -> keras.Model:
    """Fed pixels / 255 as 784 values; with BN both before an activation (folded) and after one."""
    pixels = keras.Input((784,), name="pixels")
    x = keras.layers.Dense(24, name="encode")(pixels)
    if batchnorm:
        x = keras.layers.BatchNormalization(name="pre_activation_norm")(x)
    x = keras.layers.ReLU(name="gate")(x)
    x = keras.layers.Dense(12, activation="elu", name="middle")(x)
    if batchnorm:
        x = keras.layers.BatchNormalization(name="post_activation_norm")(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="digit_scores")(x)
    return keras.Model(pixels, outputs, name="functional_custom")


def model_inputs(model: keras.Model, images: np.ndarray) -> np.ndarray:
    """What each test model is fed: raw pixels through its Rescaling, else pixels / 255."""
    raw = any(isinstance(layer, keras.layers.Rescaling) for layer in model.layers)
    inputs = images.astype(np.float32) / (1 if raw else 255)
    return inputs.reshape(len(images), *model.inputs[0].shape[1:])


def fitted(model: keras.Model, epochs: int = 1, callbacks=()) -> keras.Model:
    keras.utils.set_random_seed(0)
    images, labels = mnist_sample(FIT_DIGITS, seed=3)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(model_inputs(model, images), labels, epochs=epochs, batch_size=64, validation_split=0.2,
              verbose=0, callbacks=list(callbacks))
    return model


def imported_run(data_dir, *source, run_id="imported"):
    status, output = run_cli("import", *source, "--data-dir", data_dir, "--run-id", run_id)
    assert status == 0, output
    return neurons.open_run(data_dir / "runs" / run_id), output


@pytest.mark.parametrize("batchnorm", [False, True], ids=["plain", "batchnorm"])
@pytest.mark.parametrize("build", [sequential, functional])
def test_imported_forward_pass_is_keras_predict(tmp_path, build, batchnorm):
    model = fitted(build(batchnorm))
    model.save(tmp_path / "mine.keras")
    run, output = imported_run(tmp_path / "data", tmp_path / "mine.keras")
    images = run.probe_images[:300]
    expected = model.predict(model_inputs(model, images), verbose=0)
    ours = probabilities(run.forward(images, 0), run.output_activation)
    np.testing.assert_allclose(ours, expected, atol=1e-5)
    assert run.status == "imported" and run.snapshot_count == 1
    kept_names = [layer.get("keras_name") for layer in run.manifest["layers"]]
    assert kept_names[0] in ("first_look", "encode") and "1 snapshot" in output


def test_a_checkpoint_series_gives_one_snapshot_per_epoch_in_order(tmp_path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    saved = keras.callbacks.ModelCheckpoint(str(folder / "model_{epoch:02d}.keras"))
    logged = keras.callbacks.CSVLogger(str(tmp_path / "history.csv"))
    model = fitted(functional(batchnorm=True), epochs=3, callbacks=[saved, logged])
    status, output = run_cli("import", str(folder / "model_*.keras"), "--data-dir", tmp_path / "data",
                             "--run-id", "series", "--history", tmp_path / "history.csv")
    assert status == 0, output
    run = neurons.open_run(tmp_path / "data" / "runs" / "series")
    assert run.snapshot_labels == ["epoch 1", "epoch 2", "epoch 3"]
    assert [row["epoch"] for row in run.history] == [1, 2, 3]
    assert "epoch numbers in the file names" in output
    final = keras.models.load_model(folder / "model_03.keras")
    first = keras.models.load_model(folder / "model_01.keras")
    images = run.probe_images[:200]
    for snapshot, saved_model in ((0, first), (2, final)):
        expected = saved_model.predict(model_inputs(saved_model, images), verbose=0)
        np.testing.assert_allclose(probabilities(run.forward(images, snapshot), "softmax"), expected, atol=1e-5)
    np.testing.assert_allclose(model.predict(model_inputs(model, images), verbose=0),
                               final.predict(model_inputs(final, images), verbose=0), atol=1e-6)


def test_names_without_epochs_keep_file_order_and_say_so(tmp_path):
    folder = tmp_path / "saved"
    folder.mkdir()
    model = functional(batchnorm=False)
    for name in ("before.keras", "after.keras"):
        model.save(folder / name)
    run, output = imported_run(tmp_path / "data", folder)
    assert run.snapshot_labels == ["after", "before"]
    assert "file-name order" in output


@pytest.mark.parametrize("layer, named", [
    (keras.layers.Conv2D(4, 3, name="edges"), "'edges' (Conv2D)"),
    (keras.layers.GaussianNoise(0.1, name="jitter"), "'jitter' (GaussianNoise)"),
])
def test_unsupported_layers_are_refused_by_name(tmp_path, capsys, layer, named):
    shape = (28, 28, 1) if isinstance(layer, keras.layers.Conv2D) else (784,)
    model = keras.Sequential([keras.Input(shape), layer, keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax")])
    model.save(tmp_path / "other.keras")
    with pytest.raises(SystemExit) as exit_status:
        run_cli("import", tmp_path / "other.keras", "--data-dir", tmp_path / "data")
    message = capsys.readouterr().err
    assert exit_status.value.code == 2
    assert named in message and "supported layers: Dense, BatchNormalization" in message
    assert not (tmp_path / "data" / "runs").exists() or not any((tmp_path / "data" / "runs").iterdir())


def test_wrong_input_size_is_refused(tmp_path, capsys):
    model = keras.Sequential([keras.Input((32, 32)), keras.layers.Flatten(), keras.layers.Dense(10)])
    model.save(tmp_path / "cifar.keras")
    with pytest.raises(SystemExit):
        run_cli("import", tmp_path / "cifar.keras", "--data-dir", tmp_path / "data")
    assert "(32, 32); supported: 28×28, 784" in capsys.readouterr().err


def test_imported_runs_are_listed_as_imported(tmp_path):
    model = functional(batchnorm=False)
    model.save(tmp_path / "mine.keras")
    imported_run(tmp_path / "data", tmp_path / "mine.keras", run_id="listed")
    status, output = run_cli("list", "--data-dir", tmp_path / "data")
    assert status == 0 and "listed" in output and "imported" in output
    manifest = json.loads((tmp_path / "data" / "runs" / "listed" / "manifest.json").read_text())
    assert manifest["status"] == "imported" and manifest["best_snapshot"] == 0


def test_weights_only_checkpoints_need_and_take_their_architecture(tmp_path, capsys):
    folder = tmp_path / "weights"
    folder.mkdir()
    saved = keras.callbacks.ModelCheckpoint(str(folder / "ckpt_{epoch:02d}.weights.h5"), save_weights_only=True)
    model = fitted(sequential(batchnorm=True), epochs=2, callbacks=[saved])
    (tmp_path / "model.json").write_text(model.to_json())
    with pytest.raises(SystemExit):
        run_cli("import", folder, "--data-dir", tmp_path / "data")
    assert "holds weights only: name the model they belong to with --architecture" in capsys.readouterr().err
    run, _ = imported_run(tmp_path / "data", folder, "--architecture", tmp_path / "model.json")
    assert run.snapshot_labels == ["epoch 1", "epoch 2"]
    images = run.probe_images[:200]
    expected = model.predict(model_inputs(model, images), verbose=0)
    np.testing.assert_allclose(probabilities(run.forward(images, 1), "softmax"), expected, atol=1e-5)
