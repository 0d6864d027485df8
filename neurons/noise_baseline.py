"""What the focus metrics score on fields with no structure, and how far each neuron stands above it.

Definition: docs/interpretation.md, "Noise baselines and focus above noise".
- focus, effective pixels, top-20 share: 1,000 fields of independent Gaussian noise over the same
  n live pixels (scale-free metrics, so one baseline per live-pixel mask);
- spread, blobs: the neuron's own `u = |field|` shuffled over its live pixels, 50 shuffles (both
  for the learned change);
- the responds-to picture (every metric): the picture of the neuron's own activations shuffled
  across the probe digits, 20 shuffles (an average of digits is smooth, so Gaussian noise would be
  no baseline for it);
- `z = (metric − baseline mean) / baseline sd`; focus above noise is the z of focus, and a neuron
  stands clear of noise when it is ≥ 3.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from neurons.focus import METRICS, count_blobs, focus_metrics, radius_of_gyration
from neurons.responses import responds_to

VALUE_METRICS = ("focus", "effective_pixels", "top20_share")
SPATIAL_METRICS = ("spread", "blobs")
GAUSSIAN_FIELDS = 1000
SHUFFLES = 50
RESPONDS_SHUFFLES = 20
CLEAR_OF_NOISE = 3.0
NOISE_SEED = 0


def gaussian_baseline(live: np.ndarray, fields: int = GAUSSIAN_FIELDS,
                      seed: int = NOISE_SEED) -> dict[str, tuple[float, float]]:
    """{metric: (mean, sd)} of the value-distribution metrics over Gaussian noise fields on `live`."""
    live = np.asarray(live, bool).reshape(28, 28)
    noise = np.zeros((fields, 28, 28))
    noise[:, live] = np.random.default_rng(seed).standard_normal((fields, int(live.sum())))
    metrics = focus_metrics(noise, live)
    return {name: (float(metrics[name].mean()), float(metrics[name].std())) for name in VALUE_METRICS}


def shuffle_baseline(fields: np.ndarray, live: np.ndarray, shuffles: int = SHUFFLES,
                     seed: int = NOISE_SEED) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{metric: (means (k,), sds (k,))} of the spatial metrics over shuffles of each field's own
    `u` over the live pixels, for k fields (k, 28, 28) or (k, 784)."""
    live = np.asarray(live, bool).reshape(28, 28)
    u = np.abs(np.asarray(fields, np.float64).reshape(-1, 28, 28)[:, live])
    # One set of permutations serves every field: each field's baseline is still its own values
    # scattered at random, and drawing the permutations once is most of the cost saved.
    rng = np.random.default_rng(seed)
    permutations = np.argsort(rng.random((shuffles, u.shape[1])), axis=1)
    spreads, blobs = np.empty((len(u), shuffles)), np.empty((len(u), shuffles))
    for index, values in enumerate(u):
        scattered = values[permutations]
        with np.errstate(invalid="ignore", divide="ignore"):
            spreads[index] = radius_of_gyration(scattered / scattered.sum(axis=1, keepdims=True), live)
        blobs[index] = count_blobs(scattered, live)
    return {"spread": (spreads.mean(axis=1), spreads.std(axis=1)),
            "blobs": (blobs.mean(axis=1), blobs.std(axis=1))}


def z_score(value, mean, sd) -> np.ndarray:
    """`(value − mean) / sd`; NaN where the baseline has no spread (or the value is NaN)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.asarray(sd) > 0, (np.asarray(value, np.float64) - mean) / sd, np.nan)


def change_baselines(fields: np.ndarray, live: np.ndarray, gaussian: dict | None = None) -> dict:
    """{metric: (means (k,), sds (k,))} for k fields of learned change: Gaussian noise for the value
    metrics (`gaussian`, if already computed for `live`), each field's own shuffles for the spatial ones."""
    count = len(np.asarray(fields).reshape(-1, 784))
    baselines = {name: (np.full(count, mean), np.full(count, sd))
                 for name, (mean, sd) in (gaussian or gaussian_baseline(live)).items()}
    return baselines | shuffle_baseline(fields, live)


def responds_baselines(inputs: np.ndarray, activations: np.ndarray, live: np.ndarray,
                       shuffles: int = RESPONDS_SHUFFLES, seed: int = NOISE_SEED) -> dict:
    """{metric: (means (k,), sds (k,))} of every metric over responds-to pictures of the k neurons'
    activations (N, k) shuffled across the N probe digits (the same shuffles for every neuron)."""
    rng = np.random.default_rng(seed)
    values = np.asarray(activations)
    shuffled = np.concatenate([values[rng.permutation(len(values))] for _ in range(shuffles)], axis=1)
    metrics = focus_metrics(responds_to(inputs, shuffled), live)
    return {name: (metrics[name].reshape(shuffles, -1).mean(axis=0), metrics[name].reshape(shuffles, -1).std(axis=0))
            for name in METRICS}


def above_noise(fields: np.ndarray, live: np.ndarray, baselines: dict) -> pd.DataFrame:
    """One row per field: the five focus metrics, and for each `<metric>_noise_mean`,
    `<metric>_noise_sd` and `<metric>_z`, from `baselines` ({metric: (means, sds)})."""
    table = pd.DataFrame(focus_metrics(fields, live), columns=list(METRICS))
    for name in METRICS:
        mean, sd = baselines[name]
        table[f"{name}_noise_mean"], table[f"{name}_noise_sd"] = mean, sd
        table[f"{name}_z"] = z_score(table[name], mean, sd)
    return table


def clear_of_noise(table: pd.DataFrame) -> np.ndarray:
    """Which rows of an `above_noise` table stand clear of noise (focus z ≥ CLEAR_OF_NOISE)."""
    return (table["focus_z"] >= CLEAR_OF_NOISE).to_numpy()
