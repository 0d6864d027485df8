"""A run's layers as dense blocks: kernel, bias, activation, then the folded batch normalisation.

Definitions: docs/interpretation.md, "Notation". Batch normalisation in inference
mode is `BN(h) = s·h + t` with `s = γ / sqrt(v + ε)` and `t = β − s·μ`; a dense layer without BN
has `s = 1, t = 0`; dropout is the identity at inference.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurons.activations import FUNCTIONS
from neurons.runformat import BrokenRun

INPUT_SIZE = 784
HIDDEN_ACTIVATIONS = tuple(FUNCTIONS)
OUTPUT_ACTIVATIONS = ("softmax", "sigmoid", "linear")


@dataclass(frozen=True)
class LayerSpec:
    """One dense layer of the manifest with the batch-normalisation layers that follow it."""
    name: str
    units: int
    fan_in: int
    activation: str
    batchnorms: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Block:
    """A dense layer at one snapshot; `kernel` is neuron-major: row j is Keras's `W[:, j]`.

    Arrays are float32, the precision the model was trained and stored in.
    """
    spec: LayerSpec
    kernel: np.ndarray
    bias: np.ndarray
    scale: np.ndarray
    shift: np.ndarray


def layer_specs(manifest: dict) -> list[LayerSpec]:
    """The dense layers in model order (the last is the output); BrokenRun if the model is not an MLP we read."""
    specs: list[LayerSpec] = []
    for layer in manifest["layers"]:
        if layer["kind"] == "dense":
            specs.append(LayerSpec(layer["name"], int(layer["units"]), int(layer["fan_in"]),
                                   layer.get("activation") or "linear"))
        elif layer["kind"] == "batchnorm":
            if not specs or layer["units"] != specs[-1].units:
                raise BrokenRun(f"layer {layer['name']}: batch normalisation must follow a dense "
                                "layer of the same width")
            last = specs[-1]
            specs[-1] = LayerSpec(last.name, last.units, last.fan_in, last.activation,
                                  last.batchnorms + ((layer["name"], float(layer.get("epsilon", 1e-3))),))
    _check_specs(specs)
    return specs


def _check_specs(specs: list[LayerSpec]) -> None:
    if not specs:
        raise BrokenRun("the model has no dense layer")
    fan_in = INPUT_SIZE
    for position, spec in enumerate(specs):
        if spec.fan_in != fan_in:
            raise BrokenRun(f"layer {spec.name}: fan_in {spec.fan_in}, expected {fan_in}")
        allowed = OUTPUT_ACTIVATIONS if position == len(specs) - 1 else HIDDEN_ACTIVATIONS
        if spec.activation not in allowed:
            raise BrokenRun(f"layer {spec.name}: activation {spec.activation!r} is not supported "
                            f"here (supported: {', '.join(allowed)})")
        fan_in = spec.units
    if specs[-1].batchnorms:
        raise BrokenRun("batch normalisation after the output layer is not supported")


def batchnorm_scale_shift(gamma, beta, moving_mean, moving_variance, epsilon):
    """`s = γ / sqrt(v + ε)`, `t = β − s·μ` (inference-mode batch normalisation)."""
    scale = np.asarray(gamma, np.float64) / np.sqrt(np.asarray(moving_variance, np.float64) + epsilon)
    return scale, np.asarray(beta, np.float64) - scale * np.asarray(moving_mean, np.float64)


def scale_shift(spec: LayerSpec, arrays: dict, snapshot: int) -> tuple[np.ndarray, np.ndarray]:
    """The folded `s, t` of the batch normalisations after `spec` (composed if there are several)."""
    scale, shift = np.ones(spec.units), np.zeros(spec.units)
    for name, epsilon in spec.batchnorms:
        step_scale, step_shift = batchnorm_scale_shift(
            *(arrays[f"{name}.{array}"][snapshot]
              for array in ("gamma", "beta", "moving_mean", "moving_variance")), epsilon)
        scale, shift = step_scale * scale, step_scale * shift + step_shift
    return scale, shift


def load_block(spec: LayerSpec, arrays: dict, snapshot: int) -> Block:
    """Copy one dense layer's arrays at `snapshot` out of the memory maps, in float32 like Keras."""
    scale, shift = scale_shift(spec, arrays, snapshot)
    return Block(spec, np.array(arrays[f"{spec.name}.kernel"][snapshot], np.float32),
                 np.array(arrays[f"{spec.name}.bias"][snapshot], np.float32),
                 scale.astype(np.float32), shift.astype(np.float32))


def load_blocks(specs: list[LayerSpec], arrays: dict, snapshot: int) -> list[Block]:
    """Every dense layer at `snapshot`; the last block is the output layer."""
    return [load_block(spec, arrays, snapshot) for spec in specs]
