"""Smoothness of a field: how much neighbouring live pixels agree.

Definition: docs/interpretation.md, "Smoothness of a field". With `P` the pairs of horizontally or
vertically adjacent live pixels and `σ²` the field's variance over the live pixels,
`smoothness = 1 − Σ_P (Δ_i − Δ_j)² / (2·|P|·σ²)`: about 0 for white noise, near 1 for a field
that changes slowly across the grid, NaN for a constant one.
"""
from __future__ import annotations

import numpy as np


def smoothness(fields, live) -> np.ndarray:
    """One value per field of `fields` (k, 28, 28) or (k, 784); `live` is the (28, 28) bool mask."""
    live = np.asarray(live, dtype=bool).reshape(28, 28)
    grid = np.asarray(fields, dtype=np.float64).reshape(-1, 28, 28)
    down = live[:-1, :] & live[1:, :]
    across = live[:, :-1] & live[:, 1:]
    squares = ((np.diff(grid, axis=1)[:, down] ** 2).sum(axis=1)
               + (np.diff(grid, axis=2)[:, across] ** 2).sum(axis=1))
    pairs = int(down.sum() + across.sum())
    variance = grid[:, live].var(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(variance > 0, 1 - squares / (2 * pairs * variance), np.nan)
