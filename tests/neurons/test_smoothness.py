"""Smoothness of a field: noise about 0, slow gradients near 1, checkerboards near −1."""
import numpy as np
import pytest

from neurons.smoothness import smoothness

ALL_LIVE = np.ones((28, 28), bool)


def test_white_noise_scores_about_zero_and_a_ramp_about_one():
    noise = np.random.default_rng(0).normal(size=(200, 28, 28))
    assert abs(np.mean(smoothness(noise, ALL_LIVE))) < 0.01
    rows, columns = np.mgrid[:28, :28]
    ramp = (rows + columns)[None].astype(float)
    assert smoothness(ramp, ALL_LIVE)[0] > 0.99
    assert smoothness(((rows + columns) % 2)[None], ALL_LIVE)[0] == pytest.approx(-1, abs=0.01)


def test_by_hand_on_a_small_live_region():
    live = np.zeros((28, 28), bool)
    live[0, :3] = True  # three live pixels in a row: two neighbour pairs
    field = np.zeros((28, 28))
    field[0, :3] = [0, 1, 3]
    field[5, 5] = 100  # dead pixels never count
    variance = np.var([0, 1, 3])
    assert smoothness(field[None], live)[0] == pytest.approx(1 - (1 + 4) / (2 * 2 * variance))


def test_constant_field_has_no_smoothness_and_scale_does_not_matter():
    assert np.isnan(smoothness(np.full((1, 784), 2.0), ALL_LIVE)[0])
    field = np.random.default_rng(1).normal(size=(3, 784)).cumsum(axis=1)
    np.testing.assert_allclose(smoothness(field, ALL_LIVE), smoothness(-7 * field + 3, ALL_LIVE))
