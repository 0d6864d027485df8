"""Maps the layers of a user's Keras MLP onto the run format's layer list and weight arrays.

Supported: Sequential or functional chains of Dense, BatchNormalization and Dropout layers, with
Input / Flatten / Reshape layers (and Rescaling by exactly 1/255) allowed in front. Layers are
renamed by position (dense_1, batchnorm_1, dropout_1, …, output); the Keras name is kept as
`keras_name`.
"""
from __future__ import annotations

import keras
import numpy as np

INPUT_PIXELS = 784
SHAPE_ONLY = (keras.layers.InputLayer, keras.layers.Flatten, keras.layers.Reshape)


class UnsupportedModel(ValueError):
    """The model is not an MLP the run format can describe; str(error) says which layer and why."""


def describe(model: keras.Model) -> list[tuple[keras.layers.Layer, dict]]:
    """(Keras layer, manifest layer entry) for every layer that holds weights or is dropout."""
    kept = [layer for layer in model.layers if _kept(layer)]
    dense_layers = [layer for layer in kept if isinstance(layer, keras.layers.Dense)]
    if not dense_layers:
        raise UnsupportedModel("the model has no Dense layer")
    described, position, fan_in, seen = [], 0, INPUT_PIXELS, set()
    for layer in kept:
        if isinstance(layer, keras.layers.Dense):
            position += 1
            entry = _dense_entry(layer, "output" if layer is dense_layers[-1] else f"dense_{position}", fan_in)
            fan_in = entry["units"]
        elif position == 0 or dense_layers[-1] in [item[0] for item in described]:
            raise UnsupportedModel(f"layer {layer.name!r}: BatchNormalization and Dropout are "
                                   f"supported only between Dense layers")
        elif isinstance(layer, keras.layers.BatchNormalization):
            entry = _batchnorm_entry(layer, f"batchnorm_{position}", fan_in)
        else:
            entry = {"name": f"dropout_{position}", "kind": "dropout", "units": fan_in,
                     "rate": float(layer.rate)}
        if entry["name"] in seen:
            raise UnsupportedModel(f"layer {layer.name!r}: more than one {entry['kind']} layer "
                                   f"after the same Dense layer")
        seen.add(entry["name"])
        entry["keras_name"] = layer.name
        described.append((layer, entry))
    return described


def _kept(layer) -> bool:
    if isinstance(layer, SHAPE_ONLY):
        return False
    if isinstance(layer, keras.layers.Rescaling):
        if np.allclose(layer.scale, 1 / 255) and np.allclose(layer.offset, 0):
            return False
        raise UnsupportedModel(f"layer {layer.name!r}: only Rescaling(1/255) is supported, "
                               f"since the dashboard feeds pixels / 255")
    if isinstance(layer, (keras.layers.Dense, keras.layers.BatchNormalization, keras.layers.Dropout)):
        return True
    raise UnsupportedModel(f"layer {layer.name!r} ({type(layer).__name__}) is not supported: "
                           f"use Dense, BatchNormalization and Dropout layers")


def _dense_entry(layer, name: str, fan_in: int) -> dict:
    if not layer.built:
        raise UnsupportedModel("build the model before training (start it with keras.Input(shape=(784,)) "
                               "or keras.Input(shape=(28, 28)) and Flatten)")
    if layer.kernel.shape[0] != fan_in:
        raise UnsupportedModel(f"layer {layer.name!r} takes {layer.kernel.shape[0]} inputs, expected "
                               f"{fan_in} (the model must be a plain chain on 28×28 digits)")
    activation = layer.get_config()["activation"]
    if not isinstance(activation, str):
        raise UnsupportedModel(f"layer {layer.name!r}: custom activations are not supported")
    regularizer = layer.kernel_regularizer
    return {"name": name, "kind": "dense", "units": int(layer.units), "fan_in": int(fan_in),
            "activation": activation,
            "regularizer": None if regularizer is None else
            {key: float(f"{value:.7g}")  # Keras keeps the factor as float32: 1e-5 → 9.9999997e-06
             for key, value in regularizer.get_config().items() if value}}


def _batchnorm_entry(layer, name: str, units: int) -> dict:
    if layer.axis not in (-1, [-1], 1, [1]):
        raise UnsupportedModel(f"layer {layer.name!r}: BatchNormalization must normalise the last axis")
    return {"name": name, "kind": "batchnorm", "units": int(units), "epsilon": float(layer.epsilon)}


def read_weights(described) -> dict[str, dict[str, np.ndarray]]:
    """Current weights in Keras layout, keyed by our layer name then array name."""
    return {entry["name"]: {array: variable.numpy() if isinstance(variable, keras.Variable) else variable
                            for array, variable in _variables(layer, entry).items()}
            for layer, entry in described if entry["kind"] != "dropout"}


def weight_reader(described):
    """A function that returns read_weights(described), faster where the backend allows: under
    TensorFlow one compiled call reads every variable (0.2 ms instead of 0.6 ms for the final
    preset), which matters when a snapshot is taken many times an epoch."""
    if keras.backend.backend() != "tensorflow":
        return lambda: read_weights(described)
    import tensorflow as tf
    slots = [(entry["name"], array, variable) for layer, entry in described if entry["kind"] != "dropout"
             for array, variable in _variables(layer, entry).items()]
    variables = [variable for _, _, variable in slots if isinstance(variable, keras.Variable)]
    read_all = tf.function(lambda: [tf.identity(variable.value) for variable in variables])

    def read():
        values = iter(read_all())
        weights = {}
        for name, array, variable in slots:
            value = next(values).numpy() if isinstance(variable, keras.Variable) else variable
            weights.setdefault(name, {})[array] = value
        return weights
    return read


def write_weights(described, weights: dict[str, dict[str, np.ndarray]]) -> None:
    """Load Keras-layout weights (as read_weights returns them) into the model."""
    for layer, entry in described:
        for array, variable in _variables(layer, entry).items():
            if isinstance(variable, keras.Variable):
                variable.assign(weights[entry["name"]][array])


def _variables(layer, entry) -> dict:
    """Each stored array's variable; a disabled bias / centre / scale is a constant."""
    if entry["kind"] == "dense":
        return {"kernel": layer.kernel,
                "bias": layer.bias if layer.use_bias else np.zeros(entry["units"], np.float32)}
    if entry["kind"] == "batchnorm":
        return {"gamma": layer.gamma if layer.scale else np.ones(entry["units"], np.float32),
                "beta": layer.beta if layer.center else np.zeros(entry["units"], np.float32),
                "moving_mean": layer.moving_mean, "moving_variance": layer.moving_variance}
    return {}
