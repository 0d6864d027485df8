"""Ablation: does the model still work when some neurons are silenced?

Definition: docs/interpretation.md, "Ablation". Replace the neurons' activations
`h` by their probe-set mean (mean-ablation) or by 0 (zero-ablation), run the probe set, and report
overall and per-class accuracy before → after.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from neurons.forward import Trace, forward, predicted_classes
from neurons.network import Block

MODES = ("mean", "zero")


def replacement_values(trace: Trace, position: int, neurons, mode: str) -> np.ndarray:
    """What the ablated neurons' activations become: their probe-set mean, or zero."""
    if mode == "mean":
        return trace.post[position][:, neurons].mean(axis=0)
    return np.zeros(len(neurons))


def accuracy_by_class(logits: np.ndarray, labels: np.ndarray, classes) -> tuple[float, list[float]]:
    """Overall accuracy and accuracy within each class (NaN for a class without examples)."""
    correct = predicted_classes(logits) == labels
    per_class = [float(correct[labels == label].mean()) if (labels == label).any() else float("nan")
                 for label in classes]
    return float(correct.mean()), per_class


def ablate(blocks: list[Block], inputs: np.ndarray, labels: np.ndarray, classes, position: int,
           neurons, mode: str = "mean", baseline: Trace | None = None) -> dict:
    """Accuracy before and after ablating `neurons` of hidden block `position` on (inputs, labels).

    Returns `{"overall": {"before", "after"}, "per_class": DataFrame(index=class; count, before,
    after)}`. `baseline` is the un-ablated forward pass of `inputs`, if already computed.
    """
    neurons = np.asarray(neurons, dtype=np.int64)
    baseline = baseline if baseline is not None else forward(blocks, inputs)
    values = replacement_values(baseline, position, neurons, mode)
    ablated = forward(blocks, inputs, replace={position: (neurons, values)})
    overall_before, before = accuracy_by_class(baseline.logits, labels, classes)
    overall_after, after = accuracy_by_class(ablated.logits, labels, classes)
    per_class = pd.DataFrame(
        {"count": [int((labels == label).sum()) for label in classes], "before": before, "after": after},
        index=pd.Index(list(classes), name="class"))
    return {"overall": {"before": overall_before, "after": overall_after}, "per_class": per_class}
