"""Attribution of one example's logit to its pixels.

Definitions: docs/interpretation.md, "Attribution of one example". Both methods
attribute the logit `z_d`, not the probability.
- gradient × input: `x ⊙ ∂z_d/∂x`;
- integrated gradients (Sundararajan et al. 2017), black-image baseline, midpoint rule with m
  steps: `IG = x ⊙ (1/m) Σ_{k=1..m} ∂z_d/∂x ((k − ½)/m · x)`; completeness `Σ IG ≈ z_d(x) − z_d(0)`.
"""
from __future__ import annotations

import numpy as np

from neurons.chains import input_gradient
from neurons.forward import forward
from neurons.network import Block

DEFAULT_STEPS = 64


def gradient_x_input(blocks: list[Block], inputs: np.ndarray, digit: int) -> np.ndarray:
    """`x ⊙ ∂z_d/∂x` for each row of `inputs` (N, 784)."""
    return inputs * input_gradient(blocks, forward(blocks, inputs), digit)


def integrated_gradients(blocks: list[Block], image: np.ndarray, digit: int,
                         steps: int = DEFAULT_STEPS) -> np.ndarray:
    """Integrated gradients (784,) of one input `image` (784,) against the black image."""
    alphas = ((np.arange(steps) + 0.5) / steps).astype(np.float32)
    path = alphas[:, None] * image[None, :]
    gradients = input_gradient(blocks, forward(blocks, path), digit)
    return image * gradients.mean(axis=0)
