"""The numpy forward pass: logits and every hidden layer's activations from a snapshot's blocks.

Definitions: docs/interpretation.md, "Notation" and "Numpy forward pass". Hidden
layer l: `a_l = g_{l-1} W_l + b_l` (pre-activation), `h_l = f_l(a_l)` (the neuron's activation),
`g_l = s_l·h_l + t_l` (batch normalisation folded, identity without BN). The output layer gives
the logits `z`; its softmax or sigmoid is applied only by `probabilities`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurons.activations import activate, sigmoid
from neurons.network import INPUT_SIZE, Block


def as_inputs(images) -> np.ndarray:
    """Model inputs (N, 784) float32: uint8 pixels are divided by 255, floats must already be in [0, 1].

    Accepts one image (28, 28) or (784,), or a batch (N, 28, 28) or (N, 784).
    """
    array = np.asarray(images)
    if array.shape in ((28, 28), (INPUT_SIZE,)):
        array = array[None]
    if array.ndim not in (2, 3) or array[0].size != INPUT_SIZE:
        raise ValueError(f"images must be 28×28 (one or a batch), got shape {array.shape}")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"images must be numeric, got dtype {array.dtype}")
    inputs = array.reshape(len(array), INPUT_SIZE).astype(np.float32)
    if array.dtype == np.uint8:
        inputs /= 255
        return inputs
    if inputs.size and not (np.isfinite(inputs).all() and inputs.min() >= 0 and inputs.max() <= 1):
        raise ValueError("float images must be pixels/255 in [0, 1]; pass uint8 for raw pixels")
    return inputs


@dataclass
class Trace:
    """One forward pass: `pre[l]`, `post[l]` per hidden layer (a_l, h_l) and the `logits` z."""
    pre: list[np.ndarray]
    post: list[np.ndarray]
    logits: np.ndarray


def forward(blocks: list[Block], inputs: np.ndarray, replace: dict | None = None) -> Trace:
    """Run `inputs` (N, 784) through the blocks.

    `replace` maps a hidden block's position to `(neurons, values)`: those neurons' activations
    `h` are overwritten by `values` before batch normalisation (used for ablation).
    """
    pre, post = [], []
    signal = inputs
    for position, block in enumerate(blocks[:-1]):
        before = signal @ block.kernel.T + block.bias
        after = activate(block.spec.activation, before)
        if replace and position in replace:
            neurons, values = replace[position]
            after = after.copy()
            after[:, neurons] = values
        pre.append(before)
        post.append(after)
        signal = block.scale * after + block.shift
    output = blocks[-1]
    return Trace(pre, post, signal @ output.kernel.T + output.bias)


def probabilities(logits: np.ndarray, output_activation: str) -> np.ndarray:
    """The model's output: softmax over the logits, or the sigmoid of a single logit."""
    if output_activation == "softmax":
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        return shifted / shifted.sum(axis=1, keepdims=True)
    if output_activation == "sigmoid":
        return sigmoid(logits)
    return logits


def predicted_classes(logits: np.ndarray) -> np.ndarray:
    """Class predictions: argmax of the logits, or `z > 0` (class 1) for a single sigmoid output."""
    if logits.shape[1] == 1:
        return (logits[:, 0] > 0).astype(np.int64)
    return logits.argmax(axis=1)
