"""Selectivity on synthetic activations whose class means, SI and d′ are known in closed form."""
import numpy as np
import pytest

import neurons
from neurons.selectivity import (d_prime, generalized_digit, most_differentiated, selectivity_index,
                                 selectivity_table)

CLASSES = list(range(10))


@pytest.fixture
def known():
    """20 examples per class. Neuron 0 outputs its class c; neuron 1 fires 2.0 only for a 7 (with
    ±1 noise on half of the sevens); neuron 2 is constant."""
    labels = np.repeat(CLASSES, 20)
    ladder = labels.astype(float)
    sevens = np.where(labels == 7, 2.0 + np.tile([1.0, -1.0], 100), 0.0)
    return np.stack([ladder, sevens, np.full(200, 0.4)], axis=1), labels


def test_class_means_si_best_digit_and_d_prime(known):
    activations, labels = known
    table = selectivity_table(activations, labels, CLASSES)
    assert list(table.columns) == [f"mean_{c}" for c in CLASSES] + ["si", "best_digit", "d_prime",
                                                                    "active_share"]
    assert table.loc[0, [f"mean_{c}" for c in CLASSES]].tolist() == pytest.approx(CLASSES)
    # Neuron 0: μ_max = 9, μ_rest = mean(0..8) = 4 → SI = 5/13; d′ for 9: the others (0..8, equal
    # counts) have variance (9² − 1)/12, the nines none → 5 / sqrt(80/12 / 2).
    assert table.loc[0, "si"] == pytest.approx(5 / 13)
    assert table.loc[0, "best_digit"] == 9
    assert table.loc[0, "d_prime"] == pytest.approx(5 / np.sqrt(80 / 12 / 2))
    # Neuron 1: only sevens, mean 2, variance 1 → SI ≈ 1, d′ = 2 / sqrt(1/2).
    assert table.loc[1, "si"] == pytest.approx(1.0)
    assert table.loc[1, "best_digit"] == 7
    assert table.loc[1, "d_prime"] == pytest.approx(2 / np.sqrt(0.5))
    # Neuron 2: constant → SI 0, d′ 0 (not NaN), and no class stands out: no best digit.
    assert table.loc[2, "si"] == pytest.approx(0.0, abs=1e-9)
    assert table.loc[2, "d_prime"] == 0.0
    assert np.isnan(table.loc[2, "best_digit"])
    # Neuron 0 is zero on every 0 (20 of 200 examples); neuron 1 fires on the 10 sevens at 3.0 and
    # the 10 at 1.0; neuron 2 always.
    assert table["active_share"].tolist() == pytest.approx([0.9, 0.1, 1.0])


def test_a_dead_relu_neuron_has_no_best_digit():
    labels = np.repeat(CLASSES, 3)
    table = selectivity_table(np.zeros((30, 1)), labels, CLASSES)
    assert np.isnan(table.loc[0, "best_digit"]) and table.loc[0, "active_share"] == 0.0


def test_most_differentiated_and_generalised_digit(known):
    activations, labels = known
    assert most_differentiated(activations, labels, 7) == 1
    assert most_differentiated(activations, labels, 9) == 0
    assert generalized_digit(activations, labels, 7) == pytest.approx([7.0, 2.0, 0.4])
    assert d_prime(activations, labels, 0)[0] < 0


def test_si_ignores_classes_without_examples():
    means = np.array([[1.0], [np.nan], [3.0]])
    assert selectivity_index(means) == pytest.approx([(3 - 1) / (3 + 1 + 1e-9)])


def test_missing_class_is_a_clear_error(known):
    activations, labels = known
    with pytest.raises(ValueError, match="no examples of digit 11"):
        generalized_digit(activations, labels, 11)


def test_run_selectivity_matches_its_activations(synthetic_run):
    run = neurons.open_run(synthetic_run(units=(16, 8)))
    activations = run.activations(run.probe_images, snapshot=2)["dense_2"]
    table = run.selectivity("dense_2", snapshot=2)
    fours = run.probe_labels == 4
    assert table["mean_4"].to_numpy() == pytest.approx(activations[fours].mean(axis=0))
    assert run.most_differentiated(4, "dense_2", snapshot=2) == int(np.argmax(d_prime(activations, run.probe_labels, 4)))
    general = run.generalized_digit(4, snapshot=2)
    assert general["dense_2"] == pytest.approx(activations[fours].mean(axis=0))
    assert general["logits"] == pytest.approx(run.forward(run.probe_images[fours], snapshot=2).mean(axis=0))


def test_binary_run_has_per_class_stats_over_labels_0_and_1(synthetic_run):
    run = neurons.open_run(synthetic_run(outputs=1))
    table = run.selectivity("dense_1")
    assert [column for column in table.columns if column.startswith("mean_")] == ["mean_0", "mean_1"]
    assert set(table["best_digit"].dropna()) <= {0, 1}
    assert 0 <= run.most_differentiated(1, "dense_1") < 16
    with pytest.raises(ValueError, match="digit 2 is not a class"):
        run.generalized_digit(2)
