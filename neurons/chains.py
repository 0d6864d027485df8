"""Chains from an output digit back to the pixels (the click-through view).

Definitions: docs/interpretation.md, "Chains from an output digit". For output d:
`c_L = s_L ⊙ W_{L+1}[:, d]`, `c_l = s_l ⊙ (W_{l+1} (D_{l+1} c_{l+1}))`, pixels `c_0 = W1 (D_1 c_1)`.
- weights: every gate `D_l` is the identity;
- raw: also every `s` dropped (the blog's plain `W1 W2 W3[:, d]`);
- gated by an example x: `D_l = diag(f_l'(a_l(x)))`, and then `c_l = ∂z_d/∂h_l`, `c_0 = ∂z_d/∂x`.
"""
from __future__ import annotations

import numpy as np

from neurons.activations import slope
from neurons.forward import Trace
from neurons.network import Block

MODES = ("weights", "raw")


def gates(blocks: list[Block], trace: Trace) -> list[np.ndarray]:
    """`f_l'(a_l(x))` for each hidden layer of a forward pass (rows = examples)."""
    return [slope(block.spec.activation, pre, post)
            for block, pre, post in zip(blocks[:-1], trace.pre, trace.post)]


def chain(blocks: list[Block], digit: int, *, use_scale: bool = True,
          layer_gates: list[np.ndarray] | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """`([c_1, …, c_L], c_0)` for output `digit`.

    With `layer_gates` (one (N, units) array per hidden layer) the chain is computed for N
    examples at once and every c has a leading axis N; `c_0` is then the input gradient.
    """
    backward = blocks[-1].kernel[digit]
    per_layer = []
    for position in range(len(blocks) - 2, -1, -1):
        block = blocks[position]
        weight = block.scale * backward if use_scale else backward
        per_layer.append(weight)
        if layer_gates is not None:
            weight = weight * layer_gates[position]
        backward = weight @ block.kernel
    per_layer.reverse()
    return per_layer, backward


def input_gradient(blocks: list[Block], trace: Trace, digit: int) -> np.ndarray:
    """`∂z_d/∂x` (N, 784) for the examples of `trace`: the gated chain's `c_0`."""
    _, pixels = chain(blocks, digit, layer_gates=gates(blocks, trace))
    return np.broadcast_to(pixels, (len(trace.logits), pixels.shape[-1]))
