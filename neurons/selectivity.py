"""Selectivity of hidden neurons over the run's probe set.

Definitions: /work/shared/guide/interpretation.md, "Selectivity". For a neuron's activations:
- class means `μ_c`;
- selectivity index (Morcos et al. 2018) `SI = (μ_max − μ_rest) / (μ_max + μ_rest + 1e-9)`, with
  `μ_rest` the mean of the other class means;
- `d′` for digit d: `(μ_d − μ_¬d) / sqrt((σ²_d + σ²_¬d) / 2)` (population variances); the most
  differentiated neuron for d has the largest d′. A neuron constant over the probe set has d′ = 0,
  one that separates d perfectly with no spread at all ±inf;
- generalised digit d: the mean activation vector over the probe examples of class d.
A class with no probe examples has NaN means and d′ and is left out of SI and the best digit.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

SI_EPSILON = 1e-9
CONSTANT_TOLERANCE = 1e-9


def class_means(activations: np.ndarray, labels: np.ndarray, classes) -> np.ndarray:
    """`μ_c` per class (rows, in the order of `classes`) and neuron (columns)."""
    return np.stack([_mean(activations[labels == label]) for label in classes])


def _mean(rows: np.ndarray) -> np.ndarray:
    return rows.mean(axis=0) if len(rows) else np.full(rows.shape[1], np.nan)


def selectivity_index(means: np.ndarray) -> np.ndarray:
    """SI per neuron from the class means (classes × neurons)."""
    present = ~np.isnan(means).any(axis=1)
    means = means[present]
    highest = means.max(axis=0)
    rest = (means.sum(axis=0) - highest) / (len(means) - 1)
    return (highest - rest) / (highest + rest + SI_EPSILON)


def d_prime(activations: np.ndarray, labels: np.ndarray, digit) -> np.ndarray:
    """d′ of every neuron for class `digit` against all other classes."""
    inside = labels == digit
    if not inside.any() or inside.all():
        return np.full(activations.shape[1], np.nan)
    members, others = activations[inside], activations[~inside]
    difference = members.mean(axis=0) - others.mean(axis=0)
    spread = np.sqrt((members.var(axis=0) + others.var(axis=0)) / 2)
    # Below rounding level, a constant neuron's mean difference and spread are both noise.
    rounding = CONSTANT_TOLERANCE * np.maximum(1.0, np.abs(activations).max(axis=0))
    difference = np.where(np.abs(difference) > rounding, difference, 0.0)
    constant = np.where(difference == 0, 0.0, np.copysign(np.inf, difference))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(spread > rounding, difference / spread, constant)


def selectivity_table(activations: np.ndarray, labels: np.ndarray, classes) -> pd.DataFrame:
    """One row per neuron: mean_<c> for each class, si, best_digit (largest class mean), d_prime (for best_digit)."""
    means = class_means(activations, labels, classes)
    best_rows = np.where(np.isnan(means), -np.inf, means).argmax(axis=0)
    d_primes = np.stack([d_prime(activations, labels, label) for label in classes])
    table = pd.DataFrame({f"mean_{label}": means[row] for row, label in enumerate(classes)})
    table["si"] = selectivity_index(means)
    table["best_digit"] = np.asarray(classes)[best_rows]
    table["d_prime"] = d_primes[best_rows, np.arange(activations.shape[1])]
    return table


def most_differentiated(activations: np.ndarray, labels: np.ndarray, digit) -> int:
    """The neuron with the largest d′ for `digit` (the first one on ties)."""
    scores = d_prime(activations, labels, digit)
    if np.isnan(scores).all():
        raise ValueError(f"the probe set has no examples of digit {digit} (or only those)")
    return int(np.nanargmax(scores))


def generalized_digit(activations: np.ndarray, labels: np.ndarray, digit) -> np.ndarray:
    """The mean activation vector over the probe examples of class `digit`."""
    members = activations[labels == digit]
    if not len(members):
        raise ValueError(f"the probe set has no examples of digit {digit}")
    return members.mean(axis=0)
