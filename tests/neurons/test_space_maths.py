"""The Space tab's maths on plain arrays: CKA invariances and a case by hand, Procrustes keeps
distances, the PCA map, the linear probe's folds, confusion counts and layer-health statistics."""
from fractions import Fraction

import numpy as np
import pytest
from scipy.spatial.distance import pdist
from scipy.stats import ortho_group

from neurons import cka, confusion, health, probes, projection


def song_hsic(x, y) -> Fraction:
    """Song et al. (2012)'s unbiased HSIC with linear kernels, in exact fractions, term by term."""
    n = len(x)
    gram = [[sum(Fraction(a) * b for a, b in zip(x[i], x[j])) if i != j else Fraction(0) for j in range(n)]
            for i in range(n)]
    other = [[sum(Fraction(a) * b for a, b in zip(y[i], y[j])) if i != j else Fraction(0) for j in range(n)]
             for i in range(n)]
    trace = sum(gram[i][j] * other[j][i] for i in range(n) for j in range(n))
    sum_k = sum(map(sum, gram))
    sum_l = sum(map(sum, other))
    cross = sum(sum(gram[i]) * sum(other[i]) for i in range(n))  # 1ᵀ K̃ L̃ 1, both symmetric
    return (trace + sum_k * sum_l / ((n - 1) * (n - 2)) - Fraction(2, n - 2) * cross) / (n * (n - 3))


def test_cka_matches_song_formula_by_hand():
    x = [[1, 0], [2, 1], [0, 3], [4, 1], [1, 1], [3, 2]]
    y = [[2, 1, 0], [1, 1, 1], [0, 5, 2], [3, 0, 1], [1, 2, 2], [2, 2, 0]]
    expected = song_hsic(x, y) / (song_hsic(x, x) * song_hsic(y, y)) ** 0.5
    assert cka.linear_cka(np.array(x), np.array(y)) == pytest.approx(float(expected), abs=1e-12)


def test_cka_is_one_under_rotation_and_scaling():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 20))
    rotation = ortho_group.rvs(20, random_state=1)
    assert cka.linear_cka(x, x @ rotation) == pytest.approx(1.0, abs=1e-10)
    assert cka.linear_cka(x, 7.5 * x) == pytest.approx(1.0, abs=1e-10)
    assert cka.linear_cka(x, x + 3.0) == pytest.approx(1.0, abs=1e-10)


def test_cka_of_independent_noise_is_near_zero_even_with_more_features_than_digits():
    rng = np.random.default_rng(2)
    values = [cka.linear_cka(rng.standard_normal((200, 500)), rng.standard_normal((200, 300))) for _ in range(5)]
    assert np.abs(values).max() < 0.02


def test_cka_matrix_agrees_with_pairs_in_float32_and_in_blocks(monkeypatch):
    rng = np.random.default_rng(3)
    base = rng.standard_normal((120, 10))
    representations = [base @ rng.standard_normal((10, width)) + noise * rng.standard_normal((120, width))
                       for width, noise in ((8, 0.1), (16, 1.0), (12, 3.0), (5, 0.0))]
    expected = np.array([[cka.linear_cka(a, b) for b in representations] for a in representations])
    np.testing.assert_allclose(cka.cka_matrix(representations), expected, atol=1e-3)
    monkeypatch.setattr(cka, "MAX_GRAM_BYTES", 120 * 119 // 2 * 4)  # one Gram matrix a block
    np.testing.assert_allclose(cka.cka_matrix(representations, dtype=np.float64), expected, atol=1e-10)
    assert np.allclose(np.diag(expected), 1.0)


def test_cka_digit_subset_is_fixed_and_capped():
    assert np.array_equal(cka.digit_subset(10), np.arange(10))
    subset = cka.digit_subset(5000)
    assert len(subset) == cka.MAX_DIGITS and np.array_equal(subset, cka.digit_subset(5000))
    assert np.all(np.diff(subset) > 0)


def test_procrustes_alignment_keeps_every_distance_and_undoes_a_rotation():
    rng = np.random.default_rng(4)
    target = rng.standard_normal((50, 2))
    angle = 1.1
    turned = target @ np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) * [1, -1]
    source = turned + 0.05 * rng.standard_normal((50, 2)) + [3.0, -2.0]
    result = projection.aligned(source, target)
    np.testing.assert_allclose(pdist(result), pdist(source), atol=1e-12)
    assert np.abs(result - (target - target.mean(axis=0))).max() < 0.2
    rotation = projection.procrustes_rotation(source, target)
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(2), atol=1e-12)


def test_principal_map_holds_the_two_leading_directions():
    rng = np.random.default_rng(5)
    signal = rng.standard_normal((400, 2)) * [5.0, 2.0]
    activations = np.concatenate([signal, 0.01 * rng.standard_normal((400, 6))], axis=1) @ ortho_group.rvs(8, random_state=2)
    coordinates, share = projection.principal_map(activations)
    assert share > 0.99
    np.testing.assert_allclose(pdist(coordinates), pdist(signal - signal.mean(axis=0)), atol=0.1)
    flat, no_share = projection.principal_map(np.ones((10, 3)))
    assert np.all(flat == 0) and np.isnan(no_share)


def test_tsne_keeps_well_separated_classes_apart():
    rng = np.random.default_rng(6)
    labels = np.repeat(np.arange(3), 40)
    activations = rng.standard_normal((120, 10)) + 20 * np.eye(10)[labels]
    start, _ = projection.principal_map(activations)
    coordinates = projection.tsne_map(activations, start)
    centres = np.array([coordinates[labels == label].mean(axis=0) for label in range(3)])
    spread = max(np.linalg.norm(coordinates[labels == label] - centres[label], axis=1).max() for label in range(3))
    assert pdist(centres).min() > 2 * spread


def test_nearest_computed_prefers_the_closest_then_the_earlier():
    assert projection.nearest_computed(5, []) is None
    assert projection.nearest_computed(5, [5]) is None
    assert projection.nearest_computed(5, [1, 9, 7]) == 7
    assert projection.nearest_computed(5, [3, 7]) == 3


def test_probe_accuracy_is_scikit_learn_cross_validation():
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 4, 200)
    features = rng.standard_normal((200, 6)) + 0.8 * np.eye(6)[labels]
    expected = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), features, labels,
                               cv=StratifiedKFold(5, shuffle=True, random_state=0))
    assert probes.probe_accuracy(features, labels) == pytest.approx(expected.mean())
    assert probes.probe_accuracy(np.zeros((200, 3)), labels) < 0.4, "constant features read nothing"
    with pytest.raises(ValueError, match="two classes"):
        probes.probe_accuracy(features, np.zeros(200))


def test_probe_curve_frame_carries_both_baselines():
    frame = probes.curve_frame([0.5, 0.8, 0.9], pixels=0.85)
    assert list(frame.columns) == list(probes.CURVE_COLUMNS) and frame.index.name == "snapshot"
    assert (frame["init"] == 0.5).all() and (frame["pixels"] == 0.85).all()


def test_confusion_counts_and_cell_members():
    labels = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 0, 2])
    matrix = confusion.confusion_matrix(labels, predicted, [0, 1, 2])
    np.testing.assert_array_equal(matrix.to_numpy(), [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert matrix.index.name == "true" and matrix.columns.name == "predicted"
    np.testing.assert_array_equal(confusion.cell_members(labels, predicted, 2, 0), [4])


def test_health_statistics_by_activation():
    relu = np.array([[0.0, 1.0, 0.0], [0.0, 2.0, 3.0]])
    row = health.activation_row(relu, "relu")
    assert row["dead_share"] == pytest.approx(1 / 3) and np.isnan(row["saturated_share"])
    assert row["q50"] == pytest.approx(0.5)
    sigmoid = np.array([[0.005, 0.5], [0.995, 0.2]])
    row = health.activation_row(sigmoid, "sigmoid")
    assert row["saturated_share"] == pytest.approx(0.5) and np.isnan(row["dead_share"])
    assert health.activation_row(np.array([[0.995, -0.999, 0.3]]), "tanh")["saturated_share"] == pytest.approx(2 / 3)
    assert np.isnan(health.activation_row(relu, "elu")["dead_share"])


def test_weight_rows_give_norms_and_update_ratios():
    first, second = np.full((2, 2), 1.0), np.full((2, 2), 1.5)
    start, step, still = (health.weight_row(first, None), health.weight_row(second, first),
                          health.weight_row(second, second))
    assert [start["weight_norm"], step["weight_norm"]] == pytest.approx([2.0, 3.0])
    assert np.isnan(start["update_ratio"]) and step["update_ratio"] == pytest.approx(0.5)
    assert still["update_ratio"] == 0.0
    frame = health.health_frame([health.activation_row(np.ones((3, 2)), "relu") | start])
    assert list(frame.columns) == list(health.COLUMNS) and frame.index.name == "snapshot"


def test_histogram_shares_count_values_beyond_the_reference_in_the_end_bins():
    edges = health.histogram_edges(np.array([0.0, 4.0]))
    assert len(edges) == health.HISTOGRAM_BINS + 1 and edges[0] == 0.0 and edges[-1] == 4.0
    shares = health.histogram_shares(np.array([-1.0, 0.0, 2.0, 9.0]), edges)
    assert shares.sum() == pytest.approx(1.0) and shares[0] == 0.5 and shares[-1] == 0.25
    assert np.ptp(health.histogram_edges(np.zeros(5))) == 1.0
