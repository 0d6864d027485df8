"""What a neuron responds to, its histogram, exemplar bands and correlations, against numpy by hand."""
import numpy as np
import pytest

from tests.helpers.runs import mnist_sample
from neurons import responses
from neurons.forward import as_inputs

CLASSES = list(range(10))


@pytest.fixture(scope="module")
def digits():
    images, labels = mnist_sample(400, seed=3)
    return as_inputs(images), labels.astype(np.int64)


def test_a_neuron_that_fires_only_for_fours_responds_to_the_mean_four_minus_the_mean_digit(digits):
    inputs, labels = digits
    fours = (labels == 4).astype(float)
    expected = inputs[labels == 4].mean(axis=0) - inputs.mean(axis=0)
    np.testing.assert_allclose(responses.responds_to(inputs, 3.0 * fours), expected, atol=1e-6)


def test_responds_to_is_the_weighted_mean_above_the_floor_and_ignores_offset_and_scale(digits):
    inputs, _ = digits
    activations = np.random.default_rng(0).normal(size=len(inputs))
    weights = activations - activations.min()
    by_hand = sum(w * x for w, x in zip(weights, inputs.astype(np.float64))) / weights.sum() - inputs.mean(axis=0)
    picture = responses.responds_to(inputs, activations)
    np.testing.assert_allclose(picture, by_hand, atol=1e-6)
    np.testing.assert_allclose(responses.responds_to(inputs, 7 * activations - 2), picture, atol=1e-6)


def test_columns_are_neurons_and_a_constant_neuron_responds_to_nothing(digits):
    inputs, labels = digits
    activations = np.stack([labels == 1, np.full(len(labels), 0.5), labels == 7], axis=1).astype(float)
    pictures = responses.responds_to(inputs, activations)
    assert pictures.shape == (3, 784)
    assert (pictures[1] == 0).all()
    np.testing.assert_allclose(pictures[2], responses.responds_to(inputs, activations[:, 2]), atol=1e-6)


def test_histogram_counts_every_digit_once_by_class(digits):
    _, labels = digits
    activations = np.maximum(np.random.default_rng(1).normal(size=len(labels)), 0)
    table = responses.activation_histogram(activations, labels, CLASSES, bins=12)
    counts, edges = np.histogram(activations, bins=12)
    np.testing.assert_allclose(table["left"], edges[:-1])
    np.testing.assert_allclose(table["right"], edges[1:])
    np.testing.assert_array_equal(table[CLASSES].sum(axis=1), counts)
    for label in CLASSES:
        np.testing.assert_array_equal(table[label], np.histogram(activations[labels == label], bins=edges)[0])
    assert responses.silent_share(activations) == pytest.approx((activations == 0).mean())


def test_exemplars_come_from_their_quantile_band_highest_first(digits):
    _, labels = digits
    activations = np.random.default_rng(2).normal(size=len(labels))
    table = responses.exemplars(activations, labels, per_band=8)
    ranks = np.empty(len(labels), dtype=int)
    ranks[np.argsort(-activations, kind="stable")] = np.arange(len(labels))
    for (low, high), band in table.groupby(["band_low", "band_high"], sort=False):
        assert len(band) == 8 if high - low > 0.05 else len(band) == 4  # the top 1% of 400 is 4 digits
        assert np.all(np.diff(band["activation"]) <= 0)
        in_band = ranks[band["example"]]
        np.testing.assert_array_equal(in_band, band["rank"])
        assert in_band.min() == round((1 - high) * len(labels)) and in_band.max() == round((1 - low) * len(labels)) - 1
        np.testing.assert_array_equal(band["label"], labels[band["example"]])
        np.testing.assert_allclose(band["activation"], activations[band["example"]])


def test_bands_must_be_ordered_quantiles(digits):
    _, labels = digits
    with pytest.raises(ValueError, match="band"):
        responses.exemplars(np.zeros(len(labels)), labels, bands=((0.9, 0.5),))


def test_pearson_matches_corrcoef_and_leaves_constant_neurons_out():
    rng = np.random.default_rng(3)
    activations = rng.normal(size=(300, 6))
    activations[:, 4] = 1.0
    target = activations[:, 0] + rng.normal(size=300)
    r = responses.pearson(target, activations)
    for column in (0, 1, 2, 3, 5):
        assert r[column] == pytest.approx(np.corrcoef(target, activations[:, column])[0, 1])
    assert np.isnan(r[4])


def test_most_correlated_ranks_by_absolute_r_per_layer_without_the_neuron_itself():
    rng = np.random.default_rng(4)
    base = rng.normal(size=500)
    own = np.stack([base, -base + 0.1 * rng.normal(size=500), rng.normal(size=500), np.zeros(500)], axis=1)
    other = np.stack([base + rng.normal(size=500), rng.normal(size=500)], axis=1)
    table = responses.most_correlated(base, {"dense_1": own, "dense_2": other}, k=2, exclude=("dense_1", 0))
    first = table[table["layer"] == "dense_1"]
    assert first["neuron"].tolist()[0] == 1 and first["r"].iloc[0] < -0.9
    assert 0 not in first["neuron"].tolist() and 3 not in first["neuron"].tolist()
    assert table[table["layer"] == "dense_2"]["neuron"].tolist()[0] == 0
