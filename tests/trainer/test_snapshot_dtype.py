"""`--snapshot-dtype float16`: half the folder, and on screen what the float32 run shows.

Both runs come from the same seeded training, so they differ only by how snapshots are stored.
A map's colour range is ±(its largest |value| over the pixels that are drawn), as on screen.
"""
import numpy as np
import pytest

import neurons
from neurons.attribution import DEFAULT_STEPS
from neurons.forward import as_inputs
from neurons.run import FIELD_KINDS
from tests.helpers.trainer import run_cli

MAP_TOLERANCE = 1e-3  # of the map's colour range
ACCURACY_TOLERANCE = 0.002
FLOAT16_ROUNDING = 2.0 ** -11  # the most rounding moves a float16 value, relative to itself


def colour_range(values, axis=None) -> np.ndarray:
    return 2 * np.abs(values).max(axis=axis)


def assert_maps_agree(exact, rounded, where: str, axis=None) -> None:
    """Each map (the last axis, or the whole array) within MAP_TOLERANCE of its own colour range."""
    error = np.abs(np.asarray(rounded) - exact).max(axis=axis)
    assert np.all(error <= MAP_TOLERANCE * colour_range(exact, axis=axis)), where


@pytest.mark.slow
def test_a_float16_run_halves_the_folder_and_shows_what_the_float32_run_shows(small_sample, tmp_path):
    runs = twin_runs(tmp_path)
    check_folder_and_training(*runs)
    check_maps(*runs)
    check_steps(*runs)
    check_chains_attributions_and_accuracies(*runs)


def twin_runs(tmp_path):
    runs = {}
    for dtype in ("float32", "float16"):
        status, output = run_cli("train", "--data-dir", tmp_path, "--run-id", dtype, "--epochs", 3,
                                 "--snapshots-per-epoch", 3, "--no-early-stopping", "--snapshot-dtype", dtype)
        assert status == 0, output
        runs[dtype] = neurons.open_run(tmp_path / "runs" / dtype)
    return runs["float32"], runs["float16"]


def check_folder_and_training(exact, half):
    assert half.manifest["snapshot_dtype"] == "float16" and exact.manifest["snapshot_dtype"] == "float32"
    untimed = [[{key: value for key, value in row.items() if key != "seconds"} for row in run.history]
               for run in (exact, half)]
    assert untimed[0] == untimed[1], "the storage does not touch training"
    assert half.manifest["test"] == exact.manifest["test"]
    assert half.best_snapshot == exact.best_snapshot

    sizes = [sum(file.stat().st_size for file in (run.path / "weights").rglob("*.npy")) for run in (exact, half)]
    count = exact.snapshot_count
    assert sizes[1] / sizes[0] == pytest.approx((2 * count + 4) / (4 * count), abs=0.005)


def check_maps(exact, half):
    """Weights and change since init, every layer, neuron and snapshot, with limits per snapshot
    (mosaic, field) and fixed over the scrub."""
    live, count = exact.live_pixels, exact.snapshot_count
    for layer in [*exact.hidden_layers, "output"]:
        for snapshot in range(count):
            for kind in ("weights", "change"):
                assert_maps_agree(exact.layer_fields(layer, snapshot, kind)[:, live],
                                  half.layer_fields(layer, snapshot, kind)[:, live],
                                  f"{layer} {kind} at {snapshot}", axis=1)
        for neuron in range(exact.units(layer)):
            for kind in FIELD_KINDS[:2]:  # the scrub, its limits fixed over all snapshots
                assert_maps_agree(exact.receptive_fields(layer, neuron, kind)[:, live],
                                  half.receptive_fields(layer, neuron, kind)[:, live], f"{layer} {neuron} {kind}")


def check_steps(exact, half):
    """The change since the previous snapshot is the difference of two rounded changes since
    init: its error is bounded by their rounding, not by its own size (docs/run-format.md)."""
    for neuron in range(exact.units("dense_1")):
        rows = exact.receptive_fields("dense_1", neuron, "change").reshape(exact.snapshot_count, -1)
        bound = FLOAT16_ROUNDING * (np.abs(rows[1:]) + np.abs(rows[:-1])) + 1e-7
        error = np.abs(half.receptive_fields("dense_1", neuron, "step") - exact.receptive_fields("dense_1", neuron, "step"))
        assert np.all(error.reshape(exact.snapshot_count, -1)[1:] <= bound)


def check_chains_attributions_and_accuracies(exact, half):
    live = exact.live_pixels
    for snapshot in (1, exact.snapshot_count // 2, exact.best_snapshot):
        for digit in range(10):
            for mode in ("weights", "raw"):
                chains = exact.digit_chain(digit, snapshot, mode=mode), half.digit_chain(digit, snapshot, mode=mode)
                assert_maps_agree(chains[0]["pixels"][live], chains[1]["pixels"][live], f"chain {digit} {mode}")
                for layer in exact.hidden_layers:
                    assert_maps_agree(chains[0][layer], chains[1][layer], f"chain {digit} {layer}")
        check_example_maps(exact, half, snapshot)
        accuracy = [np.mean(run.forward(run.probe_images, snapshot).argmax(axis=1) == run.probe_labels)
                    for run in (exact, half)]
        assert abs(accuracy[0] - accuracy[1]) <= ACCURACY_TOLERANCE
        for layer in exact.hidden_layers:
            for neurons_out in ([0], [1, 2, 3]):
                results = [run.ablate(layer, neurons_out, snapshot) for run in (exact, half)]
                for moment in ("before", "after"):
                    assert abs(results[0]["overall"][moment] - results[1]["overall"][moment]) <= ACCURACY_TOLERANCE
                    assert np.all(np.abs(results[0]["per_class"][moment] - results[1]["per_class"][moment])
                                  <= ACCURACY_TOLERANCE)


def gates(run, inputs, snapshot) -> list[np.ndarray]:
    """Which hidden ReLUs are open for each input."""
    activations = run.activations(inputs, snapshot)
    return [activations[layer] > 0 for layer in run.hidden_layers]


def check_example_maps(exact, half, snapshot) -> None:
    """Gradient × input and integrated gradients of one example are piecewise linear in the
    weights: where an example's pre-activation sits within rounding of zero, a ReLU opens in one
    run and not the other and the map jumps, as it would for any change of the weights at that
    scale. Each map must agree unless such a gate differs (at the example, or along the
    integration path for integrated gradients); and most must agree."""
    live, agreeing = exact.live_pixels, 0
    alphas = (np.arange(DEFAULT_STEPS) + 0.5) / DEFAULT_STEPS
    for example in range(0, 300, 10):
        digit, image = int(exact.probe_labels[example]), as_inputs(exact.probe_images[example])
        for name, path in (("gradient_x_input", image), ("integrated_gradients", alphas[:, None] * image)):
            maps = [getattr(run, name)(example, digit, snapshot)[live] for run in (exact, half)]
            error = np.abs(maps[1] - maps[0]).max()
            if error <= MAP_TOLERANCE * colour_range(maps[0]):
                agreeing += 1
                continue
            flips = [np.any(gate != other) for gate, other in zip(gates(exact, path, snapshot), gates(half, path, snapshot))]
            assert any(flips), f"{name} of probe digit {example} at snapshot {snapshot} without a gate flip"
    assert agreeing >= 0.9 * 60
