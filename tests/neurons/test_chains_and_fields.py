"""Receptive fields and weight chains checked against the written weights and against probing.

In an MLP with linear activations every quantity is affine in the input, so the expanded weights
of a neuron and the weights-only chain of a digit must equal what the forward pass (itself checked
against Keras) shows when one pixel at a time is switched on.
"""
import numpy as np
import pytest

import neurons
from tests.helpers.runs import dense_layers, mnist_sample, random_weights, write_run

SNAPSHOTS = 3


def bn_scale(weights, name):
    arrays = weights[name]
    return arrays["gamma"].astype(np.float64) / np.sqrt(arrays["moving_variance"].astype(np.float64) + 1e-3)


@pytest.fixture(scope="module")
def images():
    return mnist_sample(100, seed=3)


def make_run(tmp_path, images, activation, units=(20, 12, 6), batchnorm=True, seed=2):
    layers = dense_layers(list(units), activation=activation, batchnorm=batchnorm)
    rng = np.random.default_rng(seed)
    snapshots = [random_weights(layers, rng, scale=1.5) for _ in range(SNAPSHOTS)]
    path = write_run(tmp_path / f"{activation}-{batchnorm}", layers, snapshots, *images)
    return neurons.open_run(path), snapshots


def pixel_probes():
    """The black image followed by one image per pixel with only that pixel on."""
    return np.vstack([np.zeros((1, 784)), np.eye(784)])


def test_expanded_fields_are_what_a_linear_network_responds_to(tmp_path, images):
    run, _ = make_run(tmp_path, images, "linear")
    activations = run.activations(pixel_probes(), snapshot=1)
    for layer in run.hidden_layers:
        response = activations[layer][1:] - activations[layer][0]
        for neuron in (0, run.units(layer) - 1):
            field = run.receptive_field(layer, neuron, snapshot=1)
            np.testing.assert_allclose(field.ravel(), response[:, neuron], atol=1e-5)


def test_weights_chain_is_what_a_linear_network_responds_to(tmp_path, images):
    run, _ = make_run(tmp_path, images, "linear")
    logits = run.forward(pixel_probes(), snapshot=2)
    for digit in (0, 4, 9):
        chain = run.digit_chain(digit, snapshot=2)
        np.testing.assert_allclose(chain["pixels"].ravel(), logits[1:, digit] - logits[0, digit], atol=1e-5)
        np.testing.assert_allclose(run.receptive_field("output", digit, snapshot=2), chain["pixels"], atol=1e-5)
        # Every gate of a linear network is 1: the chain for any example is the same.
        gated = run.digit_chain(digit, snapshot=2, example=7)
        for layer in [*run.hidden_layers, "pixels"]:
            np.testing.assert_allclose(gated[layer], chain[layer], atol=1e-9)


def test_chain_modes_against_the_written_weights(tmp_path, images):
    run, snapshots = make_run(tmp_path, images, "relu", units=(10,))
    weights, digit = snapshots[1], 6
    output_column = weights["output"]["kernel"][:, digit].astype(np.float64)
    first_kernel = weights["dense_1"]["kernel"].astype(np.float64)
    with_scale = run.digit_chain(digit, snapshot=1)
    raw = run.digit_chain(digit, snapshot=1, mode="raw")
    np.testing.assert_allclose(with_scale["dense_1"], bn_scale(weights, "batchnorm_1") * output_column, rtol=1e-6)
    np.testing.assert_allclose(with_scale["pixels"].ravel(),
                               first_kernel @ (bn_scale(weights, "batchnorm_1") * output_column), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(raw["dense_1"], output_column, rtol=1e-6)
    np.testing.assert_allclose(raw["pixels"].ravel(), first_kernel @ output_column, rtol=1e-5, atol=1e-7)


def test_without_batchnorm_raw_and_weights_chains_agree(tmp_path, images):
    run, _ = make_run(tmp_path, images, "relu", batchnorm=False)
    raw, weights = run.digit_chain(3, mode="raw"), run.digit_chain(3)
    for key in weights:
        np.testing.assert_allclose(raw[key], weights[key])


def test_first_layer_fields_are_kernel_columns_with_change_and_step(tmp_path, images):
    run, snapshots = make_run(tmp_path, images, "sigmoid")
    columns = [weights["dense_1"]["kernel"][:, 7].reshape(28, 28) for weights in snapshots]
    for snapshot, column in enumerate(columns):
        np.testing.assert_array_equal(run.receptive_field("dense_1", 7, snapshot=snapshot), column)
    np.testing.assert_allclose(run.receptive_field("dense_1", 7, snapshot=2, kind="change"), columns[2] - columns[0])
    np.testing.assert_allclose(run.receptive_field("dense_1", 7, snapshot=2, kind="step"), columns[2] - columns[1])
    assert not run.receptive_field("dense_1", 7, snapshot=0, kind="step").any()
    stack = run.receptive_fields("dense_1", 7)
    np.testing.assert_array_equal(stack, np.stack(columns))


@pytest.mark.parametrize("kind", ["weights", "change", "step"])
def test_scrub_stack_agrees_with_single_fields_in_deeper_layers(tmp_path, images, kind):
    run, _ = make_run(tmp_path, images, "tanh")
    stack = run.receptive_fields("dense_3", 4, kind=kind)
    assert stack.shape == (SNAPSHOTS, 28, 28)
    for snapshot in range(SNAPSHOTS):
        np.testing.assert_allclose(stack[snapshot], run.receptive_field("dense_3", 4, snapshot, kind=kind),
                                   atol=1e-6)


@pytest.mark.parametrize("kind", ["weights", "change", "step"])
def test_layer_fields_are_every_neurons_field(tmp_path, images, kind):
    run, _ = make_run(tmp_path, images, "relu")
    for layer in ["dense_1", "dense_2", "output"]:
        stack = run.layer_fields(layer, snapshot=1, kind=kind)
        assert stack.shape == (run.units(layer), 28, 28)
        for neuron in (0, run.units(layer) - 1):
            np.testing.assert_allclose(stack[neuron], run.receptive_field(layer, neuron, 1, kind=kind), atol=1e-5)
