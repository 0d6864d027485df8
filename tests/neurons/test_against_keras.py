"""The numpy core against TensorFlow: the same weights in a Keras model and in a run folder.

For every preset architecture (and tanh and linear variants), a Keras model gets new random weights (batch-norm statistics
included) at each of three snapshots; the weights go into a run folder through RunWriter, and the
core's forward pass, activations, gated chain and integrated gradients are checked against Keras
outputs and `tf.GradientTape` gradients of the same weights.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import neurons  # noqa: E402
from neurons.activations import FUNCTIONS  # noqa: E402
from neurons.forward import probabilities  # noqa: E402
from tests.helpers.runs import dense_layers, mnist_sample, random_weights, write_run  # noqa: E402
from trainer.presets import PRESETS, resolve  # noqa: E402

SNAPSHOTS = 3
EXAMPLES = 24
TOLERANCE = 1e-5
# Every preset, plus the activations a user's own model may bring: tanh, and a three-layer linear MLP.
ARCHITECTURES = {preset: resolve(preset, {}) for preset in PRESETS} | {
    "tanh-batchnorm": resolve("final", {"activation": "tanh"}),
    "linear-3-layers": resolve("relu", {"activation": "linear", "units": [32, 16, 8], "dropout": [0.0]}),
}


def keras_model(config):
    """A functional model whose outputs are every hidden activation h_l, the output layer's input, and p."""
    import keras
    inputs = keras.Input(shape=(784,), name="pixels")
    signal, hidden = inputs, []
    for position, (units, rate) in enumerate(zip(config["units"], config["dropout"]), start=1):
        signal = keras.layers.Dense(units, activation=config["activation"], name=f"dense_{position}")(signal)
        hidden.append(signal)
        if config["batchnorm"]:
            signal = keras.layers.BatchNormalization(epsilon=1e-3, name=f"batchnorm_{position}")(signal)
        if rate:
            signal = keras.layers.Dropout(rate, name=f"dropout_{position}")(signal)
    output = keras.layers.Dense(config["output_units"], activation=config["output_activation"],
                                name="output")(signal)
    return keras.Model(inputs, [*hidden, signal, output])


def set_keras_weights(model, weights) -> None:
    for name, arrays in weights.items():
        layer = model.get_layer(name)
        order = ("kernel", "bias") if "kernel" in arrays else ("gamma", "beta", "moving_mean", "moving_variance")
        layer.set_weights([arrays[array] for array in order])


def keras_outputs(model, weights, inputs, output_kernel) -> dict:
    """Keras's hidden activations, probabilities, and logits (TF: output-layer input · W + b)."""
    import keras
    set_keras_weights(model, weights)
    *hidden, penultimate, probs = model(inputs, training=False)
    logits = keras.ops.matmul(penultimate, output_kernel["kernel"]) + output_kernel["bias"]
    return {"hidden": [np.asarray(h) for h in hidden], "probabilities": np.asarray(probs),
            "logits": np.asarray(logits)}


@pytest.fixture(scope="module")
def preset_runs(tmp_path_factory):
    """preset → (run, Keras model, per-snapshot weights, per-snapshot Keras outputs, probe inputs)."""
    images, labels = mnist_sample(EXAMPLES, seed=3)
    inputs = images.reshape(len(images), 784).astype(np.float32) / 255
    runs = {}
    for preset, config in ARCHITECTURES.items():
        layers = dense_layers(config["units"], config["batchnorm"], config["output_units"],
                              activation=config["activation"], dropout=config["dropout"],
                              output_activation=config["output_activation"])
        model = keras_model(config)
        rng = np.random.default_rng(len(preset))
        snapshots = [random_weights(layers, rng, scale=1.5) for _ in range(SNAPSHOTS)]
        expected = [keras_outputs(model, weights, inputs, weights["output"]) for weights in snapshots]
        path = write_run(tmp_path_factory.mktemp(preset) / preset, layers, snapshots, images,
                         labels % 2 if config["output_units"] == 1 else labels)
        runs[preset] = (neurons.open_run(path), model, snapshots, expected, inputs)
    return runs


@pytest.mark.parametrize("preset", list(ARCHITECTURES))
def test_forward_and_activations_match_keras_at_every_snapshot(preset_runs, preset):
    run, _, _, expected, inputs = preset_runs[preset]
    for snapshot, keras_result in enumerate(expected):
        logits = run.forward(inputs, snapshot=snapshot)
        np.testing.assert_allclose(logits, keras_result["logits"], atol=TOLERANCE, rtol=TOLERANCE)
        np.testing.assert_allclose(probabilities(logits, run.output_activation),
                                   keras_result["probabilities"], atol=TOLERANCE)
        activations = run.activations(run.probe_images, snapshot=snapshot)
        assert list(activations) == [*run.hidden_layers, "logits"]
        for layer, keras_hidden in zip(run.hidden_layers, keras_result["hidden"]):
            np.testing.assert_allclose(activations[layer], keras_hidden, atol=TOLERANCE, rtol=TOLERANCE)


@pytest.mark.parametrize("preset", list(ARCHITECTURES))
def test_gated_chain_is_the_gradient_of_the_logit(preset_runs, preset):
    import tensorflow as tf
    run, model, snapshots, _, inputs = preset_runs[preset]
    snapshot = 1
    set_keras_weights(model, snapshots[snapshot])
    kernel, bias = snapshots[snapshot]["output"]["kernel"], snapshots[snapshot]["output"]["bias"]
    for example in (0, 5, 11):
        for digit in run.classes[:4]:
            unit, sign = logit_of(run, digit)
            x = tf.constant(inputs[example:example + 1])
            with tf.GradientTape() as tape:
                tape.watch(x)
                penultimate = model(x, training=False)[-2]
                logit = sign * (tf.reduce_sum(penultimate * kernel[:, unit]) + bias[unit])
            gradient = tape.gradient(logit, x).numpy().reshape(28, 28)
            chain = run.digit_chain(digit, snapshot=snapshot, example=example)
            np.testing.assert_allclose(chain["pixels"], gradient, atol=TOLERANCE, rtol=TOLERANCE)
            np.testing.assert_allclose(run.gradient_x_input(example, digit, snapshot=snapshot),
                                       gradient * inputs[example].reshape(28, 28), atol=TOLERANCE)


@pytest.mark.parametrize("preset", list(ARCHITECTURES))
def test_integrated_gradients_converge_to_completeness(preset_runs, preset):
    """Σ IG → z_d(x) − z_d(0) as steps grow; random weights put many ReLU kinks on the path,
    so 512 steps are used here (the default 64 are checked on a trained run in test_trained_run)."""
    run, _, _, _, inputs = preset_runs[preset]
    gains = run.forward(inputs, snapshot=2) - run.forward(np.zeros((1, 784)), snapshot=2)
    for example in range(EXAMPLES):
        gain_of = {digit: logit_of(run, digit)[1] * gains[example, logit_of(run, digit)[0]] for digit in run.classes}
        largest = max(abs(gain) for gain in gain_of.values())
        for digit in [digit for digit, gain in gain_of.items() if abs(gain) == largest]:  # both, for binary01
            attribution = run.integrated_gradients(example, digit, snapshot=2, steps=512)
            assert abs(attribution.sum() - gain_of[digit]) <= 0.01 * largest


def logit_of(run, digit: int) -> tuple[int, float]:
    """The oracle's reading of a digit (docs/interpretation.md, "Output digits"): unit d of a
    softmax output; a single sigmoid logit z speaks for digit 1, and −z for digit 0."""
    if run.output_units == 1:
        return 0, (1.0 if digit == 1 else -1.0)
    return digit, 1.0


@pytest.mark.parametrize("activation", sorted(FUNCTIONS))
def test_every_supported_activation_matches_keras(tmp_path, activation):
    """A user's own model may use any activation Keras names; each one, forward and gradient."""
    import tensorflow as tf
    config = resolve("final", {"activation": activation, "units": [16, 8]})
    layers = dense_layers(config["units"], True, 10, activation=activation, dropout=config["dropout"],
                          output_activation="softmax")
    weights = random_weights(layers, np.random.default_rng(21), scale=3.0)
    images, labels = mnist_sample(EXAMPLES, seed=3)
    run = neurons.open_run(write_run(tmp_path / activation, layers, [weights], images, labels))
    model = keras_model(config)
    inputs = images.reshape(len(images), 784).astype(np.float32) / 255
    expected = keras_outputs(model, weights, inputs, weights["output"])
    activations = run.activations(images)
    for layer, keras_hidden in zip(run.hidden_layers, expected["hidden"]):
        np.testing.assert_allclose(activations[layer], keras_hidden, atol=TOLERANCE, rtol=TOLERANCE)
    np.testing.assert_allclose(activations["logits"], expected["logits"], atol=TOLERANCE, rtol=TOLERANCE)
    x = tf.constant(inputs[:4])
    with tf.GradientTape() as tape:
        tape.watch(x)
        logit = tf.reduce_sum(model(x, training=False)[-2] @ weights["output"]["kernel"][:, 3:4])
    gradients = tape.gradient(logit, x).numpy()
    for example in range(4):
        np.testing.assert_allclose(run.digit_chain(3, example=example)["pixels"].ravel(), gradients[example],
                                   atol=TOLERANCE, rtol=TOLERANCE)


@pytest.mark.parametrize("preset", list(ARCHITECTURES))
def test_the_dream_objective_gradient_is_tf_gradient_tape(preset_runs, preset):
    """J(x) = a_k(x)/σ − (λ₂/2)‖x‖² − (λ_TV/2)·TV(x), its gradient from the core's chain against TF."""
    import keras
    import tensorflow as tf
    from neurons import maximize
    run, model, snapshots, _, _ = preset_runs[preset]
    set_keras_weights(model, snapshots[1])
    images = np.random.default_rng(5).random((3, 784)).astype(np.float32)
    for position, layer in enumerate(run.hidden_layers):
        neuron = run.units(layer) // 2
        layer_input = keras.Model(model.inputs, model.get_layer(layer).input)
        kernel, bias = snapshots[1][layer]["kernel"], snapshots[1][layer]["bias"]
        x = tf.constant(images)
        with tf.GradientTape() as tape:
            tape.watch(x)
            pre = layer_input(x, training=False) @ kernel[:, neuron:neuron + 1] + bias[neuron]
            grid = tf.reshape(x, (-1, 28, 28))
            smoothness = (tf.reduce_sum(tf.square(grid[:, :, 1:] - grid[:, :, :-1]), axis=(1, 2))
                          + tf.reduce_sum(tf.square(grid[:, 1:, :] - grid[:, :-1, :]), axis=(1, 2)))
            objective = (pre[:, 0] / 1.7 - maximize.L2_PENALTY / 2 * tf.reduce_sum(x * x, axis=1)
                         - maximize.TV_PENALTY / 2 * smoothness)
        expected = tape.gradient(objective, x).numpy()
        value, gradient = maximize.objective(run._blocks_at(1), position, neuron, images, 1.7)
        np.testing.assert_allclose(value, objective.numpy(), atol=1e-4, rtol=1e-5)
        np.testing.assert_allclose(gradient, expected, atol=TOLERANCE, rtol=TOLERANCE)
