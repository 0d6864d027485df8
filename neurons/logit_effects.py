"""What a hidden neuron does to each output logit: by its weights, and measured by ablation.

Definition: docs/interpretation.md, "Logit effects". For neuron k of hidden layer l, output d, μ_k
its probe-set mean activation and F its firing digits (the top 10% of the probe set by `h_k`),
`Δh = mean_F h_k − μ_k`:
- weight `c_l[k]` (the weights-only chain of digit d), weights path `c_l[k]·Δh`;
- measured `mean_F [z_d(x) − z_d(x; h_k ← μ_k)]`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from neurons.chains import chain
from neurons.forward import Trace, forward
from neurons.network import Block
from neurons.responses import band_ranks

FIRING_BAND = (0.9, 1.0)


def firing_digits(activations: np.ndarray) -> np.ndarray:
    """Probe indices of the band FIRING_BAND of `activations` (at least the single highest)."""
    ranks = band_ranks(len(activations), FIRING_BAND)
    order = np.argsort(-np.asarray(activations), kind="stable")
    return order[ranks.start:max(ranks.stop, ranks.start + 1)]


def logit_effects(blocks: list[Block], trace: Trace, position: int, neuron: int) -> pd.DataFrame:
    """One row per output unit (index "output"): weight, weights_path, measured (logits)."""
    post = trace.post[position]
    firing = firing_digits(post[:, neuron])
    mean = float(post[:, neuron].mean())
    rise = float(post[firing, neuron].mean()) - mean
    weights = np.array([chain(blocks, digit)[0][position][neuron] for digit in range(blocks[-1].spec.units)])
    block = blocks[position]
    ablated = block.scale * post[firing] + block.shift
    ablated[:, neuron] = block.scale[neuron] * mean + block.shift[neuron]
    change = trace.logits[firing] - forward(blocks[position + 1:], ablated).logits
    return pd.DataFrame({"weight": weights, "weights_path": weights * rise, "measured": change.mean(axis=0)},
                        index=pd.RangeIndex(len(weights), name="output"))
