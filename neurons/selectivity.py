"""Selectivity of hidden neurons over the run's probe set.

Definitions: docs/interpretation.md, "Selectivity". For a neuron's activations:
- class means `μ_c`;
- selectivity index (Morcos et al. 2018) `SI = (μ_max − μ_rest) / (μ_max + μ_rest + 1e-9)`, with
  `μ_rest` the mean of the other class means;
- `d′` for digit d: `(μ_d − μ_¬d) / sqrt((σ²_d + σ²_¬d) / 2)` (population variances); the most
  differentiated neuron for d has the largest d′. A neuron constant over the probe set has d′ = 0,
  one that separates d perfectly with no spread at all ±inf;
- generalised digit d: the mean activation vector over the probe examples of class d.
A class with no probe examples has NaN means and d′ and is left out of SI and the best digit.
A neuron whose class means are all equal (a dead ReLU, silent on every probe digit) has no best
digit (NaN); `active_share`, the share of probe examples with an activation above zero, shows it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

SI_EPSILON = 1e-9
# Activations that are exactly zero for a whole range of inputs, so "never above zero" means dead.
GATING_ACTIVATIONS = ("relu", "relu6")
CONSTANT_TOLERANCE = 1e-9
# Below this active share a neuron is dead or nearly (docs/interpretation.md, "Selectivity").
QUIET_SHARE = 0.01


def class_statistics(activations: np.ndarray, labels: np.ndarray, classes):
    """Per class (rows, in the order of `classes`): example count, sum and sum of squares per neuron."""
    values = np.asarray(activations, np.float64)
    membership = (np.asarray(labels)[None, :] == np.asarray(classes)[:, None]).astype(np.float64)
    return membership.sum(axis=1), membership @ values, membership @ (values * values)


def class_means(activations: np.ndarray, labels: np.ndarray, classes) -> np.ndarray:
    """`μ_c` per class (rows, in the order of `classes`) and neuron (columns)."""
    counts, sums, _ = class_statistics(activations, labels, classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts[:, None]


def selectivity_index(means: np.ndarray) -> np.ndarray:
    """SI per neuron from the class means (classes × neurons)."""
    present = ~np.isnan(means).any(axis=1)
    means = means[present]
    highest = means.max(axis=0)
    rest = (means.sum(axis=0) - highest) / (len(means) - 1)
    return (highest - rest) / (highest + rest + SI_EPSILON)


def d_primes(activations: np.ndarray, labels: np.ndarray, classes) -> np.ndarray:
    """d′ of every neuron (columns) for each class (rows) against all other examples."""
    counts, sums, squares = class_statistics(activations, labels, classes)
    values = np.asarray(activations, np.float64)
    others = (len(values) - counts)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        inside_mean = sums / counts[:, None]
        outside_mean = (values.sum(axis=0) - sums) / others
        inside_variance = squares / counts[:, None] - inside_mean ** 2
        outside_variance = ((values * values).sum(axis=0) - squares) / others - outside_mean ** 2
    spread = np.sqrt(np.maximum((inside_variance + outside_variance) / 2, 0.0))
    difference = inside_mean - outside_mean
    # Below rounding level, a constant neuron's mean difference and spread are both noise.
    rounding = CONSTANT_TOLERANCE * np.maximum(1.0, np.abs(activations).max(axis=0, initial=0.0))
    difference = np.where(np.abs(difference) > rounding, difference, 0.0)
    constant = np.where(difference == 0, 0.0, np.copysign(np.inf, difference))
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(spread > rounding, difference / spread, constant)
    undefined = (counts == 0) | (counts == len(values))
    scores[undefined] = np.nan
    return scores


def d_prime(activations: np.ndarray, labels: np.ndarray, digit) -> np.ndarray:
    """d′ of every neuron for class `digit` against all other classes."""
    return d_primes(activations, labels, [digit])[0]


def selectivity_table(activations: np.ndarray, labels: np.ndarray, classes) -> pd.DataFrame:
    """One row per neuron: mean_<c> for each class, si, best_digit (largest class mean; NaN when no
    class stands out), d_prime (for best_digit), active_share (share of examples activating it)."""
    means = class_means(activations, labels, classes)
    best_rows = np.where(np.isnan(means), -np.inf, means).argmax(axis=0)
    scores = d_primes(activations, labels, classes)
    table = pd.DataFrame({f"mean_{label}": means[row] for row, label in enumerate(classes)})
    table["si"] = selectivity_index(means)
    level = CONSTANT_TOLERANCE * np.maximum(1.0, np.nanmax(np.abs(means), axis=0, initial=0.0))
    no_best = np.nanmax(means, axis=0) - np.nanmin(means, axis=0) <= level
    table["best_digit"] = np.where(no_best, np.nan, np.asarray(classes, dtype=float)[best_rows])
    table["d_prime"] = scores[best_rows, np.arange(activations.shape[1])]
    table["active_share"] = (np.asarray(activations) > 0).mean(axis=0)
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
