"""Focus and sparsity of a neuron's learned change: the columns of the ranking table.

Definitions: docs/interpretation.md, "Focus and sparsity of a neuron". Everything
is computed on `u = |Δ_t|` over the live pixels only (n of them), with `p = u / Σu`:
- focus: Hoyer sparsity `(sqrt(n) − ‖u‖₁/‖u‖₂) / (sqrt(n) − 1)`, in [0, 1];
- effective pixels: `exp(−Σ p log p)`;
- top-20 share: share of `Σu` held by the 20 largest entries;
- spread: radius of gyration of `p` on the 28×28 grid, in pixels;
- blobs: connected regions (8-connectivity) of pixels with `u ≥ 0.5·max(u)`.
A field with no change at all (u = 0, e.g. snapshot 0) has no defined distribution: its metrics
are NaN and it has 0 blobs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import ndimage
from scipy.special import xlogy

METRICS = ("focus", "effective_pixels", "top20_share", "spread", "blobs")
TOP_COUNT = 20
BLOB_THRESHOLD = 0.5
# Connect pixels within one 28×28 plane in all 8 directions, never across neurons.
PLANE_8_CONNECTIVITY = np.zeros((3, 3, 3), dtype=bool)
PLANE_8_CONNECTIVITY[1] = True


def focus_metrics(fields, live) -> dict[str, np.ndarray]:
    """The five metrics for each of k fields (k, 28, 28) or (k, 784) of signed changes Δ_t.

    `live` is the (28, 28) boolean live-pixel mask; other pixels never enter any metric.
    Returns one length-k array per metric name in METRICS.
    """
    live = np.asarray(live, dtype=bool).reshape(28, 28)
    u = np.abs(np.asarray(fields, dtype=np.float64).reshape(-1, 28, 28)[:, live])
    count = u.shape[1]
    total = u.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        norm_ratio = total / np.sqrt((u * u).sum(axis=1))
        focus = (np.sqrt(count) - norm_ratio) / (np.sqrt(count) - 1)
        p = u / total[:, None]
        top = np.partition(u, count - TOP_COUNT, axis=1)[:, -TOP_COUNT:] if count > TOP_COUNT else u
        return {
            "focus": focus,
            "effective_pixels": np.exp(-xlogy(p, p).sum(axis=1)),
            "top20_share": top.sum(axis=1) / total,
            "spread": radius_of_gyration(p, live),
            "blobs": count_blobs(u, live),
        }


def radius_of_gyration(p: np.ndarray, live: np.ndarray) -> np.ndarray:
    """`sqrt(Σ p·|r − r̄|²)` with r the (row, column) of each live pixel and `r̄ = Σ p·r`."""
    rows, columns = np.nonzero(live)
    variance = np.zeros(len(p))
    for coordinate in (rows.astype(np.float64), columns.astype(np.float64)):
        mean = p @ coordinate
        variance += p @ (coordinate * coordinate) - mean * mean
    return np.sqrt(np.maximum(variance, 0.0))


def count_blobs(u: np.ndarray, live: np.ndarray) -> np.ndarray:
    """Connected regions (8-connectivity) of live pixels with `u ≥ 0.5·max(u)`, per field."""
    strong = np.zeros((len(u), 28, 28), dtype=bool)
    peak = u.max(axis=1, initial=0.0)
    strong[:, live] = (u >= BLOB_THRESHOLD * peak[:, None]) & (peak[:, None] > 0)
    labels, _ = ndimage.label(strong, structure=PLANE_8_CONNECTIVITY)
    # Labels are numbered in scan order, so each plane owns a contiguous run of them.
    highest_so_far = np.maximum.accumulate(labels.reshape(len(u), -1).max(axis=1, initial=0))
    return np.diff(highest_so_far, prepend=0)


def focus_frame(fields, live) -> pd.DataFrame:
    """focus_metrics as a DataFrame, one row per field, columns METRICS."""
    return pd.DataFrame(focus_metrics(fields, live), columns=list(METRICS))
