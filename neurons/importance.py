"""Importance of each neuron of a layer, and accuracy as neurons are ablated one after another.

Definitions: docs/interpretation.md, "Importance and ablation curves" (and "Ablation" for the
replacement values). Importance of neuron k: probe accuracy before − after ablating k alone. An
ablation curve: the neurons in one order (importance, selectivity index, or a random permutation
with seed 0), the first m ablated together, accuracy for m = 0 … units.

Ablating neuron k changes only column k of the layer's output `g_l = s·h + t`, so the next
layer's pre-activations change by the rank-one term `s_k (v_k − h_k) W_{l+1}[k, :]`; the rest of
the network is then run as in `neurons.forward`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from neurons.ablation import replacement_values
from neurons.activations import activate
from neurons.forward import Trace, forward, predicted_classes
from neurons.network import Block

ORDERS = ("importance", "selectivity", "random")
RANDOM_ORDER_SEED = 0


def continue_forward(blocks: list[Block], pre: np.ndarray) -> np.ndarray:
    """Logits from the pre-activations `pre` of `blocks[0]`, through the rest of the network."""
    if len(blocks) == 1:
        return pre
    block = blocks[0]
    return forward(blocks[1:], block.scale * activate(block.spec.activation, pre) + block.shift).logits


class LayerAblation:
    """Ablations of hidden block `position` on the probe set, sharing one forward pass."""

    def __init__(self, blocks: list[Block], trace: Trace, labels: np.ndarray, position: int, mode: str = "mean"):
        self.blocks, self.labels = blocks[position + 1:], labels
        self.block, self.post = blocks[position], trace.post[position]
        self.values = replacement_values(trace, position, np.arange(self.post.shape[1]), mode)
        self.next_pre = (self.block.scale * self.post + self.block.shift) @ self.blocks[0].kernel.T + self.blocks[0].bias
        self.before = self.accuracy(trace.logits)

    def accuracy(self, logits: np.ndarray) -> float:
        """Overall accuracy only: the per-class split of `ablation.accuracy_by_class` would cost
        more than the forward pass, once per neuron."""
        return float((predicted_classes(logits) == self.labels).mean())

    def shift_of(self, neuron: int) -> np.ndarray:
        """The change of the next pre-activations (N, next units) when `neuron` is ablated."""
        change = self.block.scale[neuron] * (self.values[neuron] - self.post[:, neuron])
        return change[:, None] * self.blocks[0].kernel[:, neuron][None, :]

    def importance(self) -> np.ndarray:
        """Accuracy before − after ablating each neuron alone."""
        return np.array([self.before - self.accuracy(continue_forward(self.blocks, self.next_pre + self.shift_of(neuron)))
                         for neuron in range(self.post.shape[1])])

    def curve(self, order) -> np.ndarray:
        """Accuracy with the first m neurons of `order` ablated, m = 0 … len(order)."""
        pre = self.next_pre.copy()
        accuracies = [self.before]
        for neuron in order:
            pre += self.shift_of(int(neuron))
            accuracies.append(self.accuracy(continue_forward(self.blocks, pre)))
        return np.array(accuracies)


def ablation_order(order: str, importance: np.ndarray | None = None,
                   selectivity_index: np.ndarray | None = None, units: int | None = None) -> np.ndarray:
    """The neurons in the order to ablate them: largest importance or selectivity index first
    (ties and NaN: lower index first, NaN last), or the seed-0 random permutation of `units`."""
    if order == "random":
        return np.random.default_rng(RANDOM_ORDER_SEED).permutation(units)
    scores = np.asarray(importance if order == "importance" else selectivity_index, np.float64)
    return np.argsort(-np.where(np.isnan(scores), -np.inf, scores), kind="stable")


def curve_frame(order: np.ndarray, accuracies: np.ndarray) -> pd.DataFrame:
    """Rows m = 0 … units (index "ablated"): `neuron` (the one added at step m; −1 at m = 0), `accuracy`."""
    return pd.DataFrame({"neuron": np.concatenate([[-1], order]).astype(np.int64), "accuracy": accuracies},
                        index=pd.RangeIndex(len(accuracies), name="ablated"))
