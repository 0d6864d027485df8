"""The neuron page's questions asked of a Run, against numpy by hand and the core's plain forward pass.

A 784-12-BN-6-BN-10 ReLU run with random weights at three snapshots; the Keras checks (importance
with zero-ablation, the dream's gradient) are in test_trained_run.py and test_against_keras.py.
"""
import numpy as np
import pytest

import neurons
from tests.helpers.runs import dense_layers, mnist_sample, random_weights, write_run
from neurons.ablation import accuracy_by_class
from neurons.focus import focus_metrics
from neurons.forward import as_inputs, forward

SNAPSHOTS = 3
PROBE = 300


@pytest.fixture(scope="module")
def page_run(tmp_path_factory):
    """(run, Keras-layout weights per snapshot, probe inputs)."""
    layers = dense_layers([12, 6], batchnorm=True)
    rng = np.random.default_rng(8)
    snapshots = [random_weights(layers, rng, scale=1.5) for _ in range(SNAPSHOTS)]
    images, labels = mnist_sample(PROBE, seed=3)
    path = write_run(tmp_path_factory.mktemp("page") / "page", layers, snapshots, images, labels)
    return neurons.open_run(path), snapshots, as_inputs(images)


def first_layer_by_hand(weights, inputs, neuron):
    """h of a first-layer ReLU neuron, straight from its Keras kernel and bias."""
    kernel, bias = weights["dense_1"]["kernel"], weights["dense_1"]["bias"]
    return np.maximum(inputs.astype(np.float64) @ kernel[:, neuron] + bias[neuron], 0)


def test_responds_to_of_a_first_layer_neuron_by_hand(page_run):
    run, snapshots, inputs = page_run
    for snapshot in range(SNAPSHOTS):
        h = first_layer_by_hand(snapshots[snapshot], inputs, 4)
        w = h - h.min()
        expected = (w @ inputs) / w.sum() - inputs.mean(axis=0)
        np.testing.assert_allclose(run.responds_to("dense_1", 4, snapshot).ravel(), expected, atol=1e-5)


@pytest.mark.parametrize("layer", ["dense_1", "dense_2"])
def test_responds_to_frames_and_layer_pictures_agree_with_one_neuron_at_one_snapshot(page_run, layer):
    run, _, _ = page_run
    frames = run.responds_to_frames(layer, 2)
    assert frames.shape == (SNAPSHOTS, 28, 28)
    for snapshot in range(SNAPSHOTS):
        np.testing.assert_allclose(frames[snapshot], run.responds_to(layer, 2, snapshot), atol=1e-5)
        np.testing.assert_allclose(run.layer_responds_to(layer, snapshot)[2], frames[snapshot], atol=1e-5)


def test_histogram_and_exemplars_by_hand(page_run):
    run, snapshots, inputs = page_run
    h = first_layer_by_hand(snapshots[1], inputs, 7)
    table = run.activation_histogram("dense_1", 7, snapshot=1, bins=10)
    counts, edges = np.histogram(h, bins=10)
    np.testing.assert_allclose(table["left"], edges[:-1], atol=1e-5)
    np.testing.assert_array_equal(table[run.classes].sum(axis=1), counts)
    assert table.attrs["silent_share"] == pytest.approx((h == 0).mean())
    chosen = run.exemplars("dense_1", 7, snapshot=1, bands=((0.9, 1.0),), per_band=30)
    assert len(set(chosen["example"])) == 30  # the top 10% of 300, all of them
    assert h[chosen["example"]].min() >= np.sort(h)[-30] - 1e-5
    np.testing.assert_allclose(chosen["activation"], h[chosen["example"]], atol=1e-5)


def test_logit_effects_against_the_chain_and_a_plain_ablated_forward_pass(page_run):
    run, _, inputs = page_run
    blocks = run._blocks_at(2)
    for layer, position, neuron in (("dense_1", 0, 3), ("dense_2", 1, 1)):
        table = run.logit_effects(layer, neuron, snapshot=2)
        h = run.probe_activations(2)[layer][:, neuron]
        firing = np.argsort(-h, kind="stable")[:PROBE // 10]
        mean = h.mean()
        before = forward(blocks, inputs[firing]).logits
        after = forward(blocks, inputs[firing], replace={position: ([neuron], [mean])}).logits
        np.testing.assert_allclose(table["measured"], (before - after).mean(axis=0), atol=1e-4)
        weights = [run.digit_chain(digit, 2)[layer][neuron] for digit in run.classes]
        np.testing.assert_allclose(table["weight"], weights, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(table["weights_path"], table["weight"] * (h[firing].mean() - mean), rtol=1e-5)
        assert table["logit"].tolist()[4] == "z₄"
    # Through the last hidden layer the logits are linear in h: the weights path is the measured change.
    np.testing.assert_allclose(table["weights_path"], table["measured"], atol=1e-4)


def test_correlated_neurons_against_corrcoef(page_run):
    run, _, _ = page_run
    activations = run.probe_activations(0)
    table = run.correlated_neurons("dense_2", 0, snapshot=0, k=3)
    assert set(table["layer"]) == {"dense_1", "dense_2"}
    assert 0 not in table[table["layer"] == "dense_2"]["neuron"].tolist()
    for row in table.itertuples():
        expected = np.corrcoef(activations["dense_2"][:, 0], activations[row.layer][:, row.neuron])[0, 1]
        assert row.r == pytest.approx(expected, abs=1e-6)
    for layer in ("dense_1", "dense_2"):
        others = np.abs(np.nan_to_num([np.corrcoef(activations["dense_2"][:, 0], column)[0, 1]
                                       for column in activations[layer].T]))
        if layer == "dense_2":
            others[0] = 0
        assert table[table["layer"] == layer]["r"].abs().iloc[0] == pytest.approx(others.max(), abs=1e-6)


@pytest.mark.parametrize("mode", ["mean", "zero"])
@pytest.mark.parametrize("layer", ["dense_1", "dense_2"])
def test_importance_is_the_accuracy_drop_of_ablate(page_run, layer, mode):
    run, _, _ = page_run
    table = run.importance(layer, snapshot=1, mode=mode)
    for neuron in range(run.units(layer)):
        result = run.ablate(layer, [neuron], snapshot=1, mode=mode)
        drop = result["overall"]["before"] - result["overall"]["after"]
        assert table["importance"][neuron] == pytest.approx(drop, abs=0.5 / PROBE)


@pytest.mark.parametrize("order", ["importance", "selectivity", "random"])
def test_ablation_curve_steps_are_cumulative_ablations(page_run, order):
    run, _, _ = page_run
    curve = run.ablation_curve("dense_1", order, snapshot=2)
    assert len(curve) == run.units("dense_1") + 1
    assert sorted(curve["neuron"][1:]) == list(range(run.units("dense_1")))
    for m in (0, 1, 5, run.units("dense_1")):
        neurons_so_far = curve["neuron"][1:m + 1].tolist()
        expected = run.ablate("dense_1", neurons_so_far, snapshot=2)["overall"]["after"] if m else \
            accuracy_by_class(run.probe_activations(2)["logits"], run.probe_labels, run.classes)[0]
        assert curve["accuracy"][m] == pytest.approx(expected, abs=0.5 / PROBE)
    if order == "importance":
        drops = run.importance("dense_1", 2)["importance"]
        assert list(drops[curve["neuron"][1:]]) == sorted(drops, reverse=True)


def test_focus_above_noise_on_both_bases(page_run):
    run, _, _ = page_run
    change = run.focus_above_noise("dense_1", snapshot=2)
    np.testing.assert_allclose(change["focus"], run.focus_table("dense_1", 2)["focus"])
    assert np.isfinite(change["focus_z"]).all() and (change["spread_noise_sd"] > 0).all()
    responds = run.focus_above_noise("dense_1", snapshot=2, basis="responds_to")
    expected = focus_metrics(run.layer_responds_to("dense_1", 2), run.live_pixels)["focus"]
    np.testing.assert_allclose(responds["focus"], expected)
    assert run.focus_above_noise("dense_1", snapshot=2) is change  # cached


def test_maximize_reaches_above_its_seeds_and_reports_the_best_probe_digit(page_run):
    run, _, _ = page_run
    result = run.maximize("dense_2", 3, snapshot=1, steps=60, seeds=3)
    assert result["images"].shape == (3, 28, 28)
    assert result["images"].min() >= 0 and result["images"].max() <= 1
    assert (result["images"][:, ~run.live_pixels] == 0).all()
    np.testing.assert_allclose(result["activations"], run.activations(result["images"], 1)["dense_2"][:, 3], atol=1e-5)
    probe = run.probe_activations(1)["dense_2"][:, 3]
    assert result["best_activation"] == pytest.approx(probe.max())
    assert probe[result["best_example"]] == probe.max()


@pytest.mark.parametrize("call, message", [
    (lambda run: run.activation_histogram("dense_1", 0, bins=0), "bins"),
    (lambda run: run.exemplars("dense_1", 0, per_band=-1), "per_band"),
    (lambda run: run.exemplars("dense_1", 0, bands=((0.5, 0.2),)), "band"),
    (lambda run: run.correlated_neurons("dense_1", 99), "neuron"),
    (lambda run: run.maximize("dense_1", 0, seeds=1000), "seeds"),
    (lambda run: run.importance("output"), "layer"),
    (lambda run: run.ablation_curve("dense_1", order="alphabetical"), "order"),
    (lambda run: run.focus_above_noise("dense_1", basis="weights"), "basis"),
    (lambda run: run.logit_effects("dense_2", 0, snapshot=7), "snapshot"),
])
def test_bad_arguments_say_what_is_allowed(page_run, call, message):
    with pytest.raises(ValueError, match=message):
        call(page_run[0])
