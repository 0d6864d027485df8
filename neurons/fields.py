"""Receptive fields: what a neuron's weights look like on the 28×28 input, and how they changed.

Definitions: docs/interpretation.md, "Receptive fields". A first-layer neuron j
shows `W1[:, j]`; a deeper neuron k shows the expanded weights (Voss et al., "Visualizing
Weights", Distill 2021) `E_l[:, k] = W1 · diag(s1) · W2 · diag(s2) ⋯ W_l[:, k]`: ReLU treated as
the identity, batch-normalisation scales folded in. Learned change `Δ_t = RF_t − RF_0`; step
change `RF_t − RF_{t−1}`.

Kernels here are neuron-major (row j is Keras's `W[:, j]`), as stored in the run, so
`E_l^T = K_l · diag(s_{l−1}) · K_{l−1} ⋯ diag(s_1) · K_1`.
"""
from __future__ import annotations

import numpy as np


def expand(rows: np.ndarray, lower: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Carry neuron-major weights `rows` (k, fan_in) of layer l down to the pixels.

    `lower` lists `(kernel, scale)` for layers l−1, …, 1 (nearest first): each kernel is
    neuron-major (units, fan_in) and `scale` is that layer's BN scale `s`. Returns (k, 784), or a
    784-vector when `rows` is one neuron's weight vector.
    """
    for kernel, scale in lower:
        rows = (rows * scale) @ kernel
    return rows


def expand_over_snapshots(rows: np.ndarray, lower: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """`expand` for one neuron at T snapshots at once: `rows` (T, fan_in), and in `lower` each
    kernel is (T, units, fan_in) and each scale (T, units). Returns (T, 784)."""
    for kernel, scale in lower:
        rows = np.matmul((rows * scale)[:, None, :], kernel)[:, 0]
    return rows


def learned_change(fields: np.ndarray, initial: np.ndarray) -> np.ndarray:
    """`Δ_t = RF_t − RF_0`."""
    return fields - initial


def step_changes(fields: np.ndarray) -> np.ndarray:
    """`RF_t − RF_{t−1}` along the leading (snapshot) axis; zero at snapshot 0, which has no predecessor."""
    return np.diff(fields, axis=0, prepend=fields[:1])


def as_images(rows: np.ndarray) -> np.ndarray:
    """784-long rows as 28×28 images (row-major, as the inputs were flattened)."""
    return np.asarray(rows).reshape(*np.shape(rows)[:-1], 28, 28)
