"""The core on a really trained model: Keras trains a small BN MLP, RunWriter stores its snapshots.

Ablation is checked against Keras itself: mean-ablating neuron k of the last hidden layer is the
same model as one whose next-layer weights from k are zero and whose output bias absorbs the
constant `(s_k·μ_k + t_k)·W[k, :]`.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import neurons  # noqa: E402
from tests.helpers.runs import dense_layers, mnist_sample, write_run  # noqa: E402

pytestmark = pytest.mark.slow
UNITS = (32, 12)
TRAIN, PROBE = 4000, 1000


def keras_weights(model, layers) -> dict:
    weights = {}
    for layer in layers:
        if layer["kind"] == "dense":
            weights[layer["name"]] = dict(zip(("kernel", "bias"), model.get_layer(layer["name"]).get_weights()))
        elif layer["kind"] == "batchnorm":
            weights[layer["name"]] = dict(zip(("gamma", "beta", "moving_mean", "moving_variance"),
                                              model.get_layer(layer["name"]).get_weights()))
    return weights


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(run, Keras model at its final weights, probe inputs, probe labels)."""
    import keras
    keras.utils.set_random_seed(1)
    images, labels = mnist_sample(TRAIN + PROBE, seed=11)
    inputs = images.reshape(len(images), 784).astype(np.float32) / 255
    layers = dense_layers(UNITS, batchnorm=True)
    model = keras.Sequential([keras.Input(shape=(784,))] + [
        layer for position, units in enumerate(UNITS, start=1) for layer in (
            keras.layers.Dense(units, activation="relu", name=f"dense_{position}"),
            keras.layers.BatchNormalization(name=f"batchnorm_{position}"))] + [
        keras.layers.Dense(10, activation="softmax", name="output")])
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy")
    snapshots = [keras_weights(model, layers)]
    for _ in range(3):
        model.fit(inputs[:TRAIN], labels[:TRAIN], epochs=1, batch_size=32, verbose=0)
        snapshots.append(keras_weights(model, layers))
    path = write_run(tmp_path_factory.mktemp("trained") / "trained", layers, snapshots,
                     images[TRAIN:], labels[TRAIN:], live=inputs[:TRAIN].std(axis=0).reshape(28, 28) > 0)
    return neurons.open_run(path), model, inputs[TRAIN:], labels[TRAIN:].astype(np.int64)


def keras_accuracy(model, inputs, labels) -> float:
    return float((model.predict(inputs, verbose=0).argmax(axis=1) == labels).mean())


def test_ablation_matches_keras_and_the_most_important_neuron_matters(trained):
    run, model, inputs, labels = trained
    before = keras_accuracy(model, inputs, labels)
    assert before > 0.8
    output = model.get_layer("output")
    kernel, bias = output.get_weights()
    hidden = run.activations(run.probe_images)["dense_2"]
    gamma, beta, mean, variance = model.get_layer("batchnorm_2").get_weights()
    scale = gamma / np.sqrt(variance + 1e-3)
    drops = []
    for neuron in range(UNITS[1]):
        constant = (scale[neuron] * hidden[:, neuron].mean() + beta[neuron] - scale[neuron] * mean[neuron])
        silenced = kernel.copy()
        silenced[neuron] = 0.0
        output.set_weights([silenced, bias + constant * kernel[neuron]])
        expected_after = keras_accuracy(model, inputs, labels)
        output.set_weights([kernel, bias])
        result = run.ablate("dense_2", [neuron])
        assert result["overall"]["before"] == pytest.approx(before)
        assert result["overall"]["after"] == pytest.approx(expected_after, abs=1.5 / len(labels))
        drops.append(result["overall"]["before"] - result["overall"]["after"])
    most_important = int(np.argmax(drops))
    assert drops[most_important] > 0.01
    per_class = run.ablate("dense_2", [most_important])["per_class"]
    assert (per_class["after"] < per_class["before"]).any()


def test_integrated_gradients_with_64_steps_are_complete(trained):
    run, _, inputs, labels = trained
    black = np.zeros((1, 784))
    for example in range(0, 200, 10):
        digit = int(labels[example])
        attribution = run.integrated_gradients(example, digit)
        gain = run.forward(inputs[example:example + 1])[0, digit] - run.forward(black)[0, digit]
        assert abs(attribution.sum() - gain) <= 0.01 * abs(gain), (example, digit)


def test_learned_receptive_fields_change_where_the_digits_are(trained):
    run, _, _, _ = trained
    table = run.focus_table("dense_1")
    assert table["focus"].between(0, 1).all() and (table["blobs"] >= 1).all()
    change = np.abs(run.receptive_fields("dense_1", 0, kind="change")[-1])
    # Border pixels never light up in MNIST, so training leaves their weights where they started.
    assert change[~run.live_pixels].max() == 0.0
    assert change[run.live_pixels].max() > 0.0


@pytest.mark.parametrize("layer", ["dense_1", "dense_2"])
def test_zero_ablation_importance_is_keras_with_the_neurons_incoming_weights_zeroed(trained, layer):
    """A ReLU neuron whose kernel column and bias are zero outputs 0; its batch norm still adds its
    shift, as zero-ablation in the core does."""
    run, model, inputs, labels = trained
    dense = model.get_layer(layer)
    kernel, bias = dense.get_weights()
    before = keras_accuracy(model, inputs, labels)
    importance = run.importance(layer, mode="zero")["importance"]
    for neuron in range(kernel.shape[1]):
        silenced_kernel, silenced_bias = kernel.copy(), bias.copy()
        silenced_kernel[:, neuron], silenced_bias[neuron] = 0.0, 0.0
        dense.set_weights([silenced_kernel, silenced_bias])
        expected = before - keras_accuracy(model, inputs, labels)
        dense.set_weights([kernel, bias])
        assert importance[neuron] == pytest.approx(expected, abs=1.5 / len(labels)), neuron
    assert importance.max() > 0
