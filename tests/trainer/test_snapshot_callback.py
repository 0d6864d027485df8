"""The public callback on models people build themselves."""
import time

import keras
import numpy as np
import pytest

from neurons.runformat import open_arrays, read_manifest, verify_snapshot
from trainer import SnapshotCallback, data, layer_map
from trainer.layer_map import UnsupportedModel, describe


def user_model():
    """Functional API, raw 0-255 pixels in, custom names, dropout before batch norm."""
    pixels = keras.Input(shape=(28, 28), name="digit")
    x = keras.layers.Rescaling(1 / 255, name="scale")(pixels)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(20, activation="tanh", name="hidden_a",
                           kernel_regularizer=keras.regularizers.L1L2(l1=1e-4, l2=1e-3))(x)
    x = keras.layers.Dropout(0.2, name="drop_a")(x)
    x = keras.layers.BatchNormalization(epsilon=1e-5, center=False, name="norm_a")(x)
    x = keras.layers.Dense(12, activation="relu", use_bias=False, name="hidden_b")(x)
    logits = keras.layers.Dense(10, name="scores")(x)
    model = keras.Model(pixels, logits, name="mine")
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def digits():
    images, labels = data.load_sample()
    order = np.random.default_rng(3).permutation(len(labels))
    return images[order[:640]], labels[order[:640]], images[order[640:800]], labels[order[640:800]]


@pytest.mark.slow
def test_callback_on_a_functional_model_with_custom_names(digits, tmp_path):
    keras.utils.set_random_seed(1)
    train_x, train_y, val_x, val_y = digits
    model = user_model()
    initial = model.get_layer("hidden_a").kernel.numpy().copy()
    callback = SnapshotCallback(tmp_path, "mine", probe=(val_x, val_y), snapshots_per_epoch=2)
    model.fit(train_x, train_y, validation_data=(val_x, val_y), epochs=3, batch_size=64, verbose=0,
              callbacks=[keras.callbacks.EarlyStopping(patience=1, restore_best_weights=True), callback])
    loss, accuracy = model.evaluate(val_x, val_y, verbose=0)
    callback.record_test(loss, accuracy)

    manifest = read_manifest(tmp_path / "runs" / "mine")
    assert [(layer["name"], layer["keras_name"]) for layer in manifest["layers"]] == [
        ("dense_1", "hidden_a"), ("dropout_1", "drop_a"), ("batchnorm_1", "norm_a"),
        ("dense_2", "hidden_b"), ("output", "scores")]
    dense_1, _, norm, _, output = manifest["layers"]
    assert dense_1["regularizer"] == {"l1": 1e-4, "l2": 1e-3} and dense_1["activation"] == "tanh"
    assert norm["epsilon"] == 1e-5 and output["activation"] == "linear"
    assert manifest["preset"] == "custom" and manifest["dataset"]["name"] == "custom"
    assert manifest["status"] == "completed" and manifest["test"]["accuracy"] == pytest.approx(accuracy)

    labels = [snapshot["label"] for snapshot in manifest["snapshots"]]
    assert labels[:3] == ["init", "epoch 1 · step 5", "epoch 1"]
    arrays = open_arrays(tmp_path / "runs" / "mine", manifest)
    for index in range(len(labels)):
        verify_snapshot(arrays, manifest, index)
    np.testing.assert_array_equal(arrays["dense_1.kernel"][0], initial.T)
    best = manifest["best_snapshot"]
    assert manifest["snapshots"][best]["step"] == 0
    np.testing.assert_array_equal(arrays["dense_1.kernel"][best], model.get_layer("hidden_a").kernel.numpy().T)
    np.testing.assert_array_equal(arrays["batchnorm_1.beta"][best], np.zeros(20, np.float32))
    np.testing.assert_array_equal(arrays["dense_2.bias"][best], np.zeros(12, np.float32))
    np.testing.assert_array_equal(arrays["batchnorm_1.moving_variance"][best],
                                  model.get_layer("norm_a").moving_variance.numpy())

    probe = np.load(tmp_path / "runs" / "mine" / "probe.npz")
    np.testing.assert_array_equal(probe["images"], val_x)
    live = np.load(tmp_path / "runs" / "mine" / "live_pixels.npy")
    np.testing.assert_array_equal(live, val_x.min(axis=0) != val_x.max(axis=0))


@pytest.mark.slow
def test_best_snapshot_is_the_epoch_early_stopping_restored(digits, tmp_path):
    """A learning rate too high to keep improving: early stopping goes back to an earlier epoch."""
    keras.utils.set_random_seed(2)
    train_x, train_y, val_x, val_y = digits
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(3.0), loss="sparse_categorical_crossentropy")
    stopping = keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    callback = SnapshotCallback(tmp_path, "unstable", probe=(val_x, val_y))
    history = model.fit(data.model_inputs(train_x), train_y, epochs=8, batch_size=32, verbose=0,
                        validation_data=(data.model_inputs(val_x), val_y), callbacks=[stopping, callback])
    manifest = read_manifest(tmp_path / "runs" / "unstable")
    best_epoch = int(np.nanargmin(history.history["val_loss"])) + 1
    assert manifest["snapshots"][manifest["best_snapshot"]]["epoch"] == best_epoch
    assert best_epoch < len(manifest["history"]), "the test needs early stopping to have gone back"


def test_default_probe_is_the_sample_holdout(tmp_path):
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(4), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    callback = SnapshotCallback(tmp_path, "binary")
    x = np.zeros((8, 784), np.float32)
    model.fit(x, np.zeros(8), epochs=1, verbose=0, callbacks=[callback])
    probe = np.load(tmp_path / "runs" / "binary" / "probe.npz")
    assert set(probe["labels"].tolist()) == {0, 1} and probe["images"].dtype == np.uint8
    assert len(probe["labels"]) == 200


@pytest.mark.parametrize("layers, reason", [
    ([keras.layers.Reshape((28, 28, 1)), keras.layers.Conv2D(4, 3)], "Conv2D) is not supported"),
    ([keras.layers.Flatten(), keras.layers.Rescaling(1 / 127.5, offset=-1)], "only Rescaling(1/255)"),
    ([keras.layers.Flatten(), keras.layers.BatchNormalization(name="first")], "'first'"),
    ([keras.layers.Flatten(), keras.layers.Dense(8), keras.layers.Dropout(0.1, name="d1"),
      keras.layers.Dropout(0.1, name="d2")], "more than one dropout"),
])
def test_unsupported_models_are_refused_with_the_layer_named(layers, reason):
    model = keras.Sequential([keras.Input((28, 28)), *layers, keras.layers.Flatten(), keras.layers.Dense(10)])
    with pytest.raises(UnsupportedModel, match=None) as refusal:
        describe(model)
    assert reason in str(refusal.value)


def test_unbuilt_model_is_refused_before_training():
    model = keras.Sequential([keras.layers.Dense(10)])
    with pytest.raises(UnsupportedModel, match="keras.Input"):
        describe(model)


def test_dataset_of_unknown_length_gets_inner_snapshots_from_its_second_epoch(digits, tmp_path):
    import tensorflow as tf
    train_x, train_y, _, _ = digits
    batches = tf.data.Dataset.from_tensor_slices((data.model_inputs(train_x), train_y)) \
        .filter(lambda image, label: True).batch(64)
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(batches, epochs=2, verbose=0,
              callbacks=[SnapshotCallback(tmp_path, "stream", probe=digits[2:], snapshots_per_epoch=2)])
    manifest = read_manifest(tmp_path / "runs" / "stream")
    assert [s["label"] for s in manifest["snapshots"]] == ["init", "epoch 1", "epoch 2 · step 5", "epoch 2"]
    assert manifest["config"]["steps_per_epoch"] is None


class HookSpy(keras.callbacks.Callback):
    """Records, at every batch end, whether `watched` has a batch hook of its own attached."""

    def __init__(self, watched):
        super().__init__()
        self.watched, self.attached = watched, []

    def on_train_batch_end(self, batch, logs=None):
        self.attached.append("on_train_batch_end" in vars(self.watched))


@pytest.mark.parametrize("per_epoch, attached", [(1, [False] * 10), (2, [True] * 4 + [False] * 6)])
def test_the_batch_hook_is_attached_only_until_the_epochs_last_inner_snapshot(digits, tmp_path, per_epoch, attached):
    """10 steps an epoch; with 2 snapshots per epoch the inner one falls after step 5, and the
    callback's hook (which runs before the spy's) comes off right after it."""
    train_x, train_y, val_x, val_y = digits
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    snapshots = SnapshotCallback(tmp_path, "hooks", probe=(val_x, val_y), snapshots_per_epoch=per_epoch)
    spy = HookSpy(snapshots)
    model.fit(data.model_inputs(train_x), train_y, epochs=2, batch_size=64, verbose=0, callbacks=[snapshots, spy])
    assert spy.attached == attached * 2
    labels = [s["label"] for s in read_manifest(tmp_path / "runs" / "hooks")["snapshots"]]
    assert labels == (["init", "epoch 1", "epoch 2"] if per_epoch == 1 else
                      ["init", "epoch 1 · step 5", "epoch 1", "epoch 2 · step 5", "epoch 2"])


def test_the_compiled_weight_reader_reads_what_read_weights_reads():
    """Including the constants that stand in for a disabled bias or batch-norm centre."""
    described = describe(user_model())
    fast, plain = layer_map.weight_reader(described)(), layer_map.read_weights(described)
    assert {name: list(arrays) for name, arrays in fast.items()} == {name: list(arrays) for name, arrays in plain.items()}
    for name, arrays in plain.items():
        for array, values in arrays.items():
            np.testing.assert_array_equal(fast[name][array], values)


def test_the_heartbeat_beats_while_training_steps_and_stops_when_fit_dies(digits, tmp_path, monkeypatch):
    """A fit ended by an exception in a living process (a notebook) must go stale, as it did when
    the heartbeat came from the batch hooks."""
    from neurons.runformat import RunWriter
    from trainer import snapshot_callback

    beats = []
    monkeypatch.setattr(snapshot_callback, "HEARTBEAT_INTERVAL", 0.05)
    monkeypatch.setattr(RunWriter, "heartbeat", lambda writer, min_interval=5.0: beats.append(min_interval))

    class SlowThenBroken(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(0.02)

        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("the notebook's own bug")

    train_x, train_y, val_x, val_y = digits
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(4), keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(RuntimeError, match="notebook"):
        model.fit(data.model_inputs(train_x), train_y, epochs=3, batch_size=64, verbose=0,
                  callbacks=[SnapshotCallback(tmp_path, "dies", probe=(val_x, val_y)), SlowThenBroken()])
    assert len(beats) >= 2, "beats while steps are taken (10 steps of 20 ms, a beat every 50 ms)"
    time.sleep(0.1)
    settled = len(beats)
    time.sleep(0.3)
    assert len(beats) == settled, "no beat once training stopped stepping"
