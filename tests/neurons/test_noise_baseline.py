"""Noise baselines of the focus metrics: their statistics, and what stands clear of them."""
import numpy as np
import pytest

from tests.helpers.runs import mnist_sample
from neurons import noise_baseline
from neurons.focus import focus_metrics
from neurons.forward import as_inputs

# MNIST-like live mask: a disc of 28×28 pixels, about 600 of them.
ROWS, COLUMNS = np.mgrid[:28, :28]
LIVE = (ROWS - 13.5) ** 2 + (COLUMNS - 13.5) ** 2 < 13.9 ** 2


def test_gaussian_focus_baseline_is_the_hoyer_sparsity_of_a_half_normal():
    n = LIVE.sum()
    mean, sd = noise_baseline.gaussian_baseline(LIVE)["focus"]
    expected = (1 - np.sqrt(2 / np.pi)) * np.sqrt(n) / (np.sqrt(n) - 1)
    assert mean == pytest.approx(expected, abs=4 * sd / np.sqrt(noise_baseline.GAUSSIAN_FIELDS) + 1e-3)
    assert 0.002 < sd < 0.02


def test_gaussian_baseline_does_not_depend_on_the_noise_scale_and_the_z_of_fresh_noise_is_standard():
    baseline = noise_baseline.gaussian_baseline(LIVE)
    fresh = np.zeros((400, 28, 28))
    fresh[:, LIVE] = 50 * np.random.default_rng(9).standard_normal((400, LIVE.sum()))
    table = noise_baseline.above_noise(fresh, LIVE, noise_baseline.change_baselines(fresh, LIVE, baseline))
    for metric in noise_baseline.VALUE_METRICS:
        assert abs(table[f"{metric}_z"].mean()) < 0.25, metric
        assert 0.8 < table[f"{metric}_z"].std() < 1.2, metric
    assert noise_baseline.clear_of_noise(table).mean() < 0.01


def test_a_shuffle_keeps_the_value_metrics_and_scatters_the_spatial_ones():
    field = np.zeros((28, 28))
    field[10:15, 8:13] = 1.0  # one compact square
    field[LIVE] += 0.01 * np.random.default_rng(1).standard_normal(LIVE.sum())
    scattered = field.copy()
    scattered[LIVE] = np.random.default_rng(2).permutation(field[LIVE])
    original, shuffled = focus_metrics(field[None], LIVE), focus_metrics(scattered[None], LIVE)
    for metric in noise_baseline.VALUE_METRICS:
        assert original[metric][0] == pytest.approx(shuffled[metric][0])
    table = noise_baseline.above_noise(field[None], LIVE, noise_baseline.change_baselines(field[None], LIVE))
    assert table["spread_z"][0] < -10 and table["blobs"][0] == 1
    assert table["blobs_noise_mean"][0] > 3
    assert table["focus_z"][0] > 10 and noise_baseline.clear_of_noise(table)[0]


def test_shuffle_baseline_is_per_field_and_reproducible():
    fields = np.random.default_rng(5).standard_normal((3, 28, 28))
    first = noise_baseline.shuffle_baseline(fields, LIVE, shuffles=20)
    second = noise_baseline.shuffle_baseline(fields, LIVE, shuffles=20)
    for metric in noise_baseline.SPATIAL_METRICS:
        assert first[metric][0].shape == (3,)
        np.testing.assert_array_equal(first[metric][0], second[metric][0])


def test_a_field_without_change_has_no_z():
    table = noise_baseline.above_noise(np.zeros((1, 28, 28)), LIVE, noise_baseline.change_baselines(np.zeros((1, 784)), LIVE))
    assert np.isnan(table["focus_z"][0]) and not noise_baseline.clear_of_noise(table)[0]


def test_responds_to_baseline_shuffles_activations_across_digits():
    """A neuron that fires for 4s stands far above the pictures of its own activations given to
    random digits; a neuron of random activations stands within them."""
    images, labels = mnist_sample(500, seed=3)
    inputs = as_inputs(images)
    live = images.reshape(len(images), -1).std(axis=0).reshape(28, 28) > 0
    activations = np.stack([(labels == 4) * 1.0, np.random.default_rng(3).random(len(labels))], axis=1)
    baselines = noise_baseline.responds_baselines(inputs, activations, live)
    table = noise_baseline.above_noise(noise_baseline.responds_to(inputs, activations), live, baselines)
    assert baselines["focus"][0].shape == (2,)
    assert table["focus_z"][0] > 3
    assert abs(table["focus_z"][1]) < 3 and abs(table["spread_z"][1]) < 3
