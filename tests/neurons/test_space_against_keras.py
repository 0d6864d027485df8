"""The Space tab's answers on really trained runs, against oracles that are not the code under test:
scikit-learn called directly on Keras's own activations and predictions.

The Keras model is rebuilt from the trained weights with test_against_keras's helpers, so its
hidden activations come from TensorFlow, not from the numpy forward pass.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.spatial.distance import pdist  # noqa: E402

from tests.helpers.runs import dense_layers  # noqa: E402
from neurons import projection  # noqa: E402
from tests.neurons.test_against_keras import keras_model, keras_outputs, set_keras_weights  # noqa: E402
from tests.neurons.test_trained_run import UNITS, keras_weights, trained  # noqa: E402, F401
from tests.neurons.test_trainer_run import trainer_runs  # noqa: E402, F401

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def keras_view(trained):
    """The trained run, and Keras's hidden activations and predictions of its probe digits at the last snapshot."""
    run, model, inputs, labels = trained
    layers = dense_layers(UNITS, batchnorm=True)
    config = {"units": list(UNITS), "dropout": [0.0] * len(UNITS), "activation": "relu", "batchnorm": True,
              "output_units": 10, "output_activation": "softmax"}
    rebuilt = keras_model(config)
    weights = keras_weights(model, layers)
    set_keras_weights(rebuilt, weights)
    outputs = keras_outputs(rebuilt, weights, inputs, weights["output"])
    return run, dict(zip(run.hidden_layers, outputs["hidden"])), outputs["probabilities"].argmax(axis=1), labels


def sklearn_probe(features, labels) -> float:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    return cross_val_score(make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)), features, labels,
                           cv=StratifiedKFold(5, shuffle=True, random_state=0)).mean()


def test_linear_probe_matches_scikit_learn_on_keras_activations(keras_view):
    run, hidden, _, labels = keras_view
    last = run.snapshot_count - 1
    for layer in run.hidden_layers:
        assert run.linear_probe(layer, last) == pytest.approx(sklearn_probe(hidden[layer], labels), abs=1.5 / len(labels))
    pixels = run.probe_images.reshape(len(labels), -1) / 255
    assert run.linear_probe("pixels") == pytest.approx(sklearn_probe(pixels, labels))


def test_probe_curve_rises_with_training_and_carries_its_baselines(keras_view):
    run, _, _, _ = keras_view
    curve = run.probe_curve("dense_2")
    assert list(curve.index) == list(range(run.snapshot_count))
    assert curve["init"].iloc[0] == curve["accuracy"].iloc[0] == run.linear_probe("dense_2", 0)
    assert (curve["pixels"] == run.linear_probe("pixels")).all()
    assert curve["accuracy"].iloc[-1] > curve["accuracy"].iloc[0]


def test_confusion_matches_scikit_learn_on_keras_predictions(keras_view):
    from sklearn.metrics import confusion_matrix
    run, _, keras_predictions, labels = keras_view
    expected = confusion_matrix(labels, keras_predictions, labels=range(10))
    np.testing.assert_array_equal(run.confusion(run.snapshot_count - 1).to_numpy(), expected)


def test_pca_map_is_the_snapshots_own_map_turned_onto_the_reference(keras_view):
    run, hidden, _, _ = keras_view
    frame = run.projection("dense_1", 1)
    assert list(frame.columns) == ["x", "y", "label", "predicted"] and len(frame) == len(run.probe_labels)
    assert frame.attrs["reference"] == run.default_snapshot and frame.attrs["method"] == "pca"
    own, share = projection.principal_map(run.probe_activations(1)["dense_1"])
    np.testing.assert_allclose(pdist(frame[["x", "y"]].to_numpy()), pdist(own), rtol=1e-9, atol=1e-9)
    assert frame.attrs["variance_share"] == pytest.approx(share)
    reference = run.projection("dense_1", run.default_snapshot)[["x", "y"]].to_numpy()
    turned = frame[["x", "y"]].to_numpy()
    assert np.linalg.norm(turned - reference) <= np.linalg.norm(own - reference) + 1e-9


def test_tsne_starts_from_the_nearest_computed_map_and_says_so(keras_view):
    run, _, _, _ = keras_view
    first = run.projection("dense_2", 2, method="tsne")
    assert first.attrs["start"] is None and np.isfinite(first[["x", "y"]].to_numpy()).all()
    assert run.projection("dense_2", 3, method="tsne").attrs["start"] == 2
    assert run.projection("dense_2", 1, method="tsne", start=first).attrs["start"] == 2
    with pytest.raises(ValueError, match="start"):
        run.projection("dense_2", 1, method="tsne", start=first.iloc[:10])


def test_cka_of_a_layer_with_itself_is_one_and_the_matrices_agree(keras_view):
    run, hidden, _, _ = keras_view
    assert run.cka("dense_1", "dense_1", 2, 2) == pytest.approx(1.0)
    over_snapshots = run.cka_matrix("dense_2")
    assert over_snapshots.shape == (run.snapshot_count,) * 2 and over_snapshots.attrs["digits"] == len(run.probe_labels)
    assert over_snapshots.iloc[1, 3] == pytest.approx(run.cka("dense_2", "dense_2", 1, 3), abs=1e-3)
    over_layers = run.cka_matrix(snapshot=3)
    assert list(over_layers.index) == ["pixels", "dense_1", "dense_2", "logits"]
    assert over_layers.loc["dense_1", "dense_2"] == pytest.approx(run.cka("dense_1", "dense_2", 3, 3), abs=1e-3)


def test_layer_health_on_a_trained_relu_layer(keras_view):
    run, hidden, _, _ = keras_view
    table = run.layer_health("dense_1")
    assert len(table) == run.snapshot_count and table.attrs["activation"] == "relu"
    last = table.iloc[-1]
    silent = ~(hidden["dense_1"] > 0).any(axis=0)
    assert last["dead_share"] == pytest.approx(silent.mean()) and np.isnan(last["saturated_share"])
    assert last["q50"] == pytest.approx(np.quantile(hidden["dense_1"], 0.5), abs=1e-5)
    assert np.isnan(table["update_ratio"].iloc[0]) and (table["update_ratio"].iloc[1:] > 0).all()
    edges, shares = run.activation_distribution("dense_1")
    assert np.allclose(shares.sum(axis=1), 1.0) and len(edges) == shares.shape[1] + 1


def test_default_run_dense_2_probe_ends_above_the_pixel_baseline(trainer_runs):
    run = trainer_runs["final"]
    curve = run.probe_curve("dense_2")
    assert curve["accuracy"].iloc[-1] > curve["pixels"].iloc[-1]


def test_binary_run_has_a_two_class_confusion_matrix_matching_its_test_accuracy(trainer_runs):
    run = trainer_runs["binary"]
    matrix = run.confusion()
    assert matrix.shape == (2, 2)
    assert np.trace(matrix.to_numpy()) / len(run.probe_labels) == pytest.approx(
        run.manifest["test"]["accuracy"], abs=0.5 / len(run.probe_labels))
    assert 0.5 < run.linear_probe("dense_2") <= 1.0
    assert np.isnan(run.layer_health("dense_2")["dead_share"]).all(), "sigmoid layers are never dead"
