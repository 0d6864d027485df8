"""Activation maximisation on hand-made networks, where the best input is known in closed form.

The objective's gradient is checked against tf.GradientTape in test_against_keras.py.
"""
import numpy as np
import pytest

from neurons import maximize
from neurons.network import Block, LayerSpec

LIVE = np.zeros((28, 28), bool)
LIVE[3:25, 4:24] = True


def dense(name, weights, activation="relu", scale=None, shift=None):
    """A Block from a neuron-major kernel (units, fan_in)."""
    units, fan_in = weights.shape
    return Block(LayerSpec(name, units, fan_in, activation), weights.astype(np.float32),
                 np.zeros(units, np.float32), np.ones(units, np.float32) if scale is None else scale,
                 np.zeros(units, np.float32) if shift is None else shift)


def test_with_the_l2_penalty_alone_a_first_layer_neuron_dreams_its_clipped_weights():
    """J = w·x/σ − (λ₂/2)‖x‖² is maximised on the box by x = clip(w / (σλ₂), 0, 1)."""
    rng = np.random.default_rng(0)
    weights = rng.normal(0, 0.05, (3, 784))
    blocks = [dense("dense_1", weights), dense("output", rng.normal(size=(10, 3)), "softmax")]
    sigma, l2 = 2.0, 0.05
    result = maximize.maximize(blocks, 0, 1, LIVE, sigma, steps=600, seeds=2, l2=l2, tv=0.0)
    expected = np.clip(weights[1] / (sigma * l2), 0, 1) * LIVE.ravel()
    np.testing.assert_allclose(result["images"], np.stack([expected] * 2), atol=0.02)
    assert (result["images"][:, ~LIVE.ravel()] == 0).all()


def test_without_penalties_the_dream_is_the_sign_of_the_weights_and_beats_every_seed():
    rng = np.random.default_rng(1)
    weights = rng.normal(size=(2, 784))
    blocks = [dense("dense_1", weights), dense("output", rng.normal(size=(10, 2)), "softmax")]
    result = maximize.maximize(blocks, 0, 0, LIVE, 1.0, steps=100, seeds=3, l2=0.0, tv=0.0)
    np.testing.assert_array_equal(result["images"], np.stack([(weights[0] > 0) * LIVE.ravel()] * 3))
    seeds = maximize.seed_images(3, LIVE)
    assert (result["pre"] > seeds @ weights[0]).all()
    np.testing.assert_allclose(result["activations"], np.maximum(result["pre"], 0))


def test_total_variation_gradient_matches_finite_differences():
    images = np.random.default_rng(2).random((2, 784))
    value, gradient = maximize.total_variation(images)
    grid = images[0].reshape(28, 28)
    assert value[0] == pytest.approx((np.diff(grid, axis=0) ** 2).sum() + (np.diff(grid, axis=1) ** 2).sum())
    for pixel in (0, 29, 400, 783):
        step = np.zeros_like(images)
        step[0, pixel] = 1e-6
        numeric = (maximize.total_variation(images + step)[0][0] - maximize.total_variation(images - step)[0][0]) / 2e-6
        assert gradient[0, pixel] == pytest.approx(numeric, rel=1e-4, abs=1e-6)


def test_a_deeper_neuron_gets_higher_than_its_seeds_and_seeds_are_reproducible():
    rng = np.random.default_rng(3)
    blocks = [dense("dense_1", rng.normal(0, 0.05, (16, 784)), scale=np.full(16, 1.5, np.float32),
                    shift=np.full(16, -0.2, np.float32)),
              dense("dense_2", rng.normal(0, 0.3, (8, 16))), dense("output", rng.normal(size=(10, 8)), "softmax")]
    first = maximize.maximize(blocks, 1, 5, LIVE, 1.0, steps=50, seeds=2)
    again = maximize.maximize(blocks, 1, 5, LIVE, 1.0, steps=50, seeds=2)
    np.testing.assert_array_equal(first["images"], again["images"])
    start, _ = maximize.objective(blocks, 1, 5, maximize.seed_images(2, LIVE), 1.0)
    end, _ = maximize.objective(blocks, 1, 5, first["images"], 1.0)
    assert (end > start).all()
    assert first["images"].min() >= 0 and first["images"].max() <= 1
