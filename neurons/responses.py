"""What a neuron responds to, from its activations over the probe set.

Definitions: docs/interpretation.md, "What a neuron responds to", "Activation histogram",
"Exemplars by activation band" and "Correlated neurons". With probe inputs `x_i` (pixels/255) and
a neuron's activations `h_i`:
- responds to: `R = Σ w_i x_i / Σ w_i − (1/N) Σ x_i` with `w_i = h_i − min_j h_j`; 0 for a neuron
  constant over the probe set;
- histogram: equal-width bins from min to max of h, counts split by true class; silent share: the
  share of digits with h = 0;
- exemplar bands: ranks `⌊(1 − q_hi)·N⌋ … ⌊(1 − q_lo)·N⌋ − 1` of h sorted highest first (ties by
  index), `per_band` digits at evenly spaced ranks of each band;
- correlated neurons: Pearson's r over the probe set, the k largest |r| per layer.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from neurons.selectivity import CONSTANT_TOLERANCE

DEFAULT_BINS = 30
DEFAULT_BANDS = ((0.99, 1.0), (0.9, 0.99), (0.5, 0.9))
DEFAULT_PER_BAND = 8
DEFAULT_CORRELATED = 5


def constant_columns(activations: np.ndarray) -> np.ndarray:
    """Which columns of (N, k) activations do not vary over the N digits (beyond rounding)."""
    values = np.asarray(activations, np.float64)
    level = CONSTANT_TOLERANCE * np.maximum(1.0, np.abs(values).max(axis=0, initial=0.0))
    return np.ptp(values, axis=0) <= level


def responds_to(inputs: np.ndarray, activations: np.ndarray) -> np.ndarray:
    """R (k, 784) for k columns of activations (N, k) over inputs (N, 784); a 1-D `activations`
    (one neuron) gives one R of 784 values. Columns may be neurons, or one neuron's snapshots."""
    single = np.ndim(activations) == 1
    values = np.asarray(activations, np.float64).reshape(len(inputs), -1)
    weights = values - values.min(axis=0)
    totals = weights.sum(axis=0)
    constant = constant_columns(values)
    weighted = (weights.T.astype(np.float32) @ inputs).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        pictures = weighted / totals[:, None] - inputs.mean(axis=0, dtype=np.float64)
    pictures[constant] = 0.0
    return pictures[0] if single else pictures


def activation_histogram(activations: np.ndarray, labels: np.ndarray, classes,
                         bins: int = DEFAULT_BINS) -> pd.DataFrame:
    """One row per bin: `left`, `right` edges, then the count of each class (columns = classes)."""
    values = np.asarray(activations, np.float64)
    edges = np.histogram_bin_edges(values, bins=bins)
    # The last bin is closed on the right, as in np.histogram, so the maximum is counted.
    slots = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
    labels = np.asarray(labels)
    counts = {label: np.bincount(slots[labels == label], minlength=bins) for label in classes}
    return pd.DataFrame({"left": edges[:-1], "right": edges[1:], **counts})


def silent_share(activations: np.ndarray) -> float:
    """The share of probe digits on which the neuron's activation is exactly 0."""
    return float((np.asarray(activations) == 0).mean())


def band_ranks(count: int, band: tuple[float, float]) -> range:
    """Ranks (0 = highest activation) of the band `(q_lo, q_hi)` among `count` digits."""
    low, high = band
    if not 0 <= low < high <= 1:
        raise ValueError(f"a band is (low, high) with 0 ≤ low < high ≤ 1, got {band!r}")
    # Rounded first: (1 − 0.9)·300 is 29.999… in binary floating point.
    return range(int(np.floor(round((1 - high) * count, 9))), int(np.floor(round((1 - low) * count, 9))))


def exemplars(activations: np.ndarray, labels: np.ndarray, bands=DEFAULT_BANDS,
              per_band: int = DEFAULT_PER_BAND) -> pd.DataFrame:
    """Rows `band_low, band_high, rank, example, label, activation`, `per_band` per band (fewer
    when a band holds fewer digits), highest activation first within each band."""
    values = np.asarray(activations)
    order = np.argsort(-values, kind="stable")
    rows = []
    for band in bands:
        ranks = band_ranks(len(values), band)
        if not len(ranks):
            continue
        picked = np.unique(np.round(np.linspace(ranks.start, ranks.stop - 1, min(per_band, len(ranks)))))
        for rank in picked.astype(np.int64):
            example = int(order[rank])
            rows.append((band[0], band[1], int(rank), example, int(labels[example]), float(values[example])))
    return pd.DataFrame(rows, columns=["band_low", "band_high", "rank", "example", "label", "activation"])


def pearson(target: np.ndarray, activations: np.ndarray) -> np.ndarray:
    """Pearson's r of `target` (N,) with each column of `activations` (N, k); NaN where either is constant."""
    target = np.asarray(target, np.float64)
    values = np.asarray(activations, np.float64)
    centred = values - values.mean(axis=0)
    target_centred = target - target.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (target_centred @ centred) / np.sqrt((target_centred @ target_centred) * (centred * centred).sum(axis=0))
    r[constant_columns(values)] = np.nan
    if constant_columns(target[:, None])[0]:
        r[:] = np.nan
    return r


def most_correlated(target: np.ndarray, layers: dict[str, np.ndarray], k: int = DEFAULT_CORRELATED,
                    exclude: tuple[str, int] | None = None) -> pd.DataFrame:
    """Rows `layer, neuron, r`: per layer of `layers` ({name: (N, units)}), the k neurons with the
    largest |r| with `target`, largest first; `exclude` is the target neuron itself."""
    rows = []
    for name, activations in layers.items():
        r = pearson(target, activations)
        if exclude is not None and exclude[0] == name:
            r[exclude[1]] = np.nan
        strength = np.where(np.isnan(r), -np.inf, np.abs(r))
        ranked = [neuron for neuron in np.argsort(-strength, kind="stable") if not np.isnan(r[neuron])][:k]
        rows += [(name, int(neuron), float(r[neuron])) for neuron in ranked]
    return pd.DataFrame(rows, columns=["layer", "neuron", "r"])
