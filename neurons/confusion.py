"""The confusion matrix of the model over the probe set.

Definition: docs/interpretation.md, "How a layer sees the digits", Confusion matrix. `C[i, j]` is
the number of probe digits of true class i that the model predicts as class j (rows true, columns
predicted). Invariant the tests check: it equals sklearn.metrics.confusion_matrix on Keras's
predictions.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes) -> pd.DataFrame:
    """Counts (index "true", columns "predicted", both in the order of `classes`, classes 0…k−1)."""
    count = len(classes)
    labels, predicted = np.asarray(labels, np.int64), np.asarray(predicted, np.int64)
    counts = np.bincount(labels * count + predicted, minlength=count * count).reshape(count, count)
    frame = pd.DataFrame(counts, index=pd.Index(classes, name="true"), columns=pd.Index(classes, name="predicted"))
    return frame


def cell_members(labels: np.ndarray, predicted: np.ndarray, true_class: int, predicted_class: int) -> np.ndarray:
    """Probe indices of the digits of `true_class` predicted as `predicted_class`, in probe order."""
    return np.flatnonzero((np.asarray(labels) == true_class) & (np.asarray(predicted) == predicted_class))
