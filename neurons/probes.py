"""Linear probes (Alain & Bengio 2016): how well a linear classifier reads the class from a layer.

Definitions: docs/interpretation.md, "How a layer sees the digits", Linear probe. A pipeline of
StandardScaler and multinomial LogisticRegression (L2, C = 1, lbfgs, up to 1,000 iterations) is
scored by 5-fold stratified cross-validation over the probe set, folds shuffled with seed 0 (the
same folds for every layer, snapshot and baseline); the scaler is fitted on the training folds
only. The probe accuracy is the mean of the five fold accuracies. Baselines: the probe images'
pixels / 255, and the layer at snapshot 0.

A probe shows what is linearly readable from a layer, not what the network uses.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

FOLDS = 5
FOLD_SEED = 0
REGULARISATION_C = 1.0
MAX_ITERATIONS = 1000
CURVE_COLUMNS = ("accuracy", "pixels", "init")


def fold_splitter():
    """The cross-validation folds every probe uses."""
    from sklearn.model_selection import StratifiedKFold
    return StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=FOLD_SEED)


def probe_pipeline():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    return make_pipeline(StandardScaler(), LogisticRegression(C=REGULARISATION_C, max_iter=MAX_ITERATIONS))


def fold_accuracies(features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The accuracy of the probe on each of the five held-out folds."""
    from sklearn.model_selection import cross_val_score
    from threadpoolctl import threadpool_limits

    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        raise ValueError("a linear probe needs probe digits of at least two classes")
    # One BLAS thread: these are small products, and threads on a busy machine only queue.
    with threadpool_limits(1):
        return cross_val_score(probe_pipeline(), np.asarray(features, np.float64), labels,
                               cv=fold_splitter(), scoring="accuracy")


def probe_accuracy(features: np.ndarray, labels: np.ndarray) -> float:
    """The probe accuracy: the mean of the five fold accuracies."""
    return float(fold_accuracies(features, labels).mean())


def pixel_features(images: np.ndarray) -> np.ndarray:
    """The pixel baseline's features: images flattened, pixels / 255."""
    images = np.asarray(images)
    return images.reshape(len(images), -1).astype(np.float64) / 255


def curve_frame(accuracies: list[float], pixels: float) -> pd.DataFrame:
    """The probe curve: the accuracy per snapshot (index "snapshot"), with the pixel baseline and
    the init baseline (the accuracy at snapshot 0) as constant columns."""
    frame = pd.DataFrame({"accuracy": np.asarray(accuracies, np.float64)})
    frame["pixels"] = pixels
    frame["init"] = frame["accuracy"].iloc[0] if len(frame) else np.nan
    frame.index.name = "snapshot"
    return frame
