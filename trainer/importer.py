"""`python -m trainer import PATH`: a model trained elsewhere, or a series of its checkpoints, as a run.

A Keras MLP may say the same thing in many ways: an `Activation` layer after a linear `Dense`,
batch normalisation before the activation instead of after it, a `Rescaling` that expects raw
0–255 pixels. The run format keeps one form — dense (with its activation), then batch
normalisation, then dropout — so each checkpoint is first rewritten into that form, exactly
(the folds are linear: see `fold_affine`), as a plain Keras chain that `trainer.layer_map`
describes and reads as it does for a model being trained. Every snapshot is then checked: the
core's numpy forward pass must give what Keras's `predict` of the original file gives.
"""
from __future__ import annotations

import csv
import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from neurons.forward import predicted_classes, probabilities
from neurons.network import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from neurons.run import open_run
from neurons.runformat import RunWriter, run_path
from trainer import data, layer_map
from trainer.checkpoint_files import CannotImport, Checkpoint, checkpoints
from trainer.snapshot_callback import _probe as stratified_probe
from trainer.snapshot_callback import new_run_id

SUPPORTED_LAYERS = ("Dense, BatchNormalization, Dropout, Flatten, Reshape, Rescaling, InputLayer and "
                    "Activation (also ReLU, LeakyReLU(0.2) and Softmax)")
INPUT_SHAPES = ((28, 28), (784,), (28, 28, 1))
INPUT_RANGES = ("auto", "0-1", "0-255")
# Rows of the probe set compared with Keras's predict for every snapshot, and the agreement asked.
CHECKED_DIGITS = 256
AGREEMENT = 1e-4
PREDICT_BATCH = 256


@dataclass
class Stage:
    """One Dense layer and what follows it up to the next Dense, with weights folded in float64."""
    dense: keras.layers.Dense
    kernel: np.ndarray
    bias: np.ndarray
    activation: str
    after: list = field(default_factory=list)  # BatchNormalization / Dropout layers after the activation

    @property
    def shape(self) -> tuple:
        return (self.dense.name, self.kernel.shape, self.activation,
                tuple((type(layer).__name__, layer.name) for layer in self.after))


@dataclass
class Imported:
    """What `import_run` made: the writer of the finished run and the lines of its summary."""
    writer: RunWriter
    notes: list[str]


# ---- one model in the run format's form ----------------------------------------------------------
def chain_layers(model: keras.Model) -> list:
    """The model's layers, checked to form one chain from one input to one output."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise CannotImport(f"the model has {len(model.inputs)} inputs and {len(model.outputs)} "
                           f"outputs; a plain chain has one of each")
    layers = list(model.layers)
    if isinstance(model, keras.Sequential):
        return layers
    for before, layer in zip(layers, layers[1:]):
        nodes = layer._inbound_nodes  # Keras 3 keeps the graph only here
        parents = [node.operation for node in nodes[0].parent_nodes] if len(nodes) == 1 else []
        if parents != [before]:
            raise CannotImport(f"layer {layer.name!r} does not simply follow {before.name!r}: only "
                               f"plain chains of layers are supported (no branches or shared layers)")
    return layers


def input_scale(model: keras.Model, input_range: str) -> float:
    """What the model's input is per unit of pixels / 255: 255 for a model fed raw pixels."""
    shape = tuple(model.inputs[0].shape[1:])
    if shape not in INPUT_SHAPES:
        raise CannotImport(f"the model takes inputs of shape {shape}; supported: 28×28, 784 or 28×28×1 pixels")
    if input_range == "auto":
        starts_scaled = any(isinstance(layer, keras.layers.Rescaling) for layer in model.layers)
        return 255.0 if starts_scaled else 1.0
    return 255.0 if input_range == "0-255" else 1.0


def activation_of(layer) -> str | None:
    """The element-wise function of an activation layer, or None if `layer` is not one."""
    config = layer.get_config()
    if isinstance(layer, keras.layers.Activation):
        name = config["activation"]
        if not isinstance(name, str):
            raise CannotImport(f"layer {layer.name!r}: custom activation functions are not supported")
        return name
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    if isinstance(layer, keras.layers.LeakyReLU):
        if not math.isclose(config["negative_slope"], 0.2, rel_tol=1e-6):
            raise CannotImport(f"layer {layer.name!r}: LeakyReLU is supported with negative_slope 0.2 "
                               f"(Keras's leaky_relu), not {config['negative_slope']}")
        return "leaky_relu"
    if isinstance(layer, keras.layers.ReLU):
        plain = config["negative_slope"] == 0 and config["threshold"] == 0
        if plain and config["max_value"] is None:
            return "relu"
        if plain and config["max_value"] == 6:
            return "relu6"
        raise CannotImport(f"layer {layer.name!r}: ReLU with a threshold, slope or cap other than 6 "
                           f"is not supported")
    return None


def fold_affine(stage: Stage, scale, shift) -> None:
    """Make the stage's linear output `x W + b` into `s·(x W + b) + t`, exactly."""
    stage.kernel = stage.kernel * scale
    stage.bias = stage.bias * scale + shift


def batchnorm_arrays(layer) -> dict[str, np.ndarray]:
    units = layer.moving_mean.shape[0]
    return {"gamma": layer.gamma.numpy() if layer.scale else np.ones(units, np.float32),
            "beta": layer.beta.numpy() if layer.center else np.zeros(units, np.float32),
            "moving_mean": layer.moving_mean.numpy(), "moving_variance": layer.moving_variance.numpy()}


def stages_of(model: keras.Model, input_range: str, notes: list[str]) -> list[Stage]:
    """The model as Dense stages with every affine step before an activation folded in."""
    scale, shift = input_scale(model, input_range), 0.0  # model input = scale · (pixels / 255) + shift
    stages: list[Stage] = []
    for layer in chain_layers(model):
        if isinstance(layer, layer_map.SHAPE_ONLY):
            continue
        if isinstance(layer, keras.layers.Rescaling):
            if stages or np.ndim(layer.scale) or np.ndim(layer.offset):
                raise CannotImport(f"layer {layer.name!r}: Rescaling is supported before the first Dense "
                                   f"layer, with one scale and one offset")
            scale, shift = scale * float(layer.scale), shift * float(layer.scale) + float(layer.offset)
        elif isinstance(layer, keras.layers.Dense):
            stages.append(dense_stage(layer, scale, shift, first=not stages))
        elif not stages:
            if not isinstance(layer, keras.layers.Dropout):
                raise CannotImport(refusal(layer, "before the first Dense layer"))
            notes.append(f"input dropout {layer.name!r} left out: it does nothing at inference")
        else:
            add_to_stage(stages[-1], layer)
    if not stages:
        raise CannotImport("the model has no Dense layer")
    return stages


def dense_stage(layer, scale: float, shift: float, first: bool) -> Stage:
    activation = layer.get_config()["activation"]
    if not isinstance(activation, str):
        raise CannotImport(f"layer {layer.name!r}: custom activation functions are not supported")
    kernel = np.asarray(layer.kernel.numpy(), np.float64)
    bias = np.asarray(layer.bias.numpy(), np.float64) if layer.use_bias else np.zeros(kernel.shape[1])
    stage = Stage(layer, kernel, bias, activation)
    if first:  # the input's own affine map: W·(scale·p + shift) + b
        stage.bias = stage.bias + shift * kernel.sum(axis=0)
        stage.kernel = kernel * scale
    return stage


def add_to_stage(stage: Stage, layer) -> None:
    before_activation = stage.activation == "linear" and not any(
        isinstance(kept, keras.layers.BatchNormalization) for kept in stage.after)
    if isinstance(layer, keras.layers.BatchNormalization):
        if layer.axis not in (-1, [-1], 1, [1]):
            raise CannotImport(f"layer {layer.name!r}: BatchNormalization must normalise the last axis")
        if before_activation:
            arrays = batchnorm_arrays(layer)
            step_scale = arrays["gamma"] / np.sqrt(np.asarray(arrays["moving_variance"], np.float64) + layer.epsilon)
            fold_affine(stage, step_scale, arrays["beta"] - step_scale * arrays["moving_mean"])
        else:
            stage.after.append(layer)
    elif isinstance(layer, keras.layers.Dropout):
        stage.after.append(layer)
    elif (activation := activation_of(layer)) is not None:
        if not before_activation and activation != "linear":
            raise CannotImport(f"layer {layer.name!r}: a second activation after {stage.dense.name!r} "
                               f"(already {stage.activation}, or after batch normalisation) is not supported")
        if activation != "linear":
            stage.activation = activation
    else:
        raise CannotImport(refusal(layer, "in the model"))


def refusal(layer, where: str) -> str:
    return (f"layer {layer.name!r} ({type(layer).__name__}) {where} is not supported; supported "
            f"layers: {SUPPORTED_LAYERS}")


def check_activations(stages: list[Stage]) -> None:
    for position, stage in enumerate(stages):
        allowed = OUTPUT_ACTIVATIONS if position == len(stages) - 1 else HIDDEN_ACTIVATIONS
        if stage.activation not in allowed:
            where = "the output layer" if position == len(stages) - 1 else "a hidden layer"
            raise CannotImport(f"layer {stage.dense.name!r}: activation {stage.activation!r} is not "
                               f"supported in {where} (supported: {', '.join(allowed)})")
    outputs = stages[-1].kernel.shape[1]
    if not (outputs == 10 or (outputs == 1 and stages[-1].activation == "sigmoid")):
        raise CannotImport(f"the output layer has {outputs} units; supported: 10 (digits 0–9) "
                           f"or 1 with a sigmoid (0 against 1)")


def plain_chain(stages: list[Stage]) -> keras.Sequential:
    """A Keras chain of the run format's form (Dense with activation, BN, Dropout), original names."""
    layers = [keras.Input((layer_map.INPUT_PIXELS,))]
    for stage in stages:
        layers.append(keras.layers.Dense(stage.kernel.shape[1], activation=stage.activation,
                                         kernel_regularizer=stage.dense.kernel_regularizer,
                                         name=stage.dense.name))
        for layer in stage.after:
            if isinstance(layer, keras.layers.Dropout):
                layers.append(keras.layers.Dropout(layer.rate, name=layer.name))
            else:
                layers.append(keras.layers.BatchNormalization(epsilon=layer.epsilon, name=layer.name))
    return keras.Sequential(layers, name="imported")


def load_into(chain: keras.Sequential, stages: list[Stage]) -> None:
    kept = iter(layer for layer in chain.layers)
    for stage in stages:
        dense = next(kept)
        dense.kernel.assign(stage.kernel.astype(np.float32))
        dense.bias.assign(stage.bias.astype(np.float32))
        for original in stage.after:
            copy = next(kept)
            if isinstance(original, keras.layers.BatchNormalization):
                for name, values in batchnorm_arrays(original).items():
                    getattr(copy, name).assign(values)


# ---- the run ---------------------------------------------------------------------------------------
def load_model(path: Path) -> keras.Model:
    """A whole model from a .keras / .h5 file, or from the .json of `model.to_json()`."""
    try:
        if path.suffix == ".json":
            return keras.models.model_from_json(path.read_text(encoding="utf-8"))
        return keras.models.load_model(path, compile=False)
    except Exception as error:  # Keras raises many kinds for a file it cannot read
        raise CannotImport(f"cannot load {path} as a Keras model: {error}") from None


def load_checkpoint(path: Path, architecture: keras.Model | None) -> keras.Model:
    """A checkpoint as a model: a whole-model file, or a `.weights.h5` loaded into `architecture`."""
    if not path.name.endswith(".weights.h5"):
        return load_model(path)
    if architecture is None:
        raise CannotImport(f"{path.name} holds weights only: name the model they belong to with "
                           f"--architecture MODEL (a .keras file, or the .json of model.to_json())")
    try:
        architecture.load_weights(path)
    except Exception as error:  # a mismatch of layers or shapes, or an unreadable file
        raise CannotImport(f"cannot load {path.name} into the --architecture model: {error}") from None
    return architecture


def probe_set(probe_file: Path | None, data_dir: Path, digits: list[int]):
    """(images, labels), live-pixel mask and dataset entry of the digits the run is studied on."""
    cached = Path(data_dir) / data.MNIST_CACHE
    if probe_file is None:
        dataset = data.load("mnist" if cached.is_file() else "sample", data_dir, digits=digits)
        return dataset.probe, dataset.live_pixels, {**dataset.summary(), "train": None, "val": None}
    try:
        with np.load(probe_file, allow_pickle=False) as archive:
            if {"x_test", "y_test"} <= set(archive.files):
                images, labels = archive["x_test"], archive["y_test"]
                train = archive["x_train"] if "x_train" in archive.files else None
            else:
                images, labels, train = archive["images"], archive["labels"], None
    except (OSError, ValueError, KeyError) as error:
        raise CannotImport(f"cannot read {probe_file}: need arrays images and labels, or x_test and "
                           f"y_test (Keras's mnist.npz) ({error})") from None
    keep = np.isin(labels, digits)
    probe = stratified_probe((images[keep], labels[keep]), len(digits))
    seen = probe[0] if train is None else np.asarray(train).reshape(-1, 28, 28)
    entry = {"name": "custom", "source": str(probe_file), "train": None, "val": None,
             "test": int(keep.sum()), "probe": len(probe[1])}
    return probe, seen.min(axis=0) != seen.max(axis=0), entry


def read_history(csv_path: Path) -> list[dict]:
    """CSVLogger rows as the manifest's history: epoch counted from 1, every column a number."""
    try:
        with open(csv_path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CannotImport(f"cannot read the history {csv_path}: {error}") from None
    if not rows or "epoch" not in rows[0]:
        raise CannotImport(f"{csv_path} is not a CSVLogger file (no 'epoch' column)")
    history = []
    for line, row in enumerate(rows, start=2):
        try:
            values = {key: float(value) for key, value in row.items() if key and value not in ("", None)}
        except ValueError:
            raise CannotImport(f"{csv_path}, line {line}: every value must be a number") from None
        history.append({**{key: value if math.isfinite(value) else None for key, value in values.items()},
                        "epoch": int(values["epoch"]) + 1})  # CSVLogger counts epochs from 0
    return history


def best_index(series: list[Checkpoint], history: list[dict]) -> int:
    """The snapshot of lowest validation loss when the history gives it for every one, else the last."""
    losses = {row["epoch"]: row.get("val_loss") for row in history}
    if series[0].epoch == 0:
        losses[0] = math.inf  # the initialisation is never the best
    if all(losses.get(checkpoint.epoch) is not None for checkpoint in series):
        return min(range(len(series)), key=lambda index: losses[series[index].epoch])
    return len(series) - 1


def import_run(source: str, *, data_dir: Path, run_id: str | None = None, probe_file: Path | None = None,
               history_file: Path | None = None, input_range: str = "auto",
               architecture: Path | None = None) -> Imported:
    """Write the model file(s) named by `source` as a run with status `imported`."""
    series, order = checkpoints(source)
    notes = [f"{len(series)} snapshot{'s' if len(series) > 1 else ''} from {source}, ordered by {order}"]
    history = read_history(history_file) if history_file else []
    if order == "one file" and history:
        series[0].epoch = history[-1]["epoch"]
    skeleton = load_model(architecture) if architecture else None
    first = load_checkpoint(series[0].path, skeleton)
    stages = stages_of(first, input_range, notes)
    check_activations(stages)
    chain = plain_chain(stages)
    try:
        described = layer_map.describe(chain)
    except layer_map.UnsupportedModel as error:
        raise CannotImport(str(error)) from None
    digits = [0, 1] if stages[-1].kernel.shape[1] == 1 else list(range(10))
    probe, live, dataset = probe_set(probe_file, data_dir, digits)
    scale = input_scale(first, input_range)
    notes.append(f"inputs taken as {'raw pixels 0–255' if scale == 255 else 'pixels / 255'}")
    run_id = run_id or new_run_id(data_dir, "imported")
    writer = RunWriter.create(
        run_path(data_dir, run_id), run_id=run_id, preset="imported",
        config={"keras_model": first.name, "source": str(source), "order": order,
                "files": [checkpoint.path.name for checkpoint in series], "input_scale": scale,
                "epochs": len(history) or None, "steps_per_epoch": None, "snapshots_per_epoch": 1},
        dataset=dataset, layers=[entry for _, entry in described], capacity=len(series))
    try:
        writer.write_probe(*probe)
        writer.write_live_pixels(live)
        expected = write_snapshots(writer, series, chain, described, stages, skeleton, input_range, probe[0],
                                   scale)
        writer.manifest["history"] = history
        writer.set_best_snapshot(best_index(series, history))
        accuracy = check_forward(writer, expected, probe)
        writer.finish("imported", test={"loss": None, "accuracy": accuracy})
    except BaseException:
        shutil.rmtree(writer.path, ignore_errors=True)  # a half-imported run would only mislead
        raise
    return Imported(writer, notes)


def write_snapshots(writer, series, chain, described, stages, skeleton, input_range, images, scale):
    """Append one snapshot per file (the first one's stages are given); return each file's Keras
    predictions on the checked digits."""
    inputs = data.model_inputs(images[:CHECKED_DIGITS]) * scale
    expected = []
    for position, checkpoint in enumerate(series):
        model = load_checkpoint(checkpoint.path, skeleton)
        current = stages if position == 0 else stages_of(model, input_range, [])
        if [stage.shape for stage in current] != [stage.shape for stage in stages]:
            raise CannotImport(f"{checkpoint.path.name} holds a different model from {series[0].path.name}")
        load_into(chain, current)
        writer.append_snapshot(layer_map.read_weights(described), label=checkpoint.label,
                               epoch=checkpoint.epoch, step=0)
        shaped = inputs.reshape(len(inputs), *model.inputs[0].shape[1:])
        expected.append(np.asarray(model.predict(shaped, batch_size=PREDICT_BATCH, verbose=0), np.float64))
    return expected


def check_forward(writer: RunWriter, expected: list[np.ndarray], probe) -> float:
    """Refuse the import unless the core's forward pass gives Keras's predictions at every
    snapshot; return the probe-set accuracy at the best snapshot."""
    run = open_run(writer.path)
    images = probe[0][:CHECKED_DIGITS]
    for snapshot, predicted in enumerate(expected):
        ours = probabilities(run.forward(images, snapshot).astype(np.float64), run.output_activation)
        gap = float(np.max(np.abs(ours - predicted)))
        if not gap <= AGREEMENT:
            raise CannotImport(f"{writer.manifest['config']['files'][snapshot]}: the imported weights "
                               f"give outputs up to {gap:.2g} away from Keras's predict; the model "
                               f"holds something the run format cannot express")
    predicted = predicted_classes(run.forward(probe[0], writer.manifest["best_snapshot"]))
    return float(np.mean(predicted == probe[1]))
