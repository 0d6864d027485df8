"""How the output layer speaks for each digit (definitions: docs/interpretation.md, "Output digits").

A softmax output has one logit per digit: digit d is unit d, read as it is (z_d). A single
sigmoid output (the `binary01` preset) has one logit z that argues for class 1, so digit 1 reads
z and digit 0 reads −z. Every digit-taking call of the core (chains, attribution, selectivity,
ablation) and every view means the digit, through `output_for`.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from neurons.forward import probabilities

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


class Output(NamedTuple):
    """The output unit that speaks for a digit, the sign it is read with, and the logit's name."""
    unit: int
    sign: float
    logit: str


def classes(output_units: int) -> list[int]:
    """The digits a model can name: 0–9 (one per unit), or 0 and 1 for a single sigmoid output."""
    return list(range(max(output_units, 2)))


def output_for(output_units: int, digit: int) -> Output:
    if output_units == 1:
        return Output(0, 1.0, "z") if digit == 1 else Output(0, -1.0, "−z")
    return Output(digit, 1.0, "z" + str(digit).translate(SUBSCRIPTS))


def class_probabilities(logits: np.ndarray, output_activation: str) -> np.ndarray:
    """(N, classes) probabilities; a single sigmoid output becomes the two columns (1 − p, p)."""
    output = probabilities(logits, output_activation)
    return np.concatenate([1 - output, output], axis=1) if output.shape[1] == 1 else output
