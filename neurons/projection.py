"""Two-dimensional maps of a layer's probe activations: PCA aligned by Procrustes, and t-SNE.

Definitions: docs/interpretation.md, "How a layer sees the digits", Map. The PCA map at snapshot t
holds the activations on their own two leading principal axes, then rotated (or reflected) by
orthogonal Procrustes onto the map at the reference snapshot, so that scrubbing does not flip the
picture. t-SNE starts from a neighbouring snapshot's map (or the PCA map), scaled to a standard
deviation of 1e-4, and its result is aligned to that start.

Invariant the tests check: alignment is a rotation or reflection, so it leaves every distance
within a map unchanged.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.linalg import eigh

METHODS = ("pca", "tsne")
TSNE_PERPLEXITY = 30.0
TSNE_ITERATIONS = 1000
START_SCALE = 1e-4


def principal_map(activations: np.ndarray) -> tuple[np.ndarray, float]:
    """(N, 2) coordinates of the centred activations on their two leading principal axes, and the
    share of the total variance those axes hold (NaN when the activations do not vary)."""
    centred = np.asarray(activations, np.float64)
    centred = centred - centred.mean(axis=0)
    covariance = centred.T @ centred
    units = len(covariance)
    values, axes = eigh(covariance, subset_by_index=[max(units - 2, 0), units - 1])
    coordinates = np.zeros((len(centred), 2))
    coordinates[:, :axes.shape[1]] = centred @ axes[:, ::-1]
    total = float(np.trace(covariance))
    share = float(values.clip(min=0).sum() / total) if total > 0 else float("nan")
    return coordinates, share


def procrustes_rotation(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The orthogonal matrix R minimising ‖source·R − target‖_F: R = U Vᵀ from the SVD of sourceᵀ·target."""
    left, _, right = np.linalg.svd(source.T @ target)
    return left @ right


def aligned(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """`source`, centred, turned (rotated or reflected, never stretched) to lie closest to `target`."""
    source = source - source.mean(axis=0)
    return source @ procrustes_rotation(source, target - target.mean(axis=0))


def tsne_map(activations: np.ndarray, start: np.ndarray, seed: int = 0) -> np.ndarray:
    """(N, 2) t-SNE of the activations, started from `start` (N, 2) and aligned to it.

    Perplexity 30 (fewer than 91 digits: a third of them less one, which scikit-learn requires)."""
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    start = np.asarray(start, np.float64) - np.mean(start, axis=0)
    spread = start[:, 0].std()
    start = start / spread * START_SCALE if spread > 0 else start
    perplexity = min(TSNE_PERPLEXITY, max((len(start) - 1) / 3, 1.0))
    embedding = TSNE(n_components=2, perplexity=perplexity, init=start, random_state=seed,
                     max_iter=TSNE_ITERATIONS)
    # One thread: on a busy 2-core machine, OpenMP's threads made a 4 s map take 21 s.
    with threadpool_limits(1):
        coordinates = embedding.fit_transform(np.asarray(activations, np.float64))
    return aligned(coordinates, start)


def nearest_computed(snapshot: int, computed) -> int | None:
    """The snapshot nearest to `snapshot` among `computed` (the earlier one on a tie), or None."""
    others = sorted(other for other in computed if other != snapshot)
    return min(others, key=lambda other: abs(other - snapshot)) if others else None


def projection_frame(coordinates: np.ndarray, labels: np.ndarray, predicted: np.ndarray) -> pd.DataFrame:
    """One row per probe digit (index "example"): x, y, label (true class), predicted."""
    frame = pd.DataFrame({"x": coordinates[:, 0], "y": coordinates[:, 1],
                          "label": np.asarray(labels, np.int64), "predicted": np.asarray(predicted, np.int64)})
    frame.index.name = "example"
    return frame
