"""Activation maximisation ("dream"): the input a neuron would most like to see.

Definition: docs/interpretation.md, "Activation maximisation". Gradient ascent (Adam) on
`J(x) = a_k(x)/σ_k − (λ₂/2)‖x‖² − (λ_TV/2) Σ (x_p − x_q)²` (p, q neighbouring pixels), over
digit-like inputs: live pixels in [0, 1], the others 0. `a_k` is the neuron's pre-activation and
`σ_k` its standard deviation over the probe set. `∂a_k/∂x` is the gated chain started at neuron k:
the chain code of `neurons.chains` run on the blocks up to layer l, whose last block then plays
the output (its "logits" are the pre-activations `a_l`).
"""
from __future__ import annotations

import numpy as np

from neurons.activations import activate
from neurons.chains import input_gradient
from neurons.forward import forward
from neurons.network import Block

DEFAULT_STEPS = 200
DEFAULT_SEEDS = 4
L2_PENALTY = 0.05
TV_PENALTY = 0.5
LEARNING_RATE = 0.05
ADAM_BETAS = (0.9, 0.999)
ADAM_EPSILON = 1e-8
SEED_NOISE = 0.1


def blocks_up_to(blocks: list[Block], position: int) -> list[Block]:
    """The blocks through hidden layer `position`: a network whose outputs are `a_l`."""
    return blocks[:position + 1]


def total_variation(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`Σ (x_p − x_q)²` over horizontally and vertically neighbouring pixels, per image (S, 784),
    and its gradient (S, 784)."""
    grid = images.reshape(-1, 28, 28)
    across, down = np.diff(grid, axis=2), np.diff(grid, axis=1)
    gradient = np.zeros_like(grid)
    gradient[:, :, 1:] += 2 * across
    gradient[:, :, :-1] -= 2 * across
    gradient[:, 1:, :] += 2 * down
    gradient[:, :-1, :] -= 2 * down
    value = (across * across).sum(axis=(1, 2)) + (down * down).sum(axis=(1, 2))
    return value, gradient.reshape(len(images), -1)


def objective(blocks: list[Block], position: int, neuron: int, images: np.ndarray, sigma: float,
              l2: float = L2_PENALTY, tv: float = TV_PENALTY) -> tuple[np.ndarray, np.ndarray]:
    """`J(x)` per image (S,) and `∂J/∂x` (S, 784) for images (S, 784)."""
    network = blocks_up_to(blocks, position)
    trace = forward(network, images)
    smoothness, smoothness_gradient = total_variation(images)
    value = trace.logits[:, neuron] / sigma - l2 / 2 * (images * images).sum(axis=1) - tv / 2 * smoothness
    gradient = (input_gradient(network, trace, neuron) / sigma - l2 * images - tv / 2 * smoothness_gradient)
    return value, gradient


def seed_images(seeds: int, live: np.ndarray) -> np.ndarray:
    """Seed s: uniform noise in [0, SEED_NOISE] from numpy's default_rng(s), on the live pixels."""
    live = np.asarray(live, bool).reshape(-1)
    images = np.stack([np.random.default_rng(seed).uniform(0, SEED_NOISE, live.size) for seed in range(seeds)])
    return (images * live).astype(np.float32)


def maximize(blocks: list[Block], position: int, neuron: int, live: np.ndarray, sigma: float,
             steps: int = DEFAULT_STEPS, seeds: int = DEFAULT_SEEDS, l2: float = L2_PENALTY,
             tv: float = TV_PENALTY) -> dict[str, np.ndarray]:
    """`{"images": (seeds, 784) in [0, 1], "pre": a_k reached, "activations": h_k reached}`.

    `sigma` is `σ_k` (pass 1 for a neuron whose pre-activation does not vary over the probe set).
    """
    mask = np.asarray(live, bool).reshape(-1).astype(np.float32)
    images = seed_images(seeds, live)
    first, second = np.zeros_like(images), np.zeros_like(images)
    beta1, beta2 = ADAM_BETAS
    for step in range(1, steps + 1):
        _, gradient = objective(blocks, position, neuron, images, sigma, l2, tv)
        first = beta1 * first + (1 - beta1) * gradient
        second = beta2 * second + (1 - beta2) * gradient * gradient
        ascent = (first / (1 - beta1 ** step)) / (np.sqrt(second / (1 - beta2 ** step)) + ADAM_EPSILON)
        images = (np.clip(images + LEARNING_RATE * ascent, 0, 1) * mask).astype(np.float32)
    pre = forward(blocks_up_to(blocks, position), images).logits[:, neuron]
    return {"images": images, "pre": pre,
            "activations": activate(blocks[position].spec.activation, pre)}
