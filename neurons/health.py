"""Layer health over training: dead or saturated units, activation distribution, weight updates.

Definitions: docs/interpretation.md, "How a layer sees the digits", Layer health. Over the probe
digits' activations h (N × units) of one layer at one snapshot:
- dead share (ReLU, relu6): the share of neurons with h = 0 on every probe digit;
- saturated share (sigmoid, tanh): the share of all activations with h < 0.01 or h > 0.99
  (sigmoid), |h| > 0.99 (tanh);
- the 5th, 25th, 50th, 75th and 95th percentiles of all activations, and their distribution over
  40 equal bins spanning the activations at the reference snapshot (the end bins also count the
  values beyond them), the same bins at every snapshot;
- weight norm ‖W_t‖_F, and update ratio ‖W_t − W_{t−1}‖_F / ‖W_{t−1}‖_F (NaN at snapshot 0).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

DEAD_ACTIVATIONS = ("relu", "relu6")
SATURATION_TAILS = {"sigmoid": (0.01, 0.99), "tanh": (-0.99, 0.99)}
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILE_COLUMNS = tuple(f"q{round(quantile * 100):02d}" for quantile in QUANTILES)
HISTOGRAM_BINS = 40
COLUMNS = ("dead_share", "saturated_share", *QUANTILE_COLUMNS, "weight_norm", "update_ratio")


def dead_share(activations: np.ndarray, activation: str) -> float:
    """The share of neurons silent on every probe digit; NaN unless the activation gates (ReLU)."""
    if activation not in DEAD_ACTIVATIONS:
        return float("nan")
    return float((~(np.asarray(activations) > 0).any(axis=0)).mean())


def saturated_share(activations: np.ndarray, activation: str) -> float:
    """The share of all activations in the flat tails; NaN unless the activation saturates."""
    if activation not in SATURATION_TAILS:
        return float("nan")
    low, high = SATURATION_TAILS[activation]
    values = np.asarray(activations)
    return float(((values < low) | (values > high)).mean())


def activation_row(activations: np.ndarray, activation: str) -> dict:
    """The activation statistics of one layer at one snapshot."""
    values = np.asarray(activations)  # float32 as computed: a float64 copy doubled the quantiles' time
    quantiles = np.quantile(values, QUANTILES) if values.size else np.full(len(QUANTILES), np.nan)
    return {"dead_share": dead_share(values, activation), "saturated_share": saturated_share(values, activation),
            **dict(zip(QUANTILE_COLUMNS, np.asarray(quantiles, np.float64).tolist()))}


def weight_row(kernel: np.ndarray, previous: np.ndarray | None) -> dict:
    """weight_norm of the kernel at t, and update_ratio against the kernel at t − 1 (None at t = 0)."""
    kernel = np.asarray(kernel, np.float64)
    ratio = np.nan
    if previous is not None:
        before = np.linalg.norm(previous)
        ratio = float(np.linalg.norm(kernel - previous) / before) if before > 0 else np.nan
    return {"weight_norm": float(np.linalg.norm(kernel)), "update_ratio": ratio}


def health_frame(rows: list[dict]) -> pd.DataFrame:
    """One row per snapshot (index "snapshot") with every column of COLUMNS."""
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame.index.name = "snapshot"
    return frame


def histogram_edges(reference: np.ndarray) -> np.ndarray:
    """HISTOGRAM_BINS + 1 equal bin edges spanning the reference activations (a unit span if constant)."""
    values = np.asarray(reference, np.float64)
    lowest, highest = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    if not highest > lowest:
        lowest, highest = lowest - 0.5, lowest + 0.5
    return np.linspace(lowest, highest, HISTOGRAM_BINS + 1)


def histogram_shares(activations: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The share of the activations in each bin; values beyond the edges count in the end bins."""
    values = np.clip(np.asarray(activations, np.float64).ravel(), edges[0], edges[-1])
    counts, _ = np.histogram(values, bins=edges)
    return counts / max(len(values), 1)
