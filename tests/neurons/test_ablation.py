"""Ablation on runs with hand-set weights, where the answer follows from the weights alone."""
import numpy as np
import pytest

import neurons
from tests.helpers.runs import dense_layers, mnist_sample, random_weights, write_run
from neurons.forward import as_inputs, forward


@pytest.fixture
def silent_neuron_run(tmp_path):
    """A 784-12-BN-6-BN-10 ReLU run in which dense_1 neuron 3 and dense_2 neuron 2 have zero outgoing weights."""
    layers = dense_layers([12, 6], batchnorm=True)
    weights = random_weights(layers, np.random.default_rng(4), scale=1.5)
    weights["dense_2"]["kernel"][3, :] = 0.0
    weights["output"]["kernel"][2, :] = 0.0
    images, labels = mnist_sample(300, seed=3)
    return neurons.open_run(write_run(tmp_path / "silent", layers, [weights], images, labels))


@pytest.mark.parametrize("layer, neuron", [("dense_1", 3), ("dense_2", 2)])
@pytest.mark.parametrize("mode", ["mean", "zero"])
def test_ablating_a_neuron_without_outgoing_weights_changes_nothing(silent_neuron_run, layer, neuron, mode):
    result = silent_neuron_run.ablate(layer, [neuron], mode=mode)
    assert result["overall"]["after"] == result["overall"]["before"]
    assert result["per_class"]["after"].tolist() == result["per_class"]["before"].tolist()
    assert result["per_class"]["count"].sum() == 300
    position = silent_neuron_run.hidden_layers.index(layer)
    blocks = silent_neuron_run._blocks_at(0)
    inputs = as_inputs(silent_neuron_run.probe_images)
    ablated = forward(blocks, inputs, replace={position: ([neuron], [123.0])})
    np.testing.assert_array_equal(ablated.logits, forward(blocks, inputs).logits)


def test_ablating_a_neuron_with_outgoing_weights_changes_the_logits(silent_neuron_run):
    blocks = silent_neuron_run._blocks_at(0)
    inputs = as_inputs(silent_neuron_run.probe_images)
    ablated = forward(blocks, inputs, replace={1: ([0], [5.0])})
    assert not np.allclose(ablated.logits, forward(blocks, inputs).logits)


def test_zero_ablating_the_whole_last_layer_leaves_only_the_output_bias(tmp_path):
    layers = dense_layers([8, 5])
    weights = random_weights(layers, np.random.default_rng(7), scale=1.5)
    weights["output"]["bias"] = np.array([0, 0, 0, 2, 0, 0, 0, 0, 1, 0], np.float32)
    images, labels = mnist_sample(250, seed=3)
    run = neurons.open_run(write_run(tmp_path / "bias", layers, [weights], images, labels))
    result = run.ablate("dense_2", range(5), mode="zero")
    # Every example is now classified as 3, the largest bias.
    assert result["overall"]["after"] == pytest.approx(np.mean(labels == 3))
    expected = [1.0 if digit == 3 else 0.0 for digit in range(10)]
    assert result["per_class"]["after"].tolist() == expected
    assert result["per_class"].index.tolist() == list(range(10))
    assert result["layer"] == "dense_2" and result["neurons"] == [0, 1, 2, 3, 4] and result["mode"] == "zero"
