"""Focus metrics on hand-built fields whose answers can be worked out on paper, and their invariants."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import neurons
from neurons.focus import focus_frame, focus_metrics

ALL_LIVE = np.ones((28, 28), dtype=bool)


def field(*pixels, value=1.0):
    image = np.zeros((28, 28))
    for row, column in pixels:
        image[row, column] = value
    return image


def metrics_of(image, live=ALL_LIVE):
    return {name: values[0] for name, values in focus_metrics(image[None], live).items()}


def test_single_pixel_is_fully_focused():
    result = metrics_of(field((10, 12), value=-0.7))
    assert result["focus"] == pytest.approx(1.0)
    assert result["effective_pixels"] == pytest.approx(1.0)
    assert result["top20_share"] == pytest.approx(1.0)
    assert result["spread"] == pytest.approx(0.0)
    assert result["blobs"] == 1


def test_uniform_field_has_no_focus_and_every_pixel_counts():
    result = metrics_of(np.full((28, 28), 0.3))
    assert result["focus"] == pytest.approx(0.0, abs=1e-12)
    assert result["effective_pixels"] == pytest.approx(784)
    assert result["top20_share"] == pytest.approx(20 / 784)
    assert result["blobs"] == 1
    # Radius of gyration of a uniform 28×28 grid: sqrt(2 · (28² − 1) / 12).
    assert result["spread"] == pytest.approx(np.sqrt(2 * (28 ** 2 - 1) / 12))


def test_two_far_blobs_are_counted_and_spread_is_half_their_distance():
    image = field((4, 4), (4, 5), (5, 4), (5, 5), (20, 22), (20, 23), (21, 22), (21, 23))
    result = metrics_of(image)
    assert result["blobs"] == 2
    assert result["effective_pixels"] == pytest.approx(8)
    # Centres (4.5, 4.5) and (20.5, 22.5), equal mass: every pixel is half the centre distance
    # away from the mean, plus its own offset of 0.5 in each axis within its 2×2 blob.
    half = np.hypot(16, 18) / 2
    assert result["spread"] == pytest.approx(np.sqrt(half ** 2 + 0.5))


def test_diagonal_neighbours_are_one_blob_and_weak_pixels_do_not_count():
    image = field((10, 10), (11, 11), (12, 12))
    image[20, 20] = 0.49  # below half the maximum: not part of any blob
    assert metrics_of(image)["blobs"] == 1
    image[20, 20] = 0.5
    assert metrics_of(image)["blobs"] == 2


def test_dead_pixels_never_enter():
    live = ALL_LIVE.copy()
    live[:, :3] = False
    image = field((14, 14))
    with_border_noise = image.copy()
    with_border_noise[:, :3] = 5.0  # large values, but on dead pixels
    assert metrics_of(with_border_noise, live) == pytest.approx(metrics_of(image, live), nan_ok=True)
    uniform = np.where(live, 0.2, 0.0)
    assert metrics_of(uniform, live)["effective_pixels"] == pytest.approx(live.sum())
    assert metrics_of(uniform, live)["focus"] == pytest.approx(0.0, abs=1e-12)


def test_unchanged_field_has_undefined_metrics_and_no_blobs():
    result = metrics_of(np.zeros((28, 28)))
    assert np.isnan([result["focus"], result["effective_pixels"], result["top20_share"],
                     result["spread"]]).all()
    assert result["blobs"] == 0


def test_blobs_are_counted_per_field_in_a_stack():
    stack = np.stack([field((3, 3)), np.zeros((28, 28)), field((1, 1), (9, 9), (20, 5)),
                      field((27, 27), (0, 0))])
    assert focus_frame(stack, ALL_LIVE)["blobs"].tolist() == [1, 0, 3, 2]


def test_run_focus_uses_the_learned_change_on_live_pixels(synthetic_run):
    run = neurons.open_run(synthetic_run(units=(16, 8), snapshots=3))
    table = run.focus_table("dense_1", snapshot=2)
    assert list(table.columns) == ["focus", "effective_pixels", "top20_share", "spread", "blobs"]
    assert len(table) == 16 and table.index.name == "neuron"
    change = run.receptive_field("dense_1", 5, snapshot=2, kind="change")
    assert table.loc[5].to_dict() == pytest.approx(metrics_of(change, run.live_pixels))
    curve = run.focus_curve("dense_2", 3)
    assert curve.index.name == "snapshot" and len(curve) == 3
    assert curve.iloc[0].isna()[["focus", "spread"]].all() and curve["blobs"].iloc[0] == 0
    assert list(curve["label"]) == run.snapshot_labels
    assert curve.drop(columns="label").loc[2].to_dict() == pytest.approx(
        run.focus_table("dense_2", snapshot=2).loc[3].to_dict())


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), sparsity=st.floats(0.0, 0.99), factor=st.floats(1e-3, 1e3))
def test_metrics_stay_in_range_and_ignore_sign_and_scale(seed, sparsity, factor):
    rng = np.random.default_rng(seed)
    image = rng.normal(size=(28, 28)) * (rng.random((28, 28)) >= sparsity)
    image[rng.integers(28), rng.integers(28)] = 1.0  # never all zero
    live = rng.random((28, 28)) < 0.9
    live[:] |= image != 0
    result = metrics_of(image, live)
    count = live.sum()
    assert -1e-9 <= result["focus"] <= 1 + 1e-9
    assert 1 - 1e-9 <= result["effective_pixels"] <= count + 1e-6
    assert min(20, count) / count - 1e-9 <= result["top20_share"] <= 1 + 1e-9
    assert 0 <= result["spread"] <= np.hypot(27, 27)
    assert result["blobs"] >= 1
    assert metrics_of(-factor * image, live) == pytest.approx(result, rel=1e-6, abs=1e-9)
