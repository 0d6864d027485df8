"""Element-wise activation functions of hidden layers, with Keras 3's definitions, and their slopes.

The slope `f'(a)` is the gate `D_l` of the gated chain (docs/interpretation.md,
"Chains from an output digit"); it is computed from the pre-activation `a` and `h = f(a)`. At a
kink the slope is the one Keras's gradient uses (ReLU: 0 at 0).
"""
from __future__ import annotations

import numpy as np
from scipy.special import erf

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
LEAKY_SLOPE = 0.2  # keras.activations.leaky_relu's default negative_slope


def sigmoid(pre):
    # tanh form: no overflow warning for large |pre|.
    return 0.5 * (1.0 + np.tanh(0.5 * pre))


def _standard_normal_cdf(pre):
    return 0.5 * (1.0 + erf(pre / np.sqrt(2.0)))


def _softplus(pre):
    return np.logaddexp(0.0, pre).astype(pre.dtype)


# name → (f(a), f'(a) from (a, h))
FUNCTIONS = {
    "linear": (lambda a: a, lambda a, h: np.ones_like(a)),
    "relu": (lambda a: np.maximum(a, 0), lambda a, h: (a > 0).astype(a.dtype)),
    "sigmoid": (sigmoid, lambda a, h: h * (1 - h)),
    "tanh": (np.tanh, lambda a, h: 1 - h * h),
    "elu": (lambda a: np.where(a > 0, a, np.expm1(np.minimum(a, 0))),
            lambda a, h: np.where(a > 0, 1, h + 1).astype(a.dtype)),
    "selu": (lambda a: SELU_SCALE * np.where(a > 0, a, SELU_ALPHA * np.expm1(np.minimum(a, 0))),
             lambda a, h: np.where(a > 0, SELU_SCALE, h + SELU_SCALE * SELU_ALPHA).astype(a.dtype)),
    "softplus": (_softplus, lambda a, h: sigmoid(a)),
    "softsign": (lambda a: a / (1 + np.abs(a)), lambda a, h: 1 / (1 + np.abs(a)) ** 2),
    "silu": (lambda a: a * sigmoid(a), lambda a, h: sigmoid(a) * (1 + a * (1 - sigmoid(a)))),
    "gelu": (lambda a: (a * _standard_normal_cdf(a)).astype(a.dtype),
             lambda a, h: (_standard_normal_cdf(a) + a * np.exp(-0.5 * a * a) / np.sqrt(2 * np.pi)).astype(a.dtype)),
    "leaky_relu": (lambda a: np.where(a > 0, a, LEAKY_SLOPE * a),
                   lambda a, h: np.where(a > 0, 1, LEAKY_SLOPE).astype(a.dtype)),
    "relu6": (lambda a: np.clip(a, 0, 6), lambda a, h: ((a > 0) & (a < 6)).astype(a.dtype)),
}
FUNCTIONS["swish"] = FUNCTIONS["silu"]


def activate(name: str, pre: np.ndarray) -> np.ndarray:
    """`h = f(a)`."""
    return FUNCTIONS[name][0](pre)


def slope(name: str, pre: np.ndarray, post: np.ndarray) -> np.ndarray:
    """`f'(a)`, given `a` and `h = f(a)`."""
    return FUNCTIONS[name][1](pre, post)
